// The bot's changes to the state, as plain functions on a draft (called inside
// store.update(), which must stay synchronous). No I/O, no Telegram, no portal: testable alone.
import {
  AUDIENCES,
  DEFAULT_AUDIENCE,
  type Audience,
  type Case,
  type CaseNumber,
} from '../../domain.js';
import { dropForCases, dropForChat } from '../../outbox/index.js';
import type { ChatState, CredentialState, State, SubscriptionState } from '../../store/schema.js';
import { markSeen, type SeenComment } from '../../store/seen.js';
import type { DeepReadonly } from '../../store/store.js';
import type { ChatTarget } from './pending.js';

export function chatKey(chatId: number): string {
  return String(chatId);
}

export function readChat(
  state: DeepReadonly<State>,
  chatId: number,
): DeepReadonly<ChatState> | undefined {
  return state.chats[chatKey(chatId)];
}

export function audienceOf(chat: { audience: string } | undefined): Audience {
  const value = chat?.audience;
  return AUDIENCES.find((a) => a === value) ?? DEFAULT_AUDIENCE;
}

export function ensureChat(draft: State, target: ChatTarget, nowIso: string): ChatState {
  const key = chatKey(target.id);
  const existing = draft.chats[key];
  if (existing) {
    if (target.title !== undefined) existing.title = target.title;
    if (target.forum !== undefined) applyForum(existing, target.forum);
    return existing;
  }
  const chat: ChatState = {
    id: target.id,
    type: target.type,
    ...(target.title !== undefined ? { title: target.title } : {}),
    active: true,
    audience: DEFAULT_AUDIENCE,
    subscriptions: {},
    createdAt: nowIso,
    ...(target.forum === true ? { forum: true as const } : {}),
  };
  draft.chats[key] = chat;
  return chat;
}

/**
 * Records whether the chat is a forum (Telegram's is_forum); true when that changed. A forum
 * that newly appears clears topicsRefusedAt: the admins who turned topics on may also have
 * granted the right to manage them, so the notifier tries creating topics again.
 */
export function applyForum(chat: ChatState, isForum: boolean): boolean {
  if (isForum === (chat.forum === true)) return false;
  if (isForum) {
    chat.forum = true;
    delete chat.topicsRefusedAt;
  } else {
    delete chat.forum;
  }
  return true;
}

/** The forum flag of a stored chat; false when the chat is not stored or nothing changed. */
export function recordForum(draft: State, chatId: number, isForum: boolean): boolean {
  const chat = draft.chats[chatKey(chatId)];
  return chat !== undefined && applyForum(chat, isForum);
}

/** Deletes a credential record no chat points at any more. */
export function deleteCredentialIfUnused(draft: State, credentialId: string | undefined): boolean {
  if (credentialId === undefined) return false;
  const used = Object.values(draft.chats).some((c) => c.credentialId === credentialId);
  if (used) return false;
  return delete draft.credentials[credentialId];
}

/**
 * Stores a credential that passed the portal check and points the chat at it. The same
 * credential entered twice (same id) is one record; a re-entered credential is no longer
 * "rejected".
 */
export function linkCredential(
  draft: State,
  target: ChatTarget,
  sealed: CredentialState,
  nowIso: string,
): void {
  const chat = ensureChat(draft, target, nowIso);
  const previous = chat.credentialId;
  const existing = draft.credentials[sealed.id];
  if (existing) {
    const { rejectedAt: _rejected, ...kept } = existing;
    draft.credentials[sealed.id] = {
      ...kept,
      secret: sealed.secret,
      label: sealed.label,
      ...(sealed.account !== undefined ? { account: sealed.account } : {}),
    };
  } else {
    draft.credentials[sealed.id] = sealed;
  }
  chat.credentialId = sealed.id;
  delete chat.credentialRejectedNotifiedAt;
  if (previous !== sealed.id) {
    // Another account may see the cases the old one could not: let polling try them again.
    for (const sub of Object.values(chat.subscriptions)) delete sub.notVisibleAt;
    deleteCredentialIfUnused(draft, previous);
  }
}

export interface NewSubscription {
  kase: Case;
  /** Comments already on the case (drafts left out): never announced as new. */
  seenComments: readonly SeenComment[];
}

/**
 * Adds subscriptions; returns the numbers actually added (a concurrent /add may have won).
 * Files attached from now on are announced (attachmentsSince); the case's current state is
 * the starting point of the attachment reads (attachmentsReadAt). A case the chat had removed
 * while it had rules is no longer excluded: the user wants it again.
 */
