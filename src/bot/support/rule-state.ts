// The bot's side of follow rules on a store draft: save a rule with the cases it matches now
// (/follow), remove one by its /rules number (/unfollow), and the numbers /rules and /list show.
// The moves on subscriptions themselves are rules/follow.ts, shared with the poller's discovery.
import type { Case, CaseNumber } from '../../domain.js';
import { laterIso } from '../../lib/iso-time.js';
import { dropForCases } from '../../outbox/index.js';
import { casesOfRule, followByRule, nextRuleId, removeRule } from '../../rules/follow.js';
import { sameRule, type RuleConditions } from '../../rules/rule.js';
import type { ChatState, RuleState, State } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import { chatKey } from './chat-state.js';

/** Rule id → its number in /rules (1-based position), which is what users see. */
export function rulePositions(chat: DeepReadonly<ChatState> | undefined): Map<number, number> {
  return new Map((chat?.rules ?? []).map((r, i) => [r.id, i + 1]));
}

/** The /rules number of an existing rule with the same conditions, if any. */
export function samePosition(
  chat: DeepReadonly<ChatState> | undefined,
  rule: RuleConditions,
): number | undefined {
  const i = (chat?.rules ?? []).findIndex((r) => sameRule(r, rule));
  return i >= 0 ? i + 1 : undefined;
}

/** True when some chat using the credential has a rule: its discovery is under way. */
function credentialHasRules(draft: State, credentialId: string): boolean {
  return Object.values(draft.chats).some(
    (c) => c.credentialId === credentialId && (c.rules?.length ?? 0) > 0,
  );
}

export interface NewRule {
  conditions: RuleConditions;
  /** The open cases that match it now, as the search saw them. */
  matches: readonly Case[];
  /** The newest lastModifiedAt of every case the search returned (matching or not). */
  newestChange: string | undefined;
  /** The credential the search ran with: the chat must still use it. */
  credentialId: string;
  maxPerChat: number;
}

export type AddRuleResult =
  | {
      kind: 'added';
      /** The rule's /rules number. */
      position: number;
      /** The cases it follows now (new and already followed), sorted. */
      following: CaseNumber[];
      /** Matching cases left alone because the chat removed them by hand. */
      excluded: number;
    }
  | { kind: 'exists'; position: number }
  | { kind: 'limit' }
  /** The chat is gone or uses another credential since the search. */
  | { kind: 'changed' };

/**
 * Saves the rule and follows every case it matches now, silently (followByRule: nothing is
 * announced, the cases start where they are). The limits are checked again here: the search
 * ran outside the transaction.
 *
 * The credential's discovery checkpoint moves to the newest change the search saw only when no
 * rule used the credential before: then nothing is waiting to be discovered. With other rules,
 * cases changed since the poller's last search still have to reach them, and an older
 * checkpoint only makes the next search re-read cases (followByRule leaves them unchanged).
 */
export function addRule(
  draft: State,
  chatId: number,
  rule: NewRule,
  nowIso: string,
): AddRuleResult {
  const chat = draft.chats[chatKey(chatId)];
  const credential = draft.credentials[rule.credentialId];
  if (!chat || chat.credentialId !== rule.credentialId || !credential) return { kind: 'changed' };
  const same = samePosition(chat, rule.conditions);
  if (same !== undefined) return { kind: 'exists', position: same };
  if ((chat.rules?.length ?? 0) >= rule.maxPerChat) return { kind: 'limit' };

  if (!credentialHasRules(draft, rule.credentialId)) {
    const upTo = laterIso(credential.discoveredUpTo, rule.newestChange);
    if (upTo !== undefined) credential.discoveredUpTo = upTo;
  }
  const stored: RuleState = {
    id: nextRuleId(chat),
    ...(rule.conditions.severities ? { severities: [...rule.conditions.severities] } : {}),
    ...(rule.conditions.product ? { product: [...rule.conditions.product] } : {}),
    ...(rule.conditions.group ? { group: [...rule.conditions.group] } : {}),
    createdAt: nowIso,
  };
  chat.rules = [...(chat.rules ?? []), stored];
  let excluded = 0;
  for (const kase of rule.matches) {
    if (
      followByRule(chat, kase, stored.id, nowIso) === 'unchanged' &&
      !chat.subscriptions[kase.number]
    ) {
      excluded++;
    }
  }
  const following = Object.values(chat.subscriptions)
    .filter((sub) => sub.rules?.includes(stored.id))
    .map((sub) => sub.caseNumber)
    .sort();
  return { kind: 'added', position: chat.rules.length, following, excluded };
}

export type UnfollowResult =
  | {
      kind: 'removed';
      rule: RuleState;
      /** Cases only this rule had brought in: no longer followed. */
      dropped: CaseNumber[];
      /** Cases it followed that stay (added by hand, or another rule follows them). */
      kept: number;
    }
  /** No rule has that number; `count` rules exist. */
  | { kind: 'no-such-rule'; count: number };

/** /unfollow N: removes rule number N and the cases only it brought; drops their messages. */
export function unfollowRule(draft: State, chatId: number, position: number): UnfollowResult {
  const chat = draft.chats[chatKey(chatId)];
  const rules = chat?.rules ?? [];
  const rule = rules[position - 1];
  if (!chat || !rule || position < 1) return { kind: 'no-such-rule', count: rules.length };
  const before = casesOfRule(chat, rule.id);
  const dropped = removeRule(chat, rule.id).sort();
  dropForCases(draft, chatId, new Set(dropped));
  return { kind: 'removed', rule, dropped, kept: before - dropped.length };
}
