#!/usr/bin/env node
// Composition root: config → logger → secrets → store → portal → notifiers → engine → bot;
// and the shutdown sequence. The only module that knows every concrete piece.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, type Config } from './config.js';
import { createCredentialVault } from './credentials.js';
import { systemClock, V1_SWITCH_OFF_DATE } from './domain.js';
import { createEngine } from './engine.js';
import { createLinks } from './links.js';
import { createLogger, type Logger } from './logger.js';
import { createTelegramNotifier } from './notify/telegram/notifier.js';
import { createAdminReporter } from './notify/admin-reporter.js';
import { createSlackNotifier } from './notify/slack/notifier.js';
import { countOutcomes, createMetrics } from './metrics.js';
import { Telegram } from 'telegraf';
import { createPortalClientFactory } from './portal/index.js';
import { loadOrCreateSecretKey } from './secret-key.js';
import {
  createSecretBox,
  createSecretScrubber,
  SecretBoxError,
  type SecretBox,
  type SecretScrubber,
} from './secrets.js';
import { openJsonFileStore } from './store/json-file-store.js';
import type { StateStore } from './store/store.js';
import { createBot, registerCommands } from './bot/create-bot.js';
import { launchWithRetry, TelegramLaunchError } from './telegram-launch.js';
import { readVersion } from './version.js';
import { runCheck } from './check/run.js';

/**
 * SIGTERM to exit fits in Docker's default 10 s grace period, as parts that add up: poll
 * cycles finish or are abandoned (a portal call may hang up to portal.timeoutSeconds), sends in
 * flight finish or stay pending for the next start, then the store writes its last change and
 * releases its lock. The hard deadline comes after all three, and still closes the store.
 */
const SHUTDOWN_BUDGET = { cyclesMs: 3_000, sendsMs: 3_500, storeMs: 1_500 } as const;
const SHUTDOWN_DEADLINE_MS =
  SHUTDOWN_BUDGET.cyclesMs + SHUTDOWN_BUDGET.sendsMs + SHUTDOWN_BUDGET.storeMs + 500;
/** At the hard deadline, the store gets this long to release its lock before the exit. */
const LAST_CLOSE_MS = 400;

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;

