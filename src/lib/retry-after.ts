// How long a server asked us to wait, read once: the HTTP Retry-After header (the portal, Slack)
// and Telegram's retry_after seconds. Raw milliseconds only; each caller applies its own floor,
// cap and default, since what a sane wait is depends on the service.

export const MS_PER_SECOND = 1000;

/** Seconds (Telegram's retry_after, a Retry-After delta) as milliseconds. */
export function secondsToMs(seconds: number): number {
  return seconds * MS_PER_SECOND;
}

/**
 * Retry-After as a delay in ms: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), the date taken
 * relative to `now` (ms since the epoch) and a date in the past read as 0. Undefined when the
 * header is absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return secondsToMs(Number(text));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
