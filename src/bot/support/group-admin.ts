// In a group, following cases and changing settings is for its administrators: any member can
// read /list or /latest, only admins change what the group receives.
import type { Context, Telegram } from 'telegraf';
import type { BotServices } from '../context.js';
import { errorForLog } from './errors.js';
import type { ChatTarget } from './pending.js';
import { replyHtml } from './reply.js';

const ADMIN_STATUSES = new Set(['creator', 'administrator']);

export function chatTarget(chat: {
  id: number;
  type: ChatTarget['type'];
  title?: string;
  forum?: boolean;
}): ChatTarget {
  return {
    id: chat.id,
    type: chat.type,
    ...(chat.title !== undefined ? { title: chat.title } : {}),
    ...(chat.forum !== undefined ? { forum: chat.forum } : {}),
  };
}

/**
 * Whether the update's chat is a forum, when the update tells it fresh: a message or a
 * membership change. A button press carries the chat as it was under an older message, so it
 * says nothing (undefined), as do private chats and basic groups (never forums).
 */
export function forumOf(ctx: Context): boolean | undefined {
  const chat = ctx.chat;
  if (chat?.type !== 'supergroup') return undefined;
  if (ctx.updateType !== 'message' && ctx.updateType !== 'my_chat_member') return undefined;
  return 'is_forum' in chat && chat.is_forum === true;
}

/** The current chat of an update, as the store records it; undefined for updates without one. */
export function targetOf(ctx: Context): ChatTarget | undefined {
  const chat = ctx.chat;
  if (!chat) return undefined;
  const forum = forumOf(ctx);
  return chatTarget({
    id: chat.id,
    type: chat.type,
    ...('title' in chat ? { title: chat.title } : {}),
    ...(forum !== undefined ? { forum } : {}),
  });
}

export async function isChatAdmin(
  telegram: Telegram,
  chatId: number,
  userId: number,
): Promise<boolean> {
  const member = await telegram.getChatMember(chatId, userId);
  return ADMIN_STATUSES.has(member.status);
}

/**
 * True when the sender may change this chat's subscriptions or settings. Otherwise it has
 * already answered (a short refusal) and the handler just returns.
 */
export async function requireAdmin(ctx: Context, s: BotServices): Promise<boolean> {
  const chat = ctx.chat;
  if (!chat || chat.type === 'private') return true;
  // "Send anonymously" admins post as the group itself; only admins can do that.
  const msg = ctx.message;
  if (msg && 'sender_chat' in msg && msg.sender_chat?.id === chat.id) return true;
  const userId = ctx.from?.id;
  let allowed = false;
  if (userId !== undefined) {
    try {
      allowed = await isChatAdmin(ctx.telegram, chat.id, userId);
    } catch (err) {
      s.log.warn({ chatId: chat.id, err: errorForLog(err) }, 'cannot check group admin rights');
      await refuse(ctx, '⚠️ I could not check your admin rights just now. Try again in a minute.');
      return false;
    }
  }
  if (!allowed) await refuse(ctx, '🔒 Only group admins can change what this group follows.');
  return allowed;
}

async function refuse(ctx: Context, text: string): Promise<void> {
  if (ctx.callbackQuery) {
    await ctx.answerCbQuery(text, { show_alert: true });
    return;
  }
  await replyHtml(ctx, text, ctx.message ? { replyTo: ctx.message.message_id } : {});
}
