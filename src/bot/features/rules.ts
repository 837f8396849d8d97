// /follow, /rules, /unfollow: follow rules. A rule follows every open case the chat's login can
// see that matches it: the ones open now (followed at once, silently) and the ones that appear
// or come to match later (the poller's discovery announces each as a new case).
//
// /follow counts the matches before it saves anything: it pages through the open cases
// (searchCases, 200 a page) and matches them here, so a rule that would flood the chat is
// refused with the count, and nothing is stored for a rule the portal could not check.
import { Composer, type Context } from 'telegraf';
import { laterIso } from '../../lib/iso-time.js';
import type { Case, CaseNumber } from '../../domain.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import type { PortalClient, PortalError } from '../../portal/types.js';
import { casesOfRule } from '../../rules/follow.js';
import {
  RULE_EXAMPLES,
  describeRule,
  parseRule,
  ruleMatches,
  type RuleConditions,
} from '../../rules/rule.js';
import type { BotServices } from '../context.js';
import { caseList } from '../support/case-args.js';
import { requireCredential } from '../support/chat-access.js';
import { readChat } from '../support/chat-state.js';
import { errorForLog } from '../support/errors.js';
import { requireAdmin } from '../support/group-admin.js';
import { searchProblemMessage, tryPortal } from '../support/portal-replies.js';
import { replyHtml } from '../support/reply.js';
import { addRule, samePosition, unfollowRule } from '../support/rule-state.js';

/** /follow reads the open cases this many at a time (the portal's largest page). */
export const FOLLOW_PAGE_SIZE = 200;
/** /follow reads at most this many pages (10,000 open cases), then gives up saving nothing. */
export const FOLLOW_MAX_PAGES = 50;
/**
 * /follow stops counting after this long (ms): telegraf abandons a handler after 90 s, and a
 * slow portal (30 s per call) would otherwise outlive it. Nothing is saved then.
 */
export const FOLLOW_DEADLINE_MS = 60_000;
/** Answers list at most this many case numbers, then "and N more". */
export const LISTED_CASES = 10;

const NARROW_EXAMPLE = RULE_EXAMPLES[4];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

export const RULES_OFF_TEXT =
  '🚫 Follow rules are switched off on this bot (its operator set rules.maxPerChat to 0). /add follows cases one by one.';

export const CANNOT_SEARCH_TEXT = [
  '🔍 Rules need the Red Hat portal’s case search (GraphQL), which this chat’s login cannot use now. Nothing was saved.',
  `The bot operator can see why with <code>check</code> (${code('node dist/main.js check')}).`,
].join('\n');

function noRulesText(s: BotServices): string {
  if (s.config.rules.maxPerChat === 0) return RULES_OFF_TEXT;
  return [
    'This chat has no follow rules. A rule follows every open case that matches it, now and as new ones come:',
    ...RULE_EXAMPLES.map(code),
  ].join('\n');
}

type Search =
  | { kind: 'done'; matches: Case[]; newestChange: string | undefined }
  /** More matches than allowed: `count` so far, or in all (the portal's totalCount). */
  | { kind: 'too-many'; count: number; inAll: boolean }
  /** Out of pages or time before the end; `checked` open cases were read. */
  | { kind: 'too-long'; checked: number }
  | { kind: 'cannot-search' }
  | { kind: 'failed'; error: PortalError };

