// REST v3 of the fake portal ({v3BaseUrl} = http://127.0.0.1:PORT/support/v3), rendered from
// the shared model as /work/shared/reference/redhat-portal-api-v3.md §4.1, §5.1, §6.1 and §13
// describe it:
// - `GET /cases/{n}`: the case with every comment embedded, newest first (`comments` always
//   present); product and version apart; no account name; critSit/notifiedUsers/bugzillas empty;
// - `GET /cases/{n}/comments?sortField=createdDate&sortOrder=asc|desc` (default desc): a bare
//   array; no isPublic, internal comments have createdByType "Internal"; drafts included;
// - `GET /cases/{n}/attachments` (§7, §13.3): a bare array, newest first, of uuid, fileName,
//   description, size (bytes), createdBy, createdDate, lastModifiedDate (= createdDate) and
//   link; createdByType/isPrivate only with attachmentsCarryAuthorType (no source shows them);
//   private files are listed like any other (the client decides);
// - `POST /cases/filter`: at most 5 cases whatever maxResults asks (the Salesforce payload
//   limit), with a true totalCount;
// - a case the user cannot see: 404 like a missing one, or 403 (invisibleCaseStatus);
// - dates `2026-12-02T14:03:07.000+0000`; errors `{"status":N,"message":...}`.
import {
  ACCOUNT_NUMBER,
  CASE_OWNER,
  CASE_TYPE,
  CONTACT_NAME,
  isInternal,
  json,
  newestFirst,
  canSee,
  visibleCases,
  type Answer,
  type ApiRequest,
  type AttachmentModel,
  type CaseModel,
  type CommentModel,
  type ModelView,
} from './fake-portal-model.js';

export const V3_PATH = '/support/v3';
export type V3Endpoint = 'v3-case' | 'v3-comments' | 'v3-attachments' | 'v3-filter';
/** 'distinct': comment ids differ from v1's ("a0c…" instead of "a0a…"), as a new CRM may do. */
export type V3RestIds = 'same-as-v1' | 'distinct';

/** How this fake's REST v3 answers where the reference is unsure (fake-portal-types.ts). */
export interface V3Options {
  ids: V3RestIds;
  /** Status for a case that exists but the user cannot see. */
  invisibleCaseStatus: 403 | 404;
  /** Attachments carry createdByType/isPrivate where the test set them. */
  attachmentsCarryAuthorType: boolean;
}

/** The filter's payload limit: never more cases than this per answer (§6.1 saw 4–6). */
const FILTER_MAX_CASES = 5;
const DEFAULT_FILTER_PAGE_SIZE = 50;

/** Salesforce's REST date form: milliseconds and "+0000" without a colon. */
export const v3Date = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

/** The endpoint a path under {@link V3_PATH} names; 'unknown' for any other path under it. */
export function routeV3(
  path: string,
): { endpoint: V3Endpoint | 'unknown'; caseNumber?: string } | undefined {
  if (path !== V3_PATH && !path.startsWith(`${V3_PATH}/`)) return undefined;
  const match = /^\/cases\/([^/]+)(?:\/(comments|attachments))?$/.exec(path.slice(V3_PATH.length));
  if (match?.[1] === undefined) return { endpoint: 'unknown' };
  if (match[1] === 'filter' && match[2] === undefined) return { endpoint: 'v3-filter' };
  const endpoint =
    match[2] === 'comments'
      ? 'v3-comments'
      : match[2] === 'attachments'
        ? 'v3-attachments'
        : 'v3-case';
  return { endpoint, caseNumber: decodeURIComponent(match[1]) };
}

export const v3Error = (
  status: number,
  message: string,
  headers?: Record<string, string>,
): Answer => json(status, { status, message }, headers);

export function v3Comment(
  kase: CaseModel,
  c: CommentModel,
  ids: V3RestIds,
): Record<string, unknown> {
  return {
    id: ids === 'distinct' ? `a0c${c.id.slice(3)}` : c.id,
    caseNumber: kase.number,
    commentBody: c.body,
    createdBy: c.author,
    createdByType: isInternal(c) ? 'Internal' : c.authorType,
    createdDate: v3Date(c.createdAt),
    lastModifiedDate: v3Date(c.modifiedAt),
    isDraft: c.isDraft,
    contentType: c.contentType,
  };
}

/**
 * Where `link` points is unknown (§13.3 shows "https://..."); AGCM carried the field over from
 * v1, whose files lived on attachments.access.redhat.com, so the fake uses that form.
 */
const attachmentLink = (kase: CaseModel, a: AttachmentModel): string =>
  `https://attachments.access.redhat.com/hydra/rest/cases/${kase.number}/attachments/${a.uuid}`;

export function v3Attachment(
  kase: CaseModel,
  a: AttachmentModel,
  carryAuthorType: boolean,
): Record<string, unknown> {
  return {
    uuid: a.uuid,
    fileName: a.fileName,
    description: a.description,
    size: a.size,
    createdBy: a.createdBy,
    ...(carryAuthorType && a.createdByType !== undefined ? { createdByType: a.createdByType } : {}),
    ...(carryAuthorType && a.isPrivate !== undefined ? { isPrivate: a.isPrivate } : {}),
    createdDate: v3Date(a.createdAt),
    lastModifiedDate: v3Date(a.createdAt),
    link: attachmentLink(kase, a),
  };
}

