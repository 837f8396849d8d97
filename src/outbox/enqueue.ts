// Adding entries to the outbox, never the same id twice, and the index of what is pending that
// the poller checks before it enqueues a comment (a pending comment is not new again).
import { commentPrint } from '../comment-identity.js';
import type { CaseNumber } from '../domain.js';
import type { OutboxEntry, State } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';

/**
 * Comment ids pending in the outbox per (chat, case), built once per transaction: scanning the
 * outbox for every subscription would cost outbox × subscriptions in a busy cycle.
 */
export class PendingComments {
  private readonly byKey = new Map<string, Set<string>>();
  constructor(outbox: readonly DeepReadonly<OutboxEntry>[]) {
    for (const e of outbox) this.add(e);
  }
  add(e: DeepReadonly<OutboxEntry>): void {
    if (e.kind !== 'comment' || !e.comment) return;
    const key = `${e.chatId}:${e.comment.caseNumber}`;
    let ids = this.byKey.get(key);
    if (!ids) this.byKey.set(key, (ids = new Set()));
    // The print too: the same comment may come back under another API's id.
    ids.add(e.comment.id);
    ids.add(commentPrint(e.comment));
  }
  of(chatId: number, caseNumber: CaseNumber): ReadonlySet<string> {
    return this.byKey.get(`${chatId}:${caseNumber}`) ?? NONE;
  }
}
const NONE: ReadonlySet<string> = new Set();

/** One transaction's way into the outbox: many entries, each id checked in O(1). */
export interface Enqueuer {
  /** Appends the entry unless one with its id is already pending; true when it was added. */
  add(entry: OutboxEntry): boolean;
  /** What is pending now, entries added through `add` included. */
  readonly pending: PendingComments;
}

/** Build once per transaction, from the draft it writes to. */
export function enqueuer(draft: State): Enqueuer {
  const ids = new Set(draft.outbox.map((e) => e.id));
  const pending = new PendingComments(draft.outbox);
  return {
    pending,
    add(entry) {
      if (ids.has(entry.id)) return false;
      ids.add(entry.id);
      pending.add(entry);
      draft.outbox.push(entry);
      return true;
    },
  };
}

/** A single entry (a notice): appended unless its id is already pending. */
export function enqueueOne(draft: State, entry: OutboxEntry): boolean {
  if (draft.outbox.some((e) => e.id === entry.id)) return false;
  draft.outbox.push(entry);
  return true;
}
