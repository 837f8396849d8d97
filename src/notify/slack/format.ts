// Turns outbox entries into Slack Incoming Webhook payloads (Block Kit). Pure: no I/O, no clock,
// no config. The content mirrors the Telegram messages of telegram/format.ts: same facts, same
// caps, the comment body cut the same way (the chat's /length; 0 = privacy mode, no text at all).
//
// The body is sent with `verbatim: true` so Slack does not turn words in a customer's comment
// into channel links or mentions. A body whose escaped form is longer than one section may hold
// is split over several sections; whatever the input, the result is within Slack's limits
// (blocks.ts; a property test checks it).
//
// Links instead of buttons: a Block Kit button posted through an incoming webhook shows a warning
// mark after a click unless the Slack app has interactivity configured; a mrkdwn link just opens.
import { severityLevel, type Case, type Comment } from '../../domain.js';
import type { OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
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
  context,
  FALLBACK_MAX_CHARS,
  header,
  linksBlock,
  payload,
  section,
  SLACK_BODY_MAX_CHARS,
  SLACK_TEXT_MAX_CHARS,
  type SlackBlock,
  type SlackPayload,
} from './blocks.js';
import {
  escapeMrkdwn,
  htmlToPlain,
  slackLink,
  splitEscaped,
  splitMrkdwn,
  telegramHtmlToMrkdwn,
} from './mrkdwn.js';
import {
  formatSlackAttachment,
  formatSlackNewCase,
  formatSlackSeverityChange,
} from './format-events.js';
import { headerStart } from '../case-facts.js';

export { SLACK_BODY_MAX_CHARS } from './blocks.js';
export interface SlackFormatSettings {
  /** The chat's /length, or the configured default; 0 = privacy mode (no comment text). */
  maxCommentChars: number;
  caseUrl: string;
  /** Only used for comment entries. */
  commentUrl: string;
  /** config.poll.keepClosedCases === false: a closed case is no longer followed. */
  unfollowedWhenClosed: boolean;
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
    case 'new-case':
      if (!entry.case) return 'a new-case entry without its case';
      return formatSlackNewCase({
        kase: entry.case,
        rule: entry.rule,
        maxChars: settings.maxCommentChars,
        caseUrl: settings.caseUrl,
      });
    case 'severity':
      if (!entry.case) return 'a severity entry without its case';
      return formatSlackSeverityChange({
        kase: entry.case,
        previousSeverity: entry.text ?? '',
        caseUrl: settings.caseUrl,
      });
    case 'attachment':
      if (!entry.case || !entry.attachment) {
        return 'an attachment entry without its case or attachment';
      }
      return formatSlackAttachment({
        kase: entry.case,
        attachment: entry.attachment,
        // Not positive (0, or a broken value): privacy mode, like the comment body.
        privacy: !(settings.maxCommentChars > 0),
        caseUrl: settings.caseUrl,
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
    header(number, kase.summary, kase.severity),
    context(`💬 New comment from ${who} · ${formatUtc(comment.createdAt)}`, caseFacts(kase)),
  ];
  const fallbackWho = author === '' ? 'unknown author' : `${author} (${role})`;
  const fallback = `${headerStart('💬', kase.severity)}New comment on case ${number} from ${fallbackWho}`;

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
    header(number, kase.summary, kase.severity),
    section(`🔄 Status: ${change}`),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  ];
  return payload(
    `${headerStart('🔄', kase.severity)}Case ${number} status: ${before} → ${after}`,
    kase.summary,
    blocks,
  );
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
    header(number, kase.summary, kase.severity),
    section(closed),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  ];
  return payload(
    `${headerStart('✅', kase.severity)}Case ${number} was closed`,
    kase.summary,
    blocks,
  );
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

/** As on Telegram: the header says "Sev N"; the portal's words only when they name no level. */
function caseFacts(kase: Case): string {
  const status = `Status: ${field(kase.status, FIELD_MAX_CHARS) || 'unknown'}`;
  const severity = field(kase.severity, FIELD_MAX_CHARS);
  return escapeMrkdwn(
    severityLevel(kase.severity) === undefined && severity !== ''
      ? `Severity ${severity} · ${status}`
      : status,
  );
}

function roleOf(comment: Comment): string {
  return comment.authorType === 'associate'
    ? 'Red Hat'
    : comment.authorType === 'customer'
      ? 'customer'
      : 'unknown author type';
}
