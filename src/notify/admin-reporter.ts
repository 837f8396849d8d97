// Operational reports to the admin chats (telegram.adminChatIds): an unexpected failure the
// daemon survived, with its stack trace, so the operator can debug from a phone.
//
// Rules:
// - report() never throws and never waits: it logs, then queues the Telegram messages; a slow
//   or failing Telegram cannot slow or break the path that failed.
// - Secrets are scrubbed (SecretScrubber) from the message, the stack and the context, and the
//   report is built from an error's own fields (name, message, stack, cause, a few primitive
//   properties; lib/error-facts.ts), never by serialising the object (an HTTP library error
//   holds headers).
// - The same failure (component + error name + message with numbers and ids blanked) is sent at
//   most once per DEDUPE_WINDOW_MS; the next report of it says how many times it happened in
//   between. sweep() (also run on every report) sends those counts for windows that ended, so a
//   storm that stops is still summed up once.
// - A storm of DIFFERENT failures is capped too: at most MAX_REPORTS_PER_WINDOW messages per
//   window in all, and a bounded send queue; what is dropped is counted in the next message.
// - Each message fits one Telegram message (admin-report-messages.ts writes them).
import type { AdminReport, AdminReporter, Clock } from '../domain.js';
import { describeError, errorMessageOrJson, errorName } from '../lib/error-facts.js';
import type { Logger } from '../logger.js';
import type { SecretScrubber } from '../secrets.js';
import {
  reportMessage,
  safeContext,
  summaryMessage,
  type RepeatCount,
} from './admin-report-messages.js';

/** The same failure is sent at most once per hour. */
export const DEDUPE_WINDOW_MS = 60 * 60_000;
/** All failures together: at most this many messages per hour. */
export const MAX_REPORTS_PER_WINDOW = 20;
/** Failures remembered for dedupe; the oldest are forgotten beyond this. */
const MAX_TRACKED_FAILURES = 500;
/** Messages waiting to be sent; more are dropped (and counted). */
const MAX_QUEUED_MESSAGES = 50;

/** The tiny piece of Telegram the reporter needs; main adapts telegraf to it. */
export interface AdminTelegramPort {
  /** Sends an HTML message; rejects when Telegram refuses. */
  sendMessage(chatId: number, html: string): Promise<void>;
}

export interface AdminReporterDeps {
  telegram: AdminTelegramPort;
  adminChatIds: readonly number[];
  logger: Logger;
  scrubber: SecretScrubber;
  clock: Clock;
  /** Tests shorten these; production uses the constants above. */
  dedupeWindowMs?: number;
  maxReportsPerWindow?: number;
}

export interface TelegramAdminReporter extends AdminReporter {
  /** Sends the repeat counts of failures whose window ended. Cheap; call it each poll cycle. */
  sweep(): void;
  /** Resolves when every queued message was sent (or failed). For tests and shutdown. */
  idle(): Promise<void>;
}

interface Tracked extends RepeatCount {
  key: string;
}

export function createAdminReporter(deps: AdminReporterDeps): TelegramAdminReporter {
  const log = deps.logger.child({ component: 'admin-report' });
  const windowMs = deps.dedupeWindowMs ?? DEDUPE_WINDOW_MS;
  const budget = deps.maxReportsPerWindow ?? MAX_REPORTS_PER_WINDOW;
  const tracked = new Map<string, Tracked>();
  let sentTimes: number[] = [];
  let droppedByBudget = 0;
  const queue: string[] = [];
  let running: Promise<void> | undefined;

  const now = () => deps.clock.now();

  const withinBudget = (): boolean => {
    const t = now();
    sentTimes = sentTimes.filter((s) => t - s < windowMs);
    if (sentTimes.length >= budget) return false;
    sentTimes.push(t);
    return true;
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const html = queue.shift() ?? '';
      for (const chatId of deps.adminChatIds) {
        try {
          await deps.telegram.sendMessage(chatId, html);
        } catch (err) {
          // Not reported again (that would loop); the log line is scrubbed by the logger.
          log.warn(
            {
              chatId,
              err: { name: errorName(err), message: deps.scrubber.scrub(errorMessageOrJson(err)) },
            },
            'could not send a report to an admin chat',
          );
        }
      }
    }
  };

  const enqueue = (html: string): void => {
    if (deps.adminChatIds.length === 0) return;
    if (queue.length >= MAX_QUEUED_MESSAGES) {
      droppedByBudget++;
      return;
    }
    queue.push(html);
    running ??= drain().finally(() => {
      running = undefined;
    });
  };

  const takeDropped = (): number => {
    const n = droppedByBudget;
    droppedByBudget = 0;
    return n;
  };

  const forgetOldest = () => {
    if (tracked.size < MAX_TRACKED_FAILURES) return;
    let oldest: Tracked | undefined;
    for (const t of tracked.values()) if (!oldest || t.lastSeen < oldest.lastSeen) oldest = t;
    if (oldest) tracked.delete(oldest.key);
  };

  const sweep = (): void => {
    const t = now();
    for (const item of tracked.values()) {
      if (t - item.windowStart < windowMs) continue;
      if (item.unreported === 0) {
        // Quiet for a whole window: forget it, the next occurrence is reported in full.
        tracked.delete(item.key);
        continue;
      }
      // Over budget: the count stays, and is sent by a later sweep.
      if (!withinBudget()) continue;
      enqueue(summaryMessage(item, deps.clock, windowMs, takeDropped()));
      item.windowStart = t;
      item.unreported = 0;
    }
  };

  return {
    report(input: AdminReport): void {
      try {
        const facts = describeError(input.error, deps.scrubber);
        log.error(
          {
            source: input.component,
            err: facts.forLog,
            ...safeContext(input.context, deps.scrubber),
          },
          'reported to admins: %s failed',
          input.component,
        );
        const key = `${input.component}\n${facts.name}\n${normalise(facts.message)}`;
        const t = now();
        const item = tracked.get(key);
        if (item && t - item.windowStart < windowMs) {
          item.unreported++;
          item.lastSeen = t;
        } else if (!withinBudget()) {
          // Too many messages this hour: counted, and told in the next message that goes out.
          droppedByBudget++;
          if (item) {
            item.unreported++;
            item.lastSeen = t;
          }
        } else {
          // First time, or the first time after a quiet hour: a full report, with the count of
          // what happened since the last one.
          const repeats = item?.unreported ?? 0;
          const since = item?.windowStart;
          if (!item) forgetOldest();
          tracked.set(key, {
            key,
            component: input.component,
            errorName: facts.name,
            windowStart: t,
            lastSeen: t,
            unreported: 0,
          });
          enqueue(
            reportMessage({
              component: input.component,
              facts,
              context: input.context,
              scrubber: deps.scrubber,
              repeats,
              since,
              dropped: takeDropped(),
            }),
          );
        }
        // Other failures whose hour ended get their counts sent now.
        sweep();
      } catch (err) {
        // Reporting must never make the failing path fail harder.
        try {
          log.error({ err: { name: errorName(err) } }, 'building an admin report failed');
        } catch {
          // The logger itself is broken: nothing is left to tell.
        }
      }
    },
    sweep() {
      try {
        sweep();
      } catch (err) {
        log.error({ err: { name: errorName(err) } }, 'admin report sweep failed');
      }
    },
    async idle() {
      while (running) await running;
    },
  };
}

// ---- dedupe ----

/** The dedupe key's message: numbers, hex ids and quoted values blanked. */
export function normalise(message: string): string {
  return message
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '#')
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '#')
    .replace(/\d+/g, '#')
    .replace(/"[^"]*"|'[^']*'/g, '"…"')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}
