// Turns outbox entries into Slack Incoming Webhook payloads (Block Kit). Pure: no I/O, no clock,
// no config. The content mirrors the Telegram messages of telegram/format.ts: same facts, same
// caps, the comment body cut the same way (the chat's /length; 0 = privacy mode, no text at all).
//
// Escaping: Slack's mrkdwn gives meaning to `&`, `<` and `>` only (`<!channel>`, `<@U123>`,
// `<url|label>`), so every dynamic string in a mrkdwn text goes through escapeMrkdwn() and the
// only `<` left in a message is one of our own links. The body is sent with `verbatim: true` so
// Slack does not turn words in a customer's comment into channel links or mentions either.
// plain_text (the header) is not parsed by Slack at all, so it is cleaned but not escaped.
//
// Size: Slack refuses the whole message (400 invalid_blocks) when a header exceeds 150
// characters, a text object 3000, or a message 50 blocks. Lengths are measured here on the
// escaped text in UTF-16 units, which is never less than what Slack counts; the body is split
// over several sections when its escaped form is longer than one section may hold. Whatever the
// input, the result is within the limits (a property test checks it).
//
// Links instead of buttons: a Block Kit button posted through an incoming webhook shows a warning
// mark after a click unless the Slack app has interactivity configured; a mrkdwn link just opens.
import type { Case, Comment } from '../../domain.js';
import type { OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import {
  AUTHOR_MAX_CHARS,
  cap,
  cleanBody,
  cleanInline,
  countCodePoints,
  cutBody,
  field,
  FIELD_MAX_CHARS,
  formatUtc,
  SUMMARY_MAX_CHARS,
  truncate,
  WORD_BOUNDARY_LOOKBACK_CHARS,
} from '../../text.js';

/** Slack: a header block's plain_text, in characters. */
export const SLACK_HEADER_MAX_CHARS = 150;
/** Slack: a text object (section text, context element), in characters. */
export const SLACK_TEXT_MAX_CHARS = 3000;
/** Slack: blocks per message. */
export const SLACK_MAX_BLOCKS = 50;
/** Slack: elements per context block. */
export const SLACK_CONTEXT_MAX_ELEMENTS = 10;

/**
 * The longest body shown, in characters, whatever the chat's setting: the same ceiling as
 * /length (bot/settings.ts MAX_LENGTH_SETTING), so Slack never shows more than Telegram could.
 */
export const SLACK_BODY_MAX_CHARS = 3500;
/** The top-level `text` is only the notification preview: a phone shows one or two lines. */
const FALLBACK_MAX_CHARS = 300;
/** Notices are our own short texts; anything longer is cut (and split like a body). */
const NOTICE_MAX_CHARS = 3000;
// A split between two sections prefers a line break this close to the limit.
const LINE_BOUNDARY_LOOKBACK_CHARS = 400;

const HTTP_URL = /^https?:\/\/[^\s]+$/i;

export interface SlackPlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface SlackMrkdwnText {
  type: 'mrkdwn';
  text: string;
  verbatim?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackPlainText }
  | { type: 'section'; text: SlackMrkdwnText }
  | { type: 'context'; elements: SlackMrkdwnText[] }
  | { type: 'divider' };

/** The JSON body of an Incoming Webhook call. */
export interface SlackPayload {
  /** Shown in notifications and by clients that cannot render blocks. mrkdwn, escaped. */
  text: string;
  blocks: SlackBlock[];
  /** A case link would otherwise unfold into a large preview card. */
  unfurl_links: false;
  unfurl_media: false;
}

export interface SlackFormatSettings {
  /** The chat's /length, or the configured default; 0 = privacy mode (no comment text). */
  maxCommentChars: number;
  caseUrl: string;
  /** Only used for comment entries. */
  commentUrl: string;
  /** config.poll.keepClosedCases === false: a closed case is no longer followed. */
  unfollowedWhenClosed: boolean;
}

/** `&`, `<` and `>` as Slack wants them in mrkdwn (and in the top-level text). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The payload for an outbox entry, or the reason it cannot be built (a broken entry; the
 * notifier answers "rejected"). Mirrors telegram/notifier.ts's messageFor().
 */
export function formatSlackEntry(
  entry: DeepReadonly<OutboxEntry>,
  settings: SlackFormatSettings,
): SlackPayload | string {
  const kase: Case | undefined = entry.case;
  switch (entry.kind) {
    case 'notice':
      if (entry.text === undefined || entry.text.trim() === '') return 'a notice without text';
      return formatSlackNotice({ html: entry.text });
    case 'comment': {
      const comment: Comment | undefined = entry.comment;
      if (!kase || !comment) return 'a comment entry without its case or comment';
      return formatSlackComment({
        kase,
        comment,
        maxChars: settings.maxCommentChars,
        caseUrl: settings.caseUrl,
        commentUrl: settings.commentUrl,
      });
    }
    case 'status':
      if (!kase) return 'a status entry without its case';
      return formatSlackStatusChange({
        kase,
        previousStatus: entry.text ?? '',
        caseUrl: settings.caseUrl,
      });
    case 'closed':
      if (!kase) return 'a closed entry without its case';
      return formatSlackCaseClosed({
        kase,
        caseUrl: settings.caseUrl,
        unfollowed: settings.unfollowedWhenClosed,
      });
  }
}

export function formatSlackComment(input: {
  kase: Case;
  comment: Comment;
  maxChars: number;
  caseUrl: string;
  commentUrl: string;
}): SlackPayload {
  const { kase, comment } = input;
  const maxChars = Number.isNaN(input.maxChars) ? 0 : Math.max(0, Math.floor(input.maxChars));
  const number = field(kase.number, FIELD_MAX_CHARS);
  const author = field(comment.author, AUTHOR_MAX_CHARS);
  const role = roleOf(comment);
  const who = author === '' ? '*Unknown author*' : `*${escapeMrkdwn(author)}* (${role})`;
  const blocks: SlackBlock[] = [
    header(number, kase.summary),
    context(`💬 New comment from ${who} · ${formatUtc(comment.createdAt)}`, caseFacts(kase)),
  ];
  const fallbackWho = author === '' ? 'unknown author' : `${author} (${role})`;
  const fallback = `💬 New comment on case ${number} from ${fallbackWho}`;

  const readLink = slackLink(input.commentUrl, 'Read the comment');
  if (maxChars === 0) {
    // Privacy mode: who wrote on which case and when, never a word of what they wrote.
    blocks.push(section('🔒 Comment text hidden (privacy mode)'));
    blocks.push(linksBlock(slackLink(input.caseUrl, `Open case ${number}`), readLink));
    return payload(fallback, kase.summary, blocks);
  }

  const body = cleanBody(comment.body);
  if (body === '') {
    blocks.push(section('_(empty comment)_'));
    blocks.push(linksBlock(slackLink(input.caseUrl, `Open case ${number}`)));
    return payload(fallback, kase.summary, blocks);
  }

  const cut = cutBody(body, Math.min(maxChars, SLACK_BODY_MAX_CHARS));
  for (const chunk of splitEscaped(cut.text, SLACK_TEXT_MAX_CHARS)) {
    blocks.push(section(chunk, { verbatim: true }));
  }
  if (cut.truncated) {
    const more = countCodePoints(body, cut.text.length);
    blocks.push(
      context(`… truncated, ${more} more character${more === 1 ? '' : 's'}`),
      linksBlock(
        slackLink(input.caseUrl, `Open case ${number}`),
        slackLink(input.commentUrl, 'Read the whole comment'),
      ),
    );
  } else {
    blocks.push(linksBlock(slackLink(input.caseUrl, `Open case ${number}`)));
  }
  return payload(fallback, kase.summary, blocks);
}

export function formatSlackStatusChange(input: {
  kase: Case;
  previousStatus: string;
  caseUrl: string;
}): SlackPayload {
  const { kase } = input;
  const number = field(kase.number, FIELD_MAX_CHARS);
  const before = field(input.previousStatus, FIELD_MAX_CHARS) || 'unknown';
  const after = field(kase.status, FIELD_MAX_CHARS) || 'unknown';
  const change = `${escapeMrkdwn(before)} → *${escapeMrkdwn(after)}*`;
  const blocks = [
    header(number, kase.summary),
    section(`🔄 Status: ${change}`),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  ];
  return payload(`🔄 Case ${number} status: ${before} → ${after}`, kase.summary, blocks);
}

export function formatSlackCaseClosed(input: {
  kase: Case;
  caseUrl: string;
  unfollowed: boolean;
}): SlackPayload {
  const { kase } = input;
  const number = field(kase.number, FIELD_MAX_CHARS);
  const closed = input.unfollowed
    ? '✅ The case was closed. The chat no longer follows it.'
    : '✅ The case was closed.';
  const blocks = [
    header(number, kase.summary),
    section(closed),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  ];
  return payload(`✅ Case ${number} was closed`, kase.summary, blocks);
}

/**
 * A notice: the outbox keeps it as Telegram HTML (the chat is the control plane), so its few
 * tags become mrkdwn and everything else is plain, escaped text.
 */
export function formatSlackNotice(input: { html: string }): SlackPayload {
  const plainPreview = cleanBody(htmlToPlain(input.html));
  const mrkdwn = telegramHtmlToMrkdwn(input.html);
  const chunks = splitMrkdwn(mrkdwn, SLACK_TEXT_MAX_CHARS);
  const blocks: SlackBlock[] = chunks.map((c) => section(c));
  if (blocks.length === 0) blocks.push(section('(empty notice)'));
  return {
    text: escapeMrkdwn(field(plainPreview, FALLBACK_MAX_CHARS) || 'Notice'),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

// ---- blocks ----

function header(number: string, summary: string): SlackBlock {
  const s = field(summary, SUMMARY_MAX_CHARS);
  const text = s === '' ? `Case ${number}` : `Case ${number}: ${s}`;
  return { type: 'header', text: { type: 'plain_text', text: cap(text, SLACK_HEADER_MAX_CHARS) } };
}

function section(mrkdwn: string, options: { verbatim?: boolean } = {}): SlackBlock {
  const text: SlackMrkdwnText = { type: 'mrkdwn', text: capEscaped(mrkdwn, SLACK_TEXT_MAX_CHARS) };
  if (options.verbatim) text.verbatim = true;
  return { type: 'section', text };
}

function context(...mrkdwn: string[]): SlackBlock {
  const elements = mrkdwn
    .filter((t) => t !== '')
    .slice(0, SLACK_CONTEXT_MAX_ELEMENTS)
    .map((t): SlackMrkdwnText => ({ type: 'mrkdwn', text: capEscaped(t, SLACK_TEXT_MAX_CHARS) }));
  return { type: 'context', elements };
}

function linksBlock(...links: (string | undefined)[]): SlackBlock {
  const present = links.filter((l): l is string => l !== undefined);
  // A context block must have at least one element: without any valid URL, say so plainly.
  return context(present.length > 0 ? present.join('  ·  ') : 'Link to the case unavailable');
}

function caseFacts(kase: Case): string {
  const severity = field(kase.severity, FIELD_MAX_CHARS) || 'unknown';
  const status = field(kase.status, FIELD_MAX_CHARS) || 'status unknown';
  return escapeMrkdwn(`Severity ${severity} · ${status}`);
}

function payload(fallback: string, summary: string, blocks: SlackBlock[]): SlackPayload {
  const s = field(summary, SUMMARY_MAX_CHARS);
  const preview = s === '' ? fallback : `${fallback}: ${s}`;
  return {
    text: escapeMrkdwn(cap(cleanInline(preview, false), FALLBACK_MAX_CHARS)),
    blocks: blocks.slice(0, SLACK_MAX_BLOCKS),
    unfurl_links: false,
    unfurl_media: false,
  };
}

function roleOf(comment: Comment): string {
  return comment.authorType === 'associate'
    ? 'Red Hat'
    : comment.authorType === 'customer'
      ? 'customer'
      : 'unknown author type';
}

/**
 * `<url|label>`, or undefined when the URL is not http(s): Slack would show a broken link.
 * Inside the angle brackets `|` and `>` end the URL, so they (and `<`, spaces) are
 * percent-encoded; `&` is escaped as everywhere in mrkdwn.
 */
export function slackLink(url: string, label: string): string | undefined {
  const clean = cleanInline(url, false).trim();
  if (!HTTP_URL.test(clean)) return undefined;
  const safeUrl = clean
    .replace(/&/g, '&amp;')
    .replace(/</g, '%3C')
    .replace(/>/g, '%3E')
    .replace(/\|/g, '%7C');
  const safeLabel = escapeMrkdwn(cleanInline(label, false).replace(/\|/g, '¦'));
  return `<${safeUrl}|${safeLabel}>`;
}

// ---- text hygiene (same rules as telegram/format.ts) ----

/** Cuts already-escaped mrkdwn without splitting an entity (&amp;), a link or a surrogate pair. */
function capEscaped(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, safeSplitPoint(s, max - 1))}…`;
}

function escapedWidth(ch: string): number {
  if (ch === '&') return 5; // &amp;
  if (ch === '<' || ch === '>') return 4; // &lt; &gt;
  return ch.length;
}

/**
 * Splits plain text into escaped pieces of at most `max` characters each, preferring a line
 * break, then a space, near the end of each piece. Never splits an entity or a surrogate pair.
 */
function splitEscaped(plain: string, max: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < plain.length) {
    let width = 0;
    let end = start;
    let lastLine = -1;
    let lastSpace = -1;
    while (end < plain.length) {
      const code = plain.charCodeAt(end);
      const pair = code >= 0xd800 && code <= 0xdbff && end + 1 < plain.length ? 2 : 1;
      const ch = plain.slice(end, end + pair);
      const w = escapedWidth(ch);
      if (width + w > max) break;
      width += w;
      end += pair;
      if (ch === '\n') lastLine = end;
      else if (/\s/.test(ch)) lastSpace = end;
    }
    if (end < plain.length) {
      if (lastLine > start && end - lastLine <= LINE_BOUNDARY_LOOKBACK_CHARS) end = lastLine;
      else if (lastSpace > start && end - lastSpace <= WORD_BOUNDARY_LOOKBACK_CHARS)
        end = lastSpace;
    }
    // A single character wider than `max` cannot happen (max ≥ 5), but never loop forever.
    if (end === start) end = start + 1;
    const piece = plain.slice(start, end).trim();
    if (piece !== '') pieces.push(escapeMrkdwn(piece));
    start = end;
  }
  return pieces;
}

/** Splits mrkdwn we produced (notices) at line breaks, then hard, within `max`. */
function splitMrkdwn(mrkdwn: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = mrkdwn.trim();
  while (rest !== '') {
    if (rest.length <= max) {
      pieces.push(rest);
      break;
    }
    const window = rest.slice(0, max);
    const nl = window.lastIndexOf('\n');
    const at = nl > max - LINE_BOUNDARY_LOOKBACK_CHARS ? nl : safeSplitPoint(rest, max);
    const piece = rest.slice(0, at).trim();
    if (piece !== '') pieces.push(piece);
    rest = rest.slice(at).trim();
  }
  return pieces;
}

/**
 * The largest index ≤ `at` where mrkdwn can be cut without splitting an entity (`&amp;`),
 * one of our links (`<url|label>`) or a surrogate pair.
 */
function safeSplitPoint(s: string, at: number): number {
  let end = at;
  const head = s.slice(0, end);
  const amp = head.lastIndexOf('&');
  if (amp >= 0 && !head.slice(amp).includes(';')) end = amp;
  const lt = s.slice(0, end).lastIndexOf('<');
  if (lt >= 0 && !s.slice(lt, end).includes('>')) end = lt;
  const code = s.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  // A link longer than a whole section (never produced here): cut it anyway rather than loop.
  return end > 0 ? end : at;
}

// ---- Telegram HTML (notices) → mrkdwn ----

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>/g;
const MARKS: Readonly<Record<string, string>> = {
  b: '*',
  strong: '*',
  i: '_',
  em: '_',
  s: '~',
  strike: '~',
  del: '~',
  code: '`',
  pre: '```',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-f]+|lt|gt|quot|amp|apos);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower === 'lt') return '<';
    if (lower === 'gt') return '>';
    if (lower === 'quot') return '"';
    if (lower === 'apos') return "'";
    if (lower === 'amp') return '&';
    const code = lower.startsWith('#x')
      ? parseInt(lower.slice(2), 16)
      : parseInt(lower.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff
      ? String.fromCodePoint(code)
      : whole;
  });
}

