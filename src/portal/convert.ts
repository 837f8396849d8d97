// Wire → domain helpers shared by the Hydra (JSON) and Strata (XML) schemas.
import { z } from 'zod';
import type { AuthorType, Case, Comment, IdSpace } from '../domain.js';
import { commentText } from './comment-text.js';

/** Result of JSON.parse without exceptions: a body that is not JSON is an expected input. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    // The reason (a SyntaxError naming a position) adds nothing the caller can act on, and its
    // message may quote part of the body; the caller reports "not JSON" itself.
    void err;
    return { ok: false };
  }
}

/**
 * Milliseconds since the epoch of a portal timestamp, or NaN. The APIs write three forms:
 * "2024-05-01T08:00:00Z" (v1), "…00.000Z" (GraphQL) and "…00.000+0000" (REST v3, Salesforce).
 * The last one is not ISO-8601 (the offset lacks its colon); V8 reads it only through its
 * lenient fallback parser, so the colon is put back first.
 */
export function parsePortalDate(text: string): number {
  const iso = text.trim().replace(/([T\d.]\d)([+-]\d{2})(\d{2})$/, '$1$2:$3');
  return Date.parse(iso);
}

/** The `decode` of the JSON flavours (Hydra v1, REST v3): a body → its document. */
export function decodeJson(body: string): Parsed<unknown> {
  const json = parseJson(body);
  return json.ok ? json : { ok: false, detail: 'the answer is not JSON' };
}

/** A timestamp the portal sends, normalised to ISO-8601 UTC ("2024-05-01T08:00:00.000Z"). */
export const wireDate = z
  .string()
  .refine((s) => !Number.isNaN(parsePortalDate(s)), { message: 'expected a date' })
  .transform((s) => new Date(parsePortalDate(s)).toISOString());

/** true/false as JSON booleans or as the text "true"/"false" (XML, and defensive for JSON). */
export const wireBoolean = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((s) => s === 'true'),
]);

/** `createdByType`, compared case-insensitively; anything else is 'unknown', not an error. */
export function authorTypeOf(createdByType: string | undefined): AuthorType {
  const kind = createdByType?.trim().toLowerCase();
  if (kind === 'associate') return 'associate';
  if (kind === 'customer') return 'customer';
  if (kind === 'internal') return 'internal';
  return 'unknown';
}

