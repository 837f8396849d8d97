// Operational reports to the admin chats (telegram.adminChatIds): an unexpected failure the
// daemon survived, with its stack trace, so the operator can debug from a phone.
//
// Rules:
// - report() never throws and never waits: it logs, then queues the Telegram messages; a slow
//   or failing Telegram cannot slow or break the path that failed.
// - Secrets are scrubbed (SecretScrubber) from the message, the stack and the context, and the
//   report is built from an error's own fields (name, message, stack, cause, a few primitive
//   properties), never by serialising the object (an HTTP library error holds headers).
// - The same failure (component + error name + message with numbers and ids blanked) is sent at
//   most once per DEDUPE_WINDOW_MS; the next report of it says how many times it happened in
//   between. sweep() (also run on every report) sends those counts for windows that ended, so a
//   storm that stops is still summed up once.
// - A storm of DIFFERENT failures is capped too: at most MAX_REPORTS_PER_WINDOW messages per
//   window in all, and a bounded send queue; what is dropped is counted in the next message.
// - Each message fits one Telegram message: ≤ 4096 characters even before HTML parsing, the
//   stack trimmed from the bottom (the top frames are the useful ones).
import type { AdminReport, AdminReporter, Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import type { SecretScrubber } from '../secrets.js';
import { escapeHtml, TELEGRAM_TEXT_LIMIT, truncate } from './telegram/format.js';
import { formatUtc } from '../text.js';

/** The same failure is sent at most once per hour. */
export const DEDUPE_WINDOW_MS = 60 * 60_000;
/** All failures together: at most this many messages per hour. */
export const MAX_REPORTS_PER_WINDOW = 20;
/** Failures remembered for dedupe; the oldest are forgotten beyond this. */
const MAX_TRACKED_FAILURES = 500;
/** Messages waiting to be sent; more are dropped (and counted). */
const MAX_QUEUED_MESSAGES = 50;
const MESSAGE_MAX_CHARS = 600;
const CONTEXT_VALUE_MAX_CHARS = 200;
const CONTEXT_MAX_KEYS = 12;
const MAX_CAUSE_DEPTH = 3;
// Keys shown first, in this order, when present in the context.
const LEADING_CONTEXT_KEYS = ['chatId', 'caseNumber', 'entryId', 'destination'];
// Primitive properties of well-known error types worth showing (PortalError, TelegramError, ...).
const ERROR_FACTS = ['kind', 'status', 'code', 'endpoint', 'description', 'method'];

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

interface Tracked {
  key: string;
  component: string;
  errorName: string;
  /** When the last message about it was sent (or the summary window started). */
  windowStart: number;
  lastSeen: number;
  /** Occurrences since the last message, not yet reported. */
  unreported: number;
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
              err: { name: errorName(err), message: deps.scrubber.scrub(errorMessage(err)) },
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

// ---- building the message ----

interface ErrorFacts {
  name: string;
  message: string;
  /** Scrubbed stack (with causes), may be empty. */
  stack: string;
  /** Extra primitive facts: kind, status, code, ... */
  extra: Record<string, string>;
  forLog: Record<string, unknown>;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

function describeError(error: unknown, scrubber: SecretScrubber): ErrorFacts {
  const name = scrubber.scrub(errorName(error));
  const message = scrubber.scrub(errorMessage(error));
  const extra: Record<string, string> = {};
  if (error !== null && typeof error === 'object') {
    for (const k of ERROR_FACTS) {
      const v: unknown = (error as Record<string, unknown>)[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        extra[k] = scrubber.scrub(String(v)).slice(0, CONTEXT_VALUE_MAX_CHARS);
      }
    }
  }
  const stackParts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== undefined; depth++) {
    const text =
      current instanceof Error
        ? (current.stack ?? `${current.name}: ${current.message}`)
        : errorMessage(current);
    stackParts.push(depth === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  const stack = scrubber.scrub(stackParts.join('\n'));
  return { name, message, stack, extra, forLog: { name, message, stack, ...extra } };
}

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

function safeContext(
  context: Record<string, unknown> | undefined,
  scrubber: SecretScrubber,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!context) return out;
  const keys = Object.keys(context);
  const ordered = [
    ...LEADING_CONTEXT_KEYS.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !LEADING_CONTEXT_KEYS.includes(k)),
  ].slice(0, CONTEXT_MAX_KEYS);
  for (const k of ordered) {
    const v = context[k];
    let text: string;
    if (typeof v === 'string') text = v;
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
      text = String(v);
    else if (v === undefined) continue;
    else {
      try {
        text = JSON.stringify(v) ?? typeof v;
      } catch {
        text = '[unprintable]';
      }
    }
    out[scrubber.scrub(k).slice(0, 40)] = scrubber.scrub(text).slice(0, CONTEXT_VALUE_MAX_CHARS);
  }
  return out;
}

function reportMessage(input: {
  component: string;
  facts: ErrorFacts;
  context: Record<string, unknown> | undefined;
  scrubber: SecretScrubber;
  repeats: number;
  since: number | undefined;
  dropped: number;
}): string {
  const { facts } = input;
  const head: string[] = [
    `🚨 <b>${escapeHtml(clip(input.scrubber.scrub(input.component), 60))}</b> failed: <b>${escapeHtml(clip(facts.name, 80))}</b>`,
    escapeHtml(clip(facts.message, MESSAGE_MAX_CHARS)),
  ];
  const context = safeContext(input.context, input.scrubber);
  const lines = [
    ...Object.entries(facts.extra).map(([k, v]) => `${k}: ${v}`),
    ...Object.entries(context).map(([k, v]) => `${k}: ${v}`),
  ];
  if (lines.length > 0) head.push('', ...lines.map((l) => escapeHtml(l)));
  if (input.repeats > 0 && input.since !== undefined) {
    head.push(
      '',
      `🔁 Happened ${input.repeats} more time${input.repeats === 1 ? '' : 's'} since ${formatUtc(input.since)} (reported once per hour).`,
    );
  }
  if (input.dropped > 0) {
    head.push(
      '',
      `🔇 ${input.dropped} other report${input.dropped === 1 ? ' was' : 's were'} held back (too many failures).`,
    );
  }
  return withStack(head.join('\n'), facts.stack);
}

function summaryMessage(item: Tracked, clock: Clock, windowMs: number, dropped: number): string {
  const lines = [
    `🔁 <b>${escapeHtml(clip(item.component, 60))}</b>: the failure <b>${escapeHtml(clip(item.errorName, 80))}</b> happened ${item.unreported} more time${item.unreported === 1 ? '' : 's'} since ${formatUtc(item.windowStart)}, last at ${formatUtc(item.lastSeen)}.`,
    `(Reported at most once per ${Math.round(windowMs / 60_000)} min; now ${formatUtc(clock.now())}.)`,
  ];
  if (dropped > 0) {
    lines.push(
      `🔇 ${dropped} other report${dropped === 1 ? ' was' : 's were'} held back (too many failures).`,
    );
  }
  return lines.join('\n');
}

/** Appends the stack in <pre>, trimmed so the whole HTML stays within Telegram's limit. */
function withStack(headHtml: string, stack: string): string {
  const head = clipHtmlLines(headHtml, TELEGRAM_TEXT_LIMIT - 200);
  if (stack.trim() === '') return head;
  const open = '\n\n<pre>';
  const close = '</pre>';
  let room = TELEGRAM_TEXT_LIMIT - head.length - open.length - close.length;
  if (room < 100) return head;
  const lines = stack.split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = escapeHtml(clip(lines[i] ?? '', 300));
    const left = lines.length - i - 1;
    const marker = left > 0 ? `\n… ${left} more line${left === 1 ? '' : 's'}` : '';
    if (line.length + 1 + marker.length > room) {
      const cutMarker = `… ${lines.length - i} more line${lines.length - i === 1 ? '' : 's'}`;
      if (cutMarker.length <= room) kept.push(cutMarker);
      break;
    }
    kept.push(line);
    room -= line.length + 1;
  }
  return `${head}${open}${kept.join('\n')}${close}`;
}

/** Keeps whole lines of already-escaped HTML (no tag spans two lines here) within `max`. */
function clipHtmlLines(html: string, max: number): string {
  if (html.length <= max) return html;
  const out: string[] = [];
  let used = 0;
  for (const line of html.split('\n')) {
    if (used + line.length + 1 > max - 2) break;
    out.push(line);
    used += line.length + 1;
  }
  out.push('…');
  return out.join('\n');
}

function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${truncate(s, max - 1).text}…`;
}