/** Pages through the open cases, matching them here, until the end or past `max` matches. */
async function searchMatches(
  s: BotServices,
  client: PortalClient,
  rule: RuleConditions,
  max: number,
): Promise<Search> {
  const deadline = s.clock.now() + FOLLOW_DEADLINE_MS;
  const filters =
    rule.severities !== undefined || rule.product !== undefined || rule.group !== undefined;
  // By number: a case changed while we page moves to the end and may come twice.
  const matches = new Map<CaseNumber, Case>();
  let newestChange: string | undefined;
  let checked = 0;
  let after: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= FOLLOW_MAX_PAGES || s.clock.now() >= deadline) return { kind: 'too-long', checked };
    const cursor = after;
    const result = await tryPortal(s.log, 'follow-search', () =>
      client.searchCases({
        openOnly: true,
        first: FOLLOW_PAGE_SIZE,
        ...(cursor !== undefined ? { after: cursor } : {}),
      }),
    );
    if (!result.ok) {
      const { kind } = result.error;
      return kind === 'unsupported' || kind === 'gone'
        ? { kind: 'cannot-search' }
        : { kind: 'failed', error: result.error };
    }
    const found = result.value;
    // Nothing filters here: the portal's own count is the rule's.
    if (!filters && found.totalCount !== undefined && found.totalCount > max) {
      return { kind: 'too-many', count: found.totalCount, inAll: true };
    }
    for (const kase of found.cases) {
      checked++;
      newestChange = laterIso(newestChange, kase.lastModifiedAt);
      if (!ruleMatches(rule, kase)) continue;
      matches.set(kase.number, kase);
      if (matches.size > max) return { kind: 'too-many', count: matches.size, inAll: false };
    }
    if (!found.hasNextPage || found.endCursor === undefined) break;
    after = found.endCursor;
  }
  return { kind: 'done', matches: [...matches.values()], newestChange };
}

function searchRefusal(s: BotServices, search: Exclude<Search, { kind: 'done' }>): string {
  const max = s.config.rules.maxCasesPerRule;
  switch (search.kind) {
    case 'too-many':
      return `✋ That rule matches more than ${max} open cases (${search.count} ${search.inAll ? 'in all' : 'so far'}). Narrow it, for example ${NARROW_EXAMPLE}.`;
    case 'too-long':
      return `⏳ I could not finish counting the cases of that rule (${search.checked} open cases checked). Nothing was saved. Narrow it, for example ${NARROW_EXAMPLE}, or try again later.`;
    case 'cannot-search':
      return CANNOT_SEARCH_TEXT;
    case 'failed':
      return searchProblemMessage(search.error);
  }
}

async function follow(ctx: Context, s: BotServices, payload: string): Promise<void> {
  const maxRules = s.config.rules.maxPerChat;
  if (maxRules === 0) {
    await replyHtml(ctx, RULES_OFF_TEXT);
    return;
  }
  const parsed = parseRule(payload);
  if (!parsed.ok) {
    await replyHtml(ctx, `❓ ${escapeHtml(parsed.error)}`);
    return;
  }
  const access = await requireCredential(ctx, s);
  if (!access) return;
  const { chat, client } = access;
  const credentialId = chat.credentialId;
  if (credentialId === undefined) return;
  if (!client.canSearch()) {
    await replyHtml(ctx, CANNOT_SEARCH_TEXT);
    return;
  }
  const same = samePosition(chat, parsed.rule);
  if (same !== undefined) {
    await replyHtml(ctx, existsText(same, parsed.rule));
    return;
  }
  if ((chat.rules?.length ?? 0) >= maxRules) {
    await replyHtml(ctx, limitText(maxRules));
    return;
  }

  await ctx.sendChatAction('typing').catch((err: unknown) => {
    s.log.debug({ err: errorForLog(err) }, 'sendChatAction failed');
  });
  const search = await searchMatches(s, client, parsed.rule, s.config.rules.maxCasesPerRule);
  if (search.kind !== 'done') {
    await replyHtml(ctx, searchRefusal(s, search));
    return;
  }
  const nowIso = s.nowIso();
  const result = await s.store.update((d) =>
    addRule(
      d,
      chat.id,
      {
        conditions: parsed.rule,
        matches: search.matches,
        newestChange: search.newestChange,
        credentialId,
        maxPerChat: maxRules,
      },
      nowIso,
    ),
  );
  switch (result.kind) {
    case 'exists':
      await replyHtml(ctx, existsText(result.position, parsed.rule));
      return;
    case 'limit':
      await replyHtml(ctx, limitText(maxRules));
      return;
    case 'changed':
      await replyHtml(
        ctx,
        '⚠️ This chat’s Red Hat login changed meanwhile. Nothing was saved: send the command again.',
      );
      return;
    case 'added':
      break;
  }
  s.log.info(
    { chatId: chat.id, rule: result.position, cases: result.following.length },
    'follow rule added',
  );
  const lines = [`✅ Rule ${result.position} saved: ${escapeHtml(describeRule(parsed.rule))}.`];
  if (result.following.length === 0) {
    lines.push('No open case matches it now; I’ll tell you when one does.');
  } else {
    lines.push(
      `It follows ${plural(result.following.length, 'case')} now: ${caseList(result.following, LISTED_CASES)}.`,
      'These are not announced one by one; each new match will be.',
    );
  }
  if (result.excluded > 0) {
    lines.push(
      `${plural(result.excluded, 'matching case')} you removed by hand ${result.excluded === 1 ? 'stays' : 'stay'} out (/add brings ${result.excluded === 1 ? 'it' : 'one'} back).`,
    );
  }
  lines.push(`/rules lists your rules; /unfollow ${result.position} removes this one.`);
  await replyHtml(ctx, lines.join('\n'));
}

