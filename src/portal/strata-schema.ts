// Strata (XML, namespace http://www.redhat.com/gss/strata) wire format → domain types. The XML
// text itself is parsed by strata-xml.ts (fast-xml-parser, loaded on demand); the schemas here
// read the object tree it builds, where attributes appear as '@_name' keys.
import { z } from 'zod';
import type { Case, CaseNumber, Comment } from '../domain.js';
import {
  caseFromWire,
  commentsFromWire,
  describeIssues,
  wireBoolean,
  wireCaseNumber,
  wireDate,
  type OnSkippedItem,
  type Parsed,
  type WireCommentFields,
} from './convert.js';

export const STRATA_NAMESPACE = 'http://www.redhat.com/gss/strata';

/** An element that may be empty (`<summary/>` parses as ""). */
const text = z.string();

export const strataCommentSchema = z.object({
  '@_id': z.string().min(1),
  text: text.optional(),
  createdBy: text.optional(),
  createdByType: text.optional(),
  contentType: text.optional(),
  createdDate: wireDate,
  publishedDate: wireDate.optional(),
  public: wireBoolean.optional(),
  draft: wireBoolean.optional(),
});

/** `<comments/>` parses as "", `<comments><comment/>…</comments>` as { comment: [...] }. */
const commentsElement = z.union([
  z.literal(''),
  z.object({ comment: z.array(z.unknown()).optional() }),
]);

export const strataCaseSchema = z.object({
  '@_caseNumber': wireCaseNumber.optional(),
  '@_closed': wireBoolean.optional(),
  caseNumber: wireCaseNumber.optional(),
  summary: text.optional(),
  status: text.optional(),
  severity: text.optional(),
  product: text.optional(),
  version: text.optional(),
  lastModifiedDate: wireDate,
  folderName: text.optional(),
  folderNumber: text.optional(),
  comments: commentsElement.optional(),
});

const caseDocumentSchema = z.object({ case: strataCaseSchema });
const commentsDocumentSchema = z.object({ comments: commentsElement });
const casesDocumentSchema = z.object({
  cases: z.union([z.literal(''), z.object({ case: z.array(z.unknown()).optional() })]),
});
const filterItemSchema = z.object({
  '@_caseNumber': wireCaseNumber.optional(),
  caseNumber: wireCaseNumber.optional(),
});

function idOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const id: unknown = Object.getOwnPropertyDescriptor(item, '@_id')?.value;
  return typeof id === 'string' && /^[A-Za-z0-9]{1,40}$/.test(id) ? id : undefined;
}

function commentItems(
  items: readonly unknown[],
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
): Comment[] {
  const fields = (w: z.infer<typeof strataCommentSchema>): WireCommentFields => ({
    id: w['@_id'],
    body: w.text,
    contentType: w.contentType,
    author: w.createdBy,
    authorType: w.createdByType,
    createdAt: w.createdDate,
    publishedAt: w.publishedDate,
    isPublic: w.public,
    isDraft: w.draft,
  });
  return commentsFromWire(
    items,
    caseNumber,
    { schema: strataCommentSchema, fields, idOf },
    onSkipped,
  );
}

/** `GET /rs/cases/{n}`: a `<case>` document. */
export function parseStrataCase(document: unknown, caseNumber: CaseNumber): Parsed<Case> {
  const parsed = caseDocumentSchema.safeParse(document);
  if (!parsed.success) return { ok: false, detail: `case: ${describeIssues(parsed.error)}` };
  const w = parsed.data.case;
  return {
    ok: true,
    value: caseFromWire(caseNumber, {
      summary: w.summary,
      status: w.status,
      severity: w.severity,
      product: w.product,
      version: w.version,
      closed: w['@_closed'],
      lastModifiedAt: w.lastModifiedDate,
      groupName: w.folderName,
      groupNumber: w.folderNumber,
    }),
  };
}

/** The `<comments>` a `<case>` document embeds; none reads as no comments. */
export function parseStrataEmbeddedComments(
  document: unknown,
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
): Comment[] {
  const parsed = caseDocumentSchema.safeParse(document);
  const element = parsed.success ? parsed.data.case.comments : undefined;
  if (element === undefined || element === '') return [];
  return commentItems(element.comment ?? [], caseNumber, onSkipped);
}

/** `GET /rs/cases/{n}/comments`: a `<comments>` document. Returns oldest first. */
export function parseStrataComments(
  document: unknown,
  caseNumber: CaseNumber,
  onSkipped: OnSkippedItem,
): Parsed<Comment[]> {
  const parsed = commentsDocumentSchema.safeParse(document);
  if (!parsed.success)
    return { ok: false, detail: `comment list: ${describeIssues(parsed.error)}` };
  const element = parsed.data.comments;
  const items = element === '' ? [] : (element.comment ?? []);
  return { ok: true, value: commentItems(items, caseNumber, onSkipped) };
}

/** `POST /rs/cases/filter`: a `<cases>` document; Strata gives no total, only the page. */
export function parseStrataFilterPage(
  document: unknown,
  onSkipped: OnSkippedItem,
): Parsed<{ caseNumbers: CaseNumber[]; itemCount: number }> {
  const parsed = casesDocumentSchema.safeParse(document);
  if (!parsed.success) return { ok: false, detail: `case list: ${describeIssues(parsed.error)}` };
  const element = parsed.data.cases;
  const items = element === '' ? [] : (element.case ?? []);
  const caseNumbers: CaseNumber[] = [];
  items.forEach((item, index) => {
    const wire = filterItemSchema.safeParse(item);
    const number = wire.success ? (wire.data['@_caseNumber'] ?? wire.data.caseNumber) : undefined;
    if (typeof number === 'string') caseNumbers.push(number);
    else
      onSkipped({
        index,
        detail: wire.success ? 'caseNumber: missing' : describeIssues(wire.error),
      });
  });
  return { ok: true, value: { caseNumbers, itemCount: items.length } };
}

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** The `<caseFilter>` body of `POST /rs/cases/filter`. */
export function strataFilterBody(filter: {
  startDate?: string;
  count: number;
  start: number;
}): string {
  const startDate =
    filter.startDate !== undefined ? `<startDate>${escapeXml(filter.startDate)}</startDate>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<caseFilter xmlns="${STRATA_NAMESPACE}">` +
    startDate +
    `<includeClosed>true</includeClosed>` +
    `<count>${filter.count}</count>` +
    `<start>${filter.start}</start>` +
    `<sortField>lastModifiedDate</sortField>` +
    `<sortOrder>ASC</sortOrder>` +
    `</caseFilter>`
  );
}
