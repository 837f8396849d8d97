// Connecting to Telegram at start, when the network may not be there yet (a home server that
// boots faster than its router, a DNS hiccup, Telegram's 5xx). telegraf's long polling survives
// those by itself once it runs, but its launch (getMe, deleteWebhook) gives up at the first
// failure, which used to stop the daemon. Here the launch is retried with a capped backoff and
// a log line per attempt, while the engine keeps polling the portal and queueing messages.
// Only the two answers that will not heal by waiting end the daemon: 401 (the bot token is
// wrong or revoked) and 409 (another program polls with this token).
import { TelegramError } from 'telegraf';
import type { Logger } from './logger.js';
import { errorForLog } from './bot/support/errors.js';

/** First wait after a failed launch; doubles per attempt up to LAUNCH_RETRY_MAX_MS. */
export const LAUNCH_RETRY_BASE_MS = 2_000;
export const LAUNCH_RETRY_MAX_MS = 60_000;

/** Why the launch gave up for good. */
export class TelegramLaunchError extends Error {
  readonly code: 401 | 409;
  constructor(code: 401 | 409) {
    super(
      code === 401
        ? 'Telegram rejected the bot token (401): check telegram.token (or TELEGRAM_BOT_TOKEN); a token revoked in @BotFather must be replaced'
        : 'another program is polling Telegram with this bot token (409): stop the other tickets-pushbot (or bot) using it, or use another token',
    );
    this.name = 'TelegramLaunchError';
    this.code = code;
  }
}

/** The part of telegraf the launch needs. */
export interface Launchable {
  /** Resolves when polling stops; rejects when it cannot start or dies. */
  launch(): Promise<void>;
}

export interface LaunchOptions {
  logger: Logger;
  /** Abortable wait (the daemon's stop aborts it). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  signal: AbortSignal;
  baseMs?: number;
  maxMs?: number;
}

function fatalCode(err: unknown): 401 | 409 | undefined {
  if (err instanceof TelegramError && (err.code === 401 || err.code === 409)) return err.code;
  return undefined;
}

/** Node's codes for "no network (yet)": refused, unreachable, DNS, timeouts, resets. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Failures that waiting can heal: no network, Telegram's 5xx, a 429. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TelegramError) return err.code >= 500 || err.code === 429;
  if (typeof err !== 'object' || err === null) return false;
  // telegraf's fetch (node-fetch) wraps network failures in a FetchError carrying the code.
  const name = 'name' in err ? err.name : undefined;
  const code = 'code' in err ? err.code : 'errno' in err ? err.errno : undefined;
  if (name === 'FetchError' || name === 'AbortError') return true;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/**
 * Launches, and resolves when polling stops (after a stop). A launch that fails in a way
 * waiting can heal is tried again; once polling runs, telegraf itself waits out the same
 * failures, so only the launch's own requests (getMe, deleteWebhook) ever reach the retry.
 * 401 and 409 reject with TelegramLaunchError; anything else rejects as it came.
 */
export async function launchWithRetry(bot: Launchable, options: LaunchOptions): Promise<void> {
  const base = options.baseMs ?? LAUNCH_RETRY_BASE_MS;
  const max = options.maxMs ?? LAUNCH_RETRY_MAX_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await bot.launch();
      return;
    } catch (err) {
      const fatal = fatalCode(err);
      if (fatal !== undefined) throw new TelegramLaunchError(fatal);
      if (!isRetryable(err) || options.signal.aborted) throw err;
      const retryInMs = Math.min(max, base * 2 ** Math.min(attempt - 1, 20));
      options.logger.warn(
        { attempt, retryInMs, err: errorForLog(err) },
        'cannot reach Telegram yet; still polling Red Hat and queueing messages, trying again',
      );
      try {
        await options.sleep(retryInMs, options.signal);
      } catch {
        // Aborted: the daemon is stopping.
        return;
      }
    }
  }
}
