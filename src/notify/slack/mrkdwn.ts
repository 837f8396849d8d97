// Writing Slack mrkdwn safely: escaping, our links, cutting and splitting text without breaking an
// entity, a link or a surrogate pair, and turning the Telegram HTML of a notice into mrkdwn.
//
// Escaping: Slack's mrkdwn gives meaning to `&`, `<` and `>` only (`<!channel>`, `<@U123>`,
// `<url|label>`), so every dynamic string in a mrkdwn text goes through escapeMrkdwn() and the
// only `<` left in a message is one of our own links. Lengths are measured on the escaped text
// in UTF-16 units, which is never less than what Slack counts.
import { cleanBody, cleanInline, truncate, WORD_BOUNDARY_LOOKBACK_CHARS } from '../../text.js';

/** Notices are our own short texts; anything longer is cut (and split like a body). */
const NOTICE_MAX_CHARS = 3000;
// A split between two sections prefers a line break this close to the limit.
const LINE_BOUNDARY_LOOKBACK_CHARS = 400;

const HTTP_URL = /^https?:\/\/[^\s]+$/i;

/** `&`, `<` and `>` as Slack wants them in mrkdwn (and in the top-level text). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

// ---- cutting and splitting (same rules as telegram/format.ts) ----

/** Cuts already-escaped mrkdwn without splitting an entity (&amp;), a link or a surrogate pair. */
export function capEscaped(s: string, max: number): string {
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
export function splitEscaped(plain: string, max: number): string[] {
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
export function splitMrkdwn(mrkdwn: string, max: number): string[] {
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

/** What a notice's HTML reads as: tags dropped, entities decoded (the preview text). */
export function htmlToPlain(html: string): string {
  return decodeEntities(html.replace(TAG, ''));
}

/** A notice's Telegram HTML as mrkdwn: its few tags become marks and links, the rest is escaped. */
export function telegramHtmlToMrkdwn(html: string): string {
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
