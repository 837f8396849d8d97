// Turns cases and comments into Telegram messages (the events of a case, new case, severity and
// attachment, are in format-events.ts). Pure: no I/O, no clock, no config.
//
// Size: Telegram counts its 4096 limit on the rendered text. Every piece (html.ts) carries its
// rendered length next to its HTML, each header field has a cap, and the comment body gets what
// is left, so the result fits whatever the input (1 MB bodies, 10 KB summaries).
import { CASE_NUMBER_PATTERN, severityLevel, type Case, type Comment } from '../../domain.js';
import { headerStart } from '../case-facts.js';
import {
  AUTHOR_MAX_CHARS,
  cleanBody,
  countCodePoints,
  cutBody,
  field,
  FIELD_MAX_CHARS,
  formatUtc,
} from '../../text.js';
import {
  bold,
  italic,
  join,
  link,
  openCaseButton,
  openCaseRow,
  outgoing,
  summaryLine,
  TELEGRAM_TEXT_LIMIT,
  text,
  wrap,
  type InlineButton,
  type OutgoingMessage,
  type Piece,
} from './html.js';

export { escapeHtml, truncate } from '../../text.js';
export { TELEGRAM_TEXT_LIMIT, type InlineButton, type OutgoingMessage } from './html.js';

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
  /** "Mute" under a new case: the bot mutes the case (its handler lives in src/bot/). */
  mute(caseNumber: string): string {
    return makeCallbackData('mute', caseNumber);
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
    text(`${headerStart('💬', kase.severity)}New comment on case `),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    summaryLine(kase.summary),
    text(`\n${caseFacts(kase)}\n\n`),
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
    text(`${headerStart('🔄', kase.severity)}Case `),
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
    text(`${headerStart('✅', kase.severity)}Case `),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    text(input.unfollowed ? ' was closed. You no longer follow it.' : ' was closed.'),
    summaryLine(kase.summary),
  );
  return outgoing(message, openCaseRow(input.caseUrl));
}

/**
 * "Status: Waiting on Red Hat". The header already says "Sev N"; the portal's own words are
 * shown only when they name no level, so nothing the portal said is lost.
 */
function caseFacts(kase: Pick<Case, 'severity' | 'status'>): string {
  const status = `Status: ${field(kase.status, FIELD_MAX_CHARS) || 'unknown'}`;
  const severity = field(kase.severity, FIELD_MAX_CHARS);
  return severityLevel(kase.severity) === undefined && severity !== ''
    ? `Severity ${severity} · ${status}`
    : status;
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
