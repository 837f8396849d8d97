// /start and /help: what the bot does and the first steps, written so a person can go from
// /start to a followed case with no other help. /start also re-activates a chat that had
// blocked the bot (as does the unblock itself, seen as a my_chat_member update).
import { Composer, type Context } from 'telegraf';
import type { BotServices } from '../context.js';
import { readChat, reactivateChat } from '../support/chat-state.js';
import { BOT_COMMANDS } from '../support/commands.js';
import { errorForLog } from '../support/errors.js';
import { replyHtml } from '../support/reply.js';

async function reactivate(s: BotServices, chatId: number): Promise<void> {
  if (readChat(s.store.read(), chatId)?.active !== false) return;
  const changed = await s.store.update((d) => reactivateChat(d, chatId));
  if (!changed) return;
  s.log.info({ chatId }, 'chat re-activated');
  try {
    s.onChatReactivated?.();
  } catch (err) {
    s.log.error({ err: errorForLog(err) }, 'onChatReactivated failed');
  }
}

function greeting(s: BotServices, chatId: number, chatType: string): string {
  const chat = readChat(s.store.read(), chatId);
  const connected = chat?.credentialId !== undefined;
  const following = Object.keys(chat?.subscriptions ?? {}).length;
  if (chatType !== 'private') {
    return [
      '👋 Hi! I post new comments on Red Hat support cases in this group.',
      '',
      connected
        ? `✅ This group is connected and follows ${following} case${following === 1 ? '' : 's'}. Admins add more with <code>/add 01234567</code>.`
        : '1. An admin sends /setup (the password goes in a private chat, never here)\n2. Then <code>/add 01234567</code> with your case number',
      '',
      '/help lists every command.',
    ].join('\n');
  }
  const steps = connected
    ? following > 0
      ? `✅ You are connected and follow ${following} case${following === 1 ? '' : 's'}: /list`
      : '✅ You are connected. Now follow a case: <code>/add 01234567</code>'
    : [
        '<b>Two steps:</b>',
        '1. /setup: connect your Red Hat account',
        '2. <code>/add 01234567</code>: follow a case (your case number)',
        '',
        'Then each new comment arrives here.',
      ].join('\n');
  return [
    '👋 Hi! I send you the new comments on your Red Hat support cases.',
    '',
    steps,
    '',
    '/help lists every command.',
  ].join('\n');
}

export function helpText(): string {
  const lines = BOT_COMMANDS.map(
    (c) =>
      `/${c.command}: ${c.description}${c.example === `/${c.command}` ? '' : `, e.g. <code>${c.example}</code>`}`,
  );
  return [
    '<b>Commands</b>',
    ...lines,
    '',
    'In a group, only admins add, remove, follow or change settings. /notification = /notify.',
  ].join('\n');
}

export function startHelpFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  bot.start(async (ctx) => {
    await reactivate(s, ctx.chat.id);
    await replyHtml(ctx, greeting(s, ctx.chat.id, ctx.chat.type));
  });

  bot.help(async (ctx) => {
    await replyHtml(ctx, helpText());
  });

  // The user unblocked the bot (private) or added it back to a group.
  bot.on('my_chat_member', async (ctx, next) => {
    const status = ctx.myChatMember.new_chat_member.status;
    if (status === 'member' || status === 'administrator') await reactivate(s, ctx.chat.id);
    return next();
  });

  return bot;
}
