// Pure: what the follow rules' search (discover.ts) does to a store draft. For each active chat
// with rules using the credential, and each case the search returned (oldest change first), every
// matching rule follows the case (rules/follow.ts followByRule) unless it already holds
// rules.maxCasesPerRule cases; then the chat is told once (rule.limitReachedAt) to narrow it,
// and told again only after the rule dropped under its limit. A case a rule brings in is
// announced once per destination (a "new-case" entry); a case already followed only gains the
// rule. The credential's checkpoint (discoveredUpTo) moves to the newest change returned, never
// back.
//
// planDiscovery decides, on a read-only chat, what applying would do: needsWrite (nothing to
// write when it plans nothing and the checkpoint stays) and the transaction share it.
import { laterIso } from '../lib/iso-time.js';
import type { Case, CaseNumber } from '../domain.js';
import {
  destinationsOf,
  entryId,
  newCaseSnapshot,
  type Destination,
  type Enqueuer,
} from '../outbox/index.js';
import { describeRule } from '../rules/rule.js';
import { followByRule, matchingRules } from '../rules/follow.js';
import type { ChatState, OutboxEntry, RuleState, State } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import { ruleLimitNotice } from './notices.js';
import { chatsUsing, hasRules, type Discovery } from './outcome.js';

export type DiscoveryStep =
  /** The rule is under its limit again: it may be told again when it next reaches it. */
  | { kind: 'clear-limit'; ruleId: number }
  /** The rule matched a case while holding its maximum: tell the chat (once). */
  | { kind: 'limit-reached'; ruleId: number }
  /** The rule follows the case (a new subscription, or the rule joins an existing one). */
  | { kind: 'follow'; kase: Case; ruleId: number };

/** Cases per rule id, in one pass over the chat's subscriptions. */
function casesPerRule(chat: DeepReadonly<ChatState>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const sub of Object.values(chat.subscriptions)) {
    for (const id of sub.rules ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** What applying the search's cases to this chat would do, in order. Pure. */
export function planDiscovery(
  chat: DeepReadonly<ChatState>,
  cases: readonly Case[],
  maxCasesPerRule: number,
): DiscoveryStep[] {
  const rules = chat.rules ?? [];
  const counts = casesPerRule(chat);
  const steps: DiscoveryStep[] = [];
  /** Rules whose chat was told of the limit (and still is at it). */
  const told = new Set<number>();
  for (const rule of rules) {
    if (rule.limitReachedAt === undefined) continue;
    if ((counts.get(rule.id) ?? 0) < maxCasesPerRule) {
      steps.push({ kind: 'clear-limit', ruleId: rule.id });
    } else {
      told.add(rule.id);
    }
  }
  /** Rules each case gains in this plan (a case may come twice in one page: taken once). */
  const gained = new Map<CaseNumber, Set<number>>();
  const excluded = new Set(chat.excluded ?? []);
  for (const kase of cases) {
    const sub = chat.subscriptions[kase.number];
    // Removed by hand (/remove): rules leave it alone, as followByRule does.
    if (sub === undefined && excluded.has(kase.number)) continue;
    const gains = gained.get(kase.number) ?? new Set<number>();
    gained.set(kase.number, gains);
    for (const ruleId of matchingRules(rules, kase)) {
      if (sub?.rules?.includes(ruleId) === true || gains.has(ruleId)) continue;
      const count = counts.get(ruleId) ?? 0;
      if (count >= maxCasesPerRule) {
        if (!told.has(ruleId)) {
          told.add(ruleId);
          steps.push({ kind: 'limit-reached', ruleId });
        }
        continue;
      }
      counts.set(ruleId, count + 1);
      gains.add(ruleId);
      steps.push({ kind: 'follow', kase, ruleId });
    }
  }
  return steps;
}

/** Would the search's answer change the store? (Read-only, before any transaction.) */
export function discoveryNeedsWrite(
  state: DeepReadonly<State>,
  credentialId: string,
  discovery: Discovery,
  maxCasesPerRule: number,
): boolean {
  const stored = state.credentials[credentialId]?.discoveredUpTo;
  if (laterIso(stored, discovery.upTo) !== stored) return true;
  return chatsUsing(state.chats, credentialId)
    .filter(hasRules)
    .some((chat) => planDiscovery(chat, discovery.cases, maxCasesPerRule).length > 0);
}

/** "2 · sev 1,2 · product openshift": the rule as /rules numbers and shows it now. */
function ruleLabel(rules: readonly RuleState[], ruleId: number): string {
  const index = rules.findIndex((r) => r.id === ruleId);
  const rule = rules[index];
  return rule ? `${index + 1} · ${describeRule(rule)}` : String(ruleId);
}

/** The transaction's part: applies the search's answer to a fresh draft. Returns entries added. */
export function applyDiscovery(
  draft: State,
  credentialId: string,
  discovery: Discovery,
  context: {
    now: number;
    maxCasesPerRule: number;
    destinations: readonly Destination[];
    enqueue: Enqueuer;
  },
): number {
  const nowIso = new Date(context.now).toISOString();
  let added = 0;
  const push = (entry: OutboxEntry): void => {
    if (context.enqueue.add(entry)) added++;
  };
  const canTell = context.destinations.includes('telegram');
  const cred = draft.credentials[credentialId];
  if (cred) {
    const upTo = laterIso(cred.discoveredUpTo, discovery.upTo);
    if (upTo !== undefined) cred.discoveredUpTo = upTo;
  }
  for (const chat of chatsUsing(draft.chats, credentialId).filter(hasRules)) {
    const rules = chat.rules ?? [];
    for (const step of planDiscovery(chat, discovery.cases, context.maxCasesPerRule)) {
      const rule = rules.find((r) => r.id === step.ruleId);
      if (!rule) continue;
      if (step.kind === 'clear-limit') {
        delete rule.limitReachedAt;
        continue;
      }
      if (step.kind === 'limit-reached') {
        rule.limitReachedAt = nowIso;
        if (canTell) {
          push({
            ...base(chat, 'telegram', nowIso),
            id: entryId('telegram', chat.id, undefined, `rule-limit:${rule.id}:${context.now}`),
            kind: 'notice',
            text: ruleLimitNotice(
              rules.indexOf(rule) + 1,
              describeRule(rule),
              context.maxCasesPerRule,
            ),
          });
        }
        continue;
      }
      const { kase } = step;
      if (followByRule(chat, kase, rule.id, nowIso) !== 'added') continue;
      const snapshot = newCaseSnapshot(kase.number, kase);
      const label = ruleLabel(rules, rule.id);
      for (const d of destinationsOf(chat, context.destinations)) {
        push({
          ...base(chat, d, nowIso),
          id: entryId(d, chat.id, kase.number, `new-case:${context.now}`),
          kind: 'new-case',
          case: snapshot,
          rule: label,
        });
      }
    }
  }
  return added;
}

function base(chat: ChatState, destination: Destination, nowIso: string) {
  return { chatId: chat.id, destination, createdAt: nowIso, attempts: 0 } as const;
}
