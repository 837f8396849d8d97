// Hydra (JSON) wire format → domain types. REST v3 kept Hydra's field names (dates gained
// milliseconds and a "+0000" offset, comments lost isPublic for createdByType), so the same
// schemas read both, each with its own id space; nothing outside portal/ sees them.
// Strict about envelopes (a case, the comment array, the filter answer), tolerant of one bad
// item in a list: it is skipped and reported, the rest is delivered.
import { z } from 'zod';
import type { Case, CaseNumber, Comment, IdSpace } from '../domain.js';
import {
  caseFromWire,
  commentsFromWire,
  describeIssues,
  wireBoolean,
  wireCaseNumber,
  wireDate,
  wireText,
  type OnSkippedItem,
  type Parsed,
  type WireCommentFields,
} from './convert.js';

export const hydraCommentSchema = z.object({
  id: z.string().min(1),
  commentBody: z.string().nullish(),
  createdBy: z.string().nullish(),
  createdByType: z.string().nullish(),
  contentType: z.string().nullish(),
  createdDate: wireDate,
  publishedDate: wireDate.nullish(),
  isPublic: wireBoolean.nullish(),
  isDraft: wireBoolean.nullish(),
});

export const hydraCaseSchema = z.object({
  caseNumber: wireCaseNumber,
  summary: z.string().nullish(),
  status: z.string().nullish(),
  severity: z.string().nullish(),
  product: z.string().nullish(),
  version: wireText.nullish(),
  isClosed: wireBoolean.nullish(),
  lastModifiedDate: wireDate,
  groupName: z.string().nullish(),
  groupNumber: wireText.nullish(),
  // Read for REST v3 only (parseHydraCase's `details`); a bad value is dropped, not fatal: the
  // case was readable before these were read, and they are only shown.
  description: z.string().nullish().catch(undefined),
  createdBy: z.string().nullish().catch(undefined),
  contactName: z.string().nullish().catch(undefined),
  createdDate: wireDate.nullish().catch(undefined),
});

export const hydraCommentListSchema = z.array(z.unknown());
const hydraEmbeddedSchema = z.object({ comments: hydraCommentListSchema.optional() });

export const hydraFilterAnswerSchema = z
  .object({
    cases: z.array(z.unknown()).optional(),
    totalCount: z.number().int().nonnegative().optional(),
  })
  // Both missing means this is not a filter answer at all (an error object, say).
  .refine((a) => a.cases !== undefined || a.totalCount !== undefined, {
    message: 'expected cases or totalCount',
  });

const hydraFilterItemSchema = z.object({ caseNumber: wireCaseNumber });

function idOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || !('id' in item)) return undefined;
  return typeof item.id === 'string' && /^[A-Za-z0-9]{1,40}$/.test(item.id) ? item.id : undefined;
}

/**
 * A case answer. With `details` (REST v3) the case also carries its description, opener and
 * creation date; the opener is `createdBy` when the answer has it, else the case's contact (REST
 * v3 names only a `createdById`, and a customer's case contact is who opened it in the portal).
 * The v1 APIs leave them out: they are switched off, and nothing reads these fields from them.
 */
export function parseHydraCase(
  value: unknown,
  caseNumber: CaseNumber,
  options: { details?: boolean } = {},
): Parsed<Case> {
  const wire = hydraCaseSchema.safeParse(value);
  if (!wire.success) return { ok: false, detail: `case: ${describeIssues(wire.error)}` };
  const w = wire.data;
  const details = options.details
    ? {
        description: w.description,
        createdBy: w.createdBy || w.contactName,
        createdAt: w.createdDate,
      }
    : {};
  return {
    ok: true,
    value: caseFromWire(caseNumber, {
      summary: w.summary,
      status: w.status,
      severity: w.severity,
      product: w.product,
      version: w.version,
      closed: w.isClosed,
      lastModifiedAt: w.lastModifiedDate,
      groupName: w.groupName,
      groupNumber: w.groupNumber,
      ...details,
    }),
  };
}

const hydraCommentFields = (w: z.infer<typeof hydraCommentSchema>): WireCommentFields => ({
  id: w.id,
  body: w.commentBody,
  contentType: w.contentType,
  author: w.createdBy,
  authorType: w.createdByType,
  createdAt: w.createdDate,
  publishedAt: w.publishedDate,
  isPublic: w.isPublic,
  isDraft: w.isDraft,
});

function hydraCommentItems(
  items: readonly unknown[],
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
  idSpace: IdSpace,
): Comment[] {
  return commentsFromWire(
    items,
    caseNumber,
    { schema: hydraCommentSchema, fields: hydraCommentFields, idOf, idSpace },
    onSkipped,
  );
}

/** `GET /cases/{n}/comments`: a bare array, newest first in practice. Returns oldest first. */
export function parseHydraComments(
  value: unknown,
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
  idSpace: IdSpace = 'v1',
): Parsed<Comment[]> {
  const list = hydraCommentListSchema.safeParse(value);
  if (!list.success) return { ok: false, detail: 'the comment list is not an array' };
  return { ok: true, value: hydraCommentItems(list.data, caseNumber, onSkipped, idSpace) };
}

/** The `comments` array a case answer embeds; none (or not an array) reads as no comments. */
export function parseHydraEmbeddedComments(
  value: unknown,
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
  idSpace: IdSpace = 'v1',
): Comment[] {
  const embedded = hydraEmbeddedSchema.safeParse(value);
  if (!embedded.success || embedded.data.comments === undefined) return [];
  return hydraCommentItems(embedded.data.comments, caseNumber, onSkipped, idSpace);
}

/** One page of `POST /cases/filter`. */
export function parseHydraFilterPage(
  value: unknown,
  onSkipped: OnSkippedItem,
): Parsed<{ caseNumbers: CaseNumber[]; itemCount: number; totalCount: number | undefined }> {
  const answer = hydraFilterAnswerSchema.safeParse(value);
  if (!answer.success) return { ok: false, detail: `case list: ${describeIssues(answer.error)}` };
  const cases = answer.data.cases ?? [];
  const caseNumbers: CaseNumber[] = [];
  cases.forEach((item, index) => {
    const wire = hydraFilterItemSchema.safeParse(item);
    if (wire.success) caseNumbers.push(wire.data.caseNumber);
    else onSkipped({ index, detail: describeIssues(wire.error) });
  });
  return {
    ok: true,
    value: { caseNumbers, itemCount: cases.length, totalCount: answer.data.totalCount },
  };
}
