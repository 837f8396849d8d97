// The "seen" record of a subscription: which comments the chat has had (delivered, seen
// silently, or present when the case was added). A comment is known by its id or by its print
// (comment-identity.ts), because another API may give it another id; and `seenUpTo` bounds what
// a switch of API may resend. Plain functions on drafts, called inside store.update().
import { commentPrint, PRINT_PREFIX, type PrintInput } from '../comment-identity.js';
import type { Comment, IdSpace } from '../domain.js';
import type { SubscriptionState } from './schema.js';
import type { DeepReadonly } from './store.js';

export type SeenComment = PrintInput & Pick<Comment, 'id'> & { idSpace?: IdSpace | undefined };

/** True when `keys` (a seen list, or the pending keys of a chat) holds this comment. */
export function holds(keys: { has(key: string): boolean }, c: SeenComment): boolean {
  return keys.has(c.id) || keys.has(commentPrint(c));
}

/** Adds a comment to the record: its id, its print, and the seen-up-to time. */
export function markSeen(sub: SubscriptionState, c: SeenComment): void {
  if (!sub.seen.includes(c.id)) sub.seen.push(c.id);
  const print = commentPrint(c);
  if (!sub.seen.includes(print)) sub.seen.push(print);
  const at = Date.parse(c.createdAt);
  if (Number.isNaN(at)) return;
  const upTo = sub.seenUpTo !== undefined ? Date.parse(sub.seenUpTo) : Number.NaN;
  if (Number.isNaN(upTo) || at > upTo) sub.seenUpTo = new Date(at).toISOString();
}

/** Merges another record of the same case into `target` (a chat moving to a new id). */
export function mergeSeen(target: SubscriptionState, other: DeepReadonly<SubscriptionState>): void {
  target.seen = [...new Set([...target.seen, ...other.seen])];
  const a = target.seenUpTo !== undefined ? Date.parse(target.seenUpTo) : Number.NaN;
  const b = other.seenUpTo !== undefined ? Date.parse(other.seenUpTo) : Number.NaN;
  if (Number.isNaN(a) || b > a) {
    if (other.seenUpTo !== undefined) target.seenUpTo = other.seenUpTo;
  }
  target.via ??= other.via;
}

/** Comment ids in a seen list (prints left out), e.g. for display or tests. */
export function seenIds(seen: readonly string[]): string[] {
  return seen.filter((k) => !k.startsWith(PRINT_PREFIX));
}
