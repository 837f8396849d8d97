// /forget: after a confirmation button, delete everything stored for this chat: its
// credential link, subscriptions, follow rules, settings (mute, quiet hours, ...) and queued
// messages. The credential record itself goes when no other chat uses it.
import { Composer, type Context } from 'telegraf';
import type { BotServices } from '../context.js';
import { CALLBACK_PATTERNS, botCallbackData } from '../support/callback-data.js';
import { forgetChat, readChat } from '../support/chat-state.js';
import { requireAdmin } from '../support/group-admin.js';
import { replyHtml } from '../support/reply.js';

export function forgetFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.command('forget', async (ctx) => {
    if (!(await requireAdmin(ctx, s))) return;
    const chat = readChat(s.store.read(), ctx.chat.id);
    if (!chat) {
      await replyHtml(ctx, 'Nothing is stored for this chat.');
      return;
    }
    const count = Object.keys(chat.subscriptions).length;
    const rules = chat.rules?.length ?? 0;
    await replyHtml(
      ctx,
      `🗑 Delete this chat’s Red Hat login, its ${count} followed case${count === 1 ? '' : 's'}${rules > 0 ? `, ${rules} follow rule${rules === 1 ? '' : 's'}` : ''}, settings and pending messages?`,
      {
        buttons: [
          [
            { text: 'Yes, delete', callback_data: botCallbackData.forgetConfirm },
            { text: 'No, keep', callback_data: botCallbackData.forgetCancel },
          ],
        ],
      },
    );
  });

  bot.action(CALLBACK_PATTERNS.forget, async (ctx) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    if (ctx.match[1] !== 'yes') {
      await ctx.answerCbQuery('Nothing deleted');
      await replyHtml(ctx, '👍 Nothing was deleted.');
      return;
    }
    if (!(await requireAdmin(ctx, s))) return;
    const result = await s.store.update((d) => forgetChat(d, chatId));
    await ctx.answerCbQuery(result.existed ? 'Deleted' : 'Nothing stored');
    // Questions still open for this chat, including a private /setup wizard for this group.
    s.pending.deleteWhere(
      (key, input) =>
        key.startsWith(`${chatId}:`) || (input.kind === 'credential' && input.target.id === chatId),
    );
    s.log.info(
      { chatId, subscriptions: result.subscriptions, credentialDeleted: result.credentialDeleted },
      'chat forgotten',
    );
    await replyHtml(
      ctx,
      result.existed
        ? '🗑 Done: nothing about this chat is stored any more. /setup starts again.'
        : 'Nothing is stored for this chat.',
    );
  });

  return bot;
}
