// Waiting for a condition while the daemon runs, and the few statistics the report needs.
import type { DaemonProcess } from './_daemon-process.js';

/** How often waits look at their condition. */
const WAIT_POLL_MS = 10;

export async function waitFor<T>(
  check: () => T | undefined | false,
  options: { timeoutMs: number; what: string; daemon?: DaemonProcess },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (options.daemon?.hasExited) {
      throw new Error(
        `the daemon exited while waiting for ${options.what}; its last output:\n${options.daemon.tail()}`,
      );
    }
    if (performance.now() > deadline) {
      const tail = options.daemon ? `; the daemon's last output:\n${options.daemon.tail()}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => Math.max(a, b), -Infinity);
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A small seeded PRNG (mulberry32): the same seed picks the same chats and cases. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
