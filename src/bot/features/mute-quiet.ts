// How notifications arrive: /mute and /unmute (a case's messages arrive silently; also the
// "Mute" button under a new-case alert), /quiet (a daily window of silence, in a time zone) and
// /attachments (notices of new files on or off). Anyone may read the settings; in a group only
// admins change them. The notifier applies them at send time (notify/telegram/loudness.ts): a
// raise to Sev 1 always rings, and quiet hours let Sev-1 cases ring.
import { Composer, type Context } from 'telegraf';
import type { CaseNumber } from '../../domain.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import { QUIET_EXAMPLE, describeQuiet, localTimeZone, parseQuiet } from '../../rules/quiet.js';
import type { BotServices } from '../context.js';
import { CALLBACK_PATTERNS } from '../support/callback-data.js';
import {
  MAX_CASES_PER_COMMAND,
  caseList,
  isEmpty,
  parseCaseArgs,
  type CaseArgs,
} from '../support/case-args.js';
import { attachmentsOn, setAttachments, setMuted, setQuiet } from '../support/chat-prefs.js';
import { readChat } from '../support/chat-state.js';
import { requireAdmin, targetOf } from '../support/group-admin.js';
import { replyHtml } from '../support/reply.js';

/** /mute alone lists at most this many muted cases. */
const LISTED_MUTED = 50;

const LOUD_ANYWAY = 'Sev-1 cases and raises to Sev 1 stay loud.';

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

function mutedText(s: BotServices, chatId: number): string {
  const subs = Object.values(readChat(s.store.read(), chatId)?.subscriptions ?? {});
  const muted = subs
    .filter((sub) => sub.muted)
    .map((sub) => sub.caseNumber)
    .sort();
  const [first] = muted;
  if (first === undefined) {
    return `No case is muted here. ${code('/mute 01234567')} makes a case’s messages arrive silently.`;
  }
  return [
    `🔕 Muted here (their messages arrive silently): ${caseList(muted, LISTED_MUTED)}.`,
    `${code(`/unmute ${first}`)} makes one ring again.`,
  ].join('\n');
}

/** The toast of the Mute button, under Telegram's 200-character limit. */
export function mutedToast(caseNumber: CaseNumber): string {
  return `Muted ${caseNumber}: its messages arrive silently. /unmute ${caseNumber} to undo.`;
}

async function changeMute(
  ctx: Context,
  s: BotServices,
  chatId: number,
  args: CaseArgs,
  muted: boolean,
): Promise<void> {
  if (args.invalid.length > 0) {
    const lines = args.invalid.map(
      (raw) => `❓ <code>${escapeHtml(raw)}</code> is not a case number (digits, e.g. 01234567)`,
    );
    lines.push('Nothing was changed.');
    await replyHtml(ctx, lines.join('\n'));
    return;
  }
  const numbers = args.valid;
  const result = await s.store.update((d) => setMuted(d, chatId, numbers, muted));
  const extra =
    args.skipped > 0
      ? `\n✋ ${args.skipped} more not handled: at most ${MAX_CASES_PER_COMMAND} cases at a time.`
      : '';
  if (!result.ok) {
    const one = result.notFollowed.length === 1;
    await replyHtml(
      ctx,
      `🚫 ${result.notFollowed.join(', ')} ${one ? 'is' : 'are'} not followed here: /add ${one ? 'it' : 'them'} first, or check /list` +
        (numbers.length > 1 ? '\nNothing was changed.' : ''),
    );
    return;
  }
  const list = numbers.join(', ');
  const one = numbers.length === 1;
  if (result.changed.length === 0) {
    await replyHtml(
      ctx,
      `ℹ️ ${list} ${one ? 'was' : 'were'} ${muted ? 'already muted' : 'not muted'}.${extra}`,
    );
    return;
  }
  const text = muted
    ? `🔕 Muted ${list}: ${one ? 'its' : 'their'} messages arrive silently (a raise to Sev 1 still rings). /unmute ${numbers.join(' ')} to undo.`
    : `🔔 Unmuted ${list}: ${one ? 'its' : 'their'} messages ring again.`;
  await replyHtml(ctx, text + extra);
}

