// Whatever no feature handled. Private chats get a short pointer to /help; groups stay quiet
// (a bot answering every group message is noise), except for a command addressed to this bot
// by name. A token pasted outside /setup is deleted; an unknown button is answered.
import { Composer, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import { escapeHtml } from '../../notify/telegram/format.js';
import type { BotServices } from '../context.js';
import { errorForLog } from '../support/errors.js';
import { replyHtml } from '../support/reply.js';
import { containsJwt } from '../support/secret-shapes.js';

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(@[A-Za-z0-9_]+)?/;

export function fallbackFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.on(message('text'), async (ctx) => {
    const text = ctx.message.text;
    const isPrivate = ctx.chat.type === 'private';
    const command = COMMAND.exec(text);
    if (command) {
      const addressed = command[2]?.slice(1).toLowerCase() === ctx.me.toLowerCase();
      if (isPrivate || addressed) {
        await replyHtml(
          ctx,
          `I don't know /${escapeHtml(command[1] ?? '')}. Send /help for the list of commands.`,
        );
      }
      return;
    }
    if (!isPrivate) return;
    if (containsJwt(text)) {
      try {
        await ctx.deleteMessage();
      } catch (err) {
        s.log.warn({ chatId: ctx.chat.id, err: errorForLog(err) }, 'could not delete a token');
      }
      await replyHtml(
        ctx,
        '🔒 That looked like a token, so I deleted it. To connect your account, send /setup first.',
      );
      return;
    }
    await replyHtml(ctx, 'Send /help to see what I can do.');
  });

  bot.on('message', async (ctx) => {
    if (ctx.chat.type === 'private') await replyHtml(ctx, 'Send /help to see what I can do.');
  });

  bot.on('callback_query', async (ctx) => {
    await ctx.answerCbQuery('This button no longer works. Send /help.');
  });

  return bot;
}
