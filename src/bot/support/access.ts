// The allowlist (telegram.allowedChatIds). When it is non-empty, any other chat gets one polite
// refusal per process run, with its chat id so its owner can ask the operator, and nothing
// about it is stored; the log holds its id only.
//
// One exception keeps group setup possible without listing every admin's private chat: a
// private chat may run the /setup wizard FOR an allowed group (the deep link from that group).
// The wizard stores the credential for the group only, never anything about the private chat.
import type { Context, MiddlewareFn } from 'telegraf';
import type { BotServices } from '../context.js';
import { commandOf } from './commands.js';
import { decodeSetupPayload } from './deep-link.js';
import { inputKey } from './pending.js';
import { replyHtml } from './reply.js';

export function isAllowedChat(s: BotServices, chatId: number): boolean {
  const allowed = s.config.telegram.allowedChatIds;
  return allowed.length === 0 || allowed.includes(chatId);
}

function isGroupSetupTraffic(s: BotServices, ctx: Context): boolean {
  const chat = ctx.chat;
  const from = ctx.from;
  if (!chat || chat.type !== 'private' || !from) return false;
  const text = ctx.message && 'text' in ctx.message ? ctx.message.text : undefined;
  if (text !== undefined) {
    const command = commandOf(text, ctx.me);
    if (command === 'start') {
      const groupId = decodeSetupPayload(text.replace(/^\/start(@\w+)?\s*/, ''));
      return groupId !== undefined && isAllowedChat(s, groupId);
    }
  }
  // A wizard (live, or just expired so its late answer is still handled) for an allowed group.
  const input = s.pending.peek(inputKey(chat.id, from.id))?.value;
  return (
    input?.kind === 'credential' && input.target.id !== chat.id && isAllowedChat(s, input.target.id)
  );
}

export function allowlist(s: BotServices): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const chat = ctx.chat;
    // Updates without a chat (inline queries and the like) are not used by this bot.
    if (!chat) return;
    if (isAllowedChat(s, chat.id) || isGroupSetupTraffic(s, ctx)) return next();
    if (ctx.callbackQuery) {
      await ctx.answerCbQuery('This bot is private.');
      return;
    }
    if (!ctx.message || s.refusedChats.has(chat.id)) return;
    s.refusedChats.add(chat.id);
    s.log.info({ chatId: chat.id }, 'refused a chat that is not in telegram.allowedChatIds');
    await replyHtml(
      ctx,
      `🔒 Sorry, this bot is private.\n\nIf you should have access, ask its operator to add this chat id: <code>${chat.id}</code>`,
    );
  };
}
