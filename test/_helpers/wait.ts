// Wait for a condition instead of sleeping a fixed time: the one polling loop of the test suite.

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Names what was awaited in the timeout error; a function is called only on timeout. */
  what?: string | (() => string);
}

/**
 * Polls `check` until it returns something other than undefined/null/false and resolves with
 * it. A throwing `check` counts as "not yet" (so assertions can be polled); the last error is
 * in the timeout message.
 */
export async function waitUntil<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(
        `condition not met within ${timeoutMs} ms${what !== undefined ? ` (${what})` : ''}${cause}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
