// Pure: a credential's portal results → changes to a store draft (subscriptions, seen, outbox
// entries): comments, status, severity and closing here; new files (apply-attachments.ts) and
// what the follow rules found (apply-discovery.ts) beside them. needsWrite asks first, on a
// read-only state, whether a transaction is worth it; applyOutcome runs inside store.update(),
// which must stay synchronous.
import type { Case, CaseNumber } from '../domain.js';
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
import { applyAttachmentChange, attachmentChange } from './apply-attachments.js';
import { applyDiscovery, discoveryNeedsWrite } from './apply-discovery.js';
import { diffSubscription, isQuiet, type SubscriptionDiff } from './diff.js';
import { caseNotVisibleNotice, credentialRejectedNotice } from './notices.js';
import {
  audienceOf,
  chatsUsing,
  followers,
  storedCase,
  type CaseResult,
  type CredentialOutcome,
} from './outcome.js';

export type { CaseResult, CredentialOutcome } from './outcome.js';

/** What needsWrite and applyOutcome need to know besides the outcome. */
export interface ApplySettings {
  keepClosedCases: boolean;
  /** config rules.maxCasesPerRule. */
  maxCasesPerRule: number;
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
    audience: audienceOf(chat),
    pendingCommentIds: pending.of(chat.id, sub.caseNumber),
  });
}

/** Would applying this credential's outcome change the store? (Checked before any update.) */
export function needsWrite(
  state: DeepReadonly<State>,
  o: CredentialOutcome,
  pending: PendingComments,
  settings: ApplySettings,
): boolean {
  if (o.rejected) {
    const cred = state.credentials[o.credentialId];
    if (cred && cred.rejectedAt === undefined) return true;
  }
  const chats = chatsUsing(state.chats, o.credentialId);
  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    for (const chat of followers(chats, caseNumber, settings.keepClosedCases)) {
      const sub = chat.subscriptions[caseNumber];
      if (!sub) continue;
      if (result.kind === 'not-visible') return true;
      if (!isQuiet(diffFor(pending, chat, sub, result, o.applied))) return true;
      const files = o.attachments.get(caseNumber);
      if (attachmentChange(chat, sub, result.kase, files) !== undefined) return true;
    }
  }
  return (
    o.discovery !== undefined &&
    discoveryNeedsWrite(state, o.credentialId, o.discovery, settings.maxCasesPerRule)
  );
}

type Push = (entry: OutboxEntry) => void;

/** One chat's diff of a case that changed: its entries, and the subscription kept in step. */
function applyDiff(
  chat: ChatState,
  sub: SubscriptionState,
  kase: Case | undefined,
  diff: SubscriptionDiff,
  context: { now: number; destinations: readonly Destination[]; push: Push },
): void {
  const { now, push } = context;
  const caseNumber = sub.caseNumber;
  const base = (d: Destination) =>
    ({
      chatId: chat.id,
      destination: d,
      createdAt: new Date(now).toISOString(),
      attempts: 0,
    }) as const;
  const snapshot = caseSnapshot(caseNumber, kase ?? storedCase(sub));
  const destinations = destinationsOf(chat, context.destinations);
  for (const comment of diff.comments) {
    for (const d of destinations) {
      push({
        ...base(d),
        id: entryId(d, chat.id, caseNumber, comment.id),
        kind: 'comment',
        case: snapshot,
        comment: commentSnapshot(caseNumber, comment),
      });
    }
  }
  for (const comment of diff.seenSilently) markSeen(sub, comment);
  // Status and severity messages say what it was before; the snapshot says what it is now.
  const changes = [
    ['status', diff.statusChange],
    ['severity', diff.severityChange],
  ] as const;
  for (const [kind, change] of changes) {
    if (!change) continue;
    for (const d of destinations) {
      push({
        ...base(d),
        id: entryId(d, chat.id, caseNumber, `${kind}:${now}`),
        kind,
        case: snapshot,
        text: change.previous,
      });
    }
  }
  if (diff.closed) {
    // The subscription ends when this message is delivered (outbox/settle.ts),
    // unless poll.keepClosedCases; meanwhile `closed` stops its polling.
    for (const d of destinations) {
      push({
        ...base(d),
        id: entryId(d, chat.id, caseNumber, `closed:${now}`),
        kind: 'closed',
        case: snapshot,
      });
    }
  }
  Object.assign(sub, diff.patch);
}

/** The transaction: applies one credential's outcome to a fresh draft. Returns entries added. */
export function applyOutcome(
  draft: State,
  o: CredentialOutcome,
  context: ApplySettings & {
    now: number;
    destinations: readonly Destination[];
    /** Built once per transaction, shared by the outcomes it writes. */
    enqueue: Enqueuer;
  },
): number {
  const { now, enqueue, destinations } = context;
  const nowIso = new Date(now).toISOString();
  let added = 0;
  const push: Push = (entry) => {
    if (enqueue.add(entry)) added++;
  };
  const notice = (chatId: number, caseNumber: CaseNumber | undefined, event: string) =>
    ({
      chatId,
      destination: 'telegram',
      createdAt: nowIso,
      attempts: 0,
      id: entryId('telegram', chatId, caseNumber, `${event}:${now}`),
      kind: 'notice',
    }) as const;
  const canTell = destinations.includes('telegram');
  const chats = chatsUsing(draft.chats, o.credentialId);

  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    // Taken before any change: a case closing in this read still gets its files announced.
    for (const chat of followers(chats, caseNumber, context.keepClosedCases)) {
      const sub = chat.subscriptions[caseNumber];
      if (!sub) continue;
      if (result.kind === 'not-visible') {
        sub.notVisibleAt = nowIso;
        if (canTell) {
          push({
            ...notice(chat.id, caseNumber, 'not-visible'),
            text: caseNotVisibleNotice(caseNumber, sub.summary),
          });
        }
        continue;
      }
      const kase = effectiveCase(o.applied, sub, result.kase);
      const files = attachmentChange(chat, sub, result.kase, o.attachments.get(caseNumber));
      const diff = diffFor(enqueue.pending, chat, sub, result, o.applied);
      if (!isQuiet(diff)) {
        if (kase !== undefined && kase === result.kase) {
          const version = Date.parse(kase.lastModifiedAt);
          if (!Number.isNaN(version)) o.applied.set(caseNumber, version);
        }
        applyDiff(chat, sub, kase, diff, { now, destinations, push });
      }
      if (files) added += applyAttachmentChange(chat, sub, kase, files, context);
    }
  }

  if (o.discovery !== undefined) {
    added += applyDiscovery(draft, o.credentialId, o.discovery, context);
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
            ...notice(chat.id, undefined, 'credential-rejected'),
            text: credentialRejectedNotice(cred.label),
          });
        }
      }
    }
  }
  return added;
}
