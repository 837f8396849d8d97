// The texts the poller sends on its own (outbox "notice" entries): short, for a phone, saying
// what happened and what to do. HTML, every dynamic part escaped.
import { escapeHtml, truncate } from '../text.js';

/** A case summary in a notice: enough to recognise it on a phone. */
const SUMMARY_MAX_CHARS = 120;

export function credentialRejectedNotice(label: string): string {
  return [
    '⚠️ <b>Red Hat refused the login I use for your cases</b>',
    `(${escapeHtml(label)}).`,
    '',
    'I stopped checking your cases, so you will not get new comments for now.',
    'Send /setup again to enter a new offline token or password; your followed cases are kept.',
  ].join('\n');
}

export function caseNotVisibleNotice(caseNumber: string, summary: string): string {
  const cut = truncate(summary, SUMMARY_MAX_CHARS - 1);
  const title = summary !== '' ? ` (${escapeHtml(cut.truncated ? `${cut.text}…` : cut.text)})` : '';
  return [
    `⚠️ <b>Case ${escapeHtml(caseNumber)}</b>${title} is no longer visible with your Red Hat login.`,
    '',
    'I stopped checking it. If you still need it, ask for access to the case (or its case group) and send',
    `/add ${escapeHtml(caseNumber)} again; otherwise /remove ${escapeHtml(caseNumber)}.`,
  ].join('\n');
}

/** A follow rule brought in rules.maxCasesPerRule cases: it brings no more until some go. */
export function ruleLimitNotice(position: number, description: string, max: number): string {
  return [
    `⚠️ <b>Rule ${position}</b> (${escapeHtml(description)}) reached its limit of ${max} cases.`,
    '',
    'It brings in no new cases until some of its cases close or you remove them.',
    'To keep up, narrow it: /rules lists your rules; /unfollow the broad one and /follow a narrower',
    'one, for example /follow sev 1,2 product openshift.',
  ].join('\n');
}
