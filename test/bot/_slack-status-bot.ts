// A Telegraf built from the /slack and /status features alone, plus the middleware every update
// goes through in create-bot.ts (the allowlist) and the fallback (unknown commands), talking to
// the loopback fake Telegram. Updates are created in the fake (so deleteMessage and
// getChatMember see them) and handed to bot.handleUpdate(): no polling, no network beyond
// 127.0.0.1. The full createBot() wiring is the lead's; this keeps these tests independent of
// features still being written.
import { Telegraf } from 'telegraf';
import { allowlist } from '../../src/bot/support/access.js';
import {
  createServices,
  type BotServices,
  type SlackFeatureDeps,
  type StatusFeatureDeps,
} from '../../src/bot/context.js';
import { fallbackFeature } from '../../src/bot/features/fallback.js';
import { slackFeature } from '../../src/bot/features/slack.js';
import { statusFeature } from '../../src/bot/features/status.js';
import { parseConfig, type Config } from '../../src/config.js';
import { createCredentialVault } from '../../src/credentials.js';
import { createLinks } from '../../src/links.js';
import { createLogger } from '../../src/logger.js';
import {
  createSecretBox,
  createSecretScrubber,
  type SecretBox,
  type SecretScrubber,
} from '../../src/secrets.js';
import type { State } from '../../src/store/schema.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { StateStore } from '../../src/store/store.js';
import {
  startFakeTelegram,
  type FakeTelegram,
  type SendUserMessageOptions,
} from '../_helpers/fake-telegram.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';

export const BOT_TOKEN = '7012345678:AAHk3xTqLrEw9sPzYbV0cNm2dF4gJ6hK8lQ';

export interface FeatureBot {
  tg: FakeTelegram;
  bot: Telegraf;
  store: StateStore;
  services: BotServices;
  config: Config;
  secretBox: SecretBox;
  scrubber: SecretScrubber;
  logs: string[];
  clock: { now(): number; advance(ms: number): void };
  /** The user sends a message; resolves once the bot has handled it. */
  send(opts: SendUserMessageOptions): Promise<{ messageId: number }>;
  /** Texts the bot sent to a chat since `from` (an index into tg.messages(chatId)). */
  repliesSince(chatId: number, from: number): string[];
  close(): Promise<void>;
}

export async function startFeatureBot(options: {
  /** config.json content; `telegram` is merged over the token and the fake's apiRoot. */
  config?: Record<string, unknown>;
  initial?: State;
  slack?: Partial<SlackFeatureDeps>;
  status?: StatusFeatureDeps;
}): Promise<FeatureBot> {
  const tg = await startFakeTelegram({ token: BOT_TOKEN });
  const { telegram: telegramOverrides, ...rest } = options.config ?? {};
  const raw = {
    ...rest,
    telegram: {
      token: BOT_TOKEN,
      apiRoot: tg.apiRoot,
      ...(telegramOverrides as object | undefined),
    },
  };
  let config: Config;
  try {
    config = parseConfig(raw, {}, () => {
      throw new Error('no files in this test');
    });
  } catch (err) {
    await tg.close();
    throw err;
  }
  const logs: string[] = [];
  const scrubber = createSecretScrubber([BOT_TOKEN]);
  const logger = createLogger({
    level: 'debug',
    scrubber,
    destination: { write: (l: string) => logs.push(l) },
  });
  let now = Date.parse('2026-05-04T10:00:00Z');
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const store = createMemoryStore(options.initial);
  const secretBox = createSecretBox('feature-bot-test-key-0123456789');
  const portal = new MemoryPortal();
  const vault = createCredentialVault({ store, secretBox, portal, scrubber, clock });
  const services = createServices({
    config,
    store,
    vault,
    links: createLinks(config.portal),
    logger,
    clock,
  });

  const bot = new Telegraf(BOT_TOKEN, { telegram: { apiRoot: tg.apiRoot } });
  bot.botInfo = {
    id: tg.botId,
    is_bot: true,
    first_name: tg.botFirstName,
    username: tg.botUsername,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };
  bot.use(allowlist(services));
  bot.use(slackFeature(services, { secretBox, scrubber, ...(options.slack ?? {}) }));
  if (options.status) bot.use(statusFeature(services, options.status));
  bot.use(fallbackFeature(services));
  bot.catch((err) => {
    logs.push(JSON.stringify({ level: 'error', msg: 'handler failed', err: String(err) }));
    throw err;
  });

  return {
    tg,
    bot,
    store,
    services,
    config,
    secretBox,
    scrubber,
    logs,
    clock,
    async send(opts) {
      const { updateId, messageId } = tg.sendUserMessage(opts);
      const update = tg.pendingUpdates().find((u) => u.update_id === updateId);
      if (!update) throw new Error('the fake did not queue the update');
      // The fake's update is plain JSON; telegraf types it as Update.
      await bot.handleUpdate(update as unknown as Parameters<Telegraf['handleUpdate']>[0]);
      return { messageId };
    },
    repliesSince(chatId, from) {
      return tg
        .messages(chatId)
        .slice(from)
        .map((m) => m.text);
    },
    async close() {
      await tg.close();
    },
  };
}
