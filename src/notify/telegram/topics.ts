// Forum topics in the state: one topic per case in a chat with `forum` set, its
// message_thread_id kept in `chat.topics` so it is reused after a restart. The notifier finds
// things out (forum.ts) and reports them in its SendOutcome's `learned`; the delivery worker
// records them here, inside the transaction that settles the entry (delivery-outcome.ts), so
// only the worker's transactions write the store. Pure functions on a draft.
import { enqueueOne, entryId } from '../../outbox/index.js';
import type { State } from '../../store/schema.js';
import { cap, field, SUMMARY_MAX_CHARS } from '../../text.js';
import type { ChatLearned } from '../notifier.js';

/** Telegram cuts topic names to 128 characters; we cut first, with "…". */
export const TOPIC_NAME_MAX_CHARS = 128;

/** "01234567 · <summary>", at most 128 characters. */
export function topicName(caseNumber: string, summary: string): string {
  const s = field(summary, SUMMARY_MAX_CHARS);
  return cap(s === '' ? caseNumber : `${caseNumber} · ${s}`, TOPIC_NAME_MAX_CHARS);
}

/** What the chat is told, once, when the bot may not create topics there (HTML-safe). */
export function topicsRefusedNotice(reason: NonNullable<ChatLearned['topicsRefused']>): string {
  return reason === 'no-right'
    ? "I can't create a topic per case here: make me an admin with the right to manage topics, then new cases get their own topic. Until then I post in General."
    : "I can't create a topic per case here: topics are turned off in this group. Turn them on and make me an admin with the right to manage topics, then new cases get their own topic. Until then I post here without topics.";
}

/**
 * Records what a send learned about its chat. The first refusal also sets `topicsRefusedAt`
 * (no more attempts until the bot sets `forum` again) and enqueues the notice that tells the
 * group why: through the outbox, so it survives a restart and is sent once.
 */
export function applyLearned(
  draft: State,
  chatId: number,
  learned: ChatLearned,
  now: number,
): void {
  const chat = draft.chats[String(chatId)];
  if (!chat) return;
  const { topic, topicsRefused } = learned;
  if (topic) {
    if (topic.threadId !== null) {
      chat.topics = { ...chat.topics, [topic.caseNumber]: topic.threadId };
    } else if (chat.topics) {
      delete chat.topics[topic.caseNumber];
      // Format 3 leaves unused fields out rather than empty.
      if (Object.keys(chat.topics).length === 0) delete chat.topics;
    }
  }
  if (topicsRefused && chat.topicsRefusedAt === undefined) {
    const nowIso = new Date(now).toISOString();
    chat.topicsRefusedAt = nowIso;
    enqueueOne(draft, {
      id: entryId('telegram', chatId, undefined, `topics-refused-${now}`),
      chatId,
      destination: 'telegram',
      kind: 'notice',
      text: topicsRefusedNotice(topicsRefused),
      createdAt: nowIso,
      attempts: 0,
    });
  }
}
