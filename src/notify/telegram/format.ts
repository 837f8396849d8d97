// Turns cases and comments into Telegram messages. Pure: no I/O, no clock, no config.
//
// Why HTML and not MarkdownV2: HTML needs only `& < > "` escaped, and every dynamic string goes
// through escapeHtml() here, so a case summary full of punctuation can never make Telegram
// answer "can't parse entities" (the old bot's MarkdownV2 messages failed that way).
//
// Size: Telegram counts its 4096 limit on the rendered text. Every piece below carries its
// rendered length next to its HTML, each header field has a cap, and the comment body gets what
// is left, so the result fits whatever the input (1 MB bodies, 10 KB summaries).
import { CASE_NUMBER_PATTERN, type Case, type Comment } from '../../domain.js';
import {
  AUTHOR_MAX_CHARS,
  cleanBody,
  cleanInline,
  countCodePoints,
  cutBody,
  escapeHtml,
  field,
  FIELD_MAX_CHARS,
  formatUtc,
  SUMMARY_MAX_CHARS,
} from '../../text.js';

export { escapeHtml, truncate } from '../../text.js';

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

// Bodies longer than this go into an expandable quote, so the chat is not one wall of text.
const EXPANDABLE_QUOTE_FROM_CHARS = 600;

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
  const clean = cleanInline(s, true);
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

function cleanUrl(url: string): string {
  return cleanInline(url, false).trim();
}
