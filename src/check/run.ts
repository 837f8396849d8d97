// `tickets-pushbot check`: the command a person runs before trusting the daemon. It reads the
// daemon's config, takes a Red Hat credential (environment, hidden prompt, or a chat's stored
// one), and prints one PASS/FAIL/WARN/INFO/SKIP line per finding: proxy, SSO, GraphQL and the
// fields it lets this account read, REST v3, an optional case through every path, Telegram's
// getMe, then the path the daemon's own client settles on and what a quiet cycle costs.
//
// Exit 0: a path works and Telegram accepts the bot token; 1: the daemon would not work;
// 2: bad arguments, bad configuration, no credential, no database for --chat.
//
// It writes nothing beside db.json and takes no lock (it runs beside a running daemon); with
// --record it writes the portal's raw answers, scrubbed, to a folder of the user's choosing.
// Every printed line passes through a scrubber holding every secret it has seen.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXIT } from '../cli.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, type Config, type Env } from '../config.js';
import { CASE_NUMBER_PATTERN, V1_SWITCH_OFF_DATE, type Audience } from '../domain.js';
import { createLogger } from '../logger.js';
import { createPortalClientFactory } from '../portal/index.js';
import type { PortalCredential } from '../portal/types.js';
import { createSecretScrubber } from '../secrets.js';
import { readVersion } from '../version.js';
import { createAnswerLog, openRecorder, RecordDirError, type Recorder } from './answers.js';
import { probeCaseConfigured, probeCaseV3 } from './case-probe.js';
import {
  credentialFromChat,
  credentialFromUser,
  ENV_PASSWORD,
  ENV_TOKEN,
  ENV_USER,
  type ChatCredential,
} from './credential.js';
import { checkPath, quietCycleCost, type CostBasis } from './path.js';
import {
  createProbeKit,
  probeGraphql,
  probeRest,
  probeSso,
  reportProxies,
} from './portal-probes.js';
import type { PromptIo } from './prompt.js';
import { createReport, type Output, type Report } from './report.js';
import { probeTelegram } from './telegram.js';

export const EXIT_WORKS = EXIT.ok;
export const EXIT_BROKEN = EXIT.failure;
export const EXIT_USAGE = EXIT.config;
/** The quiet-cycle cost without --chat is stated for this many followed cases. */
const COST_EXAMPLE_CASES = 100;

export interface CheckIo extends PromptIo {
  argv: readonly string[];
  env: Env;
  stdout: Output;
  usage: string;
}

interface CheckArgs {
  configPath: string;
  explicit: boolean;
  caseNumber: string | undefined;
  recordDir: string | undefined;
  chatId: number | undefined;
  help: boolean;
}

/** main.ts dispatches `node dist/main.js check …` here; resolves with the exit code. */
export function runCheck(argv: string[], context: { usage: string }): Promise<number> {
  return check({
    argv,
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    usage: context.usage,
  });
}

function parseCheckArgs(argv: readonly string[], env: Env): CheckArgs | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        case: { type: 'string' },
        record: { type: 'string' },
        chat: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    // node's messages name the option, never its value.
    return { error: `check: ${(err as Error).message}` };
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    // Not echoed: a stray argument may well be a pasted token.
    return {
      error: `check: unexpected argument. A credential is never given on the command line: use ${ENV_TOKEN}, or ${ENV_USER} + ${ENV_PASSWORD}, or the prompt.`,
    };
  }
  const caseNumber = values.case?.trim().replace(/^#/, '');
  if (caseNumber !== undefined && !CASE_NUMBER_PATTERN.test(caseNumber)) {
    return { error: 'check: --case expects a case number (digits), e.g. --case 01234567' };
  }
  const chat = values.chat?.trim();
  if (
    chat !== undefined &&
    (!/^-?\d+$/.test(chat) || !Number.isSafeInteger(Number(chat)) || Number(chat) === 0)
  ) {
    return { error: 'check: --chat expects a Telegram chat id (a whole number; /whoami shows it)' };
  }
  if (values.record !== undefined && values.record.trim() === '') {
    return { error: 'check: --record expects a folder' };
  }
  const fromEnv = env.PUSHBOT_CONFIG;
  const configPath =
    values.config ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CONFIG_PATH);
  return {
    configPath,
    explicit: values.config !== undefined || (fromEnv !== undefined && fromEnv !== ''),
    caseNumber,
    recordDir: values.record,
    chatId: chat !== undefined ? Number(chat) : undefined,
    help: values.help === true,
  };
}

