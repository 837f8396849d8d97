// config.json + environment → a validated Config. parseConfig() is pure (input, env, file
// reader in; Config or ConfigError out); loadConfig() adds the file system.
//
// The keys below are a contract with users' config files: extend, never rename.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

export const DEFAULT_CONFIG_PATH = './config.json';
export const DEFAULT_DB_PATH = './data/db.json';
export const DEFAULT_TELEGRAM_API_ROOT = 'https://api.telegram.org';
export const DEFAULT_TOKEN_URL =
  'https://sso.redhat.com/auth/realms/redhat-external/protocol/openid-connect/token';
export const DEFAULT_BASE_URLS = {
  v3: 'https://api.access.redhat.com/support/v3',
  hydra: 'https://api.access.redhat.com/support/v1',
  strata: 'https://api.access.redhat.com/rs',
} as const;
/** Red Hat's GraphQL API (POST to the root path); only the v3 API uses it. */
export const DEFAULT_GRAPHQL_URL = 'https://graphql.redhat.com';
export const PORTAL_APIS = ['v3', 'hydra', 'strata'] as const;
export type PortalApi = (typeof PORTAL_APIS)[number];
export const DEFAULT_CASE_URL_TEMPLATE =
  'https://access.redhat.com/support/cases/#/case/{caseNumber}';
export const DEFAULT_COMMENT_URL_TEMPLATE =
  'https://access.redhat.com/support/cases/#/case/{caseNumber}?commentId={commentId}';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `auto`: human-readable lines when stdout is a terminal, JSON lines otherwise (main decides). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const httpUrl = z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
  message: 'expected an http:// or https:// URL',
});
const chatIdList = z.array(
  z
    .number()
    .int()
    .refine((n) => n !== 0, 'a chat id is never 0'),
);
const caseTemplate = z
  .string()
  .refine((s) => s.includes('{caseNumber}'), { message: 'expected a URL containing {caseNumber}' });

const fileSchema = z.strictObject({
  telegram: z
    .strictObject({
      token: z.string().optional(),
      apiRoot: httpUrl.default(DEFAULT_TELEGRAM_API_ROOT),
      allowedChatIds: chatIdList.default([]),
      adminChatIds: chatIdList.default([]),
    })
    .default({ apiRoot: DEFAULT_TELEGRAM_API_ROOT, allowedChatIds: [], adminChatIds: [] }),
  portal: z
    .strictObject({
      api: z.enum(PORTAL_APIS).default('v3'),
      baseUrl: httpUrl.optional(),
      graphqlUrl: httpUrl.default(DEFAULT_GRAPHQL_URL),
      tokenUrl: httpUrl.default(DEFAULT_TOKEN_URL),
      timeoutSeconds: z.number().positive().max(600).default(30),
      maxResponseBytes: z
        .number()
        .int()
        .min(1024)
        .default(20 * 1024 * 1024),
      caseUrlTemplate: caseTemplate.default(DEFAULT_CASE_URL_TEMPLATE),
      commentUrlTemplate: caseTemplate.default(DEFAULT_COMMENT_URL_TEMPLATE),
    })
    .prefault({}),
  poll: z
    .strictObject({
      intervalSeconds: z.number().min(1).max(86_400).default(60),
      concurrency: z.number().int().min(1).max(64).default(4),
      fullSweepEvery: z.number().int().min(1).default(10),
      keepClosedCases: z.boolean().default(false),
    })
    .prefault({}),
  notify: z
    .strictObject({
      maxCommentChars: z.number().int().min(0).max(3500).default(1000),
    })
    .prefault({}),
  rules: z
    .strictObject({
      maxPerChat: z.number().int().min(0).max(100).default(10),
      maxCasesPerRule: z.number().int().min(1).max(5_000).default(200),
    })
    .prefault({}),
  slack: z
    .strictObject({
      allowedWebhookHosts: z.array(z.string().min(1)).default(['hooks.slack.com']),
    })
    .prefault({}),
  dbPath: z.string().min(1).default(DEFAULT_DB_PATH),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      format: z.enum(LOG_FORMATS).default('auto'),
    })
    .prefault({}),
});

// The token alone, read from the raw file whatever else in it is wrong: the token must not be
// reported missing just because another key (portal.api, poll.*, ...) failed validation. Its
// type is checked by fileSchema (telegram.token must be a string) and its shape below.
const fileTokenSchema = z.looseObject({ telegram: z.looseObject({ token: z.string() }) });

// A bot token is "<bot id>:<secret>" as issued by @BotFather.
const BOT_TOKEN_PATTERN = /^\d+:[A-Za-z0-9_-]+$/;