function htmlToPlain(html: string): string {
  return decodeEntities(html.replace(TAG, ''));
}

function telegramHtmlToMrkdwn(html: string): string {
  const limited = truncate(cleanBody(html), NOTICE_MAX_CHARS * 2).text;
  let out = '';
  let last = 0;
  // Inside <a href>: the label is collected as plain text and becomes one <url|label> link.
  let link: { href: string; label: string } | undefined;
  const addText = (raw: string) => {
    const plain = decodeEntities(raw);
    if (link) link.label += plain;
    else out += escapeMrkdwn(plain);
  };
  for (const m of limited.matchAll(TAG)) {
    addText(limited.slice(last, m.index));
    last = m.index + m[0].length;
    const closing = m[1] === '/';
    const name = (m[2] ?? '').toLowerCase();
    if (name === 'a') {
      if (!closing) {
        const href = /href\s*=\s*"([^"]*)"/i.exec(m[3] ?? '')?.[1];
        link = { href: decodeEntities(href ?? ''), label: '' };
      } else if (link) {
        out += slackLink(link.href, link.label) ?? escapeMrkdwn(link.label);
        link = undefined;
      }
      continue;
    }
    // Marks inside a link label are dropped: Slack does not format link labels.
    const mark = MARKS[name];
    if (mark !== undefined && !link) out += mark;
  }
  addText(limited.slice(last));
  if (link) out += escapeMrkdwn(link.label);
  return out;
}
