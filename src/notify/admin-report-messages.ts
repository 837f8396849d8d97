// The texts of admin reports (admin-reporter.ts decides when one is sent): a full report of one
// failure, and the summary of how often a failure repeated. Telegram HTML, every dynamic string
// scrubbed and escaped, each message within one Telegram message (≤ 4096 characters even
// before HTML parsing), the stack trimmed from the bottom (the top frames are the useful ones).
import type { Clock } from '../domain.js';
import type { ErrorFacts } from '../lib/error-facts.js';
import type { SecretScrubber } from '../secrets.js';
import { formatUtc } from '../text.js';
import { escapeHtml, TELEGRAM_TEXT_LIMIT, truncate } from './telegram/format.js';

const MESSAGE_MAX_CHARS = 600;
const CONTEXT_VALUE_MAX_CHARS = 200;
const CONTEXT_MAX_KEYS = 12;
// Keys shown first, in this order, when present in the context.
const LEADING_CONTEXT_KEYS = ['chatId', 'caseNumber', 'entryId', 'destination'];

/** How often one failure happened since its last message: the summary's facts. */
export interface RepeatCount {
  component: string;
  errorName: string;
  /** When the last message about it was sent (or the summary window started). */
  windowStart: number;
  lastSeen: number;
  /** Occurrences since the last message, not yet reported. */
  unreported: number;
}

/** A report's context as short scrubbed strings, usual keys first: for the message and the log. */
export function safeContext(
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

export function reportMessage(input: {
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

export function summaryMessage(
  item: RepeatCount,
  clock: Clock,
  windowMs: number,
  dropped: number,
): string {
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
