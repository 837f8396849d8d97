// Long polling hands the bot a batch of updates and telegraf runs the whole batch
// concurrently. Updates of one chat must still be handled in order: "/setup" then the token
// sent a second later, or "/add" then the numbers. This middleware chains each chat's updates;
// different chats still run in parallel.
import type { Context, MiddlewareFn } from 'telegraf';

export function perChatSequence(): MiddlewareFn<Context> {
  const tails = new Map<number, Promise<unknown>>();
  return async (ctx, next) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return next();
    const previous = tails.get(chatId) ?? Promise.resolve();
    // The previous update's failure was already reported by bot.catch; only order matters here.
    const run = previous.catch(() => undefined).then(() => next());
    const tail = run.catch(() => undefined);
    tails.set(chatId, tail);
    try {
      await run;
    } finally {
      if (tails.get(chatId) === tail) tails.delete(chatId);
    }
  };
}
