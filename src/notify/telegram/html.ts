// The building blocks of every Telegram message: pieces of HTML that carry the length Telegram
// will count for them, so a format can give a long body exactly the room that is left under
// 4096; and the buttons every case message shares. Pure.
//
// Why HTML and not MarkdownV2: HTML needs only `& < > "` escaped, and every dynamic string enters
// through text() here, so a case summary full of punctuation can never make Telegram answer
// "can't parse entities" (the old bot's MarkdownV2 messages failed that way).
import { cleanInline, escapeHtml, field, SUMMARY_MAX_CHARS } from '../../text.js';

export type InlineButton = { text: string; callbackData: string } | { text: string; url: string };

export interface OutgoingMessage {
  text: string;
  parseMode: 'HTML';
  buttons: InlineButton[][];
  disablePreview: boolean;
}

/** Telegram's limit on a message's rendered text, in UTF-16 units (JavaScript length). */
export const TELEGRAM_TEXT_LIMIT = 4096;

export interface Piece {
  html: string;
  /** Rendered length (tags removed, entities decoded), in UTF-16 units. */
  length: number;
}

/** Plain text, cleaned and escaped. The only way dynamic strings enter a message. */
export function text(s: string): Piece {
  const clean = cleanInline(s, true);
  return { html: escapeHtml(clean), length: clean.length };
}

export function wrap(tagWithAttributes: string, inner: Piece): Piece {
  const name = tagWithAttributes.split(' ')[0] ?? tagWithAttributes;
  return { html: `<${tagWithAttributes}>${inner.html}</${name}>`, length: inner.length };
}

export const bold = (s: string): Piece => wrap('b', text(s));
export const italic = (s: string): Piece => wrap('i', text(s));

export function link(url: string, label: string): Piece {
  return {
    html: `<a href="${escapeHtml(cleanUrl(url))}">${escapeHtml(label)}</a>`,
    length: label.length,
  };
}

export function join(...pieces: Piece[]): Piece {
  return {
    html: pieces.map((p) => p.html).join(''),
    length: pieces.reduce((sum, p) => sum + p.length, 0),
  };
}

export function outgoing(message: Piece, buttons: InlineButton[][]): OutgoingMessage {
  return { text: message.html, parseMode: 'HTML', buttons, disablePreview: true };
}

/** "\n<b>summary</b>", or nothing for an empty summary. */
export function summaryLine(summary: string): Piece {
  const s = field(summary, SUMMARY_MAX_CHARS);
  return s === '' ? text('') : join(text('\n'), bold(s));
}

export function openCaseRow(caseUrl: string): InlineButton[][] {
  const row = openCaseButton(caseUrl);
  return row.length > 0 ? [row] : [];
}

/** Telegram refuses the whole message when a button URL is not http(s): drop the button instead. */
export function openCaseButton(caseUrl: string): InlineButton[] {
  const url = cleanUrl(caseUrl);
  return /^https?:\/\/[^\s]+$/i.test(url) ? [{ text: 'Open case', url }] : [];
}

function cleanUrl(url: string): string {
  return cleanInline(url, false).trim();
}
