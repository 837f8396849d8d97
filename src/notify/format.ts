// Turns cases and comments into Telegram messages. Pure: no I/O, no clock, no config.
//
// Why HTML and not MarkdownV2: HTML needs only `& < > "` escaped, and every dynamic string goes
// through escapeHtml() here, so a case summary full of punctuation can never make Telegram
// answer "can't parse entities" (the old bot's MarkdownV2 messages failed that way).
//
// Size: Telegram counts its 4096 limit on the rendered text. Every piece below carries its
// rendered length next to its HTML, each header field has a cap, and the comment body gets what
// is left, so the result fits whatever the input (1 MB bodies, 10 KB summaries).
import { CASE_NUMBER_PATTERN, type Case, type Comment } from '../domain.js';

export type InlineButton = { text: string; callbackData: string } | { text: string; url: string };

export interface OutgoingMessage {
  text: string;
  parseMode: 'HTML';
  buttons: InlineButton[][];
  disablePreview: boolean;
}

/** Telegram's limit on a message's rendered text, in UTF-16 units (JavaScript length). */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on a button's callback_data, in UTF-8 bytes. */
export const CALLBACK_DATA_MAX_BYTES = 64;

// Caps on header fields, in characters: enough to recognise a case on a phone screen, small
// enough that the body always keeps most of the 4096.
const SUMMARY_MAX_CHARS = 300;
const AUTHOR_MAX_CHARS = 80;
const FIELD_MAX_CHARS = 60; // severity, status, case number
// Bodies longer than this go into an expandable quote, so the chat is not one wall of text.
const EXPANDABLE_QUOTE_FROM_CHARS = 600;
// When cutting a body, back up to the previous space if it is this close, to avoid half words.
const WORD_BOUNDARY_LOOKBACK_CHARS = 40;

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Bidi overrides/isolates could make a summary display as something else; nobody needs them here.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
// C0 controls except tab and newline, DEL, C1 controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
const LINE_BREAKS = /\r\n?|[\u2028\u2029\u0085]/g;

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

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

export const callbackData = {
  latest(caseNumber: string): string {
    return makeCallbackData('latest', caseNumber);
  },
  remove(caseNumber: string): string {
    return makeCallbackData('remove', caseNumber);
  },
};

function makeCallbackData(action: string, arg: string): string {
  const data = `${action}:${arg}`;
  const bytes = Buffer.byteLength(data, 'utf8');
  if (arg === '' || bytes > CALLBACK_DATA_MAX_BYTES) {
    throw new RangeError(
      `callback data for "${action}" must be 1..${CALLBACK_DATA_MAX_BYTES} bytes, got ${bytes}`,
    );
  }
  return data;
}

const CALLBACK_DATA = /^([a-z][a-z0-9_-]*):([\s\S]+)$/;

/** Splits "action:arg" back; undefined for anything this bot did not produce. */
export function parseCallbackData(data: string): { action: string; arg: string } | undefined {
  if (Buffer.byteLength(data, 'utf8') > CALLBACK_DATA_MAX_BYTES) return undefined;
  const m = CALLBACK_DATA.exec(data);
  if (!m?.[1] || !m[2]) return undefined;
  return { action: m[1], arg: m[2] };
}

export function formatComment(input: {
  kase: Case;
  comment: Comment;
  maxChars: number;
  caseUrl: string;
  commentUrl: string;
}): OutgoingMessage {
  const { kase, comment, caseUrl, commentUrl } = input;
  const maxChars = Number.isNaN(input.maxChars) ? 0 : Math.max(0, Math.floor(input.maxChars));
  const header = join(
    text('💬 New comment on case '),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    summaryLine(kase.summary),
    text('\n'),
    text(
      `Severity ${field(kase.severity, FIELD_MAX_CHARS) || 'unknown'} · ${field(kase.status, FIELD_MAX_CHARS) || 'status unknown'}`,
    ),
    text('\n\n'),
    authorLine(comment),
  );
  const buttons = commentButtons(kase.number, caseUrl);

  if (maxChars === 0) {
    // Privacy mode: who wrote on which case and when, never a word of what they wrote.
    const message = join(
      header,
      text('\n🔒 Comment text hidden (privacy mode)\n'),
      link(commentUrl, 'Read the comment'),
    );
    return outgoing(message, buttons);
  }

  const body = cleanBody(comment.body);
  if (body === '') {
    return outgoing(join(header, text('\n'), italic('(empty comment)')), buttons);
  }

  const fullLink = link(commentUrl, 'Read the whole comment');
  // Worst case for the tail: the marker with every character of the body counted as cut.
  const worstTail = truncationTail(body.length, fullLink);
  const separator = text('\n');
  const room = TELEGRAM_TEXT_LIMIT - header.length - separator.length - worstTail.length;
  const cut = cutBody(body, Math.min(maxChars, room));
  const quote =
    cut.text.length > EXPANDABLE_QUOTE_FROM_CHARS ? 'blockquote expandable' : 'blockquote';
  const parts = [header, separator, wrap(quote, text(cut.text))];
  if (cut.truncated) parts.push(truncationTail(countCodePoints(body, cut.text.length), fullLink));
  return outgoing(join(...parts), buttons);
}

export function formatStatusChange(input: {
  kase: Case;
  previousStatus: string;
  caseUrl: string;
}): OutgoingMessage {
  const { kase } = input;
  const before = field(input.previousStatus, FIELD_MAX_CHARS) || 'unknown';
  const after = field(kase.status, FIELD_MAX_CHARS) || 'unknown';
  const message = join(
    text('🔄 Case '),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    text(` status: ${before} → ${after}`),
    summaryLine(kase.summary),
  );
  return outgoing(message, openCaseRow(input.caseUrl));
}

