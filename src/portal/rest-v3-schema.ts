// REST v3 wire formats Hydra v1 did not have (the case and comment schemas are Hydra's, in
// hydra-schema.ts): the attachment list, `GET /cases/{n}/attachments` (reference §7, §13.3).
// Strict about the envelope (a bare array, or `{attachments: [...]}` as v1 wrote lists), tolerant
// of one bad item: it is skipped and reported, the other files are still announced.
//
// Only uuid, fileName and createdDate are needed: the uuid is the dedupe key, and a notice
// without a name or a date says nothing. Everything else has a default: no public source shows
// who-kind or privacy fields on attachments, so they are read when present and otherwise the
// file is 'unknown' (announced to every audience) and not private.
import { z } from 'zod';
import type { Attachment, CaseNumber } from '../domain.js';
import {
  authorTypeOf,
  describeIssues,
  UNKNOWN_AUTHOR,
  wireBoolean,
  wireDate,
  type OnSkippedItem,
  type Parsed,
} from './convert.js';

/** A uuid in the sample; any short token of these characters is accepted as the key. */
const ATTACHMENT_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Bytes as a JSON number or as digits in a string (v3 writes some numbers as text, §7). */
const wireSize = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .trim()
    .regex(/^\d{1,15}$/)
    .transform(Number),
]);

export const v3AttachmentSchema = z.object({
  uuid: z.string().regex(ATTACHMENT_ID),
  fileName: z.string().trim().min(1),
  // Only shown: a size we cannot read is left out, not a reason to drop the notice.
  size: wireSize.nullish().catch(undefined),
  createdBy: z.string().nullish(),
  createdByType: z.string().nullish(),
  isPrivate: wireBoolean.nullish(),
  private: wireBoolean.nullish(),
  createdDate: wireDate,
});

const attachmentListSchema = z.union([
  z.array(z.unknown()),
  z.object({ attachments: z.array(z.unknown()) }),
]);

function idOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || !('uuid' in item)) return undefined;
  return typeof item.uuid === 'string' && ATTACHMENT_ID.test(item.uuid) ? item.uuid : undefined;
}

function attachmentFromWire(
  caseNumber: CaseNumber,
  w: z.infer<typeof v3AttachmentSchema>,
): Attachment {
  // "Internal" is Red Hat's private side (as for comments): kept as such, and never announced.
  const authorType = authorTypeOf(w.createdByType ?? undefined);
  return {
    id: w.uuid,
    caseNumber,
    fileName: w.fileName,
    ...(w.size !== undefined && w.size !== null ? { size: w.size } : {}),
    author: w.createdBy?.trim() || UNKNOWN_AUTHOR,
    authorType,
    createdAt: w.createdDate,
    isPrivate: (w.isPrivate ?? w.private ?? false) || authorType === 'internal',
  };
}

/** `GET /cases/{n}/attachments` → the case's files, oldest first (the portal sends newest first). */
export function parseV3Attachments(
  value: unknown,
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
): Parsed<Attachment[]> {
  const list = attachmentListSchema.safeParse(value);
  if (!list.success) return { ok: false, detail: 'the attachment list is not an array' };
  const items = Array.isArray(list.data) ? list.data : list.data.attachments;
  const out: Attachment[] = [];
  items.forEach((item, index) => {
    const parsed = v3AttachmentSchema.safeParse(item);
    if (parsed.success) {
      out.push(attachmentFromWire(caseNumber, parsed.data));
      return;
    }
    const id = idOf(item);
    onSkipped({ index, ...(id !== undefined ? { id } : {}), detail: describeIssues(parsed.error) });
  });
  return {
    ok: true,
    value: out.sort(
      (a, b) =>
        Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    ),
  };
}
