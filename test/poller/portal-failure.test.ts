// The poller's one retry/fatal classifier (pure), and the log-line schemas a reader of the
// daemon's "poll cycle done" / "sweep done" lines parses with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideFailure, HaltedError } from '../../src/poller/portal-failure.js';
import { createPoller } from '../../src/poller/poller.js';
import {
  CYCLE_DONE_MSG,
  cycleStatsSchema,
  SWEEP_DONE_MSG,
  sweepStatsSchema,
} from '../../src/poller/stats.js';
import { PortalError } from '../../src/portal/types.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';
import {
  collectLogs,
  manualClock,
  recordingReporter,
  seedState,
  testConfig,
  vaultFor,
} from './_support.js';

const TIMING = { defaultRateLimitPauseMs: 60_000, filterRetryAfterMs: 3_600_000 };
const CASE = '00000111';

describe('portal failure classifier', () => {
  it('does nothing but mark the pass incomplete for a request never sent', () => {
    assert.deepEqual(decideFailure(new HaltedError(), CASE, TIMING), {
      action: { kind: 'not-sent' },
      inARow: false,
    });
  });

  it('rejects the credential on auth, without counting it in a row', () => {
    const d = decideFailure(new PortalError('auth', 'no'), CASE, TIMING);
    assert.deepEqual(d, { action: { kind: 'reject-credential' }, inARow: false });
  });

  it('pauses the credential for Retry-After on 429, else for the default', () => {
    const told = new PortalError('rate-limited', 'slow', { retryAfterMs: 5_000 });
    assert.deepEqual(decideFailure(told, undefined, TIMING).action, {
      kind: 'pause-credential',
      pauseMs: 5_000,
    });
    const untold = new PortalError('rate-limited', 'slow');
    assert.deepEqual(decideFailure(untold, CASE, TIMING), {
      action: { kind: 'pause-credential', pauseMs: 60_000 },
      inARow: true,
    });
  });

  it('falls back to each case when the filter fails: this cycle if transient, else a while', () => {
    assert.deepEqual(decideFailure(new PortalError('transient', '503'), undefined, TIMING), {
      action: { kind: 'poll-each-case', retryFilterInMs: 0 },
      inARow: true,
    });
    assert.deepEqual(decideFailure(new PortalError('gone', '404'), undefined, TIMING), {
      action: { kind: 'poll-each-case', retryFilterInMs: 3_600_000 },
      inARow: false,
    });
  });

  it('stops polling a case the credential cannot see', () => {
    assert.deepEqual(decideFailure(new PortalError('not-visible', '403'), CASE, TIMING), {
      action: { kind: 'not-visible' },
      inARow: false,
    });
  });

  it('backs a failing case off; reports an unreadable answer or a bug at once', () => {
    const back = (err: unknown) => decideFailure(err, CASE, TIMING);
    assert.deepEqual(back(new PortalError('transient', '500')), {
      action: { kind: 'back-off', gone: false, reportNow: false },
      inARow: true,
    });
    assert.deepEqual(back(new PortalError('gone', '410')), {
      action: { kind: 'back-off', gone: true, reportNow: false },
      inARow: false,
    });
    assert.deepEqual(back(new PortalError('bad-payload', 'garbage')), {
      action: { kind: 'back-off', gone: false, reportNow: true },
      inARow: true,
    });
    assert.deepEqual(back(new TypeError('a bug')), {
      action: { kind: 'back-off', gone: false, reportNow: true },
      inARow: false,
    });
  });
});

describe('poller log lines', () => {
  it('carry the fields of the cycle and sweep schemas', async () => {
    const clock = manualClock();
    const portal = new MemoryPortal();
    portal.validCredentials.add('token-a');
    portal.addCase({ number: CASE, lastModifiedAt: new Date(clock.now()).toISOString() });
    const store = createMemoryStore();
    const vault = vaultFor(store, portal, clock);
    const seeded = seedState(portal, vault, [{ chatId: 1, token: 'token-a', cases: [CASE] }]);
    await store.update((d) => Object.assign(d, seeded));
    const logs = collectLogs();
    const poller = createPoller({
      config: testConfig(),
      store,
      vault,
      logger: logs.logger,
      clock,
      reporter: recordingReporter(),
      destinations: ['telegram'],
    });
    const cycle = await poller.runCycle();
    const sweep = await poller.runSweep();
    const line = (msg: string) => logs.records().find((l) => l.msg === msg);
    assert.deepEqual(cycleStatsSchema.parse(line(CYCLE_DONE_MSG)), cycle);
    assert.deepEqual(sweepStatsSchema.parse(line(SWEEP_DONE_MSG)), sweep);
  });
});
