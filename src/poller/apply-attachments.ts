// Pure: a followed case's new files → "attachment" entries, per chat. A file is new to a chat
// when its uuid is not in the subscription's attachmentsSeen and it was created after
// attachmentsSince (files the case had before it was followed are history); private files and
// Red Hat's internal ones are never new. A new file is announced when the chat's audience wants
// its author's side, or when the portal does not say who attached it (a file on a case is not a
// private note). Every new file, announced or not, is marked seen in the same transaction as its
// entries (the outbox's header says why that is safe).
//
// attachmentsReadAt, the case's lastModifiedAt when its files were last read, is what tells the
// read side (read-attachments.ts) whether a case moved. A subscription without it (one older than
// attachment notices) only records it at its first read with case fields: no list is read for
// it then, so an upgrade costs no request per case.
import { audienceWants, type Attachment, type Case } from '../domain.js';
import {
  attachmentSnapshot,
  caseSnapshot,
  destinationsOf,
  entryId,
  type Destination,
  type Enqueuer,
} from '../outbox/index.js';
import type { ChatState, SubscriptionState } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import { audienceOf, storedCase, wantsAttachments, type AttachmentsRead } from './outcome.js';

export interface AttachmentChange {
  /** Files new to the chat: all marked seen. */
  fresh: Attachment[];
  /** Those the chat is told about. */
  announce: Attachment[];
  /** The subscription's new attachmentsReadAt; undefined: unchanged. */
  readAt: string | undefined;
  /** attachmentsSince to fill in (a subscription that never had one); undefined: unchanged. */
  since: string | undefined;
}

/**
 * True when `next` (a case's lastModifiedAt) is a later version than `stored` (the one its files
 * were read at): different, and not older. An older one is a sweep's read overtaken by a cycle's.
 */
export function movedSince(stored: string | undefined, next: string): boolean {
  if (stored === undefined) return true;
  if (stored === next) return false;
  const a = Date.parse(stored);
  const b = Date.parse(next);
  return Number.isNaN(a) || Number.isNaN(b) || b > a;
}

/** Whether the chat would be told about, or should mark, this file. */
function isNewFile(
  sub: DeepReadonly<SubscriptionState>,
  seen: ReadonlySet<string>,
  file: Attachment,
): boolean {
  if (seen.has(file.id) || file.isPrivate || file.authorType === 'internal') return false;
  const since = sub.attachmentsSince !== undefined ? Date.parse(sub.attachmentsSince) : Number.NaN;
  const created = Date.parse(file.createdAt);
  // No bound, or a date we cannot read: announced (better once too many than never).
  return Number.isNaN(since) || Number.isNaN(created) || created > since;
}

/**
 * What the case's read means for one chat's subscription; undefined when nothing changes.
 * `kase`: the case's fields as read this time (undefined: only comments were read).
 */
export function attachmentChange(
  chat: DeepReadonly<ChatState>,
  sub: DeepReadonly<SubscriptionState>,
  kase: Case | undefined,
  read: AttachmentsRead | undefined,
): AttachmentChange | undefined {
  if (!wantsAttachments(chat)) return undefined;
  if (sub.attachmentsReadAt === undefined) {
    // First sight since the upgrade: note where the case is, read nothing.
    if (kase === undefined) return undefined;
    return {
      fresh: [],
      announce: [],
      readAt: kase.lastModifiedAt,
      // As the 2 → 3 migration does: what the chat has seen of the case bounds what is new.
      since: sub.attachmentsSince === undefined ? (sub.seenUpTo ?? sub.addedAt) : undefined,
    };
  }
  if (read === undefined) return undefined;
  const seen = new Set(sub.attachmentsSeen ?? []);
  const fresh: Attachment[] = [];
  for (const f of read.files) {
    if (!isNewFile(sub, seen, f)) continue;
    seen.add(f.id); // listed twice: one notice
    fresh.push(f);
  }
  const audience = audienceOf(chat);
  const announce = fresh.filter(
    (f) => f.authorType === 'unknown' || audienceWants(audience, f.authorType),
  );
  const readAt =
    read.lastModifiedAt !== undefined && movedSince(sub.attachmentsReadAt, read.lastModifiedAt)
      ? read.lastModifiedAt
      : undefined;
  if (fresh.length === 0 && readAt === undefined) return undefined;
  return { fresh, announce, readAt, since: undefined };
}

/** Applies a change to the draft subscription and enqueues its notices. Returns entries added. */
export function applyAttachmentChange(
  chat: ChatState,
  sub: SubscriptionState,
  kase: Case | undefined,
  change: AttachmentChange,
  context: { now: number; destinations: readonly Destination[]; enqueue: Enqueuer },
): number {
  const nowIso = new Date(context.now).toISOString();
  let added = 0;
  if (change.announce.length > 0) {
    const snapshot = caseSnapshot(sub.caseNumber, kase ?? storedCase(sub));
    const destinations = destinationsOf(chat, context.destinations);
    for (const file of change.announce) {
      for (const d of destinations) {
        const entry = {
          chatId: chat.id,
          destination: d,
          createdAt: nowIso,
          attempts: 0,
          id: entryId(d, chat.id, sub.caseNumber, `attachment:${file.id}`),
          kind: 'attachment' as const,
          case: snapshot,
          attachment: attachmentSnapshot(file),
        };
        if (context.enqueue.add(entry)) added++;
      }
    }
  }
  if (change.fresh.length > 0) {
    sub.attachmentsSeen = [...(sub.attachmentsSeen ?? []), ...change.fresh.map((f) => f.id)];
  }
  if (change.readAt !== undefined) sub.attachmentsReadAt = change.readAt;
  if (change.since !== undefined) sub.attachmentsSince = change.since;
  return added;
}
