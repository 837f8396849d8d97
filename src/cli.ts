// The command line: which subcommand, which config file, usage text and exit codes. main.ts
// wires the daemon; this module decides whether it runs at all, and how the process ends when
// it does not (help, version, `check`, bad arguments, bad config).
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH } from './config.js';

/** Exit codes of every command: `check` uses the same three. */
export const EXIT = {
  ok: 0,
  /** Could not start, or stopped on a fatal error (a supervisor should restart it). */
  failure: 1,
  /** Bad arguments or configuration: restarting will not help until a person fixes them. */
  config: 2,
} as const;

export const USAGE = `tickets-pushbot: new comments on your Red Hat support cases, pushed to Telegram.

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

export type Command =
  | { kind: 'daemon'; configPath: string; explicit: boolean }
  | { kind: 'check'; args: string[] }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'usage-error'; message: string };

/** What the arguments ask for. `explicit`: the config path was named, so a missing file is an error. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  if (argv[0] === 'check') return { kind: 'check', args: argv.slice(1) };
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
    }));
  } catch (err) {
    return { kind: 'usage-error', message: (err as Error).message };
  }
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  if (values.config !== undefined) {
    return { kind: 'daemon', configPath: values.config, explicit: true };
  }
  const fromEnv = env.PUSHBOT_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    return { kind: 'daemon', configPath: fromEnv, explicit: true };
  }
  return { kind: 'daemon', configPath: DEFAULT_CONFIG_PATH, explicit: false };
}

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface CliActions {
  version(): string;
  check(args: string[]): Promise<number>;
  /** Starts the daemon; it ends the process itself on shutdown. */
  daemon(configPath: string, explicit: boolean): Promise<void>;
}

/**
 * Runs what the arguments ask for. Resolves to the exit code for the commands that end (help,
 * version, check, bad arguments); to undefined once the daemon is running.
 */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  actions: CliActions,
): Promise<number | undefined> {
  const command = parseCommandLine(argv, env);
  switch (command.kind) {
    case 'help':
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    case 'version':
      io.stdout.write(`${actions.version()}\n`);
      return EXIT.ok;
    case 'usage-error':
      io.stderr.write(`${command.message}\n\n${USAGE}\n`);
      return EXIT.config;
    case 'check':
      return actions.check(command.args);
    case 'daemon':
      await actions.daemon(command.configPath, command.explicit);
      return undefined;
  }
}
