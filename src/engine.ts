// The notification engine as one piece for main.ts: the poll loop (scheduler → poll cycle), the
// background sweep, and the delivery worker, wired together. The worker starts first so
// notifications left pending by the previous run go out before anything new; each cycle kicks
// it when it enqueued. A sweep starts after a cycle once poll.fullSweepEvery cycles have passed
// since the previous one started (the first cycle reads everything, so it counts as one), and
// never while another runs: at 10,000 subscriptions against a slow portal a sweep can outlast
// its period, and the next then starts as soon as it ends.
// Time: one injected clock for every part (the loop's sleeps, the worker's waits, the stop
// budget), so tests run the whole engine on a manual clock.
import type { Config } from './config.js';
import type { CredentialVault } from './credentials.js';
import type { AdminReporter, Clock, Sleeper } from './domain.js';
import type { Logger } from './logger.js';
import { createDelivery, type DeliveryTiming } from './notify/delivery.js';
import type { DeliveryStats } from './notify/delivery-outcome.js';
import type { Notifier } from './notify/notifier.js';
import { createPoller } from './poller/poller.js';
import { createScheduler } from './poller/scheduler.js';
import type { CycleStats, SweepStats } from './poller/stats.js';
import type { PollTiming } from './poller/timing.js';
import type { StateStore } from './store/store.js';

export type { CycleStats, SweepStats } from './poller/stats.js';

export interface EngineDeps {
  config: Config;
  store: StateStore;
  vault: CredentialVault;
  notifiers: readonly Notifier[];
  logger: Logger;
  clock: Clock & Sleeper;
  reporter: AdminReporter;
  /** Called after every finished cycle (metrics for /status, admin report sweeps). */
  onCycle?: (stats: CycleStats) => void;
  /** Called after every finished sweep. */
  onSweep?: (stats: SweepStats) => void;
  /** Tests and the benchmark shorten these; production uses the config and named defaults. */
  timing?: {
    intervalMs?: number;
    poll?: Partial<PollTiming>;
    delivery?: Partial<DeliveryTiming>;
    random?: () => number;
  };
}

/** 'done' when `work` settled within `ms` of `clock` time (no limit when undefined), else 'late'. */
async function settledWithin(
  work: Promise<unknown>,
  ms: number | undefined,
  clock: Sleeper,
): Promise<'done' | 'late'> {
  if (ms === undefined) {
    await work;
    return 'done';
  }
  const limit = new AbortController();
  // Aborted (so it ends, and the timer goes) once the race is decided.
  const late = clock.sleep(ms, { signal: limit.signal }).then(() => 'late' as const);
  const first = await Promise.race([work.then(() => 'done' as const), late]);
  limit.abort();
  return first;
}

export interface Engine {
  /** Starts the delivery worker, then the poll loop. */
  start(): void;
  /**
   * Stops the loop (after the cycle in progress, or abandoning it after `budget.cyclesMs`),
   * then the worker (sends in flight finish, or are abandoned after `budget.sendsMs`; they stay
   * pending). The two parts are the engine's share of the daemon's one shutdown deadline.
   */
  stop(budget?: { cyclesMs?: number; sendsMs?: number }): Promise<void>;
  /** One poll cycle now; never overlaps a scheduled one. May start a sweep in the background. */
  runCycle(): Promise<CycleStats>;
  /** Resolves when no sweep is running (tests, the benchmark). */
  sweepSettled(): Promise<void>;
  /** The bot calls this after /start re-activated a chat, so its pending messages go out now. */
  kickDelivery(): void;
  /** The last finished cycle's figures (for /status and the benchmark). */
  lastCycle(): CycleStats | undefined;
  readonly deliveryStats: Readonly<DeliveryStats>;
}

