#!/usr/bin/env node
// Composition root: config → logger → secrets → store → portal → notifiers → engine → bot;
// and the shutdown sequence. The only module that knows every concrete piece. What the command
// line asks for (help, version, check, which config) is cli.ts's.
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, runCli, USAGE } from './cli.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createCredentialVault } from './credentials.js';
import { systemClock, V1_SWITCH_OFF_DATE } from './domain.js';
import { createEngine } from './engine.js';
import { createLinks } from './links.js';
import { createLogger } from './logger.js';
import { createTelegramNotifier } from './notify/telegram/notifier.js';
import { createAdminReporter } from './notify/admin-reporter.js';
import { createSlackNotifier } from './notify/slack/notifier.js';
import { countOutcomes, createMetrics } from './metrics.js';
import { Telegram } from 'telegraf';
import { createPortalClientFactory } from './portal/index.js';
import { checkKeyMatches, openSecretBox } from './secret-key.js';
import { createSecretScrubber, type SecretBox } from './secrets.js';
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

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** Starts the daemon; the process ends in shutdown() (or in fail() before it runs). */
async function startDaemon(configPath: string, explicit: boolean): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(configPath, explicit, process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, EXIT.config);
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
    fail(`tickets-pushbot cannot start: ${scrubber.scrub((err as Error).message)}`, EXIT.failure);
  }
  try {
    checkKeyMatches(store, secretBox);
  } catch (err) {
    await store.close();
    fail(`tickets-pushbot cannot start: ${(err as Error).message}`, EXIT.failure);
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
  const telegramNotifier = createTelegramNotifier({ config, links, logger, clock });
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
    const exitCode = (): number => (code === EXIT.ok ? EXIT.failure : code);
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

  process.on('SIGINT', () => void shutdown('SIGINT', EXIT.ok));
  process.on('SIGTERM', () => void shutdown('SIGTERM', EXIT.ok));
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
    void shutdown('uncaughtException', EXIT.failure);
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
      void shutdown('telegram polling failed', EXIT.failure);
    });
}

runCli(process.argv.slice(2), process.env, process, {
  version: readVersion,
  check: (args) => runCheck(args, { usage: USAGE }),
  daemon: startDaemon,
})
  .then((code) => {
    if (code !== undefined) process.exit(code);
  })
  .catch((err: unknown) => {
    // Before the logger exists: still never print a secret (token shapes, known env values).
    const scrubber = createSecretScrubber([
      process.env.TELEGRAM_BOT_TOKEN,
      process.env.PUSHBOT_SECRET_KEY,
    ]);
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`tickets-pushbot crashed while starting: ${scrubber.scrub(text)}\n`);
    process.exit(EXIT.failure);
  });
