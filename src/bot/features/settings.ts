// Per-chat settings: /notify (alias /notification) chooses whose comments arrive, /length how
// much comment text is shown (0 = privacy mode), /whoami shows the ids for the allowlist.
import { Composer, type Context } from 'telegraf';
import type { InlineKeyboardButton } from 'telegraf/types';
import { AUDIENCES, DEFAULT_AUDIENCE, type Audience } from '../../domain.js';
import type { BotServices } from '../context.js';
import { CALLBACK_PATTERNS, botCallbackData } from '../support/callback-data.js';
import { audienceLabel } from '../support/chat-access.js';
import { audienceOf, readChat, setAudience, setMaxCommentChars } from '../support/chat-state.js';
import { requireAdmin, targetOf } from '../support/group-admin.js';
import { replyHtml } from '../support/reply.js';

/** Telegram's 4096-character limit leaves room for the header and link around the body. */
export const MAX_LENGTH_SETTING = 3500;

const BUTTON_LABELS: Record<Audience, string> = {
  associate: 'Red Hat',
  customer: 'Customer',
  both: 'Both',
};

function audienceButtons(current: Audience): InlineKeyboardButton[][] {
  return [
    AUDIENCES.map((a) => ({
      text: `${a === current ? '✅ ' : ''}${BUTTON_LABELS[a]}`,
      callback_data: botCallbackData.audience(a),
    })),
  ];
}

function parseAudience(text: string): Audience | undefined {
  const word = text.trim().toLowerCase();
  const aliases: Record<string, Audience> = {
    associate: 'associate',
    associates: 'associate',
    redhat: 'associate',
    'red hat': 'associate',
    customer: 'customer',
    customers: 'customer',
    both: 'both',
    all: 'both',
  };
  return aliases[word];
}

async function saveAudience(ctx: Context, s: BotServices, audience: Audience): Promise<void> {
  const target = targetOf(ctx);
  if (!target) return;
  const nowIso = s.nowIso();
  await s.store.update((d) => setAudience(d, target, audience, nowIso));
  await replyHtml(ctx, `✅ You will get comments from ${audienceLabel(audience)}.`);
}

export function settingsFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.command(['notify', 'notification'], async (ctx) => {
    const arg = ctx.payload.trim();
    if (arg === '') {
      const current = audienceOf(readChat(s.store.read(), ctx.chat.id));
      await replyHtml(
        ctx,
        `🔔 Comments shown now: from <b>${audienceLabel(current)}</b>.\nWhose comments do you want?`,
        { buttons: audienceButtons(current) },
      );
      return;
    }
    if (!(await requireAdmin(ctx, s))) return;
    const audience = parseAudience(arg);
    if (!audience) {
      await replyHtml(
        ctx,
        '❓ Use <code>/notify associate</code> (Red Hat staff), <code>/notify customer</code> or <code>/notify both</code>.',
      );
      return;
    }
    await saveAudience(ctx, s, audience);
  });

  bot.action(CALLBACK_PATTERNS.audience, async (ctx) => {
    const audience = AUDIENCES.find((a) => a === ctx.match[1]) ?? DEFAULT_AUDIENCE;
    if (!(await requireAdmin(ctx, s))) return;
    await saveAudience(ctx, s, audience);
    // Only now: "Saved" must not show for a change the store refused.
    await ctx.answerCbQuery('Saved');
  });

  bot.command('length', async (ctx) => {
    const arg = ctx.payload.trim().toLowerCase();
    const chat = readChat(s.store.read(), ctx.chat.id);
    if (arg === '') {
      const value = chat?.maxCommentChars;
      const now =
        value === undefined
          ? `<b>${s.config.notify.maxCommentChars}</b> characters (the default)`
          : value === 0
            ? '<b>0</b>: privacy mode, no comment text'
            : `<b>${value}</b> characters`;
      await replyHtml(
        ctx,
        [
          `✂️ Comments are cut after ${now}.`,
          '',
          `Change it: <code>/length 500</code> (0 to ${MAX_LENGTH_SETTING}).`,
          '<code>/length 0</code> = privacy mode: only who wrote on which case, no text.',
          '<code>/length default</code> = back to the default.',
        ].join('\n'),
      );
      return;
    }
    if (!(await requireAdmin(ctx, s))) return;
    const target = targetOf(ctx);
    if (!target) return;
    let chars: number | undefined;
    if (arg === 'default' || arg === 'reset') {
      chars = undefined;
    } else if (/^\d{1,6}$/.test(arg) && Number(arg) <= MAX_LENGTH_SETTING) {
      chars = Number(arg);
    } else {
      await replyHtml(
        ctx,
        `❓ Send a whole number from 0 to ${MAX_LENGTH_SETTING}, e.g. <code>/length 800</code>.`,
      );
      return;
    }
    const nowIso = s.nowIso();
    await s.store.update((d) => setMaxCommentChars(d, target, chars, nowIso));
    const text =
      chars === undefined
        ? `✅ Back to the default: ${s.config.notify.maxCommentChars} characters.`
        : chars === 0
          ? '✅ Privacy mode: messages say who wrote on which case, without the comment text.'
          : `✅ Comments are now cut after ${chars} characters.`;
    await replyHtml(ctx, text);
  });

  bot.command('whoami', async (ctx) => {
    const lines = [`🪪 Chat id: <code>${ctx.chat.id}</code>`];
    if (ctx.from) lines.push(`Your user id: <code>${ctx.from.id}</code>`);
    lines.push('', 'The operator puts chat ids in <code>telegram.allowedChatIds</code>.');
    await replyHtml(ctx, lines.join('\n'));
  });

  return bot;
}