export function createEngine(deps: EngineDeps): Engine {
  const log = deps.logger.child({ component: 'engine' });
  const delivery = createDelivery({
    store: deps.store,
    notifiers: deps.notifiers,
    logger: deps.logger,
    clock: deps.clock,
    reporter: deps.reporter,
    keepClosedCases: deps.config.poll.keepClosedCases,
    ...(deps.timing?.delivery ? { timing: deps.timing.delivery } : {}),
  });
  const poller = createPoller({
    config: deps.config,
    store: deps.store,
    vault: deps.vault,
    logger: deps.logger,
    clock: deps.clock,
    reporter: deps.reporter,
    destinations: deps.notifiers.map((n) => n.destination),
    onEnqueued: () => delivery.kick(),
    ...(deps.timing?.poll ? { timing: deps.timing.poll } : {}),
  });

  let last: CycleStats | undefined;
  const sweepEvery = Math.max(1, deps.config.poll.fullSweepEvery);
  const sweepAbort = new AbortController();
  let sweep: Promise<void> | undefined;
  /** Cycles ended since the last sweep started (the first cycle after a start counts as one). */
  let cyclesSinceSweep = 0;

  const maybeStartSweep = (stats: CycleStats): void => {
    cyclesSinceSweep = stats.cycle === 1 ? 0 : cyclesSinceSweep + 1;
    if (sweep || sweepAbort.signal.aborted || cyclesSinceSweep < sweepEvery) return;
    cyclesSinceSweep = 0;
    sweep = poller
      .runSweep(sweepAbort.signal)
      .then((s) => deps.onSweep?.(s))
      .catch((err: unknown) => {
        log.error({ err }, 'sweep failed; the next one runs as scheduled');
        deps.reporter.report({ component: 'poller', error: err });
      })
      .finally(() => {
        sweep = undefined;
      });
  };

  // One cycle at a time, whoever asks (the scheduler, a test, the benchmark).
  let queue: Promise<unknown> = Promise.resolve();
  const runCycle = (): Promise<CycleStats> => {
    const next = queue.then(async () => {
      const stats = await poller.runCycle();
      last = stats;
      deps.onCycle?.(stats);
      maybeStartSweep(stats);
      return stats;
    });
    queue = next.catch(() => undefined);
    return next;
  };

  const scheduler = createScheduler({
    intervalMs: deps.timing?.intervalMs ?? deps.config.poll.intervalSeconds * 1000,
    runCycle,
    logger: deps.logger,
    reporter: deps.reporter,
    clock: deps.clock,
    heartbeatPath: deps.config.heartbeatPath,
    ...(deps.timing?.random ? { random: deps.timing.random } : {}),
  });

  let stopping: Promise<void> | undefined;
  return {
    start() {
      log.info(
        {
          intervalSeconds: deps.config.poll.intervalSeconds,
          destinations: deps.notifiers.map((n) => n.destination),
        },
        'notification engine started',
      );
      delivery.start();
      scheduler.start();
    },
    stop(budget = {}) {
      stopping ??= (async () => {
        const polling = (async () => {
          // The sweep sends no new request once aborted; what it already read is recorded.
          sweepAbort.abort();
          await scheduler.stop();
          await queue;
          await sweep;
          // Where each credential was checked up to: the next start asks only what changed.
          await poller.checkpoint().catch((err: unknown) => {
            log.warn(
              { err },
              'could not save the poll checkpoints; the next start reads every case',
            );
          });
        })();
        if ((await settledWithin(polling, budget.cyclesMs, deps.clock)) === 'late') {
          // A portal call still hanging (its timeout can be 30 s): nothing it would record is
          // lost, the next start reads those cases again; the store must close in time.
          log.warn('a poll cycle was still running at shutdown: abandoned');
        }
        await delivery.stop(budget.sendsMs);
        log.info('notification engine stopped');
      })();
      return stopping;
    },
    runCycle,
    sweepSettled: async () => {
      await sweep;
    },
    kickDelivery: () => delivery.kick(),
    lastCycle: () => last,
    get deliveryStats() {
      return delivery.stats;
    },
  };
}