export function v3Case(
  kase: CaseModel,
  withComments: boolean,
  ids: V3RestIds,
): Record<string, unknown> {
  return {
    caseNumber: kase.number,
    summary: kase.summary,
    description: kase.description,
    status: kase.status,
    severity: kase.severity,
    product: kase.product,
    version: kase.version ?? null,
    caseType: CASE_TYPE,
    accountNumberRef: ACCOUNT_NUMBER,
    contactName: CONTACT_NAME,
    ownerId: CASE_OWNER,
    createdDate: v3Date(kase.createdAt),
    lastModifiedDate: v3Date(kase.lastModifiedAt),
    isClosed: kase.closed,
    lastClosedAt: kase.closedAt !== undefined ? v3Date(kase.closedAt) : null,
    ...(kase.group !== undefined ? { groupName: kase.group } : {}),
    critSit: false,
    notifiedUsers: [],
    bugzillas: [],
    ...(withComments
      ? { comments: [...kase.comments].sort(newestFirst).map((c) => v3Comment(kase, c, ids)) }
      : {}),
  };
}

/** Reads `{maxResults?, offset?}`; other filter keys (accountNumbers…) are accepted and ignored. */
function readFilter(body: string): { offset: number; size: number } | undefined {
  let parsed: unknown;
  try {
    parsed = body === '' ? {} : JSON.parse(body);
  } catch (err) {
    void err; // answered with 400 by the caller
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields: Record<string, unknown> = { ...parsed };
  const offset = fields.offset ?? 0;
  const size = fields.maxResults ?? DEFAULT_FILTER_PAGE_SIZE;
  if (typeof offset !== 'number' || typeof size !== 'number') return undefined;
  if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 1)
    return undefined;
  return { offset, size };
}

/** The answer to a REST v3 request, authenticated or not (`endpoint` as routeV3 names it). */
export function v3Answer(
  model: ModelView,
  options: V3Options,
  endpoint: string,
  caseNumber: string | undefined,
  req: ApiRequest,
): Answer {
  if ('reason' in req.auth) {
    return v3Error(401, req.auth.reason, { 'WWW-Authenticate': 'Bearer realm="redhat-external"' });
  }
  const { user } = req.auth;
  const { ids } = options;
  if (
    endpoint !== 'v3-case' &&
    endpoint !== 'v3-comments' &&
    endpoint !== 'v3-attachments' &&
    endpoint !== 'v3-filter'
  ) {
    return v3Error(404, 'Not found');
  }

  if (endpoint === 'v3-filter') {
    if (req.method !== 'POST') return v3Error(405, 'Method not allowed');
    const filter = readFilter(req.body);
    if (!filter) return v3Error(400, 'Invalid case filter');
    const matching = visibleCases(model, user).sort(
      (a, b) => b.lastModifiedAt - a.lastModifiedAt || a.number.localeCompare(b.number),
    );
    const size = Math.min(filter.size, FILTER_MAX_CASES);
    return json(200, {
      cases: matching.slice(filter.offset, filter.offset + size).map((k) => v3Case(k, false, ids)),
      totalCount: matching.length,
    });
  }

  if (req.method !== 'GET') return v3Error(405, 'Method not allowed');
  const kase = caseNumber !== undefined ? model.cases.get(caseNumber) : undefined;
  if (!kase || (!canSee(user, kase.number) && options.invisibleCaseStatus === 404)) {
    return v3Error(404, `Case ${caseNumber ?? ''} not found`);
  }
  if (!canSee(user, kase.number)) {
    return v3Error(403, `You are not authorized to access case ${kase.number}`);
  }
  if (endpoint === 'v3-case') return json(200, v3Case(kase, true, ids));
  if (endpoint === 'v3-attachments') {
    const newestFirstFiles = [...kase.attachments].sort(
      (a, b) => b.createdAt - a.createdAt || (a.uuid < b.uuid ? 1 : a.uuid > b.uuid ? -1 : 0),
    );
    return json(
      200,
      newestFirstFiles.map((a) => v3Attachment(kase, a, options.attachmentsCarryAuthorType)),
    );
  }

  const sortField = req.query.get('sortField') ?? 'createdDate';
  const sortOrder = (req.query.get('sortOrder') ?? 'desc').toLowerCase();
  if (sortField !== 'createdDate') return v3Error(400, `Invalid sortField: ${sortField}`);
  if (sortOrder !== 'asc' && sortOrder !== 'desc')
    return v3Error(400, `Invalid sortOrder: ${sortOrder}`);
  const listed = [...kase.comments].sort(newestFirst);
  if (sortOrder === 'asc') listed.reverse();
  return json(
    200,
    listed.map((c) => v3Comment(kase, c, ids)),
  );
}
