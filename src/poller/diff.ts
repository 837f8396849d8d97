// What changed on a followed case since the chat last heard of it. Pure: no I/O, no clock.
//
// Rules (each one a past bug of bots like this one):
// - a comment is identified by its id, never by its date: several comments between two polls
//   are all new, an edited comment (same id, new text or date) is not new;
// - drafts and non-public comments are never notified, and not marked seen either: if a draft
//   is published later under the same id, it is notified then;
// - a public comment the chat's audience does not want (say, a customer comment in an
//   "associate" chat) is marked seen silently, so widening the audience later (/notify both)
//   does not replay the case's history;
// - comments already pending in the outbox are not new again;
// - a status change, and a case closing, are their own notifications.
import { audienceWants, type Audience, type Case, type Comment } from '../domain.js';
import type { SubscriptionState } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';

export interface DiffInput {
  subscription: Pick<
    DeepReadonly<SubscriptionState>,
    'seen' | 'status' | 'closed' | 'summary' | 'severity' | 'product'
  >;
  kase: Case;
  /** As fetched, in any order; may be empty when the comments were not fetched this time. */
  comments: readonly Comment[];
  audience: Audience;
  /** Ids of this chat's comments on this case still waiting in the outbox. */
  pendingCommentIds: ReadonlySet<string>;
}

/** Subscription fields kept in step with the portal. */
export type SubscriptionPatch = Partial<
  Pick<SubscriptionState, 'summary' | 'status' | 'severity' | 'product' | 'closed'>
>;

export interface SubscriptionDiff {
  /** New comments to notify, oldest first. */
  comments: Comment[];
  /** Public comments the audience does not want: seen without a message. */
  seenSilently: string[];
  /** The status changed (and the case did not just close): notify with the previous status. */
  statusChange: { previous: string } | undefined;
  /** The case closed since the last poll: notify with a closing message. */
  closed: boolean;
  /** Fields to store; empty when nothing changed. */
  patch: SubscriptionPatch;
}

export function diffSubscription(input: DiffInput): SubscriptionDiff {
  const { subscription: sub, kase } = input;
  const seen = new Set(sub.seen);
  const comments: Comment[] = [];
  const seenSilently: string[] = [];
  const taken = new Set<string>();
  for (const c of input.comments) {
    // The same id twice in one answer (pages overlapping) is one comment.
    if (taken.has(c.id)) continue;
    taken.add(c.id);
    if (seen.has(c.id) || input.pendingCommentIds.has(c.id)) continue;
    if (c.isDraft || !c.isPublic) continue;
    if (audienceWants(input.audience, c.authorType)) comments.push(c);
    else seenSilently.push(c.id);
  }
  comments.sort(oldestFirst);

  const closed = kase.closed && !sub.closed;
  // An empty stored status means "not known yet" (a subscription from an older version, or
  // one the bot could not describe): learn it silently.
  const statusChange =
    !closed && sub.status !== '' && kase.status !== sub.status
      ? { previous: sub.status }
      : undefined;

  const patch: SubscriptionPatch = {};
  if (kase.summary !== sub.summary) patch.summary = kase.summary;
  if (kase.status !== sub.status) patch.status = kase.status;
  if (kase.severity !== sub.severity) patch.severity = kase.severity;
  if (kase.product !== sub.product) patch.product = kase.product;
  if (kase.closed !== sub.closed) patch.closed = kase.closed;

  return { comments, seenSilently, statusChange, closed, patch };
}

/** True when applying the diff would change nothing (the quiet cycle's case). */
export function isQuiet(diff: SubscriptionDiff): boolean {
  return (
    diff.comments.length === 0 &&
    diff.seenSilently.length === 0 &&
    diff.statusChange === undefined &&
    !diff.closed &&
    Object.keys(diff.patch).length === 0
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
