// Every raw portal answer `check` receives, through the portal's onAnswer hook: kept in memory
// (so a FAIL line can quote the portal's own words), mined for the access tokens SSO issues (so
// no printed line or recorded file can show one), and, with --record, written to a folder for
// a person to send to whoever works on the bot: scrubbed, numbered, readable by its owner only.
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortalResponse } from '../portal/errors.js';
import { createSecretScrubber } from '../secrets.js';

export interface AnswerRequest {
  method: string;
  /** "POST /support/v3/cases/filter": method and path only. */
  endpoint: string;
  body?: string;
}

export interface AnswerEntry {
  request: AnswerRequest;
  answer: PortalResponse;
}

export interface AnswerLog {
  /** The portal's onAnswer hook; never throws (a throw would read as a network failure). */
  onAnswer: (request: AnswerRequest, answer: PortalResponse) => void;
  /** A position to pass to lastSince(). */
  mark(): number;
  /** The newest answer received after `mark`. */
  lastSince(mark: number): AnswerEntry | undefined;
}

/** Keys whose values are secrets in any JSON or form body (OAuth, logins). */
const SECRET_KEYS = /^(access_token|refresh_token|id_token|offline_token|password|client_secret)$/i;
const REDACTED = '[redacted]';
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Headers kept in a recording; no other header is ever written. */
const KEPT_HEADERS = ['content-type', 'retry-after', 'www-authenticate', 'strata-message'] as const;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

function tokensIn(body: string): string[] {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) return [];
    return Object.entries(value)
      .filter(([key, v]) => SECRET_KEYS.test(key) && typeof v === 'string')
      .map(([, v]) => String(v));
  } catch (err) {
    void err; // not JSON: no token answer
    return [];
  }
}

/**
 * @param onSecret called with every token an answer carries, before anything else sees it
 * @param recorder where answers are written (--record), if anywhere
 */
export function createAnswerLog(
  onSecret: (secret: string) => void,
  recorder?: Recorder,
): AnswerLog {
  const entries: AnswerEntry[] = [];
  return {
    onAnswer(request, answer) {
      for (const token of tokensIn(answer.body)) onSecret(token);
      const entry = { request, answer };
      entries.push(entry);
      recorder?.write(entry);
    },
    mark: () => entries.length,
    lastSince: (mark) => (entries.length > mark ? entries.at(-1) : undefined),
  };
}

/** Replaces secret-keyed values in parsed JSON, at any depth. */
function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? REDACTED : redactJson(v)]),
  );
}

/** A body as structured data where it is JSON or a form, with secret-keyed values replaced. */
function readableBody(body: string | undefined, contentType?: string): unknown {
  if (body === undefined || body === '') return body;
  try {
    return redactJson(JSON.parse(body));
  } catch (err) {
    void err; // not JSON: a form, XML, HTML or text
  }
  const looksLikeForm =
    /x-www-form-urlencoded/i.test(contentType ?? '') ||
    /^[\w.-]+=[^&\s]*(&[\w.-]+=[^&\s]*)*$/.test(body);
  if (looksLikeForm) {
    const form = new URLSearchParams(body);
    return Object.fromEntries([...form].map(([k, v]) => [k, SECRET_KEYS.test(k) ? REDACTED : v]));
  }
  return body;
}

/** `name` as a whole word (not inside a longer name or address). */
function wordPattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w.-])${escaped}(?![\\w-])`, 'g');
}

export interface Recorder {
  readonly dir: string;
  write(entry: AnswerEntry): void;
  /** Files written so far. */
  count(): number;
  /** The first write failure, if any (recording stops at the first one). */
  failure(): string | undefined;
}

export interface RecorderOptions {
  dir: string;
  /** Paths of the SSO token endpoint and the GraphQL endpoint, for readable file names. */
  tokenPath: string;
  graphqlPath: string;
  /** Values to remove from every file: tokens, passwords, the bot token, key material. */
  secrets: () => readonly string[];
  /** Login names given as credentials: removed too (they name a person). */
  usernames: () => readonly string[];
}

export class RecordDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordDirError';
  }
}

/** "POST /support/v3/cases/01234567/comments" → "POST-cases-01234567-comments". */
export function fileStem(
  endpoint: string,
  names: { tokenPath: string; graphqlPath: string },
): string {
  const [method = 'GET', path = '/'] = endpoint.split(' ');
  let what: string;
  if (path === names.tokenPath) what = 'token';
  else if (path === names.graphqlPath) what = 'graphql';
  else {
    const segments = path.split('/').filter((s) => s !== '');
    const cases = segments.indexOf('cases');
    what = (cases >= 0 ? segments.slice(cases) : segments.slice(-1)).join('-') || 'root';
  }
  return `${method}-${what}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Creates (or takes, when empty) the folder with mode 0700. Refuses a folder that already holds
 * files: a recording mixed with an older one would mislead whoever reads it.
 */
export function openRecorder(options: RecorderOptions): Recorder {
  try {
    mkdirSync(options.dir, { recursive: true, mode: DIR_MODE });
    if (readdirSync(options.dir).length > 0) {
      throw new RecordDirError(`--record: ${options.dir} is not empty; give a new or empty folder`);
    }
    chmodSync(options.dir, DIR_MODE);
  } catch (err) {
    if (err instanceof RecordDirError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unusable';
    throw new RecordDirError(`--record: cannot use the folder ${options.dir} (${code})`);
  }
  let written = 0;
  let failed: string | undefined;

  const scrub = (text: string): string => {
    // A fresh scrubber per file: tokens issued after the folder was opened are known by now.
    // E-mail addresses before usernames, so "alice@example.com" goes whole.
    let out = createSecretScrubber(options.secrets()).scrub(text).replace(EMAIL, '[email]');
    for (const name of options.usernames()) {
      // A one-letter login would blank every such word; it names nobody anyway.
      if (name.length >= 2) out = out.replace(wordPattern(name), REDACTED);
    }
    return out.replaceAll('[secret]', REDACTED);
  };

  return {
    dir: options.dir,
    count: () => written,
    failure: () => failed,
    write({ request, answer }) {
      if (failed !== undefined) return;
      const headers = Object.fromEntries(
        KEPT_HEADERS.flatMap((h) =>
          answer.headers[h] !== undefined ? [[h, answer.headers[h]]] : [],
        ),
      );
      const document = {
        request: {
          method: request.method,
          endpoint: request.endpoint,
          ...(request.body !== undefined ? { body: readableBody(request.body) } : {}),
        },
        answer: {
          status: answer.status,
          headers,
          body: readableBody(answer.body, answer.headers['content-type']),
        },
      };
      const number = String(written + 1).padStart(2, '0');
      const name = `${number}-${fileStem(request.endpoint, options)}.json`;
      try {
        writeFileSync(join(options.dir, name), `${scrub(JSON.stringify(document, null, 2))}\n`, {
          mode: FILE_MODE,
          flag: 'wx',
        });
        written++;
      } catch (err) {
        failed = `cannot write ${name} in ${options.dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
      }
    },
  };
}