function existsText(position: number, rule: RuleConditions): string {
  return `ℹ️ Rule ${position} already says that (${escapeHtml(describeRule(rule))}). /rules lists them.`;
}

function limitText(max: number): string {
  return `✋ This chat has ${plural(max, 'rule')}, the most it may have. Remove one first: /rules shows them, /unfollow N removes one.`;
}

function rulesText(s: BotServices, chatId: number): string {
  const chat = readChat(s.store.read(), chatId);
  const rules = chat?.rules ?? [];
  if (!chat || rules.length === 0) return noRulesText(s);
  const max = s.config.rules.maxCasesPerRule;
  const lines = rules.map((r, i) => {
    const count = casesOfRule(chat, r.id);
    const full = r.limitReachedAt !== undefined && count >= max ? ' ⚠️ full: narrow it' : '';
    return `${i + 1}. ${escapeHtml(describeRule(r))} — follows ${plural(count, 'case')}${full}`;
  });
  return [
    `📏 <b>Follow rules</b> (${rules.length} of ${s.config.rules.maxPerChat})`,
    ...lines,
    '',
    `Remove one: ${code('/unfollow 1')} (the cases only it brought in go with it).`,
  ].join('\n');
}

async function unfollow(ctx: Context, s: BotServices, chatId: number, arg: string): Promise<void> {
  const count = readChat(s.store.read(), chatId)?.rules?.length ?? 0;
  if (count === 0) {
    await replyHtml(ctx, noRulesText(s));
    return;
  }
  const range = count === 1 ? 'the only one is 1' : `use a number from 1 to ${count}`;
  if (!/^\d{1,4}$/.test(arg)) {
    await replyHtml(
      ctx,
      arg === ''
        ? `❓ Which rule? Send its number from /rules, e.g. ${code('/unfollow 1')} (${range}).`
        : `❓ ${code(arg.slice(0, 24))} is not a rule number: ${range} (see /rules).`,
    );
    return;
  }
  const result = await s.store.update((d) => unfollowRule(d, chatId, Number(arg)));
  if (result.kind === 'no-such-rule') {
    await replyHtml(ctx, `❓ There is no rule ${Number(arg)}: ${range} (see /rules).`);
    return;
  }
  s.log.info({ chatId, dropped: result.dropped.length }, 'follow rule removed');
  const lines = [`✅ Removed rule ${Number(arg)}: ${escapeHtml(describeRule(result.rule))}.`];
  if (result.dropped.length > 0) {
    lines.push(
      `Stopped following ${plural(result.dropped.length, 'case')} only it brought in: ${caseList(result.dropped, LISTED_CASES)}.`,
    );
  }
  if (result.kept > 0) {
    lines.push(
      `${plural(result.kept, 'case')} stay${result.kept === 1 ? 's' : ''}: added with /add, or followed by another rule.`,
    );
  }
  if (result.dropped.length === 0 && result.kept === 0) lines.push('It followed no case.');
  if (count > 1) lines.push('The other rules may have new numbers: /rules');
  await replyHtml(ctx, lines.join('\n'));
}

export function rulesFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.command('follow', async (ctx) => {
    if (!(await requireAdmin(ctx, s))) return;
    await follow(ctx, s, ctx.payload);
  });

  // Anyone may read the rules; only admins change them.
  bot.command('rules', async (ctx) => {
    await replyHtml(ctx, rulesText(s, ctx.chat.id));
  });

  bot.command('unfollow', async (ctx) => {
    if (!(await requireAdmin(ctx, s))) return;
    await unfollow(ctx, s, ctx.chat.id, ctx.payload.trim().replace(/^#/, ''));
  });

  return bot;
}
