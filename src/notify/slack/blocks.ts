// Slack Block Kit as we use it: the payload and block types, Slack's size limits, and builders
// that keep every block within them (Slack refuses the whole message, 400 invalid_blocks, when a
// header exceeds 150 characters, a text object 3000, or a message 50 blocks). Texts given to
// these builders are mrkdwn already escaped (mrkdwn.ts); plain_text (the header) is not parsed
// by Slack at all, so it is cleaned but not escaped.
import { cap, cleanInline, field, SUMMARY_MAX_CHARS } from '../../text.js';
import { severityTag } from '../case-facts.js';
import { capEscaped, escapeMrkdwn } from './mrkdwn.js';

/** Slack: a header block's plain_text, in characters. */
export const SLACK_HEADER_MAX_CHARS = 150;
/** Slack: a text object (section text, context element), in characters. */
export const SLACK_TEXT_MAX_CHARS = 3000;
/** Slack: blocks per message. */
export const SLACK_MAX_BLOCKS = 50;
/**
 * The longest body shown (comment, description), in characters, whatever the chat's setting:
 * the same ceiling as /length (bot/features/settings.ts MAX_LENGTH_SETTING), so Slack never shows more
 * than Telegram could.
 */
export const SLACK_BODY_MAX_CHARS = 3500;
/** Slack: elements per context block. */
export const SLACK_CONTEXT_MAX_ELEMENTS = 10;

/** The top-level `text` is only the notification preview: a phone shows one or two lines. */
export const FALLBACK_MAX_CHARS = 300;

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

/**
 * The case header, `[🔴 ]Sev N · Case <number>: <summary>` (no "Sev" when the severity names no
 * level): plain text within Slack's cap.
 */
export function header(number: string, summary: string, severity = ''): SlackBlock {
  const s = field(summary, SUMMARY_MAX_CHARS);
  const tag = severityTag(severity);
  const title = s === '' ? `Case ${number}` : `Case ${number}: ${s}`;
  const text = tag === '' ? title : `${tag} · ${title}`;
  return { type: 'header', text: { type: 'plain_text', text: cap(text, SLACK_HEADER_MAX_CHARS) } };
}

/** Escaped mrkdwn, capped; `verbatim` keeps Slack from turning words into links or mentions. */
export function section(mrkdwn: string, options: { verbatim?: boolean } = {}): SlackBlock {
  const text: SlackMrkdwnText = { type: 'mrkdwn', text: capEscaped(mrkdwn, SLACK_TEXT_MAX_CHARS) };
  if (options.verbatim) text.verbatim = true;
  return { type: 'section', text };
}

/** A line of small print: escaped mrkdwn elements, each capped. */
export function context(...mrkdwn: string[]): SlackBlock {
  const elements = mrkdwn
    .filter((t) => t !== '')
    .slice(0, SLACK_CONTEXT_MAX_ELEMENTS)
    .map((t): SlackMrkdwnText => ({ type: 'mrkdwn', text: capEscaped(t, SLACK_TEXT_MAX_CHARS) }));
  return { type: 'context', elements };
}

/** Our links on one line (undefined ones, not http(s), left out). */
export function linksBlock(...links: (string | undefined)[]): SlackBlock {
  const present = links.filter((l): l is string => l !== undefined);
  // A context block must have at least one element: without any valid URL, say so plainly.
  return context(present.length > 0 ? present.join('  ·  ') : 'Link to the case unavailable');
}

/** The webhook body: a short escaped preview and at most SLACK_MAX_BLOCKS blocks. */
export function payload(fallback: string, summary: string, blocks: SlackBlock[]): SlackPayload {
  const s = field(summary, SUMMARY_MAX_CHARS);
  const preview = s === '' ? fallback : `${fallback}: ${s}`;
  return {
    text: escapeMrkdwn(cap(cleanInline(preview, false), FALLBACK_MAX_CHARS)),
    blocks: blocks.slice(0, SLACK_MAX_BLOCKS),
    unfurl_links: false,
    unfurl_media: false,
  };
}
