// Text hygiene shared by every message format (Telegram HTML, Slack mrkdwn) and the poller's
// notices: what a vendor's text may contain that a phone must never show (control and bidi
// characters, lone surrogates), how it is escaped for HTML, and how it is cut without breaking
// a character. Pure, no imports: notify/ and poller/ both use it.

/** Telegram HTML needs only these four escaped (parse_mode HTML). */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Caps for one-line fields, in characters: enough to recognise a case on a phone screen. */
export const SUMMARY_MAX_CHARS = 300;
export const AUTHOR_MAX_CHARS = 80;
/** Severity, status, case number. */
export const FIELD_MAX_CHARS = 60;
/** When cutting a body, back up to the previous space if it is this close (characters). */
export const WORD_BOUNDARY_LOOKBACK_CHARS = 40;

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Text-direction overrides can make a message read differently from what it says.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
const LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085]/g;

/**
 * Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair (an emoji is
 * dropped whole rather than turned into an invalid half). No ellipsis is added: callers say
 * how they mark the cut.
 */
export function truncate(text: string, max: number): { text: string; truncated: boolean } {
  const limit = Math.max(0, Math.floor(max));
  if (text.length <= limit) return { text, truncated: false };
  let end = limit;
  const last = text.charCodeAt(end - 1);
  const isHighSurrogate = last >= 0xd800 && last <= 0xdbff;
  if (end > 0 && isHighSurrogate) end -= 1;
  return { text: text.slice(0, end), truncated: true };
}

/** Cuts to `max` UTF-16 units with "…" when cut; never splits a surrogate pair. */
export function cap(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${truncate(s, max - 1).text.trimEnd()}…`;
}

/** Removes what must never be shown; line breaks normalised to \n (or spaces). */
export function cleanInline(s: string, keepNewlines: boolean): string {
  const lines = s.replace(LINE_BREAKS, '\n');
  const flat = keepNewlines ? lines : lines.replace(/[\n\t]/g, ' ');
  return flat
    .replace(LONE_SURROGATES, '\uFFFD')
    .replace(CONTROL_CHARS, '')
    .replace(BIDI_CONTROLS, '');
}

/** One-line field: no controls, no line breaks, runs of spaces collapsed, capped with "…". */
export function field(s: string, max: number): string {
  return cap(cleanInline(s, false).replace(/\s+/g, ' ').trim(), max);
}

/** A comment body: cleaned, trailing spaces and runs of blank lines removed. */
export function cleanBody(body: string): string {
  return cleanInline(body, true)
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Cuts a body to `max`, preferring to end on a word boundary; trailing spaces dropped. */
export function cutBody(body: string, max: number): { text: string; truncated: boolean } {
  const cut = truncate(body, max);
  if (!cut.truncated) return cut;
  const lastSpace = cut.text.search(/\s\S*$/);
  const near = lastSpace > 0 && cut.text.length - lastSpace <= WORD_BOUNDARY_LOOKBACK_CHARS;
  return { text: (near ? cut.text.slice(0, lastSpace) : cut.text).trimEnd(), truncated: true };
}

/** Characters (code points) a person would count in body[from..]. */
export function countCodePoints(body: string, from: number): number {
  let count = 0;
  for (let i = from; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) count++;
  }
  return count;
}

/** "2026-11-26 14:03 UTC", or `fallback` for a date the portal got wrong. */
export function formatUtc(iso: string | number, fallback = 'time unknown'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return fallback;
  const s = date.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}
