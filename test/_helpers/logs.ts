// The one log collector of the test suite: the daemon's own logger (createLogger: redaction and
// the secret scrubber included) writing JSON lines into memory, for assertions on what was
// logged and on what must never be.
import type { LogLevel } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createSecretScrubber, type SecretScrubber } from '../../src/secrets.js';

export interface LogCollector {
  logger: Logger;
  /** Every line as written (JSON, with its newline), oldest first; grows as the code logs. */
  lines: string[];
  /** The lines parsed. */
  records(): Record<string, unknown>[];
  /** Everything written, as one string (for "this secret never appears" checks). */
  text(): string;
  /** How many lines have a message matching `pattern`. */
  count(pattern: RegExp): number;
}

export interface CollectLogsOptions {
  /** Default 'debug'. */
  level?: LogLevel;
  /** Default: the production scrubber knowing no secret (it still masks secret shapes). */
  scrubber?: SecretScrubber;
}

/** A scrubber that changes nothing: a test that must see a leak passes it. */
export const NO_SCRUBBING: SecretScrubber = { add: () => undefined, scrub: (text) => text };

export function collectLogs(options: LogLevel | CollectLogsOptions = {}): LogCollector {
  const { level = 'debug', scrubber = createSecretScrubber() } =
    typeof options === 'string' ? { level: options } : options;
  const lines: string[] = [];
  const logger = createLogger({
    level,
    scrubber,
    destination: { write: (line: string) => lines.push(line) },
  });
  const records = (): Record<string, unknown>[] =>
    lines.map((l) => {
      const v: unknown = JSON.parse(l);
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
    });
  return {
    logger,
    lines,
    records,
    text: () => lines.join(''),
    count: (pattern) =>
      records().filter((l) => typeof l.msg === 'string' && pattern.test(l.msg)).length,
  };
}
