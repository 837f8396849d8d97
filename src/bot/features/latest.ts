// /latest <case> and the "Latest comment" button (on /list and on every comment the engine
// sends): fetch the case now and show its newest comment for this chat's audience.
import { Composer, type Context } from 'telegraf';
import type { CaseNumber } from '../../domain.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import type { BotServices } from '../context.js';
import { CALLBACK_PATTERNS } from '../support/callback-data.js';
import { LIST_PAGE_SIZE, latestButton } from '../support/case-buttons.js';
import { parseCaseArgs } from '../support/case-args.js';
import {
  audienceLabel,
  commentMessage,
  latestWanted,
  requireCredential,
} from '../support/chat-access.js';
import { audienceOf, readChat } from '../support/chat-state.js';
import { caseProblemMessage, tryPortal } from '../support/portal-replies.js';
import { replyHtml, replyOutgoing } from '../support/reply.js';

async function sendLatest(ctx: Context, s: BotServices, caseNumber: CaseNumber): Promise<void> {
  const access = await requireCredential(ctx, s);
  if (!access) return;
  const result = await tryPortal(s.log, 'latest', async () => {
    const kase = await access.client.getCase(caseNumber);
    const comments = await access.client.listComments(caseNumber);
    return { kase, comments };
  });
  if (!result.ok) {
    await replyHtml(ctx, caseProblemMessage(caseNumber, result.error));
    return;
  }
  const { kase, comments } = result.value;
  const comment = latestWanted(comments, access.chat);
  if (!comment) {
    await replyHtml(
      ctx,
      `💬 <b>${escapeHtml(kase.number)}</b> has no comment from ${escapeHtml(audienceLabel(audienceOf(access.chat)))} yet.\n(/notify changes whose comments you get.)`,
    );
    return;
  }
  await replyOutgoing(ctx, commentMessage(s, access.chat, kase, comment));
}

export function latestFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.command('latest', async (ctx) => {
    const args = parseCaseArgs(ctx.payload);
    const [first] = args.valid;
    if (first !== undefined) {
      await sendLatest(ctx, s, first);
      return;
    }
    if (args.invalid.length > 0) {
      await replyHtml(
        ctx,
        `❓ <code>${escapeHtml(args.invalid[0] ?? '')}</code> is not a case number. Example: <code>/latest 01234567</code>`,
      );
      return;
    }
    const followed = Object.keys(readChat(s.store.read(), ctx.chat.id)?.subscriptions ?? {}).sort();
    const [only] = followed;
    if (followed.length === 1 && only !== undefined) {
      await sendLatest(ctx, s, only);
      return;
    }
    await replyHtml(ctx, 'Which case? Example: <code>/latest 01234567</code>', {
      buttons: followed.slice(0, LIST_PAGE_SIZE).map((n) => [latestButton(n)]),
    });
  });

  bot.action(CALLBACK_PATTERNS.latest, async (ctx) => {
    const caseNumber = ctx.match[1];
    // Answer first: the portal may take seconds and the button spinner should stop now.
    await ctx.answerCbQuery();
    if (caseNumber === undefined || !ctx.chat) return;
    await sendLatest(ctx, s, caseNumber);
  });

  return bot;
}
