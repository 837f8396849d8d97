// Pacing by key, written once: each key (a Telegram chat, a Slack webhook) gets its jobs one at
// a time, in order, each starting at least an interval after the key's previous one, optionally
// under one shared rate (Telegram's bot-wide limit). notify/telegram/pacing.ts and the Slack
// notifier choose the keys and the intervals.
//
// Why pace at all: a 429 costs a wait of retry-after seconds for that key (delivery holds the
// chat's queue for it), so it is cheaper to stay under a service's limits than to hit them: a
// burst of 500 notifications drains at the destination's pace instead of in a storm of 429s.
//
// How: p-queue, the limiter the portal client already uses, plus a few lines of spacing.
// - Per key: one p-queue with concurrency 1 keeps the key's jobs in order and one at a time, so
//   a busy chat never slows another. Each job first sleeps until the key's interval has passed
//   since its previous send really started.
// - Shared rate (globalMinIntervalMs): one more p-queue with concurrency 1 hands out start slots
//   at least that far apart. It grants the start only; the sends themselves may overlap.
// - stop(): every job that has not started its send rejects with PacingStoppedError (queued,
//   sleeping or waiting for a shared slot); sends already running finish and resolve.
// Why not p-queue's own interval/intervalCap: its window counts from the moment a job leaves
// *that* queue, but a key's job may then wait behind the shared queue, and a key paced from the
// wrong moment earns 429s; and its windows read Date.now(), so a wall-clock step back would
// stall every send for the length of the step. Elapsed time here is performance.now()
// (monotonic), on purpose not the injected Clock: a pace must agree with the real timer that
// waits it out, and the Clock is wall time that tests freeze or jump.
// Why not Bottleneck (used before): one limiter library for the whole daemon, and p-queue starts
// a job in the same tick when nothing holds it back, where Bottleneck sent every job through a
// timer (about 2 ms per job, measured on the portal queue).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';

/** The answer to a job that had not started its send when the pacer stopped. */
export class PacingStoppedError extends Error {
  constructor() {
    super('pacing stopped: the daemon is shutting down');
    this.name = 'PacingStoppedError';
  }
}

export interface KeyedPacer {
  /**
   * Runs `fn` after the key's earlier jobs, at least `intervalMs` after the previous job of the
   * key started its `fn`, and within the bot-wide rate. Rejects with PacingStoppedError after
   * stop(), or if stop() comes before `fn` started. A key keeps the interval it was first
   * scheduled with until it has been idle for that long (callers derive it from the key).
   */
  schedule<T>(key: string, intervalMs: number, fn: () => Promise<T>): Promise<T>;
  /** Drops waiting jobs and lets running ones finish. Idempotent; resolves at once. */
  stop(): Promise<void>;
}

/** One key's queue and the start of its previous send. */
interface Lane {
  readonly queue: PQueue;
  readonly intervalMs: number;
  /** performance.now() when the key's previous `fn` started; -Infinity before the first. */
  lastStart: number;
  /** Jobs scheduled and not yet settled; at 0 the lane can be forgotten. */
  jobs: number;
  forgetTimer: NodeJS.Timeout | undefined;
}

function newLane(intervalMs: number): Lane {
  return {
    queue: new PQueue({ concurrency: 1 }),
    intervalMs,
    lastStart: -Infinity,
    jobs: 0,
    forgetTimer: undefined,
  };
}

/** Sleeps until the lane's interval since its previous start has passed (monotonic time). */
async function untilDue(lane: Lane, signal: AbortSignal): Promise<void> {
  // A loop, because a timer may fire a little before performance.now() reaches the due time.
  for (;;) {
    const waitMs = lane.lastStart + lane.intervalMs - performance.now();
    if (waitMs <= 0) return;
    try {
      await sleep(Math.ceil(waitMs), undefined, { signal });
    } catch (err) {
      signal.throwIfAborted(); // the PacingStoppedError given to abort()
      throw err;
    }
  }
}

export function createKeyedPacer(options: { globalMinIntervalMs?: number } = {}): KeyedPacer {
  const globalMs = options.globalMinIntervalMs ?? 0;
  const global = globalMs > 0 ? newLane(globalMs) : undefined;
  // An idle lane is kept only until its interval has passed: after that a fresh lane paces the
  // key the same way, so memory does not grow with the number of chats or webhooks.
  const lanes = new Map<string, Lane>();
  /** One controller per job until its `fn` starts; stop() aborts them. */
  const notStarted = new Set<AbortController>();
  let stopped = false;

  const settled = (key: string, lane: Lane): void => {
    lane.jobs -= 1;
    if (lane.jobs > 0 || stopped) return;
    const forget = () => {
      if (lane.jobs === 0 && lanes.get(key) === lane) lanes.delete(key);
    };
    const leftMs = lane.lastStart + lane.intervalMs - performance.now();
    if (leftMs <= 0) return forget();
    lane.forgetTimer = setTimeout(forget, Math.ceil(leftMs));
    lane.forgetTimer.unref();
  };

  return {
    schedule<T>(key: string, intervalMs: number, fn: () => Promise<T>): Promise<T> {
      if (stopped) return Promise.reject(new PacingStoppedError());
      let lane = lanes.get(key);
      if (lane === undefined) {
        lane = newLane(intervalMs);
        lanes.set(key, lane);
      }
      clearTimeout(lane.forgetTimer);
      lane.jobs += 1;
      const keyLane = lane;
      const controller = new AbortController();
      notStarted.add(controller);
      const { signal } = controller;

      const job = async (): Promise<T> => {
        await untilDue(keyLane, signal);
        if (global) {
          await global.queue.add(
            async () => {
              await untilDue(global, signal);
              global.lastStart = performance.now();
            },
            { signal },
          );
        }
        signal.throwIfAborted();
        // From here on stop() leaves this job alone: the send runs to its end.
        notStarted.delete(controller);
        keyLane.lastStart = performance.now();
        return fn();
      };
      // Queued jobs aborted by stop() leave the queue and reject with the abort reason.
      return keyLane.queue.add(job, { signal }).finally(() => {
        notStarted.delete(controller);
        settled(key, keyLane);
      });
    },
    stop() {
      if (!stopped) {
        stopped = true;
        for (const controller of notStarted) controller.abort(new PacingStoppedError());
        notStarted.clear();
        for (const lane of lanes.values()) clearTimeout(lane.forgetTimer);
        lanes.clear();
      }
      return Promise.resolve();
    },
  };
}