/** What sorting needs beside the domain comment: the portal's publish date. */
export interface SortableComment {
  comment: Comment;
  publishedAt: string | undefined;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Oldest first by createdDate, then publishedDate, then id. The portal sends newest first
 * in every sample, but nothing promises it, and createdDate can repeat.
 */
export function sortOldestFirst(items: readonly SortableComment[]): Comment[] {
  return [...items]
    .sort(
      (a, b) =>
        Date.parse(a.comment.createdAt) - Date.parse(b.comment.createdAt) ||
        Date.parse(a.publishedAt ?? a.comment.createdAt) -
          Date.parse(b.publishedAt ?? b.comment.createdAt) ||
        compareText(a.comment.id, b.comment.id),
    )
    .map((item) => item.comment);
}

/** Summarises zod issues for logs and errors: paths and codes only, never the values. */
export function describeIssues(error: z.ZodError, max = 3): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.code}`;
  });
  const more = error.issues.length > max ? ` and ${error.issues.length - max} more` : '';
  return `${parts.join('; ')}${more}`;
}

/** Case numbers are digit strings; a JSON number (leading zeros already lost) is padded back. */
export const CASE_NUMBER_DIGITS = 8;
export const wireCaseNumber = z.union([
  z
    .string()
    .trim()
    .regex(/^\d{1,12}$/, { message: 'expected a case number' }),
  z
    .number()
    .int()
    .nonnegative()
    .transform((n) => String(n).padStart(CASE_NUMBER_DIGITS, '0')),
]);

/** Outcome of reading a payload: a value, or a description of the problem without its content. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };

/** Called for each list item that is skipped; `id` only when the item had a readable one. */
export type OnSkippedItem = (item: { index: number; id?: string; detail: string }) => void;

/** The fields both flavours give for a case, already validated. */
export interface WireCaseFields {
  summary?: string | null | undefined;
  status?: string | null | undefined;
  severity?: string | null | undefined;
  product?: string | null | undefined;
  version?: string | null | undefined;
  closed?: boolean | null | undefined;
  lastModifiedAt: string;
  groupName?: string | null | undefined;
  groupNumber?: string | null | undefined;
  /** Plain text or HTML; read only where the query asked for it (it can be long). */
  description?: string | null | undefined;
  createdBy?: string | null | undefined;
  /** Already normalised by wireDate. */
  createdAt?: string | null | undefined;
}

export const CLOSED_STATUS = 'Closed';

export function caseFromWire(caseNumber: string, wire: WireCaseFields): Case {
  const status = wire.status ?? '';
  const group = wire.groupName || wire.groupNumber || undefined;
  const version = wire.version || undefined;
  // HTML becomes text, as for comment bodies; a blank description or name says nothing.
  const description = wire.description ? commentText(wire.description) || undefined : undefined;
  const createdBy = wire.createdBy?.trim() || undefined;
  const createdAt = wire.createdAt || undefined;
  return {
    number: caseNumber,
    summary: wire.summary ?? '',
    status,
    severity: wire.severity ?? '',
    product: wire.product ?? '',
    ...(version !== undefined ? { version } : {}),
    // The closed flag is authoritative; the status text is the fallback when it is missing.
    closed: wire.closed ?? status.toLowerCase() === CLOSED_STATUS.toLowerCase(),
    lastModifiedAt: wire.lastModifiedAt,
    ...(group !== undefined ? { group } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(createdBy !== undefined ? { createdBy } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
  };
}

/** The fields every API gives for a comment, already validated. */
export interface WireCommentFields {
  id: string;
  body?: string | null | undefined;
  /** "html" when the API says the body is HTML; HTML is also recognised by its tags. */
  contentType?: string | null | undefined;
  author?: string | null | undefined;
  /** createdByType ("Associate", "Customer", "Internal"), or already an AuthorType. */
  authorType?: string | null | undefined;
  createdAt: string;
  publishedAt?: string | null | undefined;
  isPublic?: boolean | null | undefined;
  /** GraphQL Visibility__c; anything but "Public" is not for the customer side. */
  visibility?: string | null | undefined;
  isDraft?: boolean | null | undefined;
}

export const UNKNOWN_AUTHOR = 'Unknown author';

export function commentFromWire(
  caseNumber: string,
  wire: WireCommentFields,
  idSpace: IdSpace = 'v1',
): SortableComment {
  const authorType = authorTypeOf(wire.authorType ?? undefined);
  const visibility = wire.visibility?.trim().toLowerCase();
  return {
    comment: {
      id: wire.id,
      caseNumber,
      author: wire.author?.trim() || UNKNOWN_AUTHOR,
      authorType,
      // HTML becomes text; plain text is trimmed (edge blank lines carry nothing).
      body: wire.body ? commentText(wire.body, wire.contentType) : '',
      createdAt: wire.createdAt,
      // Public only when every signal agrees: no flag saying otherwise, a visibility (when
      // the API tells one) of "Public", and an author kind meant for the customer side.
      isPublic:
        (wire.isPublic ?? true) &&
        (visibility === undefined || visibility === '' || visibility === 'public') &&
        (authorType === 'associate' || authorType === 'customer'),
      isDraft: wire.isDraft ?? false,
      ...(idSpace !== 'v1' ? { idSpace } : {}),
    },
    publishedAt: wire.publishedAt ?? undefined,
  };
}

/**
 * A list of wire comments → domain comments, oldest first. One item that does not match its
 * schema is skipped and reported (where it was, never what it said); the list goes on.
 */
export function commentsFromWire<T>(
  items: readonly unknown[],
  caseNumber: string,
  wire: {
    schema: z.ZodType<T>;
    fields: (item: T) => WireCommentFields;
    /** The item's id if it has a plausible one, for the skip report. */
    idOf: (item: unknown) => string | undefined;
    idSpace?: IdSpace;
  },
  onSkipped: OnSkippedItem,
): Comment[] {
  const out: SortableComment[] = [];
  items.forEach((item, index) => {
    const parsed = wire.schema.safeParse(item);
    if (!parsed.success) {
      const id = wire.idOf(item);
      onSkipped({
        index,
        ...(id !== undefined ? { id } : {}),
        detail: describeIssues(parsed.error),
      });
      return;
    }
    out.push(commentFromWire(caseNumber, wire.fields(parsed.data), wire.idSpace));
  });
  return sortOldestFirst(out);
}

/** Text-ish scalar: JSON may carry a number where a string is documented (group ids). */
export const wireText = z.union([z.string(), z.number().transform(String)]);
