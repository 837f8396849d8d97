// What an outbox entry is made of: its id, the destinations a chat's notifications fan out to,
// and the snapshots of the case and comment it carries, so that it can be sent (and settled)
// without the portal, after any restart.
import type { Attachment, Case, CaseNumber, Comment } from '../domain.js';
import type { ChatState, OutboxEntry } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import { cap } from '../text.js';

/**
 * A new-case entry carries the start of the case's description, this many characters at most
 * (the formatter cuts further to the chat's /length): enough to judge the case, small enough
 * that a busy rule does not bloat db.json.
 */
export const NEW_CASE_DESCRIPTION_MAX_CHARS = 1000;

export type Destination = OutboxEntry['destination'];

/** "<destination>:<chatId>:<case or ->:<event>": unique and stable (see outboxEntrySchema). */
export function entryId(
  destination: Destination,
  chatId: number,
  caseNumber: string | undefined,
  event: string,
): string {
  return `${destination}:${chatId}:${caseNumber ?? '-'}:${event}`;
}

/**
 * The destinations a chat's notifications fan out to, among those with a notifier. Telegram is
 * always one (the chat is a Telegram chat); Slack when the chat set a webhook that still works.
 */
export function destinationsOf(
  chat: DeepReadonly<ChatState>,
  available: readonly Destination[],
): Destination[] {
  return available.filter((d) =>
    d === 'telegram' ? true : chat.slack !== undefined && chat.slack.disabledAt === undefined,
  );
}

// Snapshots carry the case number we asked for (the subscription's key), whatever the portal
// echoed: the entry must always validate and settle against the right subscription.
export function caseSnapshot(caseNumber: CaseNumber, k: Case): NonNullable<OutboxEntry['case']> {
  return {
    number: caseNumber,
    summary: k.summary,
    status: k.status,
    severity: k.severity,
    product: k.product,
    closed: k.closed,
    lastModifiedAt: k.lastModifiedAt,
    ...(k.group !== undefined ? { group: k.group } : {}),
    ...(k.version !== undefined ? { version: k.version } : {}),
  };
}

/** new-case: the snapshot with the start of the description and who opened the case. */
export function newCaseSnapshot(caseNumber: CaseNumber, k: Case): NonNullable<OutboxEntry['case']> {
  return {
    ...caseSnapshot(caseNumber, k),
    ...(k.description !== undefined
      ? { description: cap(k.description, NEW_CASE_DESCRIPTION_MAX_CHARS) }
      : {}),
    ...(k.createdBy !== undefined ? { openedBy: k.createdBy } : {}),
  };
}

export function attachmentSnapshot(a: Attachment): NonNullable<OutboxEntry['attachment']> {
  return {
    id: a.id,
    fileName: a.fileName,
    ...(a.size !== undefined ? { size: a.size } : {}),
    author: a.author,
    authorType: a.authorType,
    createdAt: a.createdAt,
  };
}

export function commentSnapshot(
  caseNumber: CaseNumber,
  c: Comment,
): NonNullable<OutboxEntry['comment']> {
  return {
    id: c.id,
    caseNumber,
    author: c.author,
    authorType: c.authorType,
    body: c.body,
    createdAt: c.createdAt,
    isPublic: c.isPublic,
    isDraft: c.isDraft,
    ...(c.idSpace !== undefined ? { idSpace: c.idSpace } : {}),
  };
}
