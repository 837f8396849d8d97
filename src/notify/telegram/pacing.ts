// Telegram's pacing: one lane of the keyed pacer (lib/keyed-pacer.ts) per chat, groups spaced
// wider, all under one bot-wide rate.
//
// Why: Telegram answers 429 to a bot that sends faster than about 1 message per second to one
// chat, 20 per minute to one group, or about 30 per second overall (Bots FAQ; the limits are
// approximate and undocumented). A chat's 429 costs a wait of retry_after seconds for that chat.
import { hasGroupRateLimit } from '../../lib/chat-kind.js';
import { createKeyedPacer } from '../../lib/keyed-pacer.js';
import type { ChatState } from '../../store/schema.js';

/** About 1 message per second to one private chat. */
export const PRIVATE_CHAT_MIN_INTERVAL_MS = 1_000;
/** 20 messages per minute to one group: one every 3 s. */
export const GROUP_CHAT_MIN_INTERVAL_MS = 3_000;
/** About 30 messages per second overall: one every 34 ms. */
export const GLOBAL_MIN_INTERVAL_MS = 34;

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

/** Telegram's pacing: one lane per chat (groups spaced wider), under one bot-wide rate. */
export function createPacer(options: Partial<PacingOptions> = {}): Pacer {
  const o: PacingOptions = { ...DEFAULT_PACING, ...options };
  const pacer = createKeyedPacer({ globalMinIntervalMs: o.globalMinIntervalMs });
  return {
    schedule(chat, fn) {
      const group = hasGroupRateLimit(chat.type);
      const key = `${group ? 'g' : 'p'}${chat.id}`;
      return pacer.schedule(key, group ? o.groupChatMinIntervalMs : o.privateChatMinIntervalMs, fn);
    },
    stop: () => pacer.stop(),
  };
}
