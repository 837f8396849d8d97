// Upgrading a real db.json written by the v1-era daemon (test/store/fixtures/v1-era, recorded
// from release 0.1.0): the file keeps working with no user action, and after the switch to
// Red Hat's v3 APIs (whose comment ids differ) the chats get the comments written since, and
// none they already had.
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createCredentialVault } from '../../src/credentials.js';
import { settleEntry } from '../../src/outbox/index.js';
import { createPoller } from '../../src/poller/poller.js';
import { createSecretBox, createSecretScrubber } from '../../src/secrets.js';
import { CHECKPOINT_SLACK_MS, V1_SWITCH_OFF, migrateV1ToV2 } from '../../src/store/migrate-v1.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { STATE_VERSION, parseState } from '../../src/store/schema.js';
import { seenIds } from '../../src/store/seen.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import { tempDir, type TempDir } from '../_helpers/temp-dir.js';
import {
  collectLogs,
  manualClock,
  recordingReporter,
  testConfig,
  v3Portal,
} from '../poller/_support.js';

const FIXTURE = new URL('./fixtures/v1-era/', import.meta.url);
const SECRET_KEY = 'v1-era-fixture-secret-key-0123456789';
const ALICE_TOKEN = 'v1-era-offline-token-alice-abcdefghijklmnopqrstuvwxyz';
const CHECKED_AT = Date.parse('2026-09-10T08:00:05.984Z');
const NOW = Date.parse('2026-12-03T09:00:00Z');

const raw = async (): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(new URL('db.json', FIXTURE), 'utf8')) as Record<string, unknown>;

interface PortalComment {
  id: string;
  author: string;
  authorType: string;
  body: string;
  createdAt: string;
}

