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
