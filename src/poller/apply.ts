// Pure: a credential's portal results → changes to a store draft (subscriptions, seen, outbox
// entries). needsWrite asks first, on a read-only state, whether a transaction is worth it;
// applyOutcome runs inside store.update(), which must stay synchronous.
import type { Case, CaseNumber, Comment } from '../domain.js';
import {
  caseSnapshot,
  commentSnapshot,
  destinationsOf,
  entryId,
  type Destination,
  type Enqueuer,
  type PendingComments,
} from '../outbox/index.js';
import type { ChatState, OutboxEntry, State, SubscriptionState } from '../store/schema.js';
import { markSeen } from '../store/seen.js';
import type { DeepReadonly } from '../store/store.js';
import { diffSubscription, isQuiet, type SubscriptionDiff } from './diff.js';
import { caseNotVisibleNotice, credentialRejectedNotice } from './notices.js';

export type CaseResult =
  | {
      kind: 'ok';
      /** Absent when this read brought comments only (REST v3 alone reads no case fields). */
      kase: Case | undefined;
      comments: readonly Comment[];
      commentsFetched: boolean;
      /** When (our clock) the read of this case started. */
      readAt: number;
    }
  | { kind: 'not-visible' }
  | { kind: 'failed' };

export interface CredentialOutcome {
  credentialId: string;
  /** The credential's runtime `applied` map (read and updated inside the transaction). */
  applied: Map<CaseNumber, number>;
  results: Map<CaseNumber, CaseResult>;
  /** The portal rejected the credential. */
  rejected: boolean;
  /** The check did not cover every case it meant to (429, auth): `since` must not advance. */
  incomplete: boolean;
}

export function isPollable(
  sub: DeepReadonly<SubscriptionState>,
  keepClosedCases: boolean,
): boolean {
  return sub.notVisibleAt === undefined && (!sub.closed || keepClosedCases);
}

/** Active chats using this credential: the only chats a credential's results may touch. */
export function chatsUsing<C extends DeepReadonly<ChatState>>(
  chats: Readonly<Record<string, C>>,
  credentialId: string,
): C[] {
  return Object.values(chats).filter((c) => c.active && c.credentialId === credentialId);
}

/** Those chats whose subscription to `caseNumber` is polled. */
export function followers<C extends DeepReadonly<ChatState>>(
  chats: readonly C[],
  caseNumber: CaseNumber,
  keepClosedCases: boolean,
): C[] {
  return chats.filter((chat) => {
    const sub = chat.subscriptions[caseNumber];
    return sub !== undefined && isPollable(sub, keepClosedCases);
  });
}

/**
 * The case as the diff should see it: the read itself, or, when a newer read of the case was
 * already applied (a sweep overtaken by a cycle), the subscription's own fields, so that only
 * the read's comments count. Comments are safe to apply from any read: they are new or not by
 * id, and `seen` only grows.
 */
export function effectiveCase(
  applied: ReadonlyMap<CaseNumber, number>,
  sub: DeepReadonly<SubscriptionState>,
  kase: Case | undefined,
): Case | undefined {
  if (kase === undefined) return undefined;
  const newest = applied.get(sub.caseNumber);
  const version = Date.parse(kase.lastModifiedAt);
  if (newest === undefined || Number.isNaN(version) || version >= newest) return kase;
  const { summary, status, severity, product, closed } = sub;
  return { ...kase, summary, status, severity, product, closed };
}

function diffFor(
  pending: PendingComments,
  chat: DeepReadonly<ChatState>,
  sub: DeepReadonly<SubscriptionState>,
  result: Extract<CaseResult, { kind: 'ok' }>,
  applied: ReadonlyMap<CaseNumber, number>,
): SubscriptionDiff {
  return diffSubscription({
    subscription: sub,
    kase: effectiveCase(applied, sub, result.kase),
    comments: result.comments,
    audience:
      chat.audience === 'customer' || chat.audience === 'both' ? chat.audience : 'associate',
    pendingCommentIds: pending.of(chat.id, sub.caseNumber),
  });
}

/** The case as the subscription last stored it, for a read that brought comments only. */
export function storedCase(sub: DeepReadonly<SubscriptionState>): Case {
  return {
    number: sub.caseNumber,
    summary: sub.summary,
    status: sub.status,
    severity: sub.severity,
    product: sub.product,
    closed: sub.closed,
    lastModifiedAt: sub.addedAt,
  };
}