export function addSubscriptions(
  draft: State,
  chatId: number,
  items: readonly NewSubscription[],
  nowIso: string,
): CaseNumber[] {
  const chat = draft.chats[chatKey(chatId)];
  if (!chat) return [];
  const added: CaseNumber[] = [];
  for (const { kase, seenComments } of items) {
    if (chat.subscriptions[kase.number]) continue;
    const via = seenComments[0]?.idSpace ?? (seenComments.length > 0 ? 'v1' : undefined);
    const sub: SubscriptionState = {
      caseNumber: kase.number,
      addedAt: nowIso,
      seen: [],
      ...(via !== undefined ? { via } : {}),
      summary: kase.summary,
      status: kase.status,
      severity: kase.severity,
      product: kase.product,
      closed: kase.closed,
      attachmentsSince: nowIso,
      attachmentsReadAt: kase.lastModifiedAt,
    };
    for (const c of seenComments) markSeen(sub, c);
    chat.subscriptions[kase.number] = sub;
    added.push(kase.number);
  }
  unexclude(chat, added);
  return added;
}

/**
 * /add of cases a rule brought in: they become the chat's own (no longer `auto`), so removing
 * the rule keeps them. Returns the numbers that changed.
 */
export function adoptSubscriptions(
  draft: State,
  chatId: number,
  numbers: readonly CaseNumber[],
): CaseNumber[] {
  const chat = draft.chats[chatKey(chatId)];
  if (!chat) return [];
  const adopted: CaseNumber[] = [];
  for (const n of numbers) {
    const sub = chat.subscriptions[n];
    if (!sub?.auto) continue;
    delete sub.auto;
    adopted.push(n);
  }
  unexclude(chat, numbers);
  return adopted;
}

function unexclude(chat: ChatState, numbers: readonly CaseNumber[]): void {
  if (!chat.excluded || numbers.length === 0) return;
  const drop = new Set(numbers);
  chat.excluded = chat.excluded.filter((n) => !drop.has(n));
  if (chat.excluded.length === 0) delete chat.excluded;
}

/**
 * A chat remembers at most this many cases it removed by hand (the oldest go first): enough
 * for years of /remove, and db.json stays small whatever a chat does.
 */
export const MAX_EXCLUDED_CASES = 1000;

/**
 * /remove in a chat with follow rules: the removed cases go on chat.excluded, so no rule brings
 * them back (until /add). True when the chat has rules (the reply then says so).
 */
export function excludeFromRules(
  draft: State,
  chatId: number,
  numbers: readonly CaseNumber[],
): boolean {
  const chat = draft.chats[chatKey(chatId)];
  if (!chat?.rules || chat.rules.length === 0) return false;
  if (numbers.length === 0) return true;
  const kept = (chat.excluded ?? []).filter((n) => !numbers.includes(n));
  chat.excluded = [...kept, ...numbers].slice(-MAX_EXCLUDED_CASES);
  return true;
}

/**
 * Removes subscriptions and the messages still queued for them (the user said stop).
 * Returns the removed subscriptions; numbers not followed are simply absent.
 */
export function removeSubscriptions(
  draft: State,
  chatId: number,
  numbers: readonly CaseNumber[],
): SubscriptionState[] {
  const chat = draft.chats[chatKey(chatId)];
  if (!chat) return [];
  const removed: SubscriptionState[] = [];
  for (const n of numbers) {
    const sub = chat.subscriptions[n];
    if (!sub) continue;
    removed.push(sub);
    delete chat.subscriptions[n];
  }
  dropForCases(draft, chatId, new Set(removed.map((s) => s.caseNumber)));
  return removed;
}

export function setAudience(
  draft: State,
  target: ChatTarget,
  audience: Audience,
  nowIso: string,
): void {
  ensureChat(draft, target, nowIso).audience = audience;
}

/** undefined = back to the configured default (notify.maxCommentChars). */
export function setMaxCommentChars(
  draft: State,
  target: ChatTarget,
  chars: number | undefined,
  nowIso: string,
): void {
  const chat = ensureChat(draft, target, nowIso);
  if (chars === undefined) delete chat.maxCommentChars;
  else chat.maxCommentChars = chars;
}

export interface ForgetResult {
  existed: boolean;
  subscriptions: number;
  outboxEntries: number;
  credentialDeleted: boolean;
}

/**
 * /forget: the chat's record (credential link, subscriptions, settings) and its queued messages
 * go; the credential record goes too unless another chat still uses it.
 */
export function forgetChat(draft: State, chatId: number): ForgetResult {
  const key = chatKey(chatId);
  const chat = draft.chats[key];
  const outboxEntries = dropForChat(draft, chatId);
  if (!chat) return { existed: false, subscriptions: 0, outboxEntries, credentialDeleted: false };
  delete draft.chats[key];
  return {
    existed: true,
    subscriptions: Object.keys(chat.subscriptions).length,
    outboxEntries,
    credentialDeleted: deleteCredentialIfUnused(draft, chat.credentialId),
  };
}

/** Marks a chat that had blocked the bot as reachable again; true when it was inactive. */
export function reactivateChat(draft: State, chatId: number): boolean {
  const chat = draft.chats[chatKey(chatId)];
  if (!chat || chat.active) return false;
  chat.active = true;
  delete chat.inactiveSince;
  return true;
}
