// What `check` prints: one line per finding, a verdict word first, written for a person. Every
// line goes through the secret scrubber on its way out, whatever it holds (portal messages,
// comment text, network errors that may quote a URL with the bot token in it).
import { audienceWants, type Audience, type Comment } from '../domain.js';
import { errorMessage } from '../lib/error-facts.js';
import { PortalError } from '../portal/types.js';
import type { SecretScrubber } from '../secrets.js';
import type { AnswerEntry } from './answers.js';

export type Verdict = 'PASS' | 'FAIL' | 'WARN' | 'INFO' | 'SKIP';

/** Characters of comment text shown per comment line. */
export const COMMENT_PREVIEW_CHARS = 60;
/** Longest message quoted from a portal answer body. */
const MAX_VENDOR_TEXT_CHARS = 200;
const VERDICT_WIDTH = 4;
const INDENT = ' '.repeat(VERDICT_WIDTH + 2);
const SELF_REFERENCE = /,? and run "tickets-pushbot check"|\s*Run "tickets-pushbot check"\./g;

export interface Report {
  /** `PASS  subject: text`. */
  line(verdict: Verdict, subject: string, text: string): void;
  /** An indented line under the previous one. */
  detail(text: string): void;
  /** A line without a verdict (the closing "Exit …" line). */
  plain(text: string): void;
}

export interface Output {
  write(text: string): unknown;
}

export function createReport(out: Output, scrubber: SecretScrubber): Report {
  const emit = (text: string): void => {
    out.write(`${scrubber.scrub(text)}\n`);
  };
  return {
    line: (verdict, subject, text) => emit(`${verdict.padEnd(VERDICT_WIDTH)}  ${subject}: ${text}`),
    detail: (text) => emit(`${INDENT}${text}`),
    plain: emit,
  };
}

/** " (HTTP 401)" when a status is known. */
export function httpPart(status: number | undefined): string {
  return status !== undefined && status > 0 ? ` (HTTP ${status})` : '';
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/**
 * The portal's own words in a raw answer: an OAuth error ("invalid_grant: …"), REST's
 * `message`, GraphQL's `errors[].message`, the Strata-Message header, or an HTML page's title.
 */
export function vendorText(entry: AnswerEntry | undefined): string | undefined {
  if (entry === undefined) return undefined;
  const { answer } = entry;
  const header = answer.headers['strata-message'];
  if (header !== undefined && header.trim() !== '') return cut(flat(header), MAX_VENDOR_TEXT_CHARS);
  let body: unknown;
  try {
    body = JSON.parse(answer.body) as unknown;
  } catch (err) {
    void err; // not JSON: an HTML page or plain text, read below
    const title = /<title>([^<]*)<\/title>/i.exec(answer.body)?.[1];
    if (title !== undefined) return `an HTML page titled "${cut(flat(title), 80)}"`;
    const text = flat(answer.body);
    return text !== '' && !text.startsWith('<') ? cut(text, MAX_VENDOR_TEXT_CHARS) : undefined;
  }
  const parts: string[] = [];
  const error = field(body, 'error');
  const description = field(body, 'error_description');
  if (typeof error === 'string') {
    parts.push(typeof description === 'string' ? `${error}: ${description}` : error);
  }
  const message = field(body, 'message');
  if (typeof message === 'string') parts.push(message);
  const errors = field(body, 'errors');
  if (Array.isArray(errors)) {
    for (const e of errors) {
      const m = field(e, 'message');
      if (typeof m === 'string') parts.push(m);
    }
  }
  return parts.length > 0 ? cut(flat(parts.join(' | ')), MAX_VENDOR_TEXT_CHARS) : undefined;
}

/**
 * A failure as one sentence: our message (which says what to do next), then the portal's own
 * words from the raw answer when the message does not quote them already.
 */
export function failureText(
  err: unknown,
  entry: AnswerEntry | undefined,
  /** Where the request went ("host:port", "… through the proxy …"), said when nothing came back. */
  route?: string,
): string {
  // The daemon's messages send the reader here, and speak of its retries; check does neither.
  const message = errorMessage(err)
    .replace(SELF_REFERENCE, '')
    .replace(/\bwill try again\b/g, 'the daemon would try again');
  if (entry === undefined) {
    return route !== undefined ? `${message} No answer came from ${route}.` : message;
  }
  const said = err instanceof PortalError && err.portalMessage !== undefined;
  const vendor = said ? undefined : vendorText(entry);
  return vendor !== undefined && !message.includes(vendor)
    ? `${message} Red Hat says: "${vendor}".`
    : message;
}

/** The HTTP status of a failure: the error's, else the last answer's. */
export function statusOf(err: unknown, entry: AnswerEntry | undefined): number | undefined {
  return (err instanceof PortalError ? err.status : undefined) ?? entry?.answer.status;
}

/** What the daemon would do with a comment, as `kind → delivered | never delivered`. */
export function classifyComment(
  comment: Comment,
  audience: Audience | undefined,
): { label: string; delivered: boolean } {
  if (comment.isDraft)
    return { label: 'draft → never delivered (while a draft)', delivered: false };
  if (comment.authorType === 'internal')
    return { label: 'internal → never delivered', delivered: false };
  if (comment.authorType === 'unknown')
    return { label: 'unknown → never delivered', delivered: false };
  if (!comment.isPublic) {
    return { label: `not public (${comment.authorType}) → never delivered`, delivered: false };
  }
  if (audience !== undefined && !audienceWants(audience, comment.authorType)) {
    return {
      label: `${comment.authorType} → not for this chat (/notify ${audience})`,
      delivered: false,
    };
  }
  return { label: `${comment.authorType} → delivered`, delivered: true };
}

/** "2026-12-02 14:03 UTC". */
function shortDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms)
    ? iso
    : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** One comment as a detail line: date, author, classification, the start of its text. */
export function commentLine(comment: Comment, audience: Audience | undefined): string {
  const { label } = classifyComment(comment, audience);
  const text = flat(comment.body);
  const preview = text === '' ? '(no text)' : `"${cut(text, COMMENT_PREVIEW_CHARS)}"`;
  return `${shortDate(comment.createdAt)}  ${comment.author}  [${label}]  ${preview}`;
}