function quietText(s: BotServices, chatId: number): string {
  const quiet = readChat(s.store.read(), chatId)?.quiet;
  if (!quiet) {
    return [
      '🔔 No quiet hours: every message rings.',
      `Set them: ${code(QUIET_EXAMPLE)} (the zone is optional; default ${escapeHtml(localTimeZone())}).`,
    ].join('\n');
  }
  return [
    `🌙 Quiet hours: ${escapeHtml(describeQuiet(quiet))}. Messages arrive silently then; ${LOUD_ANYWAY}`,
    `Change them: ${code(QUIET_EXAMPLE)} · end them: /quiet off`,
  ].join('\n');
}

async function quiet(ctx: Context, s: BotServices, arg: string): Promise<void> {
  const target = targetOf(ctx);
  if (!target) return;
  const nowIso = s.nowIso();
  if (arg.toLowerCase() === 'off') {
    await s.store.update((d) => setQuiet(d, target, undefined, nowIso));
    await replyHtml(ctx, '🔔 Quiet hours off: every message rings again.');
    return;
  }
  const parsed = parseQuiet(arg, localTimeZone());
  if (!parsed.ok) {
    await replyHtml(ctx, `❓ ${escapeHtml(parsed.error)}`);
    return;
  }
  await s.store.update((d) => setQuiet(d, target, parsed.quiet, nowIso));
  await replyHtml(
    ctx,
    [
      `🌙 Quiet hours set: ${escapeHtml(describeQuiet(parsed.quiet))}. Messages arrive silently then; ${LOUD_ANYWAY}`,
      '/quiet off ends them.',
    ].join('\n'),
  );
}

function attachmentsText(s: BotServices, chatId: number): string {
  return attachmentsOn(readChat(s.store.read(), chatId))
    ? '📎 File notices are on: new files on followed cases are announced. /attachments off stops them.'
    : '📎 File notices are off. /attachments on announces new files again.';
}

export function muteQuietFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  for (const [command, muted] of [
    ['mute', true],
    ['unmute', false],
  ] as const) {
    bot.command(command, async (ctx) => {
      const args = parseCaseArgs(ctx.payload);
      if (isEmpty(args)) {
        await replyHtml(ctx, mutedText(s, ctx.chat.id));
        return;
      }
      if (!(await requireAdmin(ctx, s))) return;
      await changeMute(ctx, s, ctx.chat.id, args, muted);
    });
  }

  // The "Mute" button under a new-case alert (notify/telegram/format-events.ts).
  bot.action(CALLBACK_PATTERNS.mute, async (ctx) => {
    const chatId = ctx.chat?.id;
    const caseNumber = ctx.match[1];
    if (chatId === undefined || caseNumber === undefined) return;
    if (!(await requireAdmin(ctx, s))) return;
    const result = await s.store.update((d) => setMuted(d, chatId, [caseNumber], true));
    await ctx.answerCbQuery(
      result.ok ? mutedToast(caseNumber) : `${caseNumber} is not followed here any more.`,
    );
  });

  bot.command('quiet', async (ctx) => {
    const arg = ctx.payload.trim();
    if (arg === '') {
      await replyHtml(ctx, quietText(s, ctx.chat.id));
      return;
    }
    if (!(await requireAdmin(ctx, s))) return;
    await quiet(ctx, s, arg);
  });

  bot.command('attachments', async (ctx) => {
    const arg = ctx.payload.trim().toLowerCase();
    if (arg === '') {
      await replyHtml(ctx, attachmentsText(s, ctx.chat.id));
      return;
    }
    if (!(await requireAdmin(ctx, s))) return;
    if (arg !== 'on' && arg !== 'off') {
      await replyHtml(ctx, `❓ Use ${code('/attachments on')} or ${code('/attachments off')}.`);
      return;
    }
    const target = targetOf(ctx);
    if (!target) return;
    const nowIso = s.nowIso();
    await s.store.update((d) => setAttachments(d, target, arg === 'on', nowIso));
    await replyHtml(
      ctx,
      arg === 'on'
        ? '✅ File notices on: new files on followed cases will be announced.'
        : '✅ File notices off: new files are no longer announced.',
    );
  });

  return bot;
}
