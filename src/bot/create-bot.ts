// The Telegram bot: the whole user interface. createBot() wires one small Composer per feature
// and does no network work itself; main.ts registers the command menu and starts long polling.
//
// Middleware order (outermost first):
//   1. every callback query gets answered, whatever happens below
//   2. the allowlist (telegram.allowedChatIds)
//   3. one chat's updates run in order (a batch of updates is otherwise concurrent)
//   4. features; 5. the fallback (pointer to /help)
// bot.catch logs the error (no secret: see errors.ts) and apologises; polling never dies.
import { Telegraf, type Context } from 'telegraf';
import type { Logger } from '../logger.js';
import { allowlist } from './access.js';
import { createServices, type BotDeps } from './bot-context.js';
import { answerEveryCallback } from './callback-data.js';
import { BOT_COMMANDS } from './commands.js';
import { errorForLog } from './errors.js';
import { fallbackFeature } from './fallback.js';
import { forgetFeature } from './forget.js';
import { latestFeature } from './latest.js';
import { replyHtml } from './reply.js';
import { perChatSequence } from './sequence.js';
import { settingsFeature } from './settings.js';
import { slackFeature } from './slack.js';
import { statusFeature } from './status.js';
import { setupFeature } from './setup.js';
import { startHelpFeature } from './start-help.js';
import { subscriptionsFeature } from './subscriptions.js';

export { BOT_COMMANDS, type BotCommandInfo } from './commands.js';
export type { BotDeps } from './bot-context.js';

/** telegraf abandons a handler after this long (ms) and reports it to bot.catch. */
export const HANDLER_TIMEOUT_MS = 90_000;

export function createBot(deps: BotDeps): Telegraf {
  const s = createServices(deps);
  const bot = new Telegraf(deps.config.telegram.token, {
    telegram: { apiRoot: deps.config.telegram.apiRoot },
    handlerTimeout: HANDLER_TIMEOUT_MS,
  });

  bot.use(answerEveryCallback(s.log));
  bot.use(allowlist(s));
  bot.use(perChatSequence());
  // setup first: it owns the /start deep link and the wizard's next message.
  bot.use(setupFeature(s));
  bot.use(startHelpFeature(s));
  bot.use(subscriptionsFeature(s));
  bot.use(latestFeature(s));
  bot.use(settingsFeature(s));
  bot.use(forgetFeature(s));
  if (deps.slack) bot.use(slackFeature(s, deps.slack));
  if (deps.status) bot.use(statusFeature(s, deps.status));
  bot.use(fallbackFeature(s));

  bot.catch(async (err: unknown, ctx: Context) => {
    s.log.error(
      {
        err: errorForLog(err),
        updateId: ctx.update.update_id,
        updateType: ctx.updateType,
        chatId: ctx.chat?.id,
      },
      'update handler failed',
    );
    deps.reporter?.report({
      component: 'bot',
      error: errorForLog(err),
      context: { updateType: ctx.updateType, ...(ctx.chat ? { chatId: ctx.chat.id } : {}) },
    });
    if (!ctx.chat) return;
    try {
      await replyHtml(ctx, '😕 Something went wrong on my side. Please try again in a minute.');
    } catch (replyErr) {
      s.log.warn({ err: errorForLog(replyErr), chatId: ctx.chat.id }, 'could not send the apology');
    }
  });

  return bot;
}

/**
 * Publishes the command menu (setMyCommands). The bot works without it, so a failure is
 * logged and start-up goes on.
 */
export async function registerCommands(bot: Telegraf, logger: Logger): Promise<boolean> {
  try {
    await bot.telegram.setMyCommands(
      BOT_COMMANDS.map((c) => ({ command: c.command, description: c.description })),
    );
    return true;
  } catch (err) {
    logger.warn({ component: 'bot', err: errorForLog(err) }, 'could not register the command menu');
    return false;
  }
}
