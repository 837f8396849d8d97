// The poller over the real v3 client and the loopback fake portal (REST v3 + GraphQL): what a
// cycle costs on each path, and that every comment reaches a chat exactly once however the
// path changes under it (GraphQL, REST v3 and v1 give the same comment different ids).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { addSubscriptions } from '../../src/bot/support/chat-state.js';
import type { CaseNumber } from '../../src/domain.js';
import { settleEntry } from '../../src/outbox/index.js';
import { createPoller, type Poller } from '../../src/poller/poller.js';
import { REPORT_AFTER_FAILURES } from '../../src/poller/portal-failure.js';
import { REPROBE_MS } from '../../src/portal/v3.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { StateStore } from '../../src/store/store.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import {
  collectLogs,
  manualClock,
  recordingReporter,
  testConfig,
  v3Portal,
  vaultFor,
  type ManualClock,
  type RecordingReporter,
} from './_support.js';

const START = Date.parse('2026-12-03T09:00:00Z');
const TOKEN = 'v3-paths-offline-token-abcdefghijklmnopqrstuvwxyz';
const CHAT = 4242;
const MINUTE = 60_000;

interface Rig {
  fake: FakePortal;
  clock: ManualClock;
  store: StateStore;
  poller: Poller;
  reporter: RecordingReporter;
  /** Comment bodies delivered so far, in order (the delivery worker's commit, simulated). */
  delivered: string[];
  /** Runs a cycle, then delivers and commits everything it enqueued. */
  cycle(): Promise<{ requests: number; writes: number }>;
  /** A comment at the fake's now, one second after the previous change. */
  comment(caseNumber: CaseNumber, body: string, authorType?: string): void;
}

async function rig(cases: CaseNumber[], options: { v3RestIds?: 'distinct' } = {}): Promise<Rig> {
  const fake = await startFakePortal({ startTime: START, ...options });
  fake.addUser({ username: 'reader', offlineToken: TOKEN });
  for (const n of cases) fake.addCase({ number: n, summary: `Case ${n}` });
  const clock = manualClock(START);
  const store = createMemoryStore();
  const logs = collectLogs('info');
  const config = testConfig({ poll: { fullSweepEvery: 1000 } });
  const portal = v3Portal(fake, config, logs.logger, clock);
  const vault = vaultFor(store, portal, clock);
  const reporter = recordingReporter();
  // /setup and /add, as the bot does them.
  const credential = vault.seal({ kind: 'offline-token', offlineToken: TOKEN }, 'reader');
  const client = vault.clientForUnsaved({ kind: 'offline-token', offlineToken: TOKEN });
  const added = await Promise.all(
    cases.map(async (n) => ({
      kase: await client.getCase(n),
      seenComments: await client.listComments(n),
    })),
  );
  const nowIso = new Date(START).toISOString();
  await store.update((d) => {
    d.credentials[credential.id] = credential;
    d.chats[String(CHAT)] = {
      id: CHAT,
      type: 'private',
      active: true,
      audience: 'both',
      credentialId: credential.id,
      subscriptions: {},
      createdAt: nowIso,
    };
    addSubscriptions(d, CHAT, added, nowIso);
  });
  const poller = createPoller({
    config,
    store,
    vault,
    logger: logs.logger,
    clock,
    reporter,
    destinations: ['telegram'],
  });
  const delivered: string[] = [];
  let seconds = 0;
  return {
    fake,
    clock,
    store,
    poller,
    reporter,
    delivered,
    async cycle() {
      await clock.advance(MINUTE);
      fake.advanceTime(MINUTE);
      fake.resetCounters();
      const writes = store.writeCount;
      await poller.runCycle();
      const requests = fake.requests.filter((r) => r.endpoint !== 'token').length;
      const cycleWrites = store.writeCount - writes;
      await store.update((d) => {
        for (const e of [...d.outbox]) {
          if (e.kind === 'comment' && e.comment) delivered.push(e.comment.body);
          settleEntry(d, e.id, false);
        }
      });
      return { requests, writes: cycleWrites };
    },
    comment(caseNumber, body, authorType = 'Associate') {
      seconds++;
      fake.addComment(caseNumber, {
        body,
        author: 'Bob Engineer',
        authorType,
        createdAt: new Date(fake.now() + seconds * 1000).toISOString(),
      });
    },
  };
}

const numbers = (count: number): CaseNumber[] =>
  Array.from({ length: count }, (_, i) => String(1_000_000 + i).padStart(8, '0'));