/** Would applying this credential's outcome change the store? (Checked before any update.) */
export function needsWrite(
  state: DeepReadonly<State>,
  o: CredentialOutcome,
  pending: PendingComments,
  keepClosedCases: boolean,
): boolean {
  if (o.rejected) {
    const cred = state.credentials[o.credentialId];
    if (cred && cred.rejectedAt === undefined) return true;
  }
  const chats = chatsUsing(state.chats, o.credentialId);
  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    for (const chat of followers(chats, caseNumber, keepClosedCases)) {
      const sub = chat.subscriptions[caseNumber];
      if (!sub) continue;
      if (result.kind === 'not-visible') return true;
      if (!isQuiet(diffFor(pending, chat, sub, result, o.applied))) return true;
    }
  }
  return false;
}

/** The transaction: applies one credential's outcome to a fresh draft. Returns entries added. */
export function applyOutcome(
  draft: State,
  o: CredentialOutcome,
  context: {
    now: number;
    keepClosedCases: boolean;
    destinations: readonly Destination[];
    /** Built once per transaction, shared by the outcomes it writes. */
    enqueue: Enqueuer;
  },
): number {
  const nowIso = new Date(context.now).toISOString();
  const { pending } = context.enqueue;
  let added = 0;
  const push = (entry: OutboxEntry): void => {
    if (context.enqueue.add(entry)) added++;
  };
  const base = (chatId: number, destination: Destination) =>
    ({ chatId, destination, createdAt: nowIso, attempts: 0 }) as const;
  const canTell = context.destinations.includes('telegram');
  const chats = chatsUsing(draft.chats, o.credentialId);

  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    for (const chat of followers(chats, caseNumber, context.keepClosedCases)) {
      const sub = chat.subscriptions[caseNumber];
      if (!sub) continue;
      if (result.kind === 'not-visible') {
        sub.notVisibleAt = nowIso;
        if (canTell) {
          push({
            ...base(chat.id, 'telegram'),
            id: entryId('telegram', chat.id, caseNumber, `not-visible:${context.now}`),
            kind: 'notice',
            text: caseNotVisibleNotice(caseNumber, sub.summary),
          });
        }
        continue;
      }
      const kase = effectiveCase(o.applied, sub, result.kase);
      const diff = diffFor(pending, chat, sub, result, o.applied);
      if (isQuiet(diff)) continue;
      if (kase !== undefined && kase === result.kase) {
        const version = Date.parse(kase.lastModifiedAt);
        if (!Number.isNaN(version)) o.applied.set(caseNumber, version);
      }
      const snapshot = caseSnapshot(caseNumber, kase ?? storedCase(sub));
      const destinations = destinationsOf(chat, context.destinations);
      for (const comment of diff.comments) {
        for (const d of destinations) {
          push({
            ...base(chat.id, d),
            id: entryId(d, chat.id, caseNumber, comment.id),
            kind: 'comment',
            case: snapshot,
            comment: commentSnapshot(caseNumber, comment),
          });
        }
      }
      for (const comment of diff.seenSilently) markSeen(sub, comment);
      if (diff.statusChange) {
        for (const d of destinations) {
          push({
            ...base(chat.id, d),
            id: entryId(d, chat.id, caseNumber, `status:${context.now}`),
            kind: 'status',
            case: snapshot,
            text: diff.statusChange.previous,
          });
        }
      }
      if (diff.closed) {
        // The subscription ends when this message is delivered (outbox/settle.ts),
        // unless poll.keepClosedCases; meanwhile `closed` stops its polling.
        for (const d of destinations) {
          push({
            ...base(chat.id, d),
            id: entryId(d, chat.id, caseNumber, `closed:${context.now}`),
            kind: 'closed',
            case: snapshot,
          });
        }
      }
      Object.assign(sub, diff.patch);
    }
  }

  if (o.rejected) {
    const cred = draft.credentials[o.credentialId];
    if (cred) {
      cred.rejectedAt ??= nowIso;
      const rejectedAt = Date.parse(cred.rejectedAt);
      for (const chat of chats) {
        // Told once per rejection: a chat told about an earlier rejection hears of a new one.
        const told = chat.credentialRejectedNotifiedAt;
        if (told !== undefined && Date.parse(told) >= rejectedAt) continue;
        chat.credentialRejectedNotifiedAt = nowIso;
        if (canTell) {
          push({
            ...base(chat.id, 'telegram'),
            id: entryId('telegram', chat.id, undefined, `credential-rejected:${context.now}`),
            kind: 'notice',
            text: credentialRejectedNotice(cred.label),
          });
        }
      }
    }
  }
  return added;
}