export async function check(io: CheckIo): Promise<number> {
  const args = parseCheckArgs(io.argv, io.env);
  if ('error' in args) {
    io.stderr.write(`${args.error}\n\n${io.usage}\n`);
    return EXIT_USAGE;
  }
  if (args.help) {
    io.stdout.write(`${io.usage}\n`);
    return EXIT_WORKS;
  }
  let config: Config;
  try {
    config = loadConfig(args.configPath, args.explicit, io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`${err.message}\n`);
    return EXIT_USAGE;
  }

  // Everything secret that passes through this run: printed lines are scrubbed of all of it.
  const scrubber = createSecretScrubber([config.telegram.token, config.secretKey]);
  const recordSecrets: string[] = [
    config.telegram.token,
    ...(config.secretKey !== undefined ? [config.secretKey] : []),
  ];
  const usernames: string[] = [];
  const remember = (secret: string): void => {
    scrubber.add(secret);
    recordSecrets.push(secret);
  };
  const fail = (message: string): number => {
    io.stderr.write(`${scrubber.scrub(message)}\n`);
    return EXIT_USAGE;
  };

  let recorder: Recorder | undefined;
  if (args.recordDir !== undefined) {
    try {
      recorder = openRecorder({
        dir: args.recordDir,
        tokenPath: pathOf(config.portal.tokenUrl),
        graphqlPath: pathOf(config.portal.graphqlUrl),
        secrets: () => recordSecrets,
        usernames: () => usernames,
      });
    } catch (err) {
      if (err instanceof RecordDirError) return fail(err.message);
      throw err;
    }
  }

  const fromChat =
    args.chatId !== undefined ? await credentialFromChat(config, args.chatId) : undefined;
  const found = fromChat ?? (await credentialFromUser(io.env, io));
  const chat = fromChat !== undefined && !('exitCode' in fromChat) ? fromChat : undefined;
  if ('exitCode' in found && found.exitCode === EXIT_USAGE) return fail(found.message);

  const version = readVersion();
  const report = createReport(io.stdout, scrubber);
  const configShown =
    args.explicit || existsSync(args.configPath)
      ? args.configPath
      : 'none (defaults and the environment)';
  report.plain(
    `tickets-pushbot check ${version}: config ${configShown}, portal.api "${config.portal.api}"`,
  );
  if ('exitCode' in found) {
    report.line('FAIL', 'credential', found.message);
    const telegramOk = await probeTelegram(config, report);
    return finish(report, recorder, [
      'no Red Hat credential to check',
      ...(telegramOk ? [] : ['Telegram refused the bot token or could not be reached']),
    ]);
  }
  for (const secret of found.secrets) remember(secret);
  if (found.credential.kind === 'basic') usernames.push(found.credential.username);
  if (args.chatId !== undefined && [ENV_TOKEN, ENV_USER, ENV_PASSWORD].some((v) => io.env[v])) {
    report.line(
      'INFO',
      'credential',
      `--chat given: the ${ENV_TOKEN}/${ENV_USER} variables are ignored`,
    );
  }
  report.line('INFO', 'credential', found.from);
  if (chat !== undefined) reportChat(report, chat);

  const reasons = await probeEverything({
    io,
    config,
    version,
    args,
    credential: found.credential,
    chat,
    report,
    remember,
    recorder,
  });
  return finish(report, recorder, reasons);
}

function pathOf(url: string): string {
  return URL.canParse(url) ? new URL(url).pathname : url;
}

function reportChat(report: Report, chat: ChatCredential): void {
  report.line(
    'INFO',
    `chat ${chat.chatId}`,
    `follows ${chat.followed} case${chat.followed === 1 ? '' : 's'}, hears from ${chat.audience} (/notify)${chat.active ? '' : '; inactive: Telegram refused to deliver to it'}`,
  );
  if (chat.keyWarning !== undefined) report.line('WARN', 'secret key', chat.keyWarning);
  if (chat.rejectedAt !== undefined) {
    report.line(
      'WARN',
      `chat ${chat.chatId}`,
      `the daemon marked this credential rejected at ${chat.rejectedAt} and stopped polling with it; checking it anyway`,
    );
  }
}

