// The engine end to end in one process: poll cycles against a portal, the outbox in a real
// db.json, the delivery worker, and the Telegram notifier talking HTTP to the loopback fake
// Bot API. Time is a manual clock, the one the loop and the worker wait on too; waits are for
// conditions, never fixed sleeps.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import { createEngine, type CycleStats, type Engine } from '../../src/engine.js';
import { createLinks } from '../../src/links.js';
import type { DeliveryTiming } from '../../src/notify/delivery.js';
import {
  createTelegramNotifier,
  type TelegramNotifier,
} from '../../src/notify/telegram/notifier.js';
import { createPortalClientFactory } from '../../src/portal/index.js';
import type { PortalClientFactory } from '../../src/portal/types.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { emptyState } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import { startFakePortal } from '../_helpers/fake-portal.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';
import {
  BOT_TOKEN,
  addComment,
  collectLogs,
  manualClock,
  recordingReporter,
  seedState,
  tempDir,
  testConfig,
  vaultFor,
  waitFor,
  type ChatSeed,
  type LogCollector,
  type ManualClock,
  type RecordingReporter,
} from './_support.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const FAST_PACING = {
  privateChatMinIntervalMs: 0,
  groupChatMinIntervalMs: 0,
  globalMinIntervalMs: 0,
};
const DELIVERY: Partial<DeliveryTiming> = {
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  stopDeadlineMs: 500,
};
/**
 * Most tests run cycles by hand: the loop runs its first cycle at start, and its next one would
 * be this far away on the manual clock, which they never move that far.
 */
const HAND_DRIVEN_INTERVAL_MS = 365 * DAY_MS;

interface World {
  /** Run last-in first-out after the test: engines stop before the folder goes. */
  cleanups: (() => Promise<void>)[];
  dir: string;
  dbPath: string;
  telegram: FakeTelegram;
  clock: ManualClock;
  portal: MemoryPortal;
  logs: LogCollector;
}

interface Running {
  engine: Engine;
  store: StateStore;
  reporter: RecordingReporter;
  notifier: TelegramNotifier;
  /** Stops the engine and closes the store: what SIGTERM does. */
  shutdown(): Promise<void>;
}

async function world(): Promise<World> {
  const dir = await tempDir();
  const telegram = await startFakeTelegram({ token: BOT_TOKEN });
  const cleanups: (() => Promise<void>)[] = [() => dir.remove(), () => telegram.close()];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const clock = manualClock();
  const portal = new MemoryPortal();
  portal.validCredentials.add('token-a');
  for (const n of ['00000111', '00000222']) {
    portal.addCase({ number: n, lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString() });
    portal.addComment(n, {
      createdAt: new Date(clock.now() - DAY_MS).toISOString(),
      body: 'old history',
    });
  }
  return {
    cleanups,
    dir: dir.path,
    dbPath: join(dir.path, 'db.json'),
    telegram,
    clock,
    portal,
    logs: collectLogs(),
  };
}

async function boot(
  w: World,
  options: {
    seed?: ChatSeed[];
    poll?: Partial<Config['poll']>;
    portal?: PortalClientFactory;
    start?: boolean;
  } = {},
): Promise<Running> {
  const store = await openJsonFileStore({ path: w.dbPath, logger: w.logs.logger });
  const portal = options.portal ?? w.portal;
  const vault = vaultFor(store, portal, w.clock);
  if (options.seed) {
    const seeded =
      w.portal === portal
        ? seedState(w.portal, vault, options.seed, new Date(w.clock.now()))
        : emptyState();
    await store.update((d) => Object.assign(d, seeded));
  }
  const config = testConfig({
    apiRoot: w.telegram.apiRoot,
    dbPath: w.dbPath,
    poll: options.poll ?? {},
  });
  const reporter = recordingReporter();
  const notifier = createTelegramNotifier({
    config,
    links: createLinks(config.portal),
    logger: w.logs.logger,
    pacing: FAST_PACING,
  });
  const engine = createEngine({
    config,
    store,
    vault,
    notifiers: [notifier],
    logger: w.logs.logger,
    clock: w.clock,
    reporter,
    timing: { intervalMs: HAND_DRIVEN_INTERVAL_MS, delivery: DELIVERY },
  });
  let down = false;
  const shutdown = async () => {
    if (down) return;
    down = true;
    await engine.stop();
    await notifier.close();
    await store.close();
  };
  w.cleanups.push(shutdown);
  if (options.start !== false) engine.start();
  return { engine, store, reporter, notifier, shutdown };
}