describe('poller on the v3 paths', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.fake.close();
    r = undefined;
  });

  it('graphql: a quiet cycle costs ⌈cases / 100⌉ requests and no write; comments need no case change', async () => {
    r = await rig(numbers(150));
    await r.cycle();
    const quiet = await r.cycle();
    assert.deepEqual(quiet, { requests: 2, writes: 0 });
    r.comment('01000007', 'first');
    r.comment('01000007', 'second');
    r.comment('01000149', 'third');
    const busy = await r.cycle();
    // The two batches, and the file lists of the two cases that moved.
    assert.equal(busy.requests, 2 + 2);
    assert.deepEqual(r.delivered, ['first', 'second', 'third']);
  });

  it('graphql+rest: case fields in the batch, comments only for the cases that moved', async () => {
    r = await rig(numbers(150));
    r.fake.setGraphqlSchema({ omit: ['RedHatSupportCase.CaseComments__r'] });
    await r.cycle();
    await r.cycle();
    const quiet = await r.cycle();
    assert.deepEqual(quiet, { requests: 2, writes: 0 });
    r.comment('01000007', 'moved');
    const busy = await r.cycle();
    // The two batches, the moved case's comments and its files.
    assert.equal(busy.requests, 4);
    assert.deepEqual(r.delivered, ['moved']);
  });

  it('rest: one comment list per case per cycle', async () => {
    r = await rig(numbers(5));
    r.fake.retire('graphql');
    await r.cycle();
    await r.cycle();
    const quiet = await r.cycle();
    assert.deepEqual(quiet, { requests: 5, writes: 0 });
    r.comment('01000003', 'seen through REST');
    await r.cycle();
    assert.deepEqual(r.delivered, ['seen through REST']);
  });

  it('delivers each comment once across graphql → graphql+rest → rest → graphql', async () => {
    r = await rig(['01234567', '07654321'], { v3RestIds: 'distinct' });
    r.comment('01234567', 'one');
    await r.cycle();
    assert.deepEqual(r.delivered, ['one']);

    r.fake.setGraphqlSchema({ omit: ['RedHatSupportCase.CaseComments__r'] });
    r.comment('01234567', 'two');
    await r.cycle();
    await r.cycle();
    assert.deepEqual(r.delivered, ['one', 'two']);

    r.fake.retire('graphql');
    await r.cycle();
    r.comment('07654321', 'three');
    await r.cycle();
    await r.cycle();
    assert.deepEqual(r.delivered, ['one', 'two', 'three']);

    r.fake.unretire('graphql');
    r.fake.setGraphqlSchema({});
    await r.clock.advance(REPROBE_MS);
    await r.cycle();
    r.comment('01234567', 'four');
    await r.cycle();
    await r.cycle();
    assert.deepEqual(r.delivered, ['one', 'two', 'three', 'four']);
  });

  it('a comment still waiting in the outbox is not queued again under another id', async () => {
    r = await rig(['01234567'], { v3RestIds: 'distinct' });
    r.comment('01234567', 'pending');
    await r.poller.runCycle();
    assert.equal(r.store.read().outbox.length, 1);
    r.fake.retire('graphql');
    await r.clock.advance(MINUTE);
    await r.poller.runCycle();
    await r.clock.advance(MINUTE);
    await r.poller.runCycle();
    assert.equal(r.store.read().outbox.length, 1);
  });

  it('never delivers internal notes, and a switch of path sends nothing older than what was delivered', async () => {
    r = await rig(['01234567'], { v3RestIds: 'distinct' });
    r.comment('01234567', 'private note', 'Internal');
    r.comment('01234567', 'public answer');
    await r.cycle();
    assert.deepEqual(r.delivered, ['public answer']);
    // Read again through REST, under other ids: recognised, not sent again. (diff-identity
    // tests the case where not even the print matches.)
    r.fake.retire('graphql');
    await r.cycle();
    await r.cycle();
    assert.deepEqual(r.delivered, ['public answer']);
    const sub = r.store.read().chats[String(CHAT)]?.subscriptions['01234567'];
    assert.equal(sub?.seenUpTo, new Date(START + 2000).toISOString());
  });

  it('keeps polling when the API is gone, tells the admins once, and no chat hears of lost access', async () => {
    r = await rig(['01234567', '07654321']);
    await r.cycle();
    r.fake.retire('graphql', 410);
    r.fake.retire('v3', 404);
    for (let i = 0; i < 4; i++) {
      await r.clock.advance(30 * MINUTE);
      await r.cycle();
    }
    const state = r.store.read();
    const subs = Object.values(state.chats[String(CHAT)]?.subscriptions ?? {});
    assert.ok(subs.every((s) => s.notVisibleAt === undefined));
    assert.equal(state.outbox.length, 0);
    const gone = r.reporter.reports.filter((x) => x.context?.hint !== undefined);
    assert.equal(gone.length, 1);
    assert.match(String(gone[0]?.context?.endpoint), /\/support\/v3\/|\/graphql/);
    assert.match(String(gone[0]?.error), /tickets-pushbot check/);
    r.fake.unretire('graphql');
    r.fake.unretire('v3');
    await r.clock.advance(REPROBE_MS);
    r.comment('01234567', 'back');
    await r.cycle();
    await r.cycle();
    assert.deepEqual(r.delivered, ['back']);
  });

  it(`reports a failure repeated ${REPORT_AFTER_FAILURES} times in a row to the admins`, async () => {
    r = await rig(['01234567']);
    await r.cycle();
    r.fake.fail({ endpoint: 'graphql', body: 'access-denied', times: 100 });
    for (let i = 0; i < 6; i++) {
      await r.clock.advance(10 * MINUTE);
      await r.cycle();
    }
    const reports = r.reporter.reports.filter((x) => x.context?.failuresInARow !== undefined);
    assert.ok(reports.length >= 1, 'reported');
    assert.equal(reports[0]?.context?.failuresInARow, REPORT_AFTER_FAILURES);
  });
});
