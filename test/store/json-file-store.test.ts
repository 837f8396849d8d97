// The JSON file store on a real temp folder: persistence, backup, file modes, refusal of bad
// files (never replaced), secrets at rest, the single-instance lock and its loss.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createSecretBox } from '../../src/secrets.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { emptyState, parseState } from '../../src/store/schema.js';
import { StoreError, type StateStore } from '../../src/store/store.js';
import {
  collectLogs,
  makeChat,
  makeCredential,
  makeSubscription,
  tempDir,
  startChild,
  waitFor,
} from './_fixtures.js';

const box = createSecretBox('json-store-test-key-material');

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('JSON file store', () => {
  let dir: string;
  let path: string;
  let removeDir: () => Promise<void>;
  const opened: StateStore[] = [];

  const open = async (extra: { lockStaleMs?: number; lockUpdateMs?: number } = {}) => {
    const store = await openJsonFileStore({ path, logger: collectLogs().logger, ...extra });
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    ({ path: dir, remove: removeDir } = await tempDir('pushbot-store-'));
    path = join(dir, 'db.json');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await removeDir();
  });

  describe('files', () => {
    it('starts empty without a file, creates the folder 0700, and writes nothing until a change', async () => {
      path = join(dir, 'nested', 'data', 'db.json');
      const store = await open();
      assert.deepEqual(store.read(), emptyState());
      assert.equal(await modeOf(join(dir, 'nested', 'data')), 0o700);
      await store.update(() => undefined);
      assert.equal(await exists(path), false);
      assert.equal(store.writeCount, 0);
    });

    it('sees the data again after close and reopen', async () => {
      const first = await open();
      await first.update((draft) => {
        draft.chats['42'] = makeChat(42, [makeSubscription('01234567', ['c1'])]);
      });
      await first.close();
      const second = await open();
      assert.deepEqual(second.read().chats['42']?.subscriptions['01234567']?.seen, ['c1']);
      assert.equal(second.writeCount, 0);
    });

    it('writes exactly the compact JSON of the committed state, also after partial changes', async () => {
      const store = await open();
      await store.update((draft) => {
        for (const id of [1, 2, 3])
          draft.chats[String(id)] = makeChat(id, [makeSubscription('11')]);
        draft.credentials['c'] = makeCredential('c', box.encrypt('token'));
      });
      await store.update((draft) => {
        // Multi-byte text: the file is UTF-8, the cached pieces must be measured in bytes.
        draft.chats['2']!.title = 'Équipe ☕ 日本 🚀';
        delete draft.chats['1'];
        draft.outbox.push({
          id: 'notice:1',
          chatId: 2,
          destination: 'telegram',
          kind: 'notice',
          text: 'ünïcödé ✓',
          createdAt: '2024-05-01T10:00:00.000Z',
          attempts: 0,
        });
      });
      await store.update((draft) => {
        draft.chats['3']!.subscriptions['11']!.seen.push('c9');
      });
      assert.equal(await readFile(path, 'utf8'), JSON.stringify(store.read()));
      const reopened = parseState(JSON.parse(await readFile(path, 'utf8')));
      assert.deepEqual(reopened, JSON.parse(JSON.stringify(store.read())));
    });

    it('keeps the previous version in db.json.bak', async () => {
      const store = await open();
      await store.update((draft) => {
        draft.chats['1'] = makeChat(1);
      });
      assert.equal(await exists(`${path}.bak`), false, 'no previous version after the first write');
      await store.update((draft) => {
        draft.chats['2'] = makeChat(2);
      });
      const current = parseState(JSON.parse(await readFile(path, 'utf8')));
      const previous = parseState(JSON.parse(await readFile(`${path}.bak`, 'utf8')));
      assert.deepEqual(Object.keys(current.chats).sort(), ['1', '2']);
      assert.deepEqual(Object.keys(previous.chats), ['1']);
    });

    it('writes db.json, db.json.bak and the owner file with mode 0600', async () => {
      const store = await open();
      assert.equal(await modeOf(`${path}.owner.json`), 0o600);
      for (const id of [1, 2]) {
        await store.update((draft) => {
          draft.chats[String(id)] = makeChat(id);
        });
      }
      assert.equal(await modeOf(path), 0o600);
      assert.equal(await modeOf(`${path}.bak`), 0o600);
    });

    it('tightens an existing db.json to 0600 on open', async () => {
      await writeFile(path, JSON.stringify(emptyState()));
      await chmod(path, 0o644);
      await open();
      assert.equal(await modeOf(path), 0o600);
    });

    it('leaves no temporary file behind, and removes those of an interrupted write', async () => {
      await writeFile(path, JSON.stringify(emptyState()));
      await writeFile(`${path}.tmp-999999`, '{"half": ');
      await writeFile(`${path}.bak.tmp`, '{}');
      await writeFile(join(dir, 'other.json.tmp-1'), 'not ours');
      const store = await open();
      await store.update((draft) => {
        draft.chats['1'] = makeChat(1);
      });
      await store.update((draft) => {
        draft.chats['2'] = makeChat(2);
      });
      assert.deepEqual((await readdir(dir)).sort(), [
        'db.json',
        'db.json.bak',
        'db.json.lock',
        'db.json.owner.json',
        'other.json.tmp-1',
      ]);
    });

    it('removes the lock and the owner file on close', async () => {
      const store = await open();
      await store.close();
      assert.deepEqual(await readdir(dir), []);
    });

    it('never puts a sealed secret in the clear on disk', async () => {
      const token = 'offline-token-PLAINTEXT-8c1f2e';
      const webhook = 'https://hooks.slack.com/services/T000/B000/PLAINWEBHOOK';
      const store = await open();
      for (const round of [1, 2]) {
        await store.update((draft) => {
          draft.credentials['c'] = makeCredential('c', box.encrypt(`${token}-${round}`));
          draft.chats['1'] = {
            ...makeChat(1),
            credentialId: 'c',
            slack: { webhook: box.encrypt(webhook), addedAt: '2024-05-01T10:00:00.000Z' },
          };
        });
      }
      for (const file of [path, `${path}.bak`]) {
        const raw = await readFile(file);
        assert.ok(raw.includes('enc:v1:'), `${file} holds sealed values`);
        assert.equal(raw.includes(token), false, `${file} holds no token`);
        assert.equal(raw.includes('PLAINWEBHOOK'), false, `${file} holds no webhook`);
      }
      const sealed = store.read().credentials['c']?.secret ?? '';
      assert.equal(box.decrypt(sealed), `${token}-2`);
    });
  });

  describe('refusing a bad state file', () => {
    async function refusal(): Promise<StoreError> {
      const err = await openJsonFileStore({ path, logger: collectLogs().logger }).then(
        (store) => {
          opened.push(store);
          throw new Error('the store opened a bad file');
        },
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
      return err;
    }

    it('refuses corrupt JSON, names the file and the backup, and leaves both untouched', async () => {
      const corrupt = Buffer.from('{"version":1,"chats":{"1":{"id":1,\n  "type": oops}}');
      const backup = Buffer.from(JSON.stringify(emptyState()));
      await writeFile(path, corrupt);
      await chmod(path, 0o644);
      await writeFile(`${path}.bak`, backup);
      const err = await refusal();
      assert.match(err.message, new RegExp(`${path.replace(/[.]/g, '\\.')}: it is not valid JSON`));
      assert.match(err.message, /line 2/);
      assert.match(err.message, /left untouched/);
      assert.ok(err.message.includes(`cp ${path}.bak ${path}`), err.message);
      assert.equal(err.message.includes('oops'), false, 'the file content is not quoted');
      assert.deepEqual(await readFile(path), corrupt);
      assert.deepEqual(await readFile(`${path}.bak`), backup);
      assert.equal(await modeOf(path), 0o644, 'not even the mode was changed');
      // The refusal released the lock: a second attempt fails for the same reason, not the lock.
      assert.match((await refusal()).message, /not valid JSON/);
    });

    it('without a backup, says so instead of pointing to one', async () => {
      await writeFile(path, '{"version":1,');
      const err = await refusal();
      assert.match(err.message, /not valid JSON/);
      assert.match(err.message, /no backup/);
      assert.equal(err.message.includes('.bak'), false, err.message);
    });

    it('refuses an empty file', async () => {
      await writeFile(path, '');
      assert.match((await refusal()).message, /is empty/);
      assert.equal((await readFile(path)).length, 0);
    });

    it('refuses a file that does not match the schema and lists the problems', async () => {
      const invalid = JSON.stringify({
        version: 1,
        chats: { '1': { ...makeChat(1), type: 'channel-ish' } },
        credentials: { c: makeCredential('c', 'plaintext-token') },
        outbox: [],
      });
      await writeFile(path, invalid);
      const err = await refusal();
      assert.match(err.message, /does not match the expected format/);
      assert.match(err.message, /chats\.1\.type/);
      assert.match(err.message, /credentials\.c\.secret: expected an encrypted secret/);
      assert.equal(err.message.includes('plaintext-token'), false, 'no value is quoted');
      assert.equal(await readFile(path, 'utf8'), invalid);
    });

    it('refuses a file written by a newer version', async () => {
      const newer = JSON.stringify({ ...emptyState(), version: 99 });
      await writeFile(path, newer);
      const err = await refusal();
      assert.match(err.message, /newer tickets-pushbot \(format 99/);
      assert.match(err.message, /left untouched/);
      assert.equal(await readFile(path, 'utf8'), newer);
    });

    it('refuses to start empty when db.json is gone but its backup exists', async () => {
      await writeFile(`${path}.bak`, JSON.stringify(emptyState()));
      const err = await refusal();
      assert.match(err.message, /is missing, but its backup .*db\.json\.bak exists/);
      assert.ok(err.message.includes(`cp ${path}.bak ${path}`));
      assert.equal(await exists(path), false);
    });
  });

  describe('writes', () => {
    it('rejects a failed write and keeps the committed state; later writes succeed', async () => {
      const store = await open();
      await store.update((draft) => {
        draft.chats['1'] = makeChat(1);
      });
      const before = await readFile(path, 'utf8');
      // A folder where the temp file must go makes the write fail (the tests run as root, so
      // permission bits would not).
      const tmp = `${path}.tmp-${process.pid}`;
      await mkdir(tmp);
      await assert.rejects(
        store.update((draft) => {
          draft.chats['2'] = makeChat(2);
        }),
        (err) => err instanceof StoreError && /Could not save the state/.test(err.message),
      );
      assert.equal(store.read().chats['2'], undefined);
      assert.equal(store.writeCount, 1);
      assert.equal(await readFile(path, 'utf8'), before);
      await rm(tmp, { recursive: true });
      await store.update((draft) => {
        draft.chats['2'] = makeChat(2);
      });
      assert.ok(parseState(JSON.parse(await readFile(path, 'utf8'))).chats['2']);
    });

    it('refuses an asynchronous fn, whose late changes would be lost', async () => {
      const store = await open();
      await assert.rejects(
        store.update(async (draft) => {
          await Promise.resolve();
          draft.chats['1'] = makeChat(1);
        }),
        /must be synchronous/,
      );
      assert.equal(store.writeCount, 0);
    });

    it('rebuilds db.json if it is deleted while running', async () => {
      const store = await open();
      await store.update((draft) => {
        draft.chats['1'] = makeChat(1);
      });
      await rm(path);
      await store.update((draft) => {
        draft.chats['2'] = makeChat(2);
      });
      const onDisk = parseState(JSON.parse(await readFile(path, 'utf8')));
      assert.deepEqual(Object.keys(onDisk.chats).sort(), ['1', '2']);
    });
  });

  describe('single instance lock', () => {
    it('refuses a second process on the same db, naming the lock and the running pid', async () => {
      await open();
      const child = startChild([path]);
      const { code } = await child.exited;
      assert.notEqual(code, 0);
      assert.equal(child.stdout(), '');
      assert.ok(child.stderr().includes(`${path}.lock`), child.stderr());
      assert.ok(child.stderr().includes(`pid ${process.pid}`), child.stderr());
    });

    it('stops writing, without throwing from a timer, when the lock is lost', async () => {
      const uncaught: unknown[] = [];
      const record = (err: unknown) => uncaught.push(err);
      process.on('uncaughtException', record);
      try {
        const logs = collectLogs();
        // The shortest refresh proper-lockfile allows (1 s), so the loss is seen quickly.
        const store = await openJsonFileStore({
          path,
          logger: logs.logger,
          lockStaleMs: 2_000,
          lockUpdateMs: 1_000,
        });
        opened.push(store);
        await store.update((draft) => {
          draft.chats['1'] = makeChat(1);
        });
        const before = await readFile(path, 'utf8');

        // Someone (an operator, another host on a shared volume) removes the lock.
        await rm(`${path}.lock`, { recursive: true });

        await waitFor(
          'updates to be refused',
          () =>
            store
              .update(() => undefined)
              .then(
                () => false,
                (err: unknown) => err instanceof StoreError && /lost the lock/.test(err.message),
              ),
          5_000,
          50,
        );
        await assert.rejects(
          store.update((draft) => {
            draft.chats['2'] = makeChat(2);
          }),
          new RegExp(`lost the lock on ${path.replace(/[.]/g, '\\.')}; refusing to write`),
        );
        assert.equal(await readFile(path, 'utf8'), before);
        assert.ok(
          logs.lines.some((l) => l.includes('"level":"error"') && l.includes('lost the lock')),
          'the loss was logged as an error',
        );
        await store.close();
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', record);
      }
    });
  });
});
