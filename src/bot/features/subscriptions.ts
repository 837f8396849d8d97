// /add, /remove, /list and the "remove" button: what a chat follows.
//
// /add checks each case with the chat's own credential (getCase + listComments) before
// following it, marks the comments already there as seen (so nothing old is announced), and
// shows the latest wanted comment once as context: never a flood of history.
//
// With follow rules (features/rules.ts): /add of a case a rule brought in makes it the chat's
// own (removing the rule keeps it); /remove in a chat with rules also keeps the rules from
// bringing the case back (chat.excluded), until /add.
import { Composer, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import type { InlineKeyboardButton } from 'telegraf/types';
import { CASE_NUMBER_PATTERN, type Case, type CaseNumber, type Comment } from '../../domain.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import type { BotServices } from '../context.js';
import { CALLBACK_PATTERNS } from '../support/callback-data.js';
import { LIST_PAGE_SIZE, latestButton, removeButton } from '../support/case-buttons.js';
import {
  MAX_CASES_PER_COMMAND,
  isEmpty,
  parseCaseArgs,
  type CaseArgs,
} from '../support/case-args.js';
import {
  commentMessage,
  latestWanted,
  requireCredential,
  type ChatAccess,
} from '../support/chat-access.js';
import {
  addSubscriptions,
  adoptSubscriptions,
  excludeFromRules,
  readChat,
  removeSubscriptions,
  type NewSubscription,
} from '../support/chat-state.js';
import { commandOf } from '../support/commands.js';
import { requireAdmin } from '../support/group-admin.js';
import { inputKey } from '../support/pending.js';
import { caseProblem, tryPortal } from '../support/portal-replies.js';
import { replyHtml, replyLines, replyOutgoing } from '../support/reply.js';
import { rulePositions } from '../support/rule-state.js';

/** At most this many "latest comment" context messages after one /add. */
export const MAX_CONTEXT_MESSAGES = 3;
/**
 * Stop checking further cases after this long (ms): telegraf abandons a handler after 90 s and
 * a slow portal (30 s per call) would otherwise outlive it. The rest are reported unchecked.
 */
export const ADD_DEADLINE_MS = 60_000;
const MAX_SUMMARY_CHARS = 90;
const MAX_FIELD_CHARS = 40;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

type AddOutcome =
  | { status: 'added'; kase: Case; comments: Comment[] }
  | { status: 'already'; caseNumber: CaseNumber }
  /** Followed through a rule only: /add makes it the chat's own. */
  | { status: 'adopt'; caseNumber: CaseNumber }
  | { status: 'problem'; caseNumber: CaseNumber; reason: string }
  | { status: 'unchecked'; caseNumber: CaseNumber };

/** Checks each case with the portal; stops early on a problem that would repeat for all. */
async function checkCases(
  s: BotServices,
  access: ChatAccess,
  numbers: readonly CaseNumber[],
): Promise<AddOutcome[]> {
  const deadline = s.clock.now() + ADD_DEADLINE_MS;
  const outcomes: AddOutcome[] = [];
  let stop = false;
  for (const n of numbers) {
    if (stop || s.clock.now() >= deadline) {
      outcomes.push({ status: 'unchecked', caseNumber: n });
      continue;
    }
    const followed = access.chat.subscriptions[n];
    if (followed) {
      outcomes.push({ status: followed.auto ? 'adopt' : 'already', caseNumber: n });
      continue;
    }
    const result = await tryPortal(s.log, 'add-case', async () => {
      const kase = await access.client.getCase(n);
      const comments = await access.client.listComments(n);
      return { kase, comments };
    });
    if (!result.ok) {
      outcomes.push({ status: 'problem', caseNumber: n, reason: caseProblem(result.error) });
      // A rejected login or an unreachable portal fails every other case the same way.
      stop = result.error.kind !== 'not-visible' && result.error.kind !== 'bad-payload';
      continue;
    }
    // The portal's own spelling of the number wins (it is what polling will see).
    const portalNumber = result.value.kase.number;
    const kase = {
      ...result.value.kase,
      number: CASE_NUMBER_PATTERN.test(portalNumber) ? portalNumber : n,
    };
    if (access.chat.subscriptions[kase.number]) {
      outcomes.push({ status: 'already', caseNumber: kase.number });
      continue;
    }
    outcomes.push({ status: 'added', kase, comments: result.value.comments });
  }
  return outcomes;
}

function invalidLines(args: CaseArgs): string[] {
  return args.invalid.map(
    (raw) => `❓ <code>${escapeHtml(raw)}</code> is not a case number (digits, e.g. 01234567)`,
  );
}

async function addCases(
  ctx: Context,
  s: BotServices,
  access: ChatAccess,
  args: CaseArgs,
): Promise<void> {
  const chatId = access.chat.id;
  const outcomes = await checkCases(s, access, args.valid);
  const nowIso = s.nowIso();
  const items: NewSubscription[] = outcomes.flatMap((o) =>
    o.status === 'added'
      ? [{ kase: o.kase, seenComments: o.comments.filter((c) => !c.isDraft) }]
      : [],
  );
  const adopt = outcomes.flatMap((o) => (o.status === 'adopt' ? [o.caseNumber] : []));
  const { added, adopted } =
    items.length > 0 || adopt.length > 0
      ? await s.store.update((d) => ({
          added: new Set(addSubscriptions(d, chatId, items, nowIso)),
          adopted: new Set(adoptSubscriptions(d, chatId, adopt)),
        }))
      : { added: new Set<CaseNumber>(), adopted: new Set<CaseNumber>() };

  const lines: string[] = [];
  for (const o of outcomes) {
    switch (o.status) {
      case 'added':
        lines.push(
          added.has(o.kase.number)
            ? `✅ <b>${escapeHtml(o.kase.number)}</b> added: ${escapeHtml(cut(o.kase.summary, MAX_SUMMARY_CHARS))}${o.kase.closed ? ' (closed)' : ''}`
            : `ℹ️ <b>${escapeHtml(o.kase.number)}</b> already followed`,
        );
        break;
      case 'already':
        lines.push(`ℹ️ <b>${escapeHtml(o.caseNumber)}</b> already followed`);
        break;
      case 'adopt':
        lines.push(
          adopted.has(o.caseNumber)
            ? `✅ <b>${escapeHtml(o.caseNumber)}</b> was followed through a rule; now it is yours and stays if the rule goes`
            : `ℹ️ <b>${escapeHtml(o.caseNumber)}</b> already followed`,
        );
        break;
      case 'problem':
        lines.push(`🚫 <b>${escapeHtml(o.caseNumber)}</b>: ${escapeHtml(o.reason)}`);
        break;
      case 'unchecked':
        lines.push(`⏸ <b>${escapeHtml(o.caseNumber)}</b> not checked, try again`);
        break;
    }
  }
  lines.push(...invalidLines(args));
  if (args.skipped > 0) {
    lines.push(
      `✋ ${args.skipped} more not handled: at most ${MAX_CASES_PER_COMMAND} cases at a time.`,
    );
  }

  const context = outcomes.flatMap((o) => {
    if (o.status !== 'added' || !added.has(o.kase.number)) return [];
    const comment = latestWanted(o.comments, access.chat);
    return comment ? [{ kase: o.kase, comment }] : [];
  });
  if (added.size > 0) {
    lines.push('', '🔔 New comments will arrive here.');
    if (context.length > 0) lines.push('The latest one is below, for context.');
  }
  await replyLines(ctx, lines);

  const chat = readChat(s.store.read(), chatId) ?? access.chat;
  for (const { kase, comment } of context.slice(0, MAX_CONTEXT_MESSAGES)) {
    await replyOutgoing(ctx, commentMessage(s, chat, kase, comment));
  }
  if (context.length > MAX_CONTEXT_MESSAGES) {
    await replyHtml(
      ctx,
      'For the other cases: <code>/latest &lt;case&gt;</code> shows the latest comment.',
    );
  }
}

function listButtons(numbers: readonly CaseNumber[]): InlineKeyboardButton[][] {
  return numbers.map((n) => [latestButton(n), removeButton(n)]);
}

async function removeCases(
  ctx: Context,
  s: BotServices,
  chatId: number,
  args: CaseArgs,
): Promise<void> {
  const { removed, excluded } = await s.store.update((d) => {
    const gone = removeSubscriptions(d, chatId, args.valid);
    return {
      removed: gone,
      excluded: excludeFromRules(
        d,
        chatId,
        gone.map((sub) => sub.caseNumber),
      ),
    };
  });
  const byNumber = new Map(removed.map((sub) => [sub.caseNumber, sub]));
  const lines = args.valid.map((n) => {
    const sub = byNumber.get(n);
    return sub
      ? `✅ Stopped following <b>${escapeHtml(n)}</b>${sub.summary ? `: ${escapeHtml(cut(sub.summary, MAX_SUMMARY_CHARS))}` : ''}`
      : `ℹ️ <b>${escapeHtml(n)}</b> was not followed here`;
  });
  lines.push(...invalidLines(args));
  if (excluded && removed.length > 0) {
    lines.push(
      `Your follow rules will not bring ${removed.length === 1 ? 'it' : 'them'} back; /add does.`,
    );
  }
  await replyLines(ctx, lines);
}

/** " (rule 2)" or " (rules 1, 3)": the /rules numbers of the rules that brought a case in. */
function ruleTag(ids: readonly number[] | undefined, positions: ReadonlyMap<number, number>) {
  const numbers = (ids ?? []).flatMap((id) => {
    const p = positions.get(id);
    return p === undefined ? [] : [p];
  });
  if (numbers.length === 0) return '';
  numbers.sort((a, b) => a - b);
  return ` (rule${numbers.length === 1 ? '' : 's'} ${numbers.join(', ')})`;
}

export function subscriptionsFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.command('add', async (ctx) => {
    if (!(await requireAdmin(ctx, s))) return;
    const access = await requireCredential(ctx, s);
    if (!access) return;
    const args = parseCaseArgs(ctx.payload);
    if (isEmpty(args)) {
      s.pending.set(inputKey(ctx.chat.id, ctx.from.id), { kind: 'case-numbers' });
      await replyHtml(
        ctx,
        'Which case? Send its number, e.g. <code>01234567</code> (several: separate with spaces). /cancel stops.',
        {
          forceReply: { placeholder: '01234567' },
          ...(ctx.chat.type === 'private' ? {} : { replyTo: ctx.message.message_id }),
        },
      );
      return;
    }
    await addCases(ctx, s, access, args);
  });

  // The answer to "Which case?".
  bot.on(message('text'), async (ctx, next) => {
    const key = inputKey(ctx.chat.id, ctx.from.id);
    const pending = s.pending.peek(key);
    if (!pending || pending.value.kind !== 'case-numbers') return next();
    if (commandOf(ctx.message.text, ctx.me) !== undefined || ctx.message.text.startsWith('/')) {
      return next();
    }
    s.pending.delete(key);
    if (pending.expired) return next();
    const args = parseCaseArgs(ctx.message.text);
    if (args.valid.length === 0) {
      await replyHtml(
        ctx,
        `${invalidLines(args).join('\n') || '❓ No case number found.'}\nTry again: <code>/add 01234567</code>`,
      );
      return;
    }
    const access = await requireCredential(ctx, s);
    if (!access) return;
    await addCases(ctx, s, access, args);
  });

  bot.command('remove', async (ctx) => {
    if (!(await requireAdmin(ctx, s))) return;
    const args = parseCaseArgs(ctx.payload);
    if (isEmpty(args)) {
      const numbers = Object.keys(
        readChat(s.store.read(), ctx.chat.id)?.subscriptions ?? {},
      ).sort();
      if (numbers.length === 0) {
        await replyHtml(ctx, 'This chat follows no case. Add one: <code>/add 01234567</code>');
        return;
      }
      await replyHtml(ctx, 'Which case? Tap one, or send <code>/remove 01234567</code>.', {
        buttons: numbers.slice(0, LIST_PAGE_SIZE).map((n) => [removeButton(n)]),
      });
      return;
    }
    await removeCases(ctx, s, ctx.chat.id, args);
  });

  bot.action(CALLBACK_PATTERNS.remove, async (ctx) => {
    const chatId = ctx.chat?.id;
    const caseNumber = ctx.match[1];
    if (chatId === undefined || caseNumber === undefined) return;
    if (!(await requireAdmin(ctx, s))) return;
    await removeCases(ctx, s, chatId, { valid: [caseNumber], invalid: [], skipped: 0 });
  });

  bot.command('list', async (ctx) => {
    const chat = readChat(s.store.read(), ctx.chat.id);
    const subs = Object.values(chat?.subscriptions ?? {}).sort((a, b) =>
      a.caseNumber.localeCompare(b.caseNumber),
    );
    if (subs.length === 0) {
      const hint = chat?.credentialId === undefined ? '\nFirst connect to Red Hat: /setup' : '';
      await replyHtml(
        ctx,
        `This chat follows no case yet. Add one: <code>/add 01234567</code>${hint}`,
      );
      return;
    }
    const positions = rulePositions(chat);
    for (let i = 0; i < subs.length; i += LIST_PAGE_SIZE) {
      const page = subs.slice(i, i + LIST_PAGE_SIZE);
      const head =
        i === 0 ? `📋 <b>${subs.length} case${subs.length === 1 ? '' : 's'} followed</b>\n\n` : '';
      const body = page
        .map((sub) => {
          const facts = [sub.severity, sub.closed ? 'Closed' : sub.status]
            .filter((f) => f !== '')
            .map((f) => escapeHtml(cut(f, MAX_FIELD_CHARS)))
            .join(' · ');
          const summary = sub.summary ? `\n${escapeHtml(cut(sub.summary, MAX_SUMMARY_CHARS))}` : '';
          const muted = sub.muted ? ' 🔕' : '';
          const rules = ruleTag(sub.rules, positions);
          return `<b>${escapeHtml(sub.caseNumber)}</b>${muted}${facts ? ` · ${facts}` : ''}${rules}${summary}`;
        })
        .join('\n\n');
      await replyHtml(ctx, head + body, { buttons: listButtons(page.map((p) => p.caseNumber)) });
    }
  });

  return bot;
}
