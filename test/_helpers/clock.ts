// The one manual clock of the test suite. It stands still until a test moves it, and its
// sleep() is the one the daemon's loops wait through (src/domain.ts Sleeper), so a test drives
// the poll scheduler and the delivery worker by moving time, and asserts when things happen to
// the millisecond instead of waiting on wall time.
import type { Clock, Sleeper, SleepOptions } from '../../src/domain.js';

/**
 * Macrotask turns a flush lets pass. One turn already runs every promise chain to its end (Node
 * drains all microtasks before the next macrotask); the others cover code that hands work on
 * with setImmediate. Work waiting for I/O or for a real timer is not waited for.
 */
const FLUSH_TURNS = 5;

export interface ManualClock extends Clock, Sleeper {
  /**
   * Moves time by `ms`. Going forward, what can run at the current time runs first; then each
   * sleep that falls due wakes in deadline order (ties in the order they began), with now() at
   * its deadline, and what it wakes runs before the next one; sleeps begun meanwhile wake too
   * when they fall due within the step. Resolves once everything woken has run as far as it can
   * without I/O. A negative `ms` turns the clock back and wakes nothing.
   */
  advance(ms?: number): Promise<void>;
  /** Moves time to `at`, the way advance() does. */
  set(at: number): Promise<void>;
  /** Deadlines of the sleeps in progress, earliest first. */
  pending(): number[];
  /** Resolves once at least `count` sleeps are in progress (the code under test reached a wait). */
  sleeping(count?: number): Promise<void>;
  /** Lets everything that can run now run (promise chains, immediates), without moving time. */
  flush(): Promise<void>;
}

interface Sleep {
  deadline: number;
  /** Begin order: among equal deadlines, the sleep begun first wakes first. */
  seq: number;
  wake: () => void;
}

async function flushTurns(): Promise<void> {
  for (let i = 0; i < FLUSH_TURNS; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Starts at `start` (default: the current second, so portal dates and the engine's agree). */
export function manualClock(start = Math.floor(Date.now() / 1000) * 1000): ManualClock {
  let now = start;
  let seq = 0;
  let sleeps: Sleep[] = [];
  const watchers: { count: number; resolve: () => void }[] = [];

  const notifyWatchers = (): void => {
    for (const w of [...watchers]) {
      if (sleeps.length < w.count) continue;
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
  };

  const nextDue = (until: number): Sleep | undefined => {
    let first: Sleep | undefined;
    for (const s of sleeps) {
      if (s.deadline > until) continue;
      if (
        !first ||
        s.deadline < first.deadline ||
        (s.deadline === first.deadline && s.seq < first.seq)
      ) {
        first = s;
      }
    }
    return first;
  };

  const clock: ManualClock = {
    now: () => now,

    sleep(ms: number, options: SleepOptions = {}): Promise<void> {
      const { signal } = options;
      // Like a real timer: a wait that is already over, or aborted, ends without moving time.
      if (signal?.aborted || ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const entry: Sleep = {
          deadline: now + ms,
          seq: seq++,
          wake: () => {
            sleeps = sleeps.filter((s) => s !== entry);
            signal?.removeEventListener('abort', entry.wake);
            resolve();
          },
        };
        sleeps.push(entry);
        signal?.addEventListener('abort', entry.wake, { once: true });
        notifyWatchers();
      });
    },

    async advance(ms = 0) {
      const target = now + ms;
      if (ms < 0) {
        now = target;
        return;
      }
      // What is runnable at the current time runs first (and may begin sleeps that fall due).
      await flushTurns();
      for (let due = nextDue(target); due; due = nextDue(target)) {
        now = Math.max(now, due.deadline);
        due.wake();
        await flushTurns();
      }
      now = Math.max(now, target);
      await flushTurns();
    },

    set(at) {
      return clock.advance(at - now);
    },

    pending: () => sleeps.map((s) => s.deadline).sort((a, b) => a - b),

    sleeping(count = 1) {
      return new Promise<void>((resolve) => {
        watchers.push({ count, resolve });
        notifyWatchers();
      });
    },

    flush: flushTurns,
  };
  return clock;
}