const ONE_CHAT: ChatSeed[] = [{ chatId: 1001, token: 'token-a', cases: ['00000111', '00000222'] }];
const texts = (t: FakeTelegram, chatId: number) => t.messages(chatId).map((m) => m.text);

describe('notification engine', () => {
  it('delivers every comment that arrived between two polls, in order, once', async () => {
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT });
    await r.engine.runCycle();
    await w.clock.advance(MINUTE_MS);
    for (const body of ['first reply', 'second reply', 'third reply']) {
      addComment(w.portal, w.clock, '00000111', { body });
      await w.clock.advance(1000);
    }
    addComment(w.portal, w.clock, '00000111', { body: 'a draft', isDraft: true });
    const stats = await r.engine.runCycle();
    assert.equal(stats.enqueued, 3);
    await waitFor(
      () => r.store.read().outbox.length === 0 && w.telegram.messages(1001).length === 3,
    );
    const got = texts(w.telegram, 1001);
    assert.match(got[0]!, /first reply/);
    assert.match(got[1]!, /second reply/);
    assert.match(got[2]!, /third reply/);
    assert.ok(!got.some((t) => /a draft|old history/.test(t)));
    // Afterwards the filter still names the case for the length of its safety margin. Its
    // comments were read in the same second as its last modification, and portal dates have
    // one-second resolution: they are read once more (nothing new, nothing written), then nothing.
    await w.clock.advance(3 * MINUTE_MS);
    const writes = r.store.writeCount;
    const margin = await r.engine.runCycle();
    assert.equal(margin.portalRequests, 3);
    assert.equal(margin.enqueued, 0);
    assert.equal(w.portal.calls.at(-1)?.op, 'listComments');
    await w.clock.advance(MINUTE_MS);
    const quiet = await r.engine.runCycle();
    assert.equal(quiet.portalRequests, 1);
    assert.equal(r.store.writeCount, writes);
    assert.equal(w.telegram.messages(1001).length, 3);
    assert.equal(r.engine.lastCycle()?.cycle, quiet.cycle);
  });

  it('after a restart, sends what was pending first, then new comments, without duplicates', async () => {
    const w = await world();
    const first = await boot(w, { seed: ONE_CHAT });
    await first.engine.runCycle();
    // Telegram is down while two comments arrive.
    w.telegram.failNext({
      method: 'sendMessage',
      times: 1000,
      errorCode: 502,
      description: 'Bad Gateway',
    });
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000111', { body: 'pending one' });
    addComment(w.portal, w.clock, '00000222', { body: 'pending two' });
    await first.engine.runCycle();
    // The chat's queue is held behind its first message (order is kept).
    await waitFor(() => first.store.read().outbox[0]?.attempts === 1);
    assert.equal(first.store.read().outbox.length, 2);
    await first.shutdown();
    assert.equal(w.telegram.messages(1001).length, 0);
    // The clean stop saved where the credential was checked up to.
    assert.equal(w.logs.count(/saved where each credential was checked up to/), 1);

    // Back up, Telegram fixed; a new comment arrives before the first new cycle.
    w.telegram.clearFaults();
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000111', { body: 'fresh one' });
    const second = await boot(w);
    const firstAgain = await second.engine.runCycle();
    assert.equal(firstAgain.fullSweep, false, 'it asks what changed, not every case');
    await waitFor(
      () => second.store.read().outbox.length === 0 && w.telegram.messages(1001).length === 3,
    );
    const got = texts(w.telegram, 1001);
    assert.match(got[0]!, /pending one/);
    assert.match(got[1]!, /pending two/);
    assert.match(got[2]!, /fresh one/);
    await w.clock.advance(MINUTE_MS);
    await second.engine.runCycle();
    assert.equal(w.telegram.messages(1001).length, 3);
  });

  it('honours a Telegram 429: waits retry_after, sends the same message once', async () => {
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT });
    await r.engine.runCycle();
    w.telegram.failNext({
      method: 'sendMessage',
      errorCode: 429,
      description: 'Too Many Requests: retry after 5',
      retryAfter: 5,
    });
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000111', { body: 'one' });
    addComment(w.portal, w.clock, '00000111', { body: 'two' });
    await r.engine.runCycle();
    await waitFor(() => r.store.read().outbox[0]?.attempts === 1);
    assert.equal(r.store.read().outbox[0]!.notBefore, new Date(w.clock.now() + 5000).toISOString());
    // The worker wakes by itself when retry_after is over.
    await w.clock.advance(5000);
    await waitFor(
      () => w.telegram.messages(1001).length === 2 && r.store.read().outbox.length === 0,
    );
    const got = texts(w.telegram, 1001);
    assert.match(got[0]!, /one/);
    assert.match(got[1]!, /two/);
    assert.equal(w.telegram.callsTo('sendMessage').length, 3);
  });

  it('pauses a chat that blocked the bot (no polling, data kept) and resumes after /start', async () => {
    const w = await world();
    const r = await boot(w, {
      seed: [...ONE_CHAT, { chatId: 2002, token: 'token-a', cases: ['00000222'] }],
    });
    await r.engine.runCycle();
    w.telegram.blockChat(1001);
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000111', { body: 'while blocked' });
    await r.engine.runCycle();
    await waitFor(() => r.store.read().chats['1001']!.active === false);
    const chat = r.store.read().chats['1001']!;
    assert.ok(chat.inactiveSince);
    assert.equal(Object.keys(chat.subscriptions).length, 2);
    assert.equal(r.store.read().outbox.length, 1);
    // Only chat 2002 follows anything now: 00000111 is not polled at all.
    w.portal.calls.length = 0;
    await w.clock.advance(MINUTE_MS);
    w.portal.cases.get('00000111')!.lastModifiedAt = new Date(w.clock.now()).toISOString();
    await r.engine.runCycle();
    assert.equal(w.portal.calls.filter((c) => c.caseNumber === '00000111').length, 0);
    // The user unblocks and sends /start: the bot sets the chat active and kicks delivery.
    w.telegram.unblockChat(1001);
    await r.store.update((d) => {
      d.chats['1001']!.active = true;
      delete d.chats['1001']!.inactiveSince;
    });
    r.engine.kickDelivery();
    await waitFor(() => w.telegram.messages(1001).length === 1);
    assert.match(texts(w.telegram, 1001)[0]!, /while blocked/);
  });

  it('follows a group to its new supergroup id and delivers there', async () => {
    const w = await world();
    const r = await boot(w, { seed: [{ chatId: -42, token: 'token-a', cases: ['00000111'] }] });
    await r.engine.runCycle();
    w.telegram.migrateChat(-42, -1004242);
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000111', { body: 'for the team' });
    await r.engine.runCycle();
    await waitFor(() => w.telegram.messages(-1004242).length === 1);
    const state = r.store.read();
    assert.equal(state.chats['-42'], undefined);
    assert.equal(state.chats['-1004242']!.type, 'supergroup');
    assert.ok(state.chats['-1004242']!.subscriptions['00000111']);
    // Later comments go straight to the new id.
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000111', { body: 'second for the team' });
    await r.engine.runCycle();
    await waitFor(() => w.telegram.messages(-1004242).length === 2);
    assert.equal(
      w.telegram.callsTo('sendMessage').filter((c) => c.params.chat_id === -42).length,
      1,
    );
  });

  it('drops a message Telegram refuses, reports it, and does not enqueue it again', async () => {
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT });
    await r.engine.runCycle();
    w.telegram.failNext({
      method: 'sendMessage',
      errorCode: 400,
      description: 'Bad Request: message is too long',
    });
    await w.clock.advance(MINUTE_MS);
    const c = addComment(w.portal, w.clock, '00000111', { body: 'refused' });
    await r.engine.runCycle();
    await waitFor(() => r.store.read().outbox.length === 0);
    assert.ok(r.store.read().chats['1001']!.subscriptions['00000111']!.seen.includes(c.id));
    assert.equal(r.reporter.reports.filter((x) => x.component === 'delivery').length, 1);
    await w.clock.advance(MINUTE_MS);
    w.portal.cases.get('00000111')!.lastModifiedAt = new Date(w.clock.now()).toISOString();
    const again = await r.engine.runCycle();
    assert.equal(again.enqueued, 0);
    assert.equal(w.telegram.callsTo('sendMessage').length, 1);
  });

  it('tells each chat once when the portal rejects its credential', async () => {
    const w = await world();
    const r = await boot(w, {
      seed: [...ONE_CHAT, { chatId: 2002, token: 'token-a', cases: ['00000222'] }],
    });
    await r.engine.runCycle();
    w.portal.validCredentials.delete('token-a');
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(MINUTE_MS);
      await r.engine.runCycle();
    }
    await waitFor(() => w.telegram.messages().length === 2);
    for (const id of [1001, 2002]) {
      const got = texts(w.telegram, id);
      assert.equal(got.length, 1);
      assert.match(got[0]!, /refused the login/);
      assert.match(got[0]!, /\/setup/);
    }
  });

  it('sends the closing message and ends the subscription', async () => {
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT });
    await r.engine.runCycle();
    await w.clock.advance(MINUTE_MS);
    addComment(w.portal, w.clock, '00000222', { body: 'Solution provided, closing.' });
    const k = w.portal.cases.get('00000222')!;
    k.closed = true;
    k.status = 'Closed';
    await r.engine.runCycle();
    await waitFor(
      () => w.telegram.messages(1001).length === 2 && r.store.read().outbox.length === 0,
    );
    const got = texts(w.telegram, 1001);
    assert.match(got[0]!, /Solution provided/);
    assert.match(got[1]!, /was closed\. You no longer follow it/);
    assert.equal(r.store.read().chats['1001']!.subscriptions['00000222'], undefined);
    assert.ok(r.store.read().chats['1001']!.subscriptions['00000111']);
  });

  it('runs on its own: the loop polls on the clock, delivers and writes the heartbeat', async () => {
    const INTERVAL_MS = 90_000;
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT, start: false });
    const cycles: CycleStats[] = [];
    const intervalEngine = createEngine({
      config: testConfig({ apiRoot: w.telegram.apiRoot, dbPath: w.dbPath }),
      store: r.store,
      vault: vaultFor(r.store, w.portal, w.clock),
      notifiers: [r.notifier],
      logger: w.logs.logger,
      clock: w.clock,
      reporter: r.reporter,
      onCycle: (stats) => cycles.push(stats),
      // Not a whole minute: the worker's idle rescans (every minute) must not share its deadline.
      timing: { intervalMs: INTERVAL_MS, random: () => 0.5, delivery: DELIVERY },
    });
    const started = w.clock.now();
    intervalEngine.start();
    // The first cycle runs at once, writes the heartbeat, then the loop sleeps one interval.
    await waitFor(() => w.clock.pending().includes(started + INTERVAL_MS));
    assert.ok(existsSync(join(w.dir, 'heartbeat')));
    // A comment arrives while the loop sleeps; the next cycle finds it and delivers it.
    await w.clock.advance(1000);
    addComment(w.portal, w.clock, '00000111', { body: 'found by the loop' });
    await w.clock.advance(INTERVAL_MS - 1000);
    await waitFor(() => w.telegram.messages(1001).length === 1);
    await intervalEngine.stop();
    await intervalEngine.stop(); // idempotent
    assert.match(texts(w.telegram, 1001)[0]!, /found by the loop/);
    assert.deepEqual(
      cycles.map((c) => c.startedAt),
      [started, started + INTERVAL_MS].map((t) => new Date(t).toISOString()),
      'one cycle per interval, start to start',
    );
  });

  it('stops within its share of the shutdown deadline while a portal call hangs', async () => {
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT, start: false });
    let hanging = 0;
    const hangs: PortalClientFactory = {
      ...w.portal,
      create: (credential) => ({
        ...w.portal.create(credential),
        readCase: () => {
          hanging++;
          return new Promise(() => undefined);
        },
      }),
    };
    const engine = createEngine({
      config: testConfig({ apiRoot: w.telegram.apiRoot, dbPath: w.dbPath }),
      store: r.store,
      vault: vaultFor(r.store, hangs, w.clock),
      notifiers: [r.notifier],
      logger: w.logs.logger,
      clock: w.clock,
      reporter: r.reporter,
      timing: { intervalMs: MINUTE_MS, delivery: DELIVERY },
    });
    engine.start();
    await waitFor(() => hanging > 0);
    let stopped = false;
    const stopping = engine.stop({ cyclesMs: 200, sendsMs: 200 }).then(() => {
      stopped = true;
    });
    await w.clock.advance(199);
    assert.equal(stopped, false, 'the cycle gets its whole share');
    await w.clock.advance(1);
    await waitFor(() => stopped);
    await stopping;
    assert.equal(w.logs.count(/poll cycle was still running at shutdown/), 1);
    await r.shutdown();
  });
});

