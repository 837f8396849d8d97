// Faults a test injects into the fake Bot API, keyed by method name (any method the fake
// serves, forum methods included): scripted errors, delayed answers, per-chat rate limits.
import { BotApiError, type FailNextOptions, type RateLimitOptions } from './fake-telegram-types.js';
import { peekChatId, type Params } from './fake-telegram-wire.js';

/** The method rateLimit() limits when the test names none. */
const DEFAULT_RATE_LIMITED_METHOD = 'sendMessage';

interface Fault extends FailNextOptions {
  remaining: number;
}

export class FaultInjector {
  private readonly faults: Fault[] = [];
  private readonly delays: { method: string; ms: number; remaining: number }[] = [];
  private readonly rateLimits: (RateLimitOptions & { hits: Map<string, number[]> })[] = [];
  private readonly timers = new Set<{ timer: NodeJS.Timeout; release(): void }>();

  failNext(opts: FailNextOptions): void {
    this.faults.push({ ...opts, remaining: opts.times ?? 1 });
  }

  delayNext(method: string, ms: number, times: number): void {
    this.delays.push({ method, ms, remaining: times });
  }

  rateLimit(opts: RateLimitOptions): void {
    this.rateLimits.push({ ...opts, hits: new Map() });
  }

  clear(): void {
    this.faults.length = 0;
    this.delays.length = 0;
    this.rateLimits.length = 0;
  }

  /** Waits out a delay scripted for `method`, if any (released early by releaseAll()). */
  async delay(method: string): Promise<void> {
    const delay = this.delays.find((d) => d.method === method && d.remaining > 0);
    if (!delay) return;
    delay.remaining--;
    await new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, delay.ms),
        release: resolve,
      };
      this.timers.add(entry);
    });
  }

  /** Ends every pending delay at once (the fake is closing). */
  releaseAll(): void {
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.release();
    }
    this.timers.clear();
  }

  /** Throws the scripted error or the rate limit's 429 for this call, if one applies. */
  check(method: string, params: Params): void {
    const fault = this.takeFault(method, params);
    if (fault) throw fault;
    this.checkRateLimit(method, params);
  }

  private takeFault(method: string, params: Params): BotApiError | undefined {
    const chatId = peekChatId(params);
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 && f.method === method && (f.chatId === undefined || f.chatId === chatId),
    );
    if (!fault) return undefined;
    fault.remaining--;
    const parameters: { retry_after?: number; migrate_to_chat_id?: number } = {};
    if (fault.retryAfter !== undefined) parameters.retry_after = fault.retryAfter;
    if (fault.migrateToChatId !== undefined) parameters.migrate_to_chat_id = fault.migrateToChatId;
    return new BotApiError(
      fault.errorCode,
      fault.description,
      Object.keys(parameters).length > 0 ? parameters : undefined,
    );
  }

  private checkRateLimit(method: string, params: Params): void {
    const chatId = peekChatId(params);
    const now = Date.now();
    for (const limit of this.rateLimits) {
      if ((limit.method ?? DEFAULT_RATE_LIMITED_METHOD) !== method) continue;
      if (limit.chatId !== undefined && limit.chatId !== chatId) continue;
      const bucket = String(chatId ?? 'none');
      const hits = (limit.hits.get(bucket) ?? []).filter((t) => t > now - limit.windowMs);
      if (hits.length >= limit.max) {
        const oldest = hits[0] ?? now;
        const retryAfter =
          limit.retryAfter ?? Math.max(1, Math.ceil((oldest + limit.windowMs - now) / 1000));
        limit.hits.set(bucket, hits);
        throw new BotApiError(429, `Too Many Requests: retry after ${retryAfter}`, {
          retry_after: retryAfter,
        });
      }
      hits.push(now);
      limit.hits.set(bucket, hits);
    }
  }
}
