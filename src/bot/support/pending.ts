// Short-lived conversation state kept in memory only (never in the store: a pending /setup is
// not worth persisting, and a restart simply asks the user to start again).
//
// Entries expire after a fixed time measured with the injected Clock. An expired entry is still
// reported once, as expired, during a grace window: the message that arrives just after a
// wizard ran out is most likely the secret the user meant to send, and must be handled (deleted,
// explained) rather than treated as ordinary chat.
import type { Clock } from '../../domain.js';
import type { ChatState } from '../../store/schema.js';

/** How long the bot waits for the answer to a question (/setup, /add without a number). */
export const INPUT_TTL_MS = 10 * 60_000;
/** After expiry, the next message is still recognised as a late answer for this long. */
export const EXPIRED_NOTICE_WINDOW_MS = 60 * 60_000;

export interface ChatTarget {
  id: number;
  type: ChatState['type'];
  title?: string;
  /**
   * The chat has topics (Telegram's is_forum), when the update told it fresh: a message, not a
   * button press under an older message. Undefined: not known, keep what is stored.
   */
  forum?: boolean;
}

export type PendingInput =
  /** The next message is a credential for `target` (this chat, or a group set up privately). */
  | { kind: 'credential'; target: ChatTarget }
  /** The next message holds the case numbers for /add. */
  | { kind: 'case-numbers' };

export interface Lookup<V> {
  value: V;
  expired: boolean;
}

export interface ExpiringMap<K, V> {
  set(key: K, value: V): void;
  /** The live entry, or an expired one once (then it is gone); undefined when none. */
  get(key: K): Lookup<V> | undefined;
  /** Like get() but never consumes an expired entry. */
  peek(key: K): Lookup<V> | undefined;
  delete(key: K): boolean;
  deleteWhere(predicate: (key: K, value: V) => boolean): void;
  readonly size: number;
}

export function createExpiringMap<K, V>(clock: Clock, ttlMs: number): ExpiringMap<K, V> {
  const entries = new Map<K, { value: V; expiresAt: number }>();
  const sweep = (now: number) => {
    for (const [key, entry] of entries) {
      if (now >= entry.expiresAt + EXPIRED_NOTICE_WINDOW_MS) entries.delete(key);
    }
  };
  return {
    set(key, value) {
      const now = clock.now();
      sweep(now);
      entries.set(key, { value, expiresAt: now + ttlMs });
    },
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      const now = clock.now();
      if (now < entry.expiresAt) return { value: entry.value, expired: false };
      entries.delete(key);
      if (now >= entry.expiresAt + EXPIRED_NOTICE_WINDOW_MS) return undefined;
      return { value: entry.value, expired: true };
    },
    peek(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      const now = clock.now();
      if (now >= entry.expiresAt + EXPIRED_NOTICE_WINDOW_MS) return undefined;
      return { value: entry.value, expired: now >= entry.expiresAt };
    },
    delete(key) {
      return entries.delete(key);
    },
    deleteWhere(predicate) {
      for (const [key, entry] of entries) if (predicate(key, entry.value)) entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

/** Pending questions are per person in a chat: in a group, only the asker's answer counts. */
export function inputKey(chatId: number, userId: number): string {
  return `${chatId}:${userId}`;
}

/** After /setup in a group: who ran it, and whether their first message is still to come. */
export interface GroupSecretWatch {
  setupUserId: number;
  firstMessagePending: boolean;
}
