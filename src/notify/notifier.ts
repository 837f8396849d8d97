// The Notifier port: one adapter per destination (Telegram, Slack); and the simplest
// AdminReporter (the port itself is in domain.ts: the poller and the bot report too).
//
// A Notifier only translates: it formats one outbox entry, sends it, and says what happened as a
// SendOutcome. Deciding what to do with the outcome (retry, wait, pause a chat, move it) is the
// delivery worker's job (delivery.ts), so a second destination only adds an adapter.
import type { AdminReporter } from '../domain.js';
import type { Logger } from '../logger.js';
import type { Destination } from '../outbox/index.js';
import type { ChatState, OutboxEntry } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';

export type SendOutcome = SendVerdict & {
  /**
   * What the send learned about the chat, whatever its verdict (a topic may be created before
   * the message itself fails). The worker stores it in the transaction that settles the entry,
   * so a notifier never writes the store itself.
   */
  learned?: ChatLearned;
};

/** What the destination made of one message. */
export type SendVerdict =
  /** The destination accepted the message. */
  | { kind: 'ok' }
  /** Try the same message again later: after retryAfterMs when the destination said so (429), else backoff. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** The user blocked the bot or removed it from the group (Telegram 403): stop sending, keep data. */
  | { kind: 'blocked'; reason: string }
  /** The group became a supergroup with a new id: move the chat there and resend. */
  | { kind: 'migrated'; newChatId: number }
  /** The destination will never accept this message (a 400 that is not about the chat). */
  | { kind: 'rejected'; reason: string }
  /** The destination itself is gone (a deleted Slack webhook): disable it for this chat. */
  | { kind: 'disabled'; reason: string };

/** Facts about a chat that only a send finds out (Telegram forum topics, telegram/topics.ts). */
export interface ChatLearned {
  /** The case's forum topic: created by this send, or found deleted (threadId null: forget it). */
  topic?: { caseNumber: string; threadId: number | null };
  /**
   * The bot may not create topics in this chat: no right to manage topics, or topics are off.
   * Posts go to General from now on; the chat is told once.
   */
  topicsRefused?: 'no-right' | 'not-a-forum';
}

export interface SendOptions {
  /** Aborted when a shutdown cannot wait any longer for this send. */
  signal?: AbortSignal;
}

export interface Notifier {
  readonly destination: Destination;
  /**
   * Never throws for a destination's answer: every answer becomes a SendOutcome. Gets the
   * committed state's objects: read them, never change them.
   */
  send(
    entry: DeepReadonly<OutboxEntry>,
    chat: DeepReadonly<ChatState>,
    options?: SendOptions,
  ): Promise<SendOutcome>;
}

/**
 * The simplest reporter: one error line in the log (the logger scrubs secrets). A later issue
 * sends these to the admin chats with dedupe; it can wrap this one.
 */
export function createLogAdminReporter(logger: Logger): AdminReporter {
  const log = logger.child({ component: 'admin-report' });
  return {
    report({ component, error, context }) {
      log.error(
        { source: component, err: error, ...context },
        'reported to admins: %s failed',
        component,
      );
    },
  };
}
