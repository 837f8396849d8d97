// Inline button data (at most 64 bytes, Bot API rule) and the rule that every button press
// is answered exactly once: the client shows a spinner until answerCallbackQuery.
//
// Every button's data is "<action>:<argument>" (notify/telegram/format.ts makeCallbackData).
// "latest:<case>", "remove:<case>" and "mute:<case>" (the Mute button under a new-case alert)
// come from notify/telegram/format (the engine's messages carry them too); the rest belong to
// the bot.
import type { Context, MiddlewareFn } from 'telegraf';
import type { Audience } from '../../domain.js';
import type { Logger } from '../../logger.js';
import { errorForLog } from './errors.js';

export const MAX_CALLBACK_DATA_BYTES = 64;

export const botCallbackData = {
  audience: (audience: Audience) => `audience:${audience}`,
  forgetConfirm: 'forget:yes',
  forgetCancel: 'forget:no',
} as const;

export const CALLBACK_PATTERNS = {
  latest: /^latest:(\d{1,12})$/,
  remove: /^remove:(\d{1,12})$/,
  mute: /^mute:(\d{1,12})$/,
  audience: /^audience:(associate|customer|both)$/,
  forget: /^forget:(yes|no)$/,
} as const;

/**
 * Outermost middleware: whatever happens below (no handler, a refusal, a thrown error), the
 * callback query gets its answer. Handlers that answer with a text do so themselves.
 */
export function answerEveryCallback(log: Logger): MiddlewareFn<Context> {
  return async (ctx, next) => {
    if (!ctx.callbackQuery) return next();
    let answered = false;
    const original = ctx.answerCbQuery.bind(ctx);
    ctx.answerCbQuery = (...args) => {
      answered = true;
      return original(...args);
    };
    try {
      await next();
    } finally {
      if (!answered) {
        await original().catch((err: unknown) => {
          // Too late (the query is older than Telegram keeps it) or the network: nothing to do.
          log.warn({ err: errorForLog(err) }, 'answerCallbackQuery failed');
        });
      }
    }
  };
}