export function formatCaseClosed(input: {
  kase: Case;
  caseUrl: string;
  unfollowed: boolean;
}): OutgoingMessage {
  const { kase } = input;
  const message = join(
    text('✅ Case '),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    text(input.unfollowed ? ' was closed. You no longer follow it.' : ' was closed.'),
    summaryLine(kase.summary),
  );
  return outgoing(message, openCaseRow(input.caseUrl));
}

// ---- pieces: HTML plus the length Telegram will count for it ----

interface Piece {
  html: string;
  /** Rendered length (tags removed, entities decoded), in UTF-16 units. */
  length: number;
}

/** Plain text, cleaned and escaped. The only way dynamic strings enter a message. */
function text(s: string): Piece {
  const clean = cleanInline(s, { keepNewlines: true });
  return { html: escapeHtml(clean), length: clean.length };
}

function wrap(tagWithAttributes: string, inner: Piece): Piece {
  const name = tagWithAttributes.split(' ')[0] ?? tagWithAttributes;
  return { html: `<${tagWithAttributes}>${inner.html}</${name}>`, length: inner.length };
}

const bold = (s: string): Piece => wrap('b', text(s));
const italic = (s: string): Piece => wrap('i', text(s));

function link(url: string, label: string): Piece {
  return {
    html: `<a href="${escapeHtml(cleanUrl(url))}">${escapeHtml(label)}</a>`,
    length: label.length,
  };
}

function join(...pieces: Piece[]): Piece {
  return {
    html: pieces.map((p) => p.html).join(''),
    length: pieces.reduce((sum, p) => sum + p.length, 0),
  };
}

function outgoing(message: Piece, buttons: InlineButton[][]): OutgoingMessage {
  return { text: message.html, parseMode: 'HTML', buttons, disablePreview: true };
}

function summaryLine(summary: string): Piece {
  const s = field(summary, SUMMARY_MAX_CHARS);
  return s === '' ? text('') : join(text('\n'), bold(s));
}

function authorLine(comment: Comment): Piece {
  const name = field(comment.author, AUTHOR_MAX_CHARS);
  const role =
    comment.authorType === 'associate'
      ? 'Red Hat'
      : comment.authorType === 'customer'
        ? 'customer'
        : 'unknown author type';
  const who = name === '' ? bold('Unknown author') : join(bold(name), text(` (${role})`));
  return join(text('From '), who, text(` · ${formatUtc(comment.createdAt)}`));
}

function truncationTail(cutCharacters: number, fullLink: Piece): Piece {
  return join(text(`\n… (truncated, ${cutCharacters} more characters)\n`), fullLink);
}

function commentButtons(caseNumber: string, caseUrl: string): InlineButton[][] {
  const row: InlineButton[] = [];
  // A case number from the portal is digits; anything else gets no callback button.
  if (CASE_NUMBER_PATTERN.test(caseNumber)) {
    row.push({ text: 'Latest comment', callbackData: callbackData.latest(caseNumber) });
  }
  row.push(...openCaseButton(caseUrl));
  return row.length > 0 ? [row] : [];
}

function openCaseRow(caseUrl: string): InlineButton[][] {
  const row = openCaseButton(caseUrl);
  return row.length > 0 ? [row] : [];
}

/** Telegram refuses the whole message when a button URL is not http(s): drop the button instead. */
function openCaseButton(caseUrl: string): InlineButton[] {
  const url = cleanUrl(caseUrl);
  return /^https?:\/\/[^\s]+$/i.test(url) ? [{ text: 'Open case', url }] : [];
}

// ---- text hygiene ----

/** One-line field: no controls, no line breaks, runs of spaces collapsed, capped with "…". */
function field(s: string, max: number): string {
  const clean = cleanInline(s, { keepNewlines: false }).replace(/\s+/g, ' ').trim();
  const cut = truncate(clean, max - 1);
  return cut.truncated ? `${cut.text.trimEnd()}…` : clean;
}

function cleanInline(s: string, options: { keepNewlines: boolean }): string {
  const lines = s.replace(LINE_BREAKS, '\n');
  const noLines = options.keepNewlines ? lines : lines.replace(/[\n\t]/g, ' ');
  return noLines
    .replace(LONE_SURROGATES, '\uFFFD')
    .replace(CONTROL_CHARS, '')
    .replace(BIDI_CONTROLS, '');
}

function cleanBody(body: string): string {
  return cleanInline(body, { keepNewlines: true })
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function cleanUrl(url: string): string {
  return cleanInline(url, { keepNewlines: false }).trim();
}

/** Cuts a body to `max`, preferring to end on a word boundary; trailing spaces dropped. */
function cutBody(body: string, max: number): { text: string; truncated: boolean } {
  const cut = truncate(body, max);
  if (!cut.truncated) return cut;
  const lastSpace = cut.text.search(/\s\S*$/);
  const near = lastSpace > 0 && cut.text.length - lastSpace <= WORD_BOUNDARY_LOOKBACK_CHARS;
  return { text: (near ? cut.text.slice(0, lastSpace) : cut.text).trimEnd(), truncated: true };
}

/** Characters (code points) a person would count in body[from..]. */
function countCodePoints(body: string, from: number): number {
  let count = 0;
  for (let i = from; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) count++;
  }
  return count;
}

/** "2026-11-26 14:03 UTC", or "time unknown" for a date the portal got wrong. */
function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return 'time unknown';
  const s = date.toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}
