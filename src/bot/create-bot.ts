// The Telegram bot: the whole user interface. createBot() wires one small Composer per feature
// and does no network work itself; main.ts registers the command menu and starts long polling.
//
// Layout of src/bot/ (test/bot/boundary.test.ts holds the import rules):
//   create-bot.ts  this file: builds the Telegraf bot, middleware order, features, command menu
//   context.ts     BotDeps and BotServices, what every feature receives; imports no feature
//   features/      one file per thing a user does, each exporting one Composer: setup (/setup,
//                  /cancel), subscriptions (/add /remove /list), rules (/follow /rules
//                  /unfollow), latest, settings (/notify /length /whoami), mute-quiet (/mute
//                  /unmute /quiet /attachments and the Mute button), slack, status, start-help
//                  (/start /help), forget, fallback.
//                  Features never import each other: what two of them share lives in support/.
//   support/       what the features share: replies, errors, the allowlist and admin checks, the
//                  state changes, parsing, pending questions, the command list. Never imports
//                  features/.
//
// Middleware order (outermost first):
//   1. every callback query gets answered, whatever happens below
//   2. the allowlist (telegram.allowedChatIds)
//   3. one chat's updates run in order (a batch of updates is otherwise concurrent)
//   4. the forum flag of a known chat follows Telegram's is_forum (written only on a change)
//   5. features; 6. the fallback (pointer to /help)
// bot.catch logs the error (no secret: see support/errors.ts) and apologises; polling never dies.
import { Telegraf, type Context } from 'telegraf';
import type { Logger } from '../logger.js';
import { createServices, type BotDeps } from './context.js';
import { fallbackFeature } from './features/fallback.js';
import { forgetFeature } from './features/forget.js';
import { latestFeature } from './features/latest.js';
import { muteQuietFeature } from './features/mute-quiet.js';
import { rulesFeature } from './features/rules.js';
import { settingsFeature } from './features/settings.js';
import { setupFeature } from './features/setup.js';
import { slackFeature } from './features/slack.js';
import { startHelpFeature } from './features/start-help.js';
import { statusFeature } from './features/status.js';
import { subscriptionsFeature } from './features/subscriptions.js';
import { allowlist } from './support/access.js';
import { answerEveryCallback } from './support/callback-data.js';
import { BOT_COMMANDS } from './support/commands.js';
import { errorForLog } from './support/errors.js';
import { forumFlag } from './support/forum-flag.js';
import { replyHtml } from './support/reply.js';
import { perChatSequence } from './support/sequence.js';

export type { BotDeps } from './context.js';
export { BOT_COMMANDS, type BotCommandInfo } from './support/commands.js';

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
  bot.use(forumFlag(s));
  // setup first: it owns the /start deep link and the wizard's next message.
  bot.use(setupFeature(s));
  bot.use(startHelpFeature(s));
  bot.use(subscriptionsFeature(s));
  bot.use(rulesFeature(s));
  bot.use(latestFeature(s));
  bot.use(settingsFeature(s));
  bot.use(muteQuietFeature(s));
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
