// What one credential's pass brought back (CredentialOutcome), and which chats it may touch.
// Read by the pass that fills it (read-case.ts, discover.ts, read-attachments.ts) and by the
// transaction that records it (apply.ts); no logic beyond picking chats and subscriptions.
import type { Attachment, Audience, Case, CaseNumber, Comment } from '../domain.js';
import type { ChatState, SubscriptionState } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';

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

/** What the follow rules' search returned this cycle (one page, least recently modified first). */
export interface Discovery {
  /** Open cases modified after the checkpoint (minus a second). */
  cases: readonly Case[];
  /**
   * The newest lastModifiedAt among them (portal time): the next search starts there. Undefined
   * when the page was empty. Never stored when older than the stored checkpoint.
   */
  upTo: string | undefined;
}

/** A case's attachment list, read because the case moved. */
export interface AttachmentsRead {
  files: readonly Attachment[];
  /** The case's lastModifiedAt this read goes with; undefined when only its comments were read. */
  lastModifiedAt: string | undefined;
}

export interface CredentialOutcome {
  credentialId: string;
  /** The credential's runtime `applied` map (read and updated inside the transaction). */
  applied: Map<CaseNumber, number>;
  results: Map<CaseNumber, CaseResult>;
  /** Present when the follow rules' search ran and answered (cycles only). */
  discovery?: Discovery;
  /** Attachment lists read this pass, per case (only cases that moved). */
  attachments: Map<CaseNumber, AttachmentsRead>;
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

/** The chat wants notices of new files (/attachments; absent: on). */
export function wantsAttachments(chat: DeepReadonly<ChatState>): boolean {
  return chat.attachments !== false;
}

/** The chat's audience, as the diff reads it (anything unexpected: associate). */
export function audienceOf(chat: DeepReadonly<ChatState>): Audience {
  return chat.audience === 'customer' || chat.audience === 'both' ? chat.audience : 'associate';
}

/** The chat has follow rules (then its credential's cycles search for matching cases). */
export function hasRules(chat: DeepReadonly<ChatState>): boolean {
  return (chat.rules?.length ?? 0) > 0;
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
