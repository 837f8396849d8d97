// What changed on a followed case since the chat last heard of it. Pure: no I/O, no clock.
//
// Rules (each one a past bug of bots like this one):
// - a comment is identified by its id, never by its date: several comments between two polls
//   are all new, an edited comment (same id, new text or date) is not new; and by its print
//   (case, creation second, author, text), because another API gives it another id;
// - a read through another id space (a path or API switch) sends nothing created at or before
//   the subscription's seenUpTo: those comments were handled under their old ids;
// - drafts and non-public comments are never notified, and not marked seen either: if a draft
//   is published later under the same id, it is notified then;
// - a public comment the chat's audience does not want (say, a customer comment in an
//   "associate" chat) is marked seen silently, so widening the audience later (/notify both)
//   does not replay the case's history;
// - comments already pending in the outbox are not new again;
// - a status change, a change of severity level, and a case closing, are their own
//   notifications; a case that closes says only that (no status or severity message with it).
import {
  audienceWants,
  severityLevel,
  type Audience,
  type Case,
  type Comment,
  type IdSpace,
} from '../domain.js';
import type { SubscriptionState } from '../store/schema.js';
import { holds } from '../store/seen.js';
import type { DeepReadonly } from '../store/store.js';

export interface DiffInput {
  subscription: Pick<
    DeepReadonly<SubscriptionState>,
    'seen' | 'status' | 'closed' | 'summary' | 'severity' | 'product' | 'seenUpTo' | 'via'
  >;
  /** The case's fields as read now; absent when this read brought comments only. */
  kase: Case | undefined;
  /** As fetched, in any order; may be empty when the comments were not fetched this time. */
  comments: readonly Comment[];
  audience: Audience;
  /** Ids and prints of this chat's comments on this case still waiting in the outbox. */
  pendingCommentIds: ReadonlySet<string>;
}

/** Subscription fields kept in step with the portal. */
export type SubscriptionPatch = Partial<
  Pick<SubscriptionState, 'summary' | 'status' | 'severity' | 'product' | 'closed' | 'via'>
>;

export interface SubscriptionDiff {
  /** New comments to notify, oldest first. */
  comments: Comment[];
  /**
   * Public comments seen without a message: the audience does not want them, or a switch of
   * id space brought back comments already handled under other ids.
   */
  seenSilently: Comment[];
  /** The status changed (and the case did not just close): notify with the previous status. */
  statusChange: { previous: string } | undefined;
  /**
   * The severity level changed (both levels known, the case did not just close): notify with
   * the previous severity. A new wording of the same level ("2" → "2 (High)") is only stored.
   */
  severityChange: { previous: string } | undefined;
  /** The case closed since the last poll: notify with a closing message. */
  closed: boolean;
  /** Fields to store; empty when nothing changed. */
  patch: SubscriptionPatch;
}

export function diffSubscription(input: DiffInput): SubscriptionDiff {
  const { subscription: sub, kase } = input;
  const seen = new Set(sub.seen);
  const comments: Comment[] = [];
  const seenSilently: Comment[] = [];
  const taken = new Set<string>();
  const upTo = sub.seenUpTo !== undefined ? Date.parse(sub.seenUpTo) : Number.NaN;
  let space: IdSpace | undefined;
  for (const c of input.comments) {
    // The same id twice in one answer (pages overlapping) is one comment.
    if (taken.has(c.id)) continue;
    taken.add(c.id);
    space = c.idSpace ?? 'v1';
    if (holds(seen, c) || holds(input.pendingCommentIds, c)) continue;
    if (c.isDraft || !c.isPublic) continue;
    // Internal notes and unclassified authors: never delivered, and (like drafts) not marked
    // seen, so a later reclassification by the portal is not lost.
    if (c.authorType !== 'associate' && c.authorType !== 'customer') continue;
    const handledElsewhere = space !== sub.via && Date.parse(c.createdAt) <= upTo;
    if (!handledElsewhere && audienceWants(input.audience, c.authorType)) comments.push(c);
    else seenSilently.push(c);
  }
  comments.sort(oldestFirst);

  const patch: SubscriptionPatch = {};
  if (space !== undefined && space !== sub.via) patch.via = space;
  if (kase === undefined) {
    return {
      comments,
      seenSilently,
      statusChange: undefined,
      severityChange: undefined,
      closed: false,
      patch,
    };
  }
  const closed = kase.closed && !sub.closed;
  // An empty stored status means "not known yet" (a subscription from an older version, or
  // one the bot could not describe): learn it silently.
  const statusChange =
    !closed && sub.status !== '' && kase.status !== sub.status
      ? { previous: sub.status }
      : undefined;
  // Likewise an empty stored severity; and a severity neither reading can place is only stored.
  const before = sub.severity !== '' ? severityLevel(sub.severity) : undefined;
  const after = severityLevel(kase.severity);
  const severityChange =
    !closed && before !== undefined && after !== undefined && before !== after
      ? { previous: sub.severity }
      : undefined;

  if (kase.summary !== sub.summary) patch.summary = kase.summary;
  if (kase.status !== sub.status) patch.status = kase.status;
  if (kase.severity !== sub.severity) patch.severity = kase.severity;
  if (kase.product !== sub.product) patch.product = kase.product;
  if (kase.closed !== sub.closed) patch.closed = kase.closed;

  return { comments, seenSilently, statusChange, severityChange, closed, patch };
}

/**
 * True when applying the diff would change nothing that matters (the quiet cycle's case). A
 * new `via` alone is not worth a write: it is recorded with the next real change, and until
 * then the comments of the new id space are still recognised by their prints.
 */
export function isQuiet(diff: SubscriptionDiff): boolean {
  return (
    diff.comments.length === 0 &&
    diff.seenSilently.length === 0 &&
    diff.statusChange === undefined &&
    diff.severityChange === undefined &&
    !diff.closed &&
    Object.keys(diff.patch).every((key) => key === 'via')
  );
}

/** By creation time, then by id so the order is stable; an unreadable date sorts last. */
export function oldestFirst(a: Comment, b: Comment): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  const ka = Number.isNaN(ta) ? Number.POSITIVE_INFINITY : ta;
  const kb = Number.isNaN(tb) ? Number.POSITIVE_INFINITY : tb;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