describe('db.json written by the v1-era daemon', () => {
  let fake: FakePortal | undefined;
  let dir: TempDir | undefined;
  afterEach(async () => {
    await fake?.close();
    await dir?.remove();
    fake = undefined;
    dir = undefined;
  });

  it('reads as the current format: same chats, subscriptions and seen ids, v1 id space, a seen-up-to bound', async () => {
    const before = await raw();
    assert.equal(before.version, 1);
    const state = parseState(before);
    assert.equal(state.version, STATE_VERSION);
    const alice = state.chats['1001'];
    assert.equal(alice?.audience, 'both');
    const sub = alice?.subscriptions['01000001'];
    assert.deepEqual(seenIds(sub?.seen ?? []), [
      'a0a6R0000000001QAX',
      'a0a6R0000000002QAX',
      'a0a6R0000000003QAX',
      'a0a6R0000000009QAX',
    ]);
    assert.equal(sub?.via, 'v1');
    assert.equal(sub?.seenUpTo, new Date(CHECKED_AT + CHECKPOINT_SLACK_MS).toISOString());
    assert.deepEqual(Object.keys(state.chats['-100200300']?.subscriptions ?? {}), [
      '01000002',
      '01000003',
    ]);
    assert.equal(Object.keys(state.credentials).length, 2);
  });

  it('undoes what the switched-off v1 API made the old daemon believe, and nothing older', () => {
    const state = migrateV1ToV2({
      version: 1,
      credentials: {
        dead: { checkedAt: '2026-11-30T00:00:00.000Z', rejectedAt: '2026-09-25T00:00:00.000Z' },
        real: { rejectedAt: '2026-08-01T00:00:00.000Z' },
      },
      chats: {
        '1': {
          credentialId: 'dead',
          subscriptions: {
            a: { addedAt: '2026-01-01T00:00:00.000Z', notVisibleAt: '2026-09-22T00:00:00.000Z' },
            b: { addedAt: '2026-01-01T00:00:00.000Z', notVisibleAt: '2026-08-01T00:00:00.000Z' },
          },
        },
        '2': { subscriptions: { c: { addedAt: '2026-10-05T00:00:00.000Z' } } },
      },
      outbox: [],
    }) as {
      credentials: Record<string, Record<string, unknown>>;
      chats: Record<string, { subscriptions: Record<string, Record<string, unknown>> }>;
    };
    assert.equal(state.credentials.dead?.rejectedAt, undefined, 'rejected by the dead API');
    assert.equal(state.credentials.real?.rejectedAt, '2026-08-01T00:00:00.000Z');
    const subs = state.chats['1']?.subscriptions;
    assert.equal(subs?.a?.notVisibleAt, undefined);
    assert.equal(subs?.b?.notVisibleAt, '2026-08-01T00:00:00.000Z');
    // A checkpoint after the switch-off is no proof of delivery: nothing came through v1 then.
    assert.equal(subs?.a?.seenUpTo, V1_SWITCH_OFF);
    assert.equal(state.chats['2']?.subscriptions.c?.seenUpTo, '2026-10-05T00:00:00.000Z');
  });

  for (const path of ['graphql', 'rest'] as const) {
    it(`after the upgrade, the ${path} path delivers only the comments written since`, async () => {
      dir = await tempDir('pushbot-v1-era-');
      const dbPath = join(dir.path, 'db.json');
      await copyFile(new URL('db.json', FIXTURE), dbPath);
      fake = await startFakePortal({ startTime: NOW, v3RestIds: 'distinct' });
      fake.addUser({ username: 'alice', offlineToken: ALICE_TOKEN });
      fake.addUser({ username: 'bob', password: 'v1-era-password-bob' });
      const comments = JSON.parse(
        await readFile(new URL('portal-comments.json', FIXTURE), 'utf8'),
      ) as Record<string, PortalComment[]>;
      // The cases as the fixture's chats last saw them (a severity change would be news).
      const severities: Record<string, string> = {
        '01000001': '2 (High)',
        '01000002': '3 (Normal)',
        '01000003': '2 (High)',
      };
      for (const [number, list] of Object.entries(comments)) {
        fake.addCase({
          number,
          summary: `Case ${number}`,
          status: 'Waiting on Red Hat',
          ...(severities[number] !== undefined ? { severity: severities[number] } : {}),
        });
        for (const c of list) fake.addComment(number, c);
      }
      if (path === 'rest') fake.retire('graphql');
      fake.addComment('01000002', {
        author: 'Doe, Jane',
        authorType: 'Associate',
        body: 'Upgrade fixed in 4.15.12.',
        createdAt: '2026-12-02T10:00:00Z',
      });
      fake.addComment('01000003', {
        author: 'Customer, Bob',
        authorType: 'Customer',
        body: 'Still flapping.',
        createdAt: '2026-12-02T11:00:00Z',
      });

      const logs = collectLogs('info');
      const store = await openJsonFileStore({ path: dbPath, logger: logs.logger });
      const clock = manualClock(NOW);
      const config = testConfig({ dbPath });
      const portal = v3Portal(fake, config, logs.logger, clock);
      const vault = createCredentialVault({
        store,
        secretBox: createSecretBox(SECRET_KEY),
        portal,
        scrubber: createSecretScrubber(),
        clock,
      });
      const poller = createPoller({
        config,
        store,
        vault,
        logger: logs.logger,
        clock,
        reporter: recordingReporter(),
        destinations: ['telegram'],
      });
      const delivered: string[] = [];
      for (let i = 0; i < 3; i++) {
        await clock.advance(60_000);
        await poller.runCycle();
        await store.update((d) => {
          for (const e of [...d.outbox]) {
            delivered.push(`${e.chatId} ${e.kind} ${e.comment?.body ?? e.text ?? ''}`);
            settleEntry(d, e.id, false);
          }
        });
      }
      await store.close();
      // Alice (both) and the group (associate) follow 01000002; the customer's comment on
      // 01000003 reaches nobody: only the group follows it, and it wants Red Hat's side.
      assert.deepEqual(delivered.sort(), [
        '-100200300 comment Upgrade fixed in 4.15.12.',
        '1001 comment Upgrade fixed in 4.15.12.',
      ]);
      const written = parseState(JSON.parse(await readFile(dbPath, 'utf8')));
      assert.equal(written.version, STATE_VERSION);
    });
  }
});