const USAGE = `tickets-pushbot: new comments on your Red Hat support cases, pushed to Telegram.

Usage: node dist/main.js [--config <path>]
       node dist/main.js check [--config <path>] [--case <number>] [--chat <id>] [--record <dir>]

Options:
  -c, --config <path>  config file (default ${DEFAULT_CONFIG_PATH}, or $PUSHBOT_CONFIG)
  -h, --help           show this help
  -v, --version        show the version

check: proves a Red Hat credential works and shows which API path the daemon would use,
without touching the database (runs beside a running daemon). The credential comes from
PUSHBOT_CHECK_TOKEN, or PUSHBOT_CHECK_USER + PUSHBOT_CHECK_PASSWORD, or a hidden prompt;
--chat uses the one a chat stored. --record keeps the portal's raw answers, scrubbed.
Exit 0: the daemon would work; 1: it would not; 2: bad configuration or arguments.

Environment:
  TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_FILE   the bot token (overrides telegram.token)
  PUSHBOT_SECRET_KEY, PUSHBOT_SECRET_KEY_FILE   key that encrypts stored credentials
  PUSHBOT_DB_PATH                               state file (overrides dbPath)
  PUSHBOT_LOG_LEVEL                             overrides log.level
  PUSHBOT_LOG_FORMAT                            overrides log.format (auto, json, pretty)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY             proxy for the Red Hat portal

See README.md for every configuration key.`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parseCommandLine(argv: string[]): { configPath: string; explicit: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`, EXIT_CONFIG);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(EXIT_OK);
  }
  if (values.version === true) {
    process.stdout.write(`${readVersion()}\n`);
    process.exit(EXIT_OK);
  }
  const fromEnv = process.env.PUSHBOT_CONFIG;
  if (values.config !== undefined) return { configPath: values.config, explicit: true };
  if (fromEnv !== undefined && fromEnv !== '') return { configPath: fromEnv, explicit: true };
  return { configPath: DEFAULT_CONFIG_PATH, explicit: false };
}

function openSecretBox(config: Config, logger: Logger, scrubber: SecretScrubber): SecretBox {
  if (config.secretKey !== undefined) return createSecretBox(config.secretKey);
  const key = loadOrCreateSecretKey(config.secretKeyPath);
  scrubber.add(key.material);
  if (key.created) {
    logger.warn(
      { path: config.secretKeyPath },
      'generated a new secret key for stored credentials; back it up with db.json (or set PUSHBOT_SECRET_KEY)',
    );
  }
  if (key.warning !== undefined) logger.warn({ path: config.secretKeyPath }, key.warning);
  return createSecretBox(key.material);
}

/** Refuses to run with a key that cannot open the stored credentials (they would all look broken). */
function checkKeyMatches(store: StateStore, box: SecretBox): void {
  const state = store.read();
  const first =
    Object.values(state.credentials)[0]?.secret ??
    Object.values(state.chats).find((c) => c.slack)?.slack?.webhook;
  if (first === undefined) return;
  try {
    box.decrypt(first);
  } catch (err) {
    if (err instanceof SecretBoxError) {
      throw new SecretBoxError(
        'the secret key does not open the credentials stored in the database: start with the key db.json was written with (PUSHBOT_SECRET_KEY or the secret.key file beside it)',
      );
    }
    throw err;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'check') {
    process.exit(await runCheck(process.argv.slice(3), { usage: USAGE }));
  }
  const { configPath, explicit } = parseCommandLine(process.argv.slice(2));
  let config: Config;
  try {
    config = loadConfig(configPath, explicit, process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, EXIT_CONFIG);
    throw err;
  }

  const version = readVersion();
  const scrubber = createSecretScrubber([config.telegram.token, config.secretKey]);
  const logger = createLogger({
    level: config.log.level,
    format:
      config.log.format === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : config.log.format,
    scrubber,
  });
  const log = logger.child({ component: 'main' });
  log.info({ version, db: config.dbPath, api: config.portal.api }, 'tickets-pushbot starting');
  if (config.portal.api !== 'v3') {
    log.warn(
      { api: config.portal.api, baseUrl: config.portal.baseUrl },
      `portal.api "${config.portal.api}" is Red Hat's v1-era API, which Red Hat switched off on ${V1_SWITCH_OFF_DATE}: set "portal.api": "v3" (and remove portal.baseUrl) in the configuration`,
    );
  }

  let store: StateStore;
  let secretBox: SecretBox;
  try {
    secretBox = openSecretBox(config, log, scrubber);
    store = await openJsonFileStore({ path: config.dbPath, logger });
  } catch (err) {
    log.fatal({ err }, 'cannot start');
    fail(`tickets-pushbot cannot start: ${scrubber.scrub((err as Error).message)}`, EXIT_FAILURE);
  }
  try {
    checkKeyMatches(store, secretBox);
  } catch (err) {
    await store.close();
    fail(`tickets-pushbot cannot start: ${(err as Error).message}`, EXIT_FAILURE);
  }

  const clock = systemClock;
  const metrics = createMetrics(clock);
  const portal = createPortalClientFactory({
    portal: config.portal,
    logger,
    userAgent: `tickets-pushbot/${version}`,
    version,
    env: process.env,
    clock,
    onRequest: (errorKind) => metrics.recordPortalRequest(errorKind),
  });
  const vault = createCredentialVault({ store, secretBox, portal, scrubber, clock });
  const links = createLinks(config.portal);
  const adminTelegram = new Telegram(config.telegram.token, { apiRoot: config.telegram.apiRoot });
  const reporter = createAdminReporter({
    telegram: {
      sendMessage: async (chatId, html) => {
        await adminTelegram.sendMessage(chatId, html, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        });
      },
    },
    adminChatIds: config.telegram.adminChatIds,
    logger,
    scrubber,
    clock,
  });
  const telegramNotifier = createTelegramNotifier({ config, links, logger });
  const slackNotifier = createSlackNotifier({
    secretBox,
    scrubber,
    logger,
    links,
    config,
    clock,
    env: process.env,
  });
  const engine = createEngine({
    config,
    store,
    vault,
    notifiers: [countOutcomes(telegramNotifier, metrics), countOutcomes(slackNotifier, metrics)],
    logger,
    clock,
    reporter,
    onCycle: (stats) => {
      metrics.recordCycle(clock.now(), stats.durationMs);
      reporter.sweep();
    },
    onSweep: (stats) => metrics.recordSweep(clock.now(), stats.durationMs, stats.casesFetched),
  });
  const bot = createBot({
    config,
    store,
    vault,
    links,
    logger,
    clock,
    onChatReactivated: () => engine.kickDelivery(),
    slack: { secretBox, scrubber, webhook: { env: process.env } },
    status: { metrics, version, paths: () => vault.paths() },
    reporter,
  });

  let stopping = false;
  let polling = false;
  let storeClosed: Promise<void> | undefined;
  const closeStore = (): Promise<void> => {
    storeClosed ??= store.close().catch((err: unknown) => {
      log.error({ err }, 'closing the store failed');
    });
    return storeClosed;
  };
  const launchAbort = new AbortController();
  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down');
    const exitCode = (): number => (code === EXIT_OK ? EXIT_FAILURE : code);
    const deadline = setTimeout(() => {
      log.error('shutdown took too long; releasing the store lock and exiting anyway');
      const exit = setTimeout(() => process.exit(exitCode()), LAST_CLOSE_MS);
      void closeStore().then(() => {
        clearTimeout(exit);
        process.exit(exitCode());
      });
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    launchAbort.abort();
    if (polling) {
      try {
        bot.stop(reason);
      } catch (err) {
        log.warn({ err }, 'stopping Telegram polling failed');
      }
    }
    try {
      await engine.stop({ cyclesMs: SHUTDOWN_BUDGET.cyclesMs, sendsMs: SHUTDOWN_BUDGET.sendsMs });
      await Promise.all([telegramNotifier.close(), slackNotifier.close()]);
    } catch (err) {
      log.error({ err }, 'stopping the engine failed');
    }
    await closeStore();
    log.info('stopped');
    process.exit(code);
  };

  process.on('SIGINT', () => void shutdown('SIGINT', EXIT_OK));
  process.on('SIGTERM', () => void shutdown('SIGTERM', EXIT_OK));
  process.on('unhandledRejection', (reason) => {
    // A forgotten promise somewhere: the state is still consistent (every write is a
    // transaction), so log it loudly and keep serving.
    log.error({ err: reason }, 'unhandled promise rejection (kept running)');
    reporter.report({ component: 'process', error: reason });
  });
  process.on('uncaughtException', (err) => {
    // A synchronous throw escaped every handler: the process may be in an unknown state.
    // Stop cleanly (store flushed, lock released) and let the supervisor restart us.
    log.fatal({ err }, 'uncaught exception; shutting down');
    void shutdown('uncaughtException', EXIT_FAILURE);
  });

  // The engine runs from the start: the portal is polled and messages are queued even while
  // Telegram cannot be reached yet (telegram-launch.ts retries the connection).
  engine.start();
  polling = true;
  launchWithRetry(
    {
      launch: async () => {
        bot.botInfo ??= await bot.telegram.getMe();
        await registerCommands(bot, logger);
        await bot.launch({ allowedUpdates: ['message', 'callback_query', 'my_chat_member'] }, () =>
          log.info('listening to Telegram'),
        );
      },
    },
    {
      logger: log,
      signal: launchAbort.signal,
      sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    },
  )
    .then(() => {
      polling = false;
    })
    .catch((err: unknown) => {
      polling = false;
      if (err instanceof TelegramLaunchError) log.fatal({ code: err.code }, err.message);
      else log.fatal({ err }, 'Telegram polling stopped');
      void shutdown('telegram polling failed', EXIT_FAILURE);
    });
}

main().catch((err: unknown) => {
  // Before the logger exists: still never print a secret (token shapes, known env values).
  const scrubber = createSecretScrubber([
    process.env.TELEGRAM_BOT_TOKEN,
    process.env.PUSHBOT_SECRET_KEY,
  ]);
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`tickets-pushbot crashed while starting: ${scrubber.scrub(text)}\n`);
  process.exit(EXIT_FAILURE);
});