describe('notification engine against the loopback portal (hydra, offline token)', () => {
  it('delivers new comments, survives portal 5xx and timeouts, and catches up', async () => {
    const w = await world();
    const fakePortal = await startFakePortal({ startTime: w.clock.now() - DAY_MS });
    w.cleanups.push(() => fakePortal.close());
    fakePortal.addUser({ username: 'svc-user', offlineToken: 'offline-token-abcdef' });
    fakePortal.addCase({ number: '00012345', summary: 'Storage latency' });
    const old = fakePortal.addComment('00012345', { body: 'history' });
    fakePortal.advanceTime(DAY_MS);
    const config = testConfig({
      portal: {
        api: 'hydra',
        baseUrl: fakePortal.hydraBaseUrl,
        tokenUrl: fakePortal.tokenUrl,
        timeoutSeconds: 0.3,
      },
    });
    const portal = createPortalClientFactory({
      portal: config.portal,
      logger: w.logs.logger,
      userAgent: 'tickets-pushbot/test',
      version: '0.0.0-test',
      env: {},
      clock: w.clock,
    });
    const r = await boot(w, { portal });
    const vault = vaultFor(r.store, portal, w.clock);
    const cred = vault.seal(
      { kind: 'offline-token', offlineToken: 'offline-token-abcdef' },
      'svc-user',
    );
    await r.store.update((d) => {
      d.credentials[cred.id] = cred;
      d.chats['3003'] = {
        id: 3003,
        type: 'private',
        active: true,
        audience: 'associate',
        credentialId: cred.id,
        createdAt: new Date(w.clock.now()).toISOString(),
        subscriptions: {
          '00012345': {
            caseNumber: '00012345',
            addedAt: new Date(w.clock.now()).toISOString(),
            seen: [old],
            summary: 'Storage latency',
            status: 'Waiting on Red Hat',
            severity: '3 (Normal)',
            product: 'Red Hat Enterprise Linux',
            closed: false,
          },
        },
      };
    });
    const tick = async () => {
      await w.clock.advance(MINUTE_MS);
      fakePortal.advanceTime(MINUTE_MS);
    };
    await r.engine.runCycle(); // full sweep
    await tick();
    fakePortal.resetCounters();
    const quiet = await r.engine.runCycle();
    assert.equal(quiet.portalRequests, 1);
    assert.equal(fakePortal.count({ endpoint: 'filter' }), 1);
    assert.equal(
      fakePortal.count({ endpoint: 'case' }) + fakePortal.count({ endpoint: 'comments' }),
      0,
    );

    await tick();
    fakePortal.addComment('00012345', { body: 'Please send a sosreport' });
    await r.engine.runCycle();
    await waitFor(() => w.telegram.messages(3003).length === 1);
    assert.match(texts(w.telegram, 3003)[0]!, /Please send a sosreport/);

    // The portal breaks: the filter answers 500, then the case times out.
    await tick();
    fakePortal.addComment('00012345', { body: 'Found the cause' });
    fakePortal.fail({ endpoint: 'filter', status: 500, times: 1 });
    fakePortal.fail({ endpoint: 'case', delayMs: 1500, times: 1 });
    const broken = await r.engine.runCycle();
    assert.ok(broken.portalFailures >= 2, JSON.stringify(broken));
    assert.equal(w.telegram.messages(3003).length, 1);
    // After the case's backoff it is fetched again and the comment arrives.
    await tick();
    await tick();
    await r.engine.runCycle();
    await waitFor(() => w.telegram.messages(3003).length === 2);
    assert.match(texts(w.telegram, 3003)[1]!, /Found the cause/);
    assert.equal(w.logs.count(/changed-cases filter failed/), 1);
  });

  it('starts a sweep every poll.fullSweepEvery cycles, beside the cycles', async () => {
    const w = await world();
    const r = await boot(w, { seed: ONE_CHAT, poll: { fullSweepEvery: 3 }, start: false });
    const sweeps: boolean[] = [];
    for (let i = 1; i <= 7; i++) {
      const stats = await r.engine.runCycle();
      await r.engine.sweepSettled();
      sweeps.push(w.logs.count(/sweep started/) > sweeps.filter(Boolean).length);
      assert.equal(stats.fullSweep, i === 1, `only the first cycle reads everything (${i})`);
      await w.clock.advance(MINUTE_MS);
    }
    // The first cycle counts as one; then every third cycle starts a sweep after it.
    assert.deepEqual(sweeps, [false, false, false, true, false, false, true]);
    const done = w.logs.records().filter((l) => l.msg === 'sweep done');
    assert.equal(done.length, 2);
    assert.deepEqual(
      done.map((l) => [l.casesFetched, l.portalRequests]),
      [
        [2, 2],
        [2, 2],
      ],
    );
  });
});
