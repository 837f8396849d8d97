// Pacing of Telegram sends, with bottleneck (a well-kept rate limiter) rather than hand-made
// timers.
//
// Why: Telegram answers 429 to a bot that sends faster than about 1 message per second to one
// chat, 20 per minute to one group, or about 30 per second overall (Bots FAQ; the limits are
// approximate and undocumented). A 429 costs a wait of retry_after seconds for that chat, so it
// is cheaper to stay under the limits than to hit them: a burst of 500 notifications drains at
// Telegram's pace instead of in a storm of 429s.
//
// Shape: one limiter per chat (a Bottleneck.Group keyed by chat id, so a busy chat never slows
// another), each chained to one global limiter for the bot-wide rate. Per-chat limiters of idle
// chats are dropped by the Group after a while, so memory does not grow with the chat count.
import Bottleneck from 'bottleneck';
import type { ChatState } from '../store/schema.js';

/** About 1 message per second to one private chat. */
export const PRIVATE_CHAT_MIN_INTERVAL_MS = 1_000;
/** 20 messages per minute to one group: one every 3 s. */
export const GROUP_CHAT_MIN_INTERVAL_MS = 3_000;
/** About 30 messages per second overall: one every 34 ms. */
export const GLOBAL_MIN_INTERVAL_MS = 34;
/** A per-chat limiter unused this long is forgotten (bottleneck Group timeout). */
const IDLE_CHAT_LIMITER_TTL_MS = 5 * 60_000;

export interface PacingOptions {
  privateChatMinIntervalMs: number;
  groupChatMinIntervalMs: number;
  globalMinIntervalMs: number;
}

export const DEFAULT_PACING: PacingOptions = {
  privateChatMinIntervalMs: PRIVATE_CHAT_MIN_INTERVAL_MS,
  groupChatMinIntervalMs: GROUP_CHAT_MIN_INTERVAL_MS,
  globalMinIntervalMs: GLOBAL_MIN_INTERVAL_MS,
};

export interface Pacer {
  /** Runs `fn` when the chat's and the bot's rates allow it. Rejects after stop(). */
  schedule<T>(chat: Pick<ChatState, 'id' | 'type'>, fn: () => Promise<T>): Promise<T>;
  /** Drops waiting jobs and lets running ones finish. Idempotent. */
  stop(): Promise<void>;
}

export function isGroupChat(chat: Pick<ChatState, 'id' | 'type'>): boolean {
  return chat.type !== 'private';
}

export function createPacer(options: Partial<PacingOptions> = {}): Pacer {
  const o: PacingOptions = { ...DEFAULT_PACING, ...options };
  const global = new Bottleneck({ minTime: o.globalMinIntervalMs });
  // One send at a time per chat; the chat's interval counts from the moment its previous send
  // really started (after the global limiter let it through), not from when it was queued.
  const chats = new Bottleneck.Group({ maxConcurrent: 1, timeout: IDLE_CHAT_LIMITER_TTL_MS });
  const lastStart = new Map<string, number>();
  let stopping: Promise<void> | undefined;

  return {
    schedule(chat, fn) {
      if (stopping) return Promise.reject(new Error('pacing stopped: the daemon is shutting down'));
      const key = `${isGroupChat(chat) ? 'g' : 'p'}${chat.id}`;
      const interval = isGroupChat(chat) ? o.groupChatMinIntervalMs : o.privateChatMinIntervalMs;
      return chats.key(key).schedule(async () => {
        const wait = (lastStart.get(key) ?? -Infinity) + interval - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        return global.schedule(() => {
          const at = Date.now();
          lastStart.set(key, at);
          setTimeout(() => {
            if (lastStart.get(key) === at) lastStart.delete(key);
          }, interval).unref();
          return fn();
        });
      });
    },
    stop() {
      stopping ??= (async () => {
        const limiters = chats.limiters().map((p) => p.limiter);
        await Promise.allSettled(
          [...limiters, global].map((l) => l.stop({ dropWaitingJobs: true })),
        );
      })();
      return stopping;
    },
  };
}
