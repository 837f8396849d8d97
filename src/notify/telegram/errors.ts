// What Telegram's answers mean for delivery: every TelegramError (or network failure) becomes a
// SendOutcome, and the few 400s the notifier handles itself are recognised by their text (the
// Bot API has no error codes finer than the HTTP status).
import { TelegramError } from 'telegraf';
import { errorMessage } from '../../lib/error-facts.js';
import { secondsToMs } from '../../lib/retry-after.js';
import type { ChatLearned, SendOutcome } from '../notifier.js';

/** A 429 without retry_after (never seen, but possible): wait this long. */
const DEFAULT_RETRY_AFTER_S = 5;

// 400 answers that are about the chat, not the message: the bot cannot write there any more
// (group deleted, bot muted or removed). Pausing the chat keeps its data; dropping the message
// as "rejected" would lose it.
const CHAT_UNREACHABLE =
  /chat not found|not enough rights|have no rights|need administrator rights|bot was kicked|user is deactivated|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED/i;
const CANT_PARSE = /can't parse entities|can't find end of the entity|unsupported start tag/i;
// A send to a topic that a person deleted. TDLib says "message thread not found"; the MTProto
// names are what bots in the wild report for the same.
const THREAD_GONE = /message thread not found|TOPIC_DELETED|TOPIC_ID_INVALID/i;
// A person closed the topic and the bot may no longer post there (it lost the right to manage
// topics): MTProto's name, passed through by the Bot API server.
const TOPIC_CLOSED = /TOPIC_CLOSED/;
// createForumTopic refused for good: the bot is not an admin allowed to manage topics, or the
// group turned topics off.
const NO_TOPIC_RIGHT = /not enough rights|CHAT_ADMIN_REQUIRED/i;
const NOT_A_FORUM = /the chat is not a forum/i;

function badRequest(err: unknown, pattern: RegExp): boolean {
  return (
    err instanceof TelegramError &&
    err.code === 400 &&
    typeof err.description === 'string' &&
    pattern.test(err.description)
  );
}

export const isParseError = (err: unknown): boolean => badRequest(err, CANT_PARSE);
export const isThreadGone = (err: unknown): boolean => badRequest(err, THREAD_GONE);
export const isTopicClosed = (err: unknown): boolean => badRequest(err, TOPIC_CLOSED);

/** Why createForumTopic will never work in this chat, or undefined for any other failure. */
export function topicRefusal(err: unknown): ChatLearned['topicsRefused'] {
  if (badRequest(err, NOT_A_FORUM)) return 'not-a-forum';
  if (badRequest(err, NO_TOPIC_RIGHT)) return 'no-right';
  return undefined;
}

/** Telegram's answer (or a network failure) → what delivery should do. */
export function outcomeOfError(err: unknown): SendOutcome {
  if (err instanceof TelegramError) {
    const code = err.code;
    const description = typeof err.description === 'string' ? err.description : '';
    const reason = `Telegram ${code}: ${description}`;
    const migrateTo = err.parameters?.migrate_to_chat_id;
    if (typeof migrateTo === 'number' && Number.isSafeInteger(migrateTo) && migrateTo !== 0) {
      return { kind: 'migrated', newChatId: migrateTo };
    }
    if (code === 429) {
      const after = err.parameters?.retry_after;
      const seconds =
        typeof after === 'number' && Number.isFinite(after) && after >= 0
          ? after
          : DEFAULT_RETRY_AFTER_S;
      return { kind: 'retry', reason, retryAfterMs: secondsToMs(seconds) };
    }
    if (code === 403) return { kind: 'blocked', reason };
    if (code === 400 && CHAT_UNREACHABLE.test(description)) return { kind: 'blocked', reason };
    if (code === 400) return { kind: 'rejected', reason };
    // 5xx, and 401/404 (a wrong bot token: the operator must fix it, the messages must wait).
    return { kind: 'retry', reason };
  }
  // Network failures, timeouts, an answer that is not JSON: telegraf already removed the token
  // from the message, and the logger scrubs it again.
  const name = err instanceof Error ? err.name : 'Error';
  return { kind: 'retry', reason: `${name}: ${errorMessage(err)}` };
}
