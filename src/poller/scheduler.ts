// The loop: one poll cycle every poll.intervalSeconds, boring on purpose.
// - Cycles never overlap: the next sleep starts only after a cycle ended (no async setInterval).
// - The interval is measured start to start, with ±10 % jitter so many daemons (or many
//   restarts) do not hit the portal in lockstep.
// - A failing cycle is logged and reported; the next one runs as usual.
// - Sleep is abortable: stop() returns as soon as the cycle in progress ends.
// - Time and waiting come from the injected clock only (tests drive the loop on a manual clock).
// - After each cycle a heartbeat file is written (atomically) for the Docker HEALTHCHECK
//   (src/healthcheck.ts): it proves the loop turns, not only that the process exists.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AdminReporter, Clock, Sleeper } from '../domain.js';
import type { Logger } from '../logger.js';

/** The interval varies by up to this fraction either way. */
export const INTERVAL_JITTER_RATIO = 0.1;

export interface Heartbeat {
  /** ISO-8601 time the last cycle ended. */
  at: string;
  intervalSeconds: number;
}

export interface SchedulerDeps {
  intervalMs: number;
  runCycle: () => Promise<unknown>;
  logger: Logger;
  reporter: AdminReporter;
  /** The loop reads the time and waits only through this. */
  clock: Clock & Sleeper;
  /** Where the heartbeat goes (config.heartbeatPath); none when undefined. */
  heartbeatPath?: string;
  /** Uniform in [0, 1); tests pin it. */
  random?: () => number;
}

export interface Scheduler {
  start(): void;
  /** Ends the sleep at once, or waits for the cycle in progress. Idempotent. */
  stop(): Promise<void>;
}

export function jitteredIntervalMs(intervalMs: number, random: () => number): number {
  const factor = 1 + (random() * 2 - 1) * INTERVAL_JITTER_RATIO;
  return Math.max(0, Math.round(intervalMs * factor));
}

/** Temp file + rename: the HEALTHCHECK never reads half a file. */
export async function writeHeartbeat(path: string, heartbeat: Heartbeat): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(heartbeat)}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const log = deps.logger.child({ component: 'scheduler' });
  const random = deps.random ?? Math.random;
  const abort = new AbortController();
  let loop: Promise<void> | undefined;

  const beat = async (): Promise<void> => {
    if (deps.heartbeatPath === undefined) return;
    try {
      await writeHeartbeat(deps.heartbeatPath, {
        at: new Date(deps.clock.now()).toISOString(),
        intervalSeconds: deps.intervalMs / 1000,
      });
    } catch (err) {
      log.warn(
        { err, path: deps.heartbeatPath },
        'could not write the heartbeat file (the health check will fail)',
      );
    }
  };

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const started = deps.clock.now();
      try {
        await deps.runCycle();
      } catch (err) {
        log.error({ err }, 'poll cycle failed; the next one runs as scheduled');
        deps.reporter.report({ component: 'poller', error: err });
      }
      await beat();
      if (abort.signal.aborted) break;
      const delay = Math.max(
        0,
        jitteredIntervalMs(deps.intervalMs, random) - (deps.clock.now() - started),
      );
      // Ends early on stop(); the loop condition then ends the loop.
      await deps.clock.sleep(delay, { signal: abort.signal });
    }
  };

  return {
    start() {
      if (loop || abort.signal.aborted) return;
      loop = run().catch((err: unknown) => {
        // Unreachable unless the clock's sleep breaks; said loudly rather than silently stopping.
        log.fatal({ err }, 'the poll loop stopped unexpectedly');
        deps.reporter.report({ component: 'scheduler', error: err });
      });
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