interface RunContext {
  io: CheckIo;
  config: Config;
  version: string;
  args: CheckArgs;
  credential: PortalCredential;
  chat: ChatCredential | undefined;
  report: Report;
  /** Adds a secret seen on the way (an issued access token) to both scrubbers. */
  remember: (secret: string) => void;
  recorder: Recorder | undefined;
}

/** Runs every probe in order; returns why the daemon would not work (empty: it would). */
async function probeEverything(run: RunContext): Promise<string[]> {
  const { io, config, version, args, credential, chat, report } = run;
  const api = config.portal.api;
  const isV3 = api === 'v3';
  const logger = createLogger({ level: 'silent', scrubber: createSecretScrubber() });
  const answers = createAnswerLog(run.remember, run.recorder);
  const audience: Audience | undefined = chat?.audience;

  if (!isV3) {
    report.line(
      'WARN',
      'portal.api',
      `"${api}" is Red Hat's v1-era API, which Red Hat switched off on ${V1_SWITCH_OFF_DATE}: set "portal.api": "v3" (and remove portal.baseUrl) in the configuration. Checking "${api}" as the daemon would use it.`,
    );
  }
  reportProxies(report, io.env, [
    ...(credential.kind === 'offline-token' ? [{ label: 'SSO', url: config.portal.tokenUrl }] : []),
    { label: isV3 ? 'REST v3' : api, url: config.portal.baseUrl },
    ...(isV3 ? [{ label: 'GraphQL', url: config.portal.graphqlUrl }] : []),
  ]);

  const kit = createProbeKit({ config, credential, env: io.env, version, logger, answers, report });
  const factory = createPortalClientFactory({
    portal: config.portal,
    logger,
    userAgent: `tickets-pushbot/${version} (check)`,
    version,
    env: io.env,
    onAnswer: answers.onAnswer,
  });

  const loggedIn = await probeSso(kit);
  if (isV3 && loggedIn) {
    const graphql = await probeGraphql(kit);
    await probeRest(kit);
    if (args.caseNumber !== undefined) await probeCaseV3(kit, graphql, args.caseNumber, audience);
  } else if (isV3) {
    report.line('SKIP', 'GraphQL and REST v3', 'not probed without a login (SSO failed above)');
  } else {
    report.line('SKIP', 'GraphQL and REST v3', `not probed: portal.api is "${api}"`);
    if (loggedIn && args.caseNumber !== undefined) {
      await probeCaseConfigured(factory.create(credential), api, {
        report,
        answers,
        caseNumber: args.caseNumber,
        audience,
      });
    }
  }

  const telegramOk = await probeTelegram(config, report);

  let path;
  if (loggedIn) path = await checkPath(factory, credential, report, answers);
  else report.line('FAIL', 'path', 'no way to read cases without a login (SSO failed above)');
  if (path !== undefined) {
    const basis: CostBasis =
      chat !== undefined
        ? {
            cases: chat.followed,
            who: `chat ${chat.chatId}`,
            ...(chat.followedByCredential > chat.followed
              ? { byCredential: chat.followedByCredential }
              : {}),
          }
        : { cases: COST_EXAMPLE_CASES };
    report.line(
      'INFO',
      'quiet-cycle cost',
      quietCycleCost(path, basis, config.poll.intervalSeconds),
    );
  }
  return [
    ...(path === undefined ? ['no way to read Red Hat cases works for this credential'] : []),
    ...(telegramOk ? [] : ['Telegram refused the bot token or could not be reached']),
  ];
}

function finish(
  report: Report,
  recorder: Recorder | undefined,
  reasons: readonly string[],
): number {
  if (recorder !== undefined) {
    const failure = recorder.failure();
    if (failure !== undefined)
      report.line('WARN', 'record', `${failure}; the recording is incomplete`);
    report.line(
      'INFO',
      'record',
      `${recorder.count()} raw portal answer${recorder.count() === 1 ? '' : 's'} written to ${recorder.dir} (tokens, passwords, usernames and e-mail addresses removed; read them before sharing)`,
    );
  }
  if (reasons.length === 0) {
    report.plain('Exit 0: the daemon would work');
    return EXIT_WORKS;
  }
  report.plain(`Exit 1: the daemon would not work: ${reasons.join('; ')}`);
  return EXIT_BROKEN;
}
