// What a rule does to a chat's subscriptions: bring a matching case in (or add itself to the
// rules of a case already followed), and let go of the cases only it brought. Plain functions
// on a store draft, called inside store.update(); the bot (/follow, /unfollow) and the poller
// (discovery each cycle) share them, so a case is followed the same way whoever found it.
import type { Case, CaseNumber } from '../domain.js';
import { laterIso } from '../lib/iso-time.js';
import type { ChatState, RuleState, SubscriptionState } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import { ruleMatches } from './rule.js';

export type FollowResult =
  /** A new subscription: announce it (discovery) or list it (/follow). */
  | 'added'
  /** Already followed: the rule joined its list, nothing to announce. */
  | 'joined'
  /** Followed already with this rule, or the chat removed it by hand (rules leave it alone). */
  | 'unchanged';

/** The ids of the chat's rules this case matches, in /rules order. */
export function matchingRules(
  rules: readonly DeepReadonly<RuleState>[] | undefined,
  kase: Readonly<Case>,
): number[] {
  return (rules ?? []).filter((r) => ruleMatches(r, kase)).map((r) => r.id);
}

/**
 * Follows `kase` for rule `ruleId`. A new subscription starts where the case is now: comments
 * and files the portal had by its last modification are history, not news (`seenUpTo` without
 * `via` makes the first read mark them seen silently, diff.ts).
 */
export function followByRule(
  chat: ChatState,
  kase: Readonly<Case>,
  ruleId: number,
  nowIso: string,
): FollowResult {
  const existing = chat.subscriptions[kase.number];
  if (existing) {
    if (existing.rules?.includes(ruleId)) return 'unchanged';
    existing.rules = [...(existing.rules ?? []), ruleId];
    return 'joined';
  }
  if (chat.excluded?.includes(kase.number)) return 'unchanged';
  const asOf = laterIso(kase.lastModifiedAt, kase.createdAt) ?? kase.lastModifiedAt;
  const sub: SubscriptionState = {
    caseNumber: kase.number,
    addedAt: nowIso,
    seen: [],
    seenUpTo: asOf,
    summary: kase.summary,
    status: kase.status,
    severity: kase.severity,
    product: kase.product,
    closed: kase.closed,
    auto: true,
    rules: [ruleId],
    attachmentsSince: asOf,
    attachmentsReadAt: kase.lastModifiedAt,
  };
  chat.subscriptions[kase.number] = sub;
  return 'added';
}

/** How many of the chat's cases rule `ruleId` brought in. */
export function casesOfRule(chat: DeepReadonly<ChatState>, ruleId: number): number {
  let n = 0;
  for (const sub of Object.values(chat.subscriptions)) if (sub.rules?.includes(ruleId)) n++;
  return n;
}

/**
 * Removes rule `ruleId` from the chat and from its cases; returns the cases that only it had
 * brought in (no /add, no other rule), now unfollowed. The caller drops their queued messages.
 */
export function removeRule(chat: ChatState, ruleId: number): CaseNumber[] {
  chat.rules = (chat.rules ?? []).filter((r) => r.id !== ruleId);
  if (chat.rules.length === 0) delete chat.rules;
  const dropped: CaseNumber[] = [];
  for (const [n, sub] of Object.entries(chat.subscriptions)) {
    if (!sub.rules?.includes(ruleId)) continue;
    sub.rules = sub.rules.filter((id) => id !== ruleId);
    if (sub.rules.length > 0) continue;
    delete sub.rules;
    if (sub.auto) {
      delete chat.subscriptions[n];
      dropped.push(n);
    }
  }
  return dropped;
}

/** The next free rule id of a chat (ids are never reused while a subscription may name them). */
export function nextRuleId(chat: DeepReadonly<ChatState>): number {
  let max = 0;
  for (const r of chat.rules ?? []) max = Math.max(max, r.id);
  for (const sub of Object.values(chat.subscriptions)) {
    for (const id of sub.rules ?? []) max = Math.max(max, id);
  }
  return max + 1;
}
