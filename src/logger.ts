// pino to stdout with ISO timestamps, child loggers per component, and two layers against
// leaking secrets: `redact` for well-known keys, and a scrubber over every finished line
// (catches a bot token inside an error message or stack, a URL with credentials, ...).
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
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

export interface LoggerOptions {
  level: LogLevel;
  scrubber: SecretScrubber;
  /** Where lines go; default stdout. Tests pass a collector. */
  destination?: { write(line: string): unknown };
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stdout;
  const scrubbing: DestinationStream = {
    write(line: string) {
      out.write(options.scrubber.scrub(line));
    },
  };
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
