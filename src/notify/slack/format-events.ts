// Slack payloads for the events of a case other than comments: a rule brought a new case in, its
// severity changed, a file was attached. The same facts as telegram/format-events.ts; links
// instead of buttons (format.ts says why), so there is no Mute button here: /mute on Telegram.
import type { OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import { AUTHOR_MAX_CHARS, cleanBody, cutBody, field, FIELD_MAX_CHARS } from '../../text.js';
import { authorRole, headerStart, severityArrow, severityName, sizeSuffix } from '../case-facts.js';
import {
  context,
  header,
  linksBlock,
  payload,
  section,
  SLACK_BODY_MAX_CHARS,
  SLACK_TEXT_MAX_CHARS,
  type SlackBlock,
  type SlackPayload,
} from './blocks.js';
import { escapeMrkdwn, slackLink, splitEscaped } from './mrkdwn.js';

type CaseSnapshot = DeepReadonly<NonNullable<OutboxEntry['case']>>;
type AttachmentSnapshot = DeepReadonly<NonNullable<OutboxEntry['attachment']>>;

const FILE_NAME_MAX_CHARS = 120;
const RULE_MAX_CHARS = 100;

export function formatSlackNewCase(input: {
  kase: CaseSnapshot;
  rule: string | undefined;
  /** The chat's /length; 0 = privacy mode (no description). */
  maxChars: number;
  caseUrl: string;
}): SlackPayload {
  const { kase } = input;
  const maxChars = Number.isNaN(input.maxChars) ? 0 : Math.max(0, Math.floor(input.maxChars));
  const number = field(kase.number, FIELD_MAX_CHARS);
  const product = field(
    [kase.product, kase.version ?? ''].filter((s) => s.trim() !== '').join(' '),
    FIELD_MAX_CHARS,
  );
  const facts: string[] = [];
  const opener = field(kase.openedBy ?? '', AUTHOR_MAX_CHARS);
  if (opener !== '') facts.push(`Opened by *${escapeMrkdwn(opener)}*`);
  facts.push(escapeMrkdwn(`Status: ${field(kase.status, FIELD_MAX_CHARS) || 'unknown'}`));
  const group = field(kase.group ?? '', FIELD_MAX_CHARS);
  if (group !== '') facts.push(escapeMrkdwn(`Group: ${group}`));
  const blocks: SlackBlock[] = [
    header(number, kase.summary, kase.severity),
    section(`🆕 *New case*${product === '' ? '' : ` · ${escapeMrkdwn(product)}`}`),
    context(facts.join(' · ')),
  ];

  const description = cleanBody(kase.description ?? '');
  if (description !== '' && maxChars === 0) {
    blocks.push(section('🔒 Description hidden (privacy mode)'));
  } else if (description !== '') {
    const cut = cutBody(description, Math.min(maxChars, SLACK_BODY_MAX_CHARS));
    const shown = cut.truncated ? `${cut.text}…` : cut.text;
    for (const chunk of splitEscaped(shown, SLACK_TEXT_MAX_CHARS)) {
      blocks.push(section(chunk, { verbatim: true }));
    }
  }
  const rule = field(input.rule ?? '', RULE_MAX_CHARS);
  blocks.push(
    context(
      escapeMrkdwn(rule === '' ? 'Matched one of your /follow rules' : `Matched rule ${rule}`),
    ),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  );
  const fallback = `${headerStart('🆕', kase.severity)}${product === '' ? '' : `${product} · `}New case ${number}`;
  return payload(fallback, kase.summary, blocks);
}

export function formatSlackSeverityChange(input: {
  kase: CaseSnapshot;
  previousSeverity: string;
  caseUrl: string;
}): SlackPayload {
  const { kase } = input;
  const number = field(kase.number, FIELD_MAX_CHARS);
  const arrow = severityArrow(input.previousSeverity, kase.severity);
  const before = severityName(input.previousSeverity);
  const after = severityName(kase.severity);
  const blocks = [
    header(number, kase.summary, kase.severity),
    section(`${arrow} Severity: ${escapeMrkdwn(before)} → *${escapeMrkdwn(after)}*`),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  ];
  return payload(`${arrow} ${before} → ${after} on case ${number}`, kase.summary, blocks);
}

export function formatSlackAttachment(input: {
  kase: CaseSnapshot;
  attachment: AttachmentSnapshot;
  /** Privacy mode: the file name is not shown. */
  privacy: boolean;
  caseUrl: string;
}): SlackPayload {
  const { kase, attachment } = input;
  const number = field(kase.number, FIELD_MAX_CHARS);
  const author = field(attachment.author, AUTHOR_MAX_CHARS);
  const role = authorRole(attachment.authorType);
  const who = author === '' ? 'Someone' : author;
  const whoMrkdwn =
    author === ''
      ? 'Someone'
      : `*${escapeMrkdwn(author)}*${role === undefined ? '' : ` (${role})`}`;
  const name = field(attachment.fileName, FILE_NAME_MAX_CHARS);
  const file = input.privacy || name === '' ? 'a file' : name;
  const fileMrkdwn = input.privacy || name === '' ? 'a file' : `*${escapeMrkdwn(name)}*`;
  const size = sizeSuffix(attachment.size);
  const blocks = [
    header(number, kase.summary, kase.severity),
    section(`📎 ${whoMrkdwn} attached ${fileMrkdwn}${size}`),
    linksBlock(slackLink(input.caseUrl, `Open case ${number}`)),
  ];
  return payload(
    `${headerStart('📎', kase.severity)}${who} attached ${file}${size} on case ${number}`,
    kase.summary,
    blocks,
  );
}
