// An entry that is done with (delivered, refused for good, or dropped with its destination)
// leaves the outbox here, and what it stood for takes effect: the seen rule and the closed-case
// rule of index.ts.
import type { OutboxEntry, State } from '../store/schema.js';
import { markSeen } from '../store/seen.js';
import type { DeepReadonly } from '../store/store.js';

function isSameComment(a: DeepReadonly<OutboxEntry>, b: DeepReadonly<OutboxEntry>): boolean {
  return (
    a.kind === 'comment' &&
    b.kind === 'comment' &&
    a.chatId === b.chatId &&
    a.comment?.id === b.comment?.id &&
    a.comment?.caseNumber === b.comment?.caseNumber
  );
}

/**
 * Removes an entry that is done with (delivered, or refused for good) and settles what it stood
 * for: the comment becomes seen once no other destination still has it pending; the "closed"
 * message ends the subscription unless closed cases are kept.
 */
export function settleEntry(
  draft: State,
  id: string,
  keepClosedCases: boolean,
): OutboxEntry | undefined {
  const index = draft.outbox.findIndex((e) => e.id === id);
  if (index < 0) return undefined;
  const [entry] = draft.outbox.splice(index, 1);
  if (!entry) return undefined;
  const chat = draft.chats[String(entry.chatId)];
  if (entry.kind === 'comment' && entry.comment && chat) {
    const stillPending = draft.outbox.some((e) => isSameComment(e, entry));
    const sub = chat.subscriptions[entry.comment.caseNumber];
    if (!stillPending && sub) markSeen(sub, entry.comment);
  }
  if (entry.kind === 'closed' && entry.case && chat && !keepClosedCases) {
    const number = entry.case.number;
    const otherClosed = draft.outbox.some(
      (e) => e.kind === 'closed' && e.chatId === entry.chatId && e.case?.number === number,
    );
    const sub = chat.subscriptions[number];
    // Only if the case is still closed: a reopened case (or a fresh /add) keeps its subscription.
    if (!otherClosed && sub?.closed === true) delete chat.subscriptions[number];
  }
  return entry;
}
