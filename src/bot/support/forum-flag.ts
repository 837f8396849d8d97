// Keeps chat.forum in step with Telegram: a supergroup whose admins turn topics on (or off) says
// so on every message (is_forum), and the notifier posts each case in its own topic only in a
// forum. Recorded for chats the store already knows, and written only when the flag changed:
// no store write per message.
import type { Context, MiddlewareFn } from 'telegraf';
import type { BotServices } from '../context.js';
import { readChat, recordForum } from './chat-state.js';
import { errorForLog } from './errors.js';
import { forumOf } from './group-admin.js';

export function forumFlag(s: BotServices): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const chatId = ctx.chat?.id;
    const isForum = forumOf(ctx);
    const stored = chatId !== undefined ? readChat(s.store.read(), chatId) : undefined;
    if (
      chatId !== undefined &&
      isForum !== undefined &&
      stored &&
      isForum !== (stored.forum === true)
    ) {
      try {
        if (await s.store.update((d) => recordForum(d, chatId, isForum))) {
          s.log.info({ chatId, forum: isForum }, 'chat forum flag changed');
        }
      } catch (err) {
        // The update itself still deserves its answer; the next message tries again.
        s.log.warn({ chatId, err: errorForLog(err) }, 'could not record the forum flag');
      }
    }
    return next();
  };
}
