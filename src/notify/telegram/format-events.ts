// Telegram messages for the events of a case other than comments: a rule brought a new case in,
// its severity changed, a file was attached. Pure, like format.ts, and within 4096 characters
// whatever the input (every field capped, the description gets what is left).
import { CASE_NUMBER_PATTERN } from '../../domain.js';
import type { OutboxEntry } from '../../store/schema.js';
import {
  AUTHOR_MAX_CHARS,
  cleanBody,
  cutBody,
  field,
  FIELD_MAX_CHARS,
  SUMMARY_MAX_CHARS,
} from '../../text.js';
import { authorRole, headerStart, severityArrow, severityName, sizeSuffix } from '../case-facts.js';
import { callbackData } from './format.js';
import {
  bold,
  join,
  openCaseButton,
  openCaseRow,
  outgoing,
  TELEGRAM_TEXT_LIMIT,
  text,
  wrap,
  type InlineButton,
  type OutgoingMessage,
  type Piece,
} from './html.js';

export type CaseSnapshot = NonNullable<OutboxEntry['case']>;
export type AttachmentSnapshot = NonNullable<OutboxEntry['attachment']>;

/** A file name is shown whole up to here; longer ones are cut with "…". */
const FILE_NAME_MAX_CHARS = 120;
/** "2 · sev 1" as /rules showed it: short by nature, capped in case. */
const RULE_MAX_CHARS = 100;

/**
 * "🆕 Sev 2 · OpenShift 4.14 · 01234567 · <summary>", who opened it, its status, the first lines
 * of the description (cut at `maxChars`; 0 = privacy mode: none) and the rule that matched.
 * Buttons: Open case, Mute.
 */
export function formatNewCase(input: {
  kase: CaseSnapshot;
  /** entry.rule: "2 · sev 1". */
  rule: string | undefined;
  maxChars: number;
  caseUrl: string;
}): OutgoingMessage {
  const { kase } = input;
  const maxChars = Number.isNaN(input.maxChars) ? 0 : Math.max(0, Math.floor(input.maxChars));
  const product = field(
    [kase.product, kase.version ?? ''].filter((s) => s.trim() !== '').join(' '),
    FIELD_MAX_CHARS,
  );
  const summary = field(kase.summary, SUMMARY_MAX_CHARS);
  const title = join(
    text(headerStart('🆕', kase.severity)),
    text(product === '' ? '' : `${product} · `),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    text(summary === '' ? '' : ` · ${summary}`),
  );
  const facts: string[] = [];
  const opener = field(kase.openedBy ?? '', AUTHOR_MAX_CHARS);
  if (opener !== '') facts.push(`Opened by ${opener}`);
  facts.push(`Status: ${field(kase.status, FIELD_MAX_CHARS) || 'unknown'}`);
  const group = field(kase.group ?? '', FIELD_MAX_CHARS);
  if (group !== '') facts.push(`Group: ${group}`);
  const rule = field(input.rule ?? '', RULE_MAX_CHARS);
  const ruleLine = text(
    rule === '' ? '\nMatched one of your /follow rules' : `\nMatched rule ${rule}`,
  );
  const head = join(title, text(`\n${facts.join(' · ')}`));

  const description = cleanBody(kase.description ?? '');
  let middle = text('');
  if (description !== '' && maxChars === 0) {
    // Privacy mode: the description is the customer's own words, like a comment body.
    middle = text('\n🔒 Description hidden (privacy mode)');
  } else if (description !== '') {
    const separator = text('\n');
    // "…" when cut; one character of room kept for it.
    const room = TELEGRAM_TEXT_LIMIT - head.length - ruleLine.length - separator.length - 1;
    const cut = cutBody(description, Math.min(maxChars, room));
    middle = join(separator, wrap('blockquote', text(cut.truncated ? `${cut.text}…` : cut.text)));
  }
  return outgoing(join(head, middle, ruleLine), newCaseButtons(kase.number, input.caseUrl));
}

/** "⬆️ Sev 3 → 🔴 Sev 1 on 01234567 · <summary>" (⬇️ when lowered). */
export function formatSeverityChange(input: {
  kase: CaseSnapshot;
  /** entry.text: the severity before. */
  previousSeverity: string;
  caseUrl: string;
}): OutgoingMessage {
  const { kase } = input;
  const summary = field(kase.summary, SUMMARY_MAX_CHARS);
  const message = join(
    text(
      `${severityArrow(input.previousSeverity, kase.severity)} ${severityName(input.previousSeverity)} → ${severityName(kase.severity)} on `,
    ),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    text(summary === '' ? '' : ` · ${summary}`),
  );
  return outgoing(message, openCaseRow(input.caseUrl));
}

/**
 * "📎 Sev 2 · Jane Doe (Red Hat) attached sosreport.tar.xz (2.4 MB)", then the case. In privacy
 * mode the file name is not shown (names like "customer-db-dump.sql" say too much).
 */
export function formatAttachment(input: {
  kase: CaseSnapshot;
  attachment: AttachmentSnapshot;
  privacy: boolean;
  caseUrl: string;
}): OutgoingMessage {
  const { kase, attachment } = input;
  const summary = field(kase.summary, SUMMARY_MAX_CHARS);
  const message = join(
    text(headerStart('📎', kase.severity)),
    attacherPiece(attachment),
    text(' attached '),
    fileNamePiece(attachment, input.privacy),
    text(sizeSuffix(attachment.size)),
    text('\nCase '),
    bold(field(kase.number, FIELD_MAX_CHARS) || 'unknown'),
    text(summary === '' ? '' : ` · ${summary}`),
  );
  return outgoing(message, openCaseRow(input.caseUrl));
}

function attacherPiece(attachment: AttachmentSnapshot): Piece {
  const name = field(attachment.author, AUTHOR_MAX_CHARS);
  if (name === '') return text('Someone');
  const role = authorRole(attachment.authorType);
  return join(bold(name), text(role === undefined ? '' : ` (${role})`));
}

function fileNamePiece(attachment: AttachmentSnapshot, privacy: boolean): Piece {
  const name = field(attachment.fileName, FILE_NAME_MAX_CHARS);
  return privacy || name === '' ? text('a file') : bold(name);
}

function newCaseButtons(caseNumber: string, caseUrl: string): InlineButton[][] {
  const row: InlineButton[] = [...openCaseButton(caseUrl)];
  // A case number from the portal is digits; anything else gets no callback button.
  if (CASE_NUMBER_PATTERN.test(caseNumber)) {
    row.push({ text: 'Mute', callbackData: callbackData.mute(caseNumber) });
  }
  return row.length > 0 ? [row] : [];
}
