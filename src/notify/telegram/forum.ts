// Which forum topic a Telegram message goes to. In a chat with `forum` set, every case has its
// own topic, "01234567 · <summary>", created on the case's first message and reused after.
//
// What this learns goes into `learned` (a new topic, a deleted one, a refusal); the delivery
// worker stores it with the entry's outcome (topics.ts). It is also kept here in memory, so a
// second send before that commit (none today: a lane waits for its commit) or after a failed
// commit still does not create a second topic; memory wins over the state it was given.
//
// No topic: a chat that is not a forum, an entry without a case (notices), a chat where the
// bot may not create topics (`topicsRefusedAt`, or refused during this send). Then the message
// goes to the General topic, never lost for want of a topic.
import type { Logger } from '../../logger.js';
import type { ChatState, OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import type { ChatLearned, SendOutcome } from '../notifier.js';
import { outcomeOfError, topicRefusal } from './errors.js';
import { topicName } from './topics.js';

/** Where to send: a topic (undefined: General), or an outcome that ends the send now. */
export type Route = { threadId: number | undefined } | { outcome: SendOutcome };

export interface TopicRouterDeps {
  /** createForumTopic: the new topic's message_thread_id; throws what telegraf throws. */
  createTopic(chat: DeepReadonly<ChatState>, name: string, signal?: AbortSignal): Promise<number>;
  logger: Logger;
}

export interface TopicRouter {
  route(
    entry: DeepReadonly<OutboxEntry>,
    chat: DeepReadonly<ChatState>,
    learned: ChatLearned,
    signal?: AbortSignal,
  ): Promise<Route>;
  /** A person deleted the case's topic: forget it, so the next route() creates a new one. */
  forget(chatId: number, caseNumber: string, learned: ChatLearned): void;
}

const GENERAL: Route = { threadId: undefined };

export function createTopicRouter(deps: TopicRouterDeps): TopicRouter {
  const log = deps.logger.child({ component: 'telegram-topics' });
  /** "<chat>:<case>" → thread id; null: known to be gone, whatever the state still says. */
  const memory = new Map<string, number | null>();
  const key = (chatId: number, caseNumber: string) => `${chatId}:${caseNumber}`;

  return {
    async route(entry, chat, learned, signal) {
      const kase = entry.case;
      if (chat.forum !== true || !kase) return GENERAL;
      if (chat.topicsRefusedAt !== undefined || learned.topicsRefused) return GENERAL;
      const k = key(chat.id, kase.number);
      const known = memory.has(k) ? memory.get(k) : chat.topics?.[kase.number];
      if (known !== undefined && known !== null) return { threadId: known };

      let threadId: number;
      try {
        threadId = await deps.createTopic(chat, topicName(kase.number, kase.summary), signal);
      } catch (err) {
        const refusal = topicRefusal(err);
        if (refusal) {
          log.info(
            { chatId: chat.id, refusal },
            'the bot may not create topics in this chat: posting in General',
          );
          learned.topicsRefused = refusal;
          return GENERAL;
        }
        const outcome = outcomeOfError(err);
        // Any other 400 is about this topic (its name?): the message goes to General this time
        // rather than be dropped, and the next message of the case tries again.
        if (outcome.kind === 'rejected') {
          log.warn(
            { chatId: chat.id, caseNumber: kase.number, reason: outcome.reason },
            'could not create a topic for the case: posting in General',
          );
          return GENERAL;
        }
        // 429, 5xx, network, blocked, migrated: the message waits like any other send.
        return { outcome };
      }
      memory.set(k, threadId);
      learned.topic = { caseNumber: kase.number, threadId };
      log.debug({ chatId: chat.id, caseNumber: kase.number, threadId }, 'created a topic');
      return { threadId };
    },

    forget(chatId, caseNumber, learned) {
      memory.set(key(chatId, caseNumber), null);
      learned.topic = { caseNumber, threadId: null };
    },
  };
}
