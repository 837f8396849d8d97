// pino to stdout with ISO timestamps, child loggers per component, and two layers against
// leaking secrets: `redact` for well-known keys, and a scrubber over every finished line
// (catches a bot token inside an error message or stack, a URL with credentials, ...).
//
// Two formats (log.format): JSON lines for machines (Docker, journald, log shippers), and
// pretty lines for a person at a terminal, made by pino-pretty:
//   [12:34:56] INFO: poller: poll cycle done {"cases":12,"ms":840}
// Why pino-pretty: it is pino's own prettifier, kept by the pino team, and it already handles
// what a home-made formatter would get wrong (error stacks and causes, nested objects, time
// zones, colours per level). Why not as a pino transport (`pino.transport({ target:
// 'pino-pretty' })`): a transport runs in a worker thread, so lines would leave this thread
// before the scrubber sees them, the scrubber's secrets learned at run time (scrubber.add)
// would not be known there, and the last lines before process.exit() could be lost. Instead
// its synchronous prettyFactory formats each finished JSON line in-process, between two
// passes of the same scrubber.
import { pino, type DestinationStream, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { LogFormat, LogLevel } from './config.js';
import type { SecretScrubber } from './secrets.js';

export type { Logger } from 'pino';

// Keys whose values are always secrets, at any of the first levels of a log object.
const SECRET_KEYS = [
  'token',
  'password',
  'authorization',
  'Authorization',
  'offlineToken',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'secret',
  'webhook',
  'webhookUrl',
  'cookie',
];
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.headers.Authorization',
];

/** log.format once `auto` is decided (main.ts: pretty when stdout is a terminal). */
export type LogOutputFormat = Exclude<LogFormat, 'auto'>;

export interface LoggerOptions {
  level: LogLevel;
  scrubber: SecretScrubber;
  /** Default 'json'. */
  format?: LogOutputFormat;
  /**
   * Colours in pretty lines. Default: only when the destination is a terminal and the
   * environment allows colours (no NO_COLOR, TERM is not dumb); never in JSON.
   */
  colorize?: boolean;
  /** Where lines go; default stdout. Tests pass a collector. */
  destination?: { write(line: string): unknown; isTTY?: boolean };
}

/** Pretty line: "[HH:MM:ss] LEVEL: component: message {extra fields}", errors with their stack. */
function createPrettifier(colorize: boolean): (jsonLine: string) => string {
  return prettyFactory({
    colorize,
    // Local wall-clock time: a person at a terminal reads their own clock; the date is left
    // out to keep lines short on a narrow terminal (JSON lines keep full ISO timestamps).
    translateTime: 'SYS:HH:MM:ss',
    // Extra fields as one compact JSON object on the same line, not one line per key.
    singleLine: true,
    ignore: 'pid,hostname,component',
    messageFormat: (log, messageKey) =>
      [log.component, log[messageKey]]
        .filter((part) => typeof part === 'string' && part !== '')
        .join(': '),
  });
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stdout;
  const { scrubber } = options;
  let scrubbing: DestinationStream;
  if (options.format === 'pretty') {
    const prettify = createPrettifier(options.colorize ?? (out.isTTY === true && isColorSupported));
    scrubbing = {
      write(line: string) {
        // Scrub the JSON (what the scrubber's shapes are written for), prettify, and scrub
        // again: prettifying un-escapes strings and reflows error stacks, which must not let
        // a secret through in a form the first pass did not see.
        out.write(scrubber.scrub(prettify(scrubber.scrub(line))));
      },
    };
  } else {
    scrubbing = {
      write(line: string) {
        out.write(scrubber.scrub(line));
      },
    };
  }
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[secret]' },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing,
  );
}