export interface Config {
  telegram: { token: string; apiRoot: string; allowedChatIds: number[]; adminChatIds: number[] };
  portal: {
    api: PortalApi;
    /** REST base of the chosen API, no trailing slash. */
    baseUrl: string;
    /** GraphQL endpoint (v3 only), no trailing slash. */
    graphqlUrl: string;
    tokenUrl: string;
    timeoutSeconds: number;
    maxResponseBytes: number;
    caseUrlTemplate: string;
    commentUrlTemplate: string;
  };
  poll: {
    intervalSeconds: number;
    concurrency: number;
    fullSweepEvery: number;
    keepClosedCases: boolean;
  };
  notify: { maxCommentChars: number };
  /** /follow: rules per chat (0 turns rules off); cases one rule may follow. */
  rules: { maxPerChat: number; maxCasesPerRule: number };
  slack: { allowedWebhookHosts: string[] };
  /** Absolute path of db.json. */
  dbPath: string;
  log: { level: LogLevel; format: LogFormat };
  /** Operator-supplied key material (PUSHBOT_SECRET_KEY[_FILE]); absent → generated key file. */
  secretKey: string | undefined;
  /** Where the generated key lives when secretKey is absent: beside the db, mode 0600. */
  secretKeyPath: string;
  /** Touched after each poll cycle; read by the Docker HEALTHCHECK. */
  heartbeatPath: string;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
export type ReadTextFile = (path: string) => string;

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? `${key}: ` : '';
    return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see config.sample.json)`;
  }
  return `${key}: ${issue.message}`;
}

/** Reads a `<NAME>_FILE` (Docker secrets) or `<NAME>` variable; the file wins when both exist. */
function secretFromEnv(
  env: Env,
  name: string,
  readFile: ReadTextFile,
  problems: string[],
): string | undefined {
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    try {
      const value = readFile(file).trim();
      if (value === '') problems.push(`${name}_FILE: the file ${file} is empty`);
      return value === '' ? undefined : value;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${name}_FILE: cannot read ${file} (${code})`);
      return undefined;
    }
  }
  const direct = env[name];
  return direct !== undefined && direct !== '' ? direct.trim() : undefined;
}

/** An environment override limited to a few values: the value, or undefined when unset. */
function choiceFromEnv<T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  problems: string[],
): T | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const choice = choices.find((c) => c === value);
  if (choice === undefined) problems.push(`${name}: expected one of ${choices.join(', ')}`);
  return choice;
}

/**
 * Validates a parsed config.json (or undefined when there is none) together with the
 * environment. Every problem is collected and reported at once.
 */
export function parseConfig(
  raw: unknown,
  env: Env,
  readFile: ReadTextFile,
  options: { source?: string; cwd?: string } = {},
): Config {
  const source = options.source ?? 'config.json';
  const problems: string[] = [];
  // zod reports every issue of every section in one pass; nothing below depends on the whole
  // file being valid, so one wrong key neither hides another nor invents a missing one.
  const parsed = fileSchema.safeParse(raw ?? {});
  const issues = parsed.success ? [] : parsed.error.issues;
  problems.push(...issues.map(describeIssue));

  const fileToken = fileTokenSchema.safeParse(raw);
  const token =
    secretFromEnv(env, 'TELEGRAM_BOT_TOKEN', readFile, problems) ??
    (fileToken.success ? fileToken.data.telegram.token : undefined);
  // A token of the wrong type (a number, say) is already named by the schema issue above.
  const tokenTypeReported = issues.some((i) => i.path.join('.') === 'telegram.token');
  if (token === undefined || token === '') {
    if (!tokenTypeReported) {
      problems.push(
        'telegram.token: required: the bot token from @BotFather (or set TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE)',
      );
    }
  } else if (!BOT_TOKEN_PATTERN.test(token)) {
    // Never echo the value: it is a secret even when malformed.
    problems.push('telegram.token: expected the form <digits>:<letters> as given by @BotFather');
  }

  const secretKey = secretFromEnv(env, 'PUSHBOT_SECRET_KEY', readFile, problems);
  if (secretKey !== undefined && secretKey.length < 16) {
    problems.push(
      'PUSHBOT_SECRET_KEY: expected at least 16 characters (e.g. openssl rand -base64 32)',
    );
  }

  const envLevel = choiceFromEnv(env, 'PUSHBOT_LOG_LEVEL', LOG_LEVELS, problems);
  const envFormat = choiceFromEnv(env, 'PUSHBOT_LOG_FORMAT', LOG_FORMATS, problems);

  if (!parsed.success || problems.length > 0 || token === undefined || token === '') {
    throw new ConfigError(source, problems);
  }
  const data = parsed.data;
  const cwd = options.cwd ?? process.cwd();
  const dbPath = resolve(
    cwd,
    env.PUSHBOT_DB_PATH !== undefined && env.PUSHBOT_DB_PATH !== ''
      ? env.PUSHBOT_DB_PATH
      : data.dbPath,
  );
  return {
    telegram: {
      token,
      apiRoot: data.telegram.apiRoot.replace(/\/+$/, ''),
      allowedChatIds: data.telegram.allowedChatIds,
      adminChatIds: data.telegram.adminChatIds,
    },
    portal: {
      ...data.portal,
      baseUrl: (data.portal.baseUrl ?? DEFAULT_BASE_URLS[data.portal.api]).replace(/\/+$/, ''),
      graphqlUrl: data.portal.graphqlUrl.replace(/\/+$/, ''),
    },
    poll: data.poll,
    notify: data.notify,
    rules: data.rules,
    slack: data.slack,
    dbPath,
    log: { level: envLevel ?? data.log.level, format: envFormat ?? data.log.format },
    secretKey,
    secretKeyPath: join(dirname(dbPath), 'secret.key'),
    heartbeatPath: join(dirname(dbPath), 'heartbeat'),
  };
}

/**
 * Reads and validates the config file. A missing file is fine when the path was not chosen
 * explicitly (Docker users may configure everything through the environment).
 */
export function loadConfig(
  path: string,
  explicit: boolean,
  env: Env,
  readFile: ReadTextFile = (p) => readFileSync(p, 'utf8'),
): Config {
  let raw: unknown;
  let text: string | undefined;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || explicit) {
      throw new ConfigError(path, [`cannot read the config file (${code ?? 'unreadable'})`]);
    }
  }
  if (text !== undefined) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(path, [`not valid JSON: ${(err as Error).message}`]);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(path, ['expected a JSON object at the top level']);
    }
  }
  return parseConfig(raw, env, readFile, { source: path });
}
