// The StateStore contract, run against both adapters: whatever passes here holds for the
// in-memory store used by unit tests and for the JSON file store the daemon uses.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { createSecretBox } from '../../src/secrets.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { STATE_VERSION, StateFormatError } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import { collectLogs, makeChat, makeCredential, makeSubscription, tempDir } from './_fixtures.js';

const box = createSecretBox('contract-test-key-material');

interface Adapter {
  name: string;
  open(): Promise<StateStore>;
  cleanup(): Promise<void>;
}

function memoryAdapter(): Adapter {
  return {
    name: 'memory store',
    open: async () => createMemoryStore(),
    cleanup: async () => undefined,
  };
}

function jsonFileAdapter(): Adapter {
  const removers: (() => Promise<void>)[] = [];
  return {
    name: 'JSON file store',
    async open() {
      const temp = await tempDir('pushbot-store-');
      removers.push(temp.remove);
      return openJsonFileStore({ path: join(temp.path, 'db.json'), logger: collectLogs().logger });
    },
    async cleanup() {
      await Promise.all(removers.splice(0).map((remove) => remove()));
    },
  };
}

for (const adapter of [memoryAdapter(), jsonFileAdapter()]) {
  describe(`StateStore contract: ${adapter.name}`, () => {
    let store: StateStore;

    beforeEach(async () => {
      store = await adapter.open();
    });
    afterEach(async () => {
      await store.close();
    });
    after(() => adapter.cleanup());

    it('starts empty', () => {
      assert.deepEqual(store.read(), {
        version: STATE_VERSION,
        chats: {},
        credentials: {},
        outbox: [],
      });
      assert.equal(store.writeCount, 0);
    });

    it('returns what was stored (round trip)', async () => {
      const chat = makeChat(42, [makeSubscription('01234567', ['c1', 'c2'])]);
      const credential = makeCredential('cred-1', box.encrypt('offline-token-value'));
      await store.update((draft) => {
        draft.chats['42'] = chat;
        draft.credentials['cred-1'] = credential;
      });
      assert.deepEqual(store.read().chats['42'], chat);
      assert.deepEqual(store.read().credentials['cred-1'], credential);
      assert.equal(store.writeCount, 1);
    });

    it('resolves update with what fn returned', async () => {
      const result = await store.update((draft) => {
        draft.chats['7'] = makeChat(7);
        return { added: 7 };
      });
      assert.deepEqual(result, { added: 7 });
    });

    it('fills schema defaults in the committed state', async () => {
      await store.update((draft) => {
        // A subscription as an older caller might write it: no summary/status/... fields.
        Object.assign(draft.chats, {
          '5': {
            ...makeChat(5),
            subscriptions: {
              '00000005': { caseNumber: '00000005', addedAt: '2024-05-01T10:00:00.000Z', seen: [] },
            },
          },
        });
      });
      assert.equal(store.read().chats['5']?.subscriptions['00000005']?.closed, false);
      assert.equal(store.read().chats['5']?.subscriptions['00000005']?.summary, '');
    });

    it('changes nothing when fn throws, and rejects with that error', async () => {
      await store.update((draft) => {
        draft.chats['1'] = makeChat(1);
      });
      const before = structuredClone(store.read());
      const writes = store.writeCount;
      const boom = new Error('boom');
      await assert.rejects(
        store.update((draft) => {
          draft.chats['2'] = makeChat(2);
          delete draft.chats['1'];
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.deepEqual(store.read(), before);
      assert.equal(store.writeCount, writes);
    });

    it('keeps later updates going after a failed one', async () => {
      const failed = store.update(() => {
        throw new Error('first fails');
      });
      const next = store.update((draft) => {
        draft.chats['3'] = makeChat(3);
        return 'second ran';
      });
      await assert.rejects(failed, /first fails/);
      assert.equal(await next, 'second ran');
      assert.ok(store.read().chats['3']);
    });

    it('loses nothing when 200 updates run concurrently', async () => {
      const COUNT = 200;
      const results = await Promise.all(
        Array.from({ length: COUNT }, (_, i) =>
          store.update((draft) => {
            draft.outbox.push({
              id: `notice:${i}`,
              chatId: 1,
              destination: 'telegram',
              kind: 'notice',
              text: `notice ${i}`,
              createdAt: '2024-05-01T10:00:00.000Z',
              attempts: 0,
            });
            return draft.outbox.length;
          }),
        ),
      );
      assert.equal(store.read().outbox.length, COUNT);
      assert.deepEqual(
        new Set(store.read().outbox.map((e) => e.id)),
        new Set(Array.from({ length: COUNT }, (_, i) => `notice:${i}`)),
      );
      // Each fn saw the result of every earlier one: the updates ran one after another.
      assert.deepEqual(
        results,
        Array.from({ length: COUNT }, (_, i) => i + 1),
      );
      assert.equal(store.writeCount, COUNT);
    });

    it('writes nothing when nothing changed', async () => {
      await store.update((draft) => {
        draft.chats['9'] = makeChat(9, [makeSubscription('00000009', ['c1'])]);
      });
      const writes = store.writeCount;
      await store.update(() => undefined);
      await store.update((draft) => {
        // Same values assigned again.
        draft.chats['9']!.active = true;
        draft.chats['9']!.subscriptions['00000009']!.seen = ['c1'];
      });
      await store.update((draft) => {
        // An equal object built anew, keys in another order, an optional key set to undefined.
        const { subscriptions, createdAt, ...rest } = makeChat(9, [
          makeSubscription('00000009', ['c1']),
        ]);
        draft.chats['9'] = { createdAt, subscriptions, ...rest, title: undefined };
      });
      assert.equal(store.writeCount, writes);
    });

    it('refuses a state that breaks the schema (a plaintext secret) and changes nothing', async () => {
      await store.update((draft) => {
        draft.credentials['c'] = makeCredential('c', box.encrypt('first-token'));
      });
      const before = structuredClone(store.read());
      const writes = store.writeCount;
      await assert.rejects(
        store.update((draft) => {
          draft.credentials['c']!.secret = 'plaintext-offline-token';
        }),
        (err) => err instanceof StateFormatError && /encrypted secret/.test(err.message),
      );
      await assert.rejects(
        store.update((draft) => {
          // Not JSON: a Date where an ISO string belongs.
          Object.assign(draft.chats, { '8': { ...makeChat(8), createdAt: new Date() } });
        }),
        StateFormatError,
      );
      assert.deepEqual(store.read(), before);
      assert.equal(store.writeCount, writes);
    });

    it('gives fn a private copy: changes stay invisible until committed', async () => {
      await store.update((draft) => {
        draft.chats['4'] = makeChat(4);
      });
      const committed = store.read();
      let seenInside: boolean | undefined;
      await store.update((draft) => {
        draft.chats['4']!.active = false;
        seenInside = store.read().chats['4']?.active;
      });
      assert.equal(seenInside, true);
      assert.equal(committed.chats['4']?.active, true, 'the old snapshot was not mutated');
      assert.equal(store.read().chats['4']?.active, false);
    });

    it('hands out a committed state nobody can change in place', async () => {
      await store.update((draft) => {
        draft.chats['10'] = makeChat(10, [makeSubscription('00000010', ['c1'])]);
      });
      const state = store.read();
      assert.throws(() => {
        (state.chats['10'] as { active: boolean }).active = false;
      }, TypeError);
      assert.throws(() => {
        (state.chats['10']?.subscriptions['00000010']?.seen as string[]).push('c2');
      }, TypeError);
      assert.equal(store.read().chats['10']?.active, true);
    });

    it("keeps the caller's own objects out of the committed state", async () => {
      const chat = makeChat(11, [makeSubscription('00000011', ['c1'])]);
      await store.update((draft) => {
        draft.chats['11'] = chat;
      });
      // The caller may go on using its object: it is neither frozen nor shared.
      chat.active = false;
      chat.subscriptions['00000011']!.seen.push('c2');
      assert.equal(store.read().chats['11']?.active, true);
      assert.deepEqual(store.read().chats['11']?.subscriptions['00000011']?.seen, ['c1']);
    });

    it('resolves with a usable copy when fn returns part of its draft', async () => {
      await store.update((draft) => {
        draft.chats['12'] = makeChat(12, [makeSubscription('00000012', ['c1'])]);
      });
      const returned = await store.update((draft) => {
        const chat = draft.chats['12']!;
        chat.title = 'renamed';
        return { chat, seen: chat.subscriptions['00000012']!.seen };
      });
      // Readable after the transaction, and the caller's to change.
      assert.equal(returned.chat.title, 'renamed');
      returned.seen.push('mine');
      assert.deepEqual(returned.seen, ['c1', 'mine']);
      assert.deepEqual(store.read().chats['12']?.subscriptions['00000012']?.seen, ['c1']);
      assert.equal(store.read().chats['12']?.title, 'renamed');
    });

    it('waits for queued updates on close, then refuses new ones; close is idempotent', async () => {
      const pending = store.update((draft) => {
        draft.chats['6'] = makeChat(6);
      });
      const closed = store.close();
      await pending;
      await closed;
      await store.close();
      assert.ok(store.read().chats['6']);
      await assert.rejects(
        store.update((draft) => {
          draft.chats['66'] = makeChat(66);
        }),
        /closed/,
      );
      assert.equal(store.read().chats['66'], undefined);
    });
  });
}
