// Hydra v1 (JSON, {hydraBaseUrl} = http://127.0.0.1:PORT/support/v1) and Strata (XML,
// {strataBaseUrl} = http://127.0.0.1:PORT/rs) of the fake portal, rendered from the shared model
// as /work/shared/reference/redhat-portal-api.md and the anonymised Strata sample describe them
// (payload shapes match test/portal/fixtures/):
// - a case the user cannot see (or that does not exist) → 404;
// - comment lists newest first; a case without comments has no comments element at all;
// - `POST /cases/filter`: lastModifiedDate at or after startDate, closed cases only with
//   includeClosed, sorted by lastModifiedDate, paged by maxResults/offset (hydra) or
//   count/start (strata);
// - `GET .../comments?startDate=`: comments modified at or after startDate.
// Simplifications: drafts are shown to every user (the real portal shows a user their own).
import { XMLParser } from 'fast-xml-parser';
import {
  canSee,
  json,
  newestFirst,
  type Answer,
  type ApiRequest,
  type CaseModel,
  type CommentModel,
  type ModelView,
  type UserModel,
} from './fake-portal-model.js';

export const HYDRA_PATH = '/support/v1';
export const STRATA_PATH = '/rs';
export const STRATA_NAMESPACE = 'http://www.redhat.com/gss/strata';
export const XML_PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
export type V1Flavour = 'hydra' | 'strata';
export type V1Endpoint = 'case' | 'comments' | 'filter';
/** Default page size of the filter when the request gives none. */
const DEFAULT_PAGE_SIZE = 50;
/** The sample shows lastModifiedDate and publishedDate one second before createdDate. */
const SAMPLE_SKEW_MS = 1000;
const HYDRA_CASE_AUTHOR = 'Customer, Example';
const STRATA_CASE_AUTHOR = 'Example Customer';

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** XML text escaping as JAXB does it, including carriage returns as a character reference. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#xD;');
}

function element(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  return value === '' ? `<${name}/>` : `<${name}>${escapeXml(value)}</${name}>`;
}

export const xml = (status: number, body: string, headers?: Record<string, string>): Answer => ({
  status,
  contentType: 'application/xml;charset=UTF-8',
  body,
  ...(headers ? { headers } : {}),
});

/** Hydra's JSON error, or Strata's empty body with the message in a Strata-Message header. */
export const v1Error = (
  flavour: V1Flavour,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Answer =>
  flavour === 'hydra'
    ? json(status, { status, message }, headers)
    : { status, headers: { 'Strata-Message': message, ...headers }, body: '' };

/** The endpoint a path under {@link HYDRA_PATH} or {@link STRATA_PATH} names. */
export function routeV1(
  path: string,
): { endpoint: V1Endpoint; flavour: V1Flavour; caseNumber?: string } | undefined {
  for (const [prefix, flavour] of [
    [HYDRA_PATH, 'hydra'],
    [STRATA_PATH, 'strata'],
  ] as const) {
    if (!path.startsWith(`${prefix}/cases/`)) continue;
    const rest = path.slice(`${prefix}/cases/`.length);
    if (rest === 'filter') return { endpoint: 'filter', flavour };
    const match = /^([^/]+)(\/comments)?$/.exec(rest);
    if (match?.[1] !== undefined) {
      return {
        endpoint: match[2] !== undefined ? 'comments' : 'case',
        flavour,
        caseNumber: decodeURIComponent(match[1]),
      };
    }
  }
  return undefined;
}

// ---- rendering (shapes match test/portal/fixtures) ---------------------------------------

function hydraComment(kase: CaseModel, c: CommentModel): Record<string, unknown> {
  const modified = c.edited ? c.modifiedAt : c.modifiedAt - SAMPLE_SKEW_MS;
  return {
    id: c.id,
    caseNumber: kase.number,
    commentBody: c.body,
    createdBy: c.author,
    createdByType: c.authorType,
    createdDate: iso(c.createdAt),
    lastModifiedBy: c.author,
    lastModifiedDate: iso(modified),
    ...(c.isDraft ? {} : { publishedDate: iso(modified) }),
    isPublic: c.isPublic,
    isDraft: c.isDraft,
    contentType: c.contentType,
  };
}

function hydraCase(kase: CaseModel, withComments: boolean): Record<string, unknown> {
  return {
    id: kase.id,
    caseNumber: kase.number,
    summary: kase.summary,
    description: kase.description,
    status: kase.status,
    severity: kase.severity,
    product: kase.product,
    ...(kase.version !== undefined ? { version: kase.version } : {}),
    type: 'Other',
    isClosed: kase.closed,
    createdBy: kase.createdBy ?? HYDRA_CASE_AUTHOR,
    createdDate: iso(kase.createdAt),
    lastModifiedBy: HYDRA_CASE_AUTHOR,
    lastModifiedDate: iso(kase.lastModifiedAt),
    accountNumber: '1234567',
    contactName: 'Example Customer',
    ...(kase.groupNumber !== undefined ? { groupNumber: kase.groupNumber } : {}),
    ...(kase.group !== undefined ? { groupName: kase.group } : {}),
    // A case without comments has no comments array at all, as in real answers.
    ...(withComments && kase.comments.length > 0
      ? { comments: [...kase.comments].sort(newestFirst).map((c) => hydraComment(kase, c)) }
      : {}),
  };
}

function strataComment(kase: CaseModel, c: CommentModel, withCaseNumber: boolean): string {
  const modified = c.edited ? c.modifiedAt : c.modifiedAt - SAMPLE_SKEW_MS;
  const caseAttr = withCaseNumber ? ` caseNumber="${escapeXml(kase.number)}"` : '';
  return (
    `<comment${caseAttr} id="${escapeXml(c.id)}">` +
    element('createdBy', c.author) +
    element('createdDate', iso(c.createdAt)) +
    element('lastModifiedBy', c.author) +
    element('lastModifiedDate', iso(modified)) +
    element('text', c.body) +
    element('public', String(c.isPublic)) +
    element('draft', String(c.isDraft)) +
    (c.isDraft ? '' : element('publishedDate', iso(modified))) +
    element('createdByType', c.authorType) +
    element('contentType', c.contentType) +
    `</comment>`
  );
}

function strataCaseBody(origin: string, kase: CaseModel, withComments: boolean): string {
  return (
    element('createdBy', kase.createdBy ?? STRATA_CASE_AUTHOR) +
    element('createdDate', iso(kase.createdAt)) +
    element('lastModifiedBy', STRATA_CASE_AUTHOR) +
    element('lastModifiedDate', iso(kase.lastModifiedAt)) +
    element('id', kase.id) +
    element('uri', `${origin}${STRATA_PATH}/cases/${kase.number}`) +
    element('summary', kase.summary) +
    element('description', kase.description) +
    element('status', kase.status) +
    element('product', kase.product) +
    element('version', kase.version) +
    element('type', 'Other') +
    element('accountNumber', '1234567') +
    element('contactName', 'Example Customer') +
    element('severity', kase.severity) +
    '<tags/>' +
    element('folderNumber', kase.groupNumber) +
    (withComments && kase.comments.length > 0
      ? `<comments>${[...kase.comments]
          .sort(newestFirst)
          .map((c) => strataComment(kase, c, false))
          .join('')}</comments>`
      : '') +
    '<notified_users/>' +
    element('folderName', kase.group)
  );
}

const strataCaseDocument = (origin: string, kase: CaseModel): string =>
  `${XML_PROLOG}<case xmlns="${STRATA_NAMESPACE}" closed="${kase.closed}" caseNumber="${escapeXml(kase.number)}">` +
  `${strataCaseBody(origin, kase, true)}</case>`;

// ---- the case filter ----------------------------------------------------------------------

interface V1Filter {
  startDate?: number;
  includeClosed: boolean;
  offset: number;
  size: number;
  order: 'ASC' | 'DESC';
}

function filterCases(
  model: ModelView,
  user: UserModel,
  filter: V1Filter,
): { page: CaseModel[]; total: number } {
  const matching = [...model.cases.values()]
    .filter((k) => canSee(user, k.number))
    .filter((k) => filter.includeClosed || !k.closed)
    .filter((k) => filter.startDate === undefined || k.lastModifiedAt >= filter.startDate)
    .sort(
      (a, b) =>
        (a.lastModifiedAt - b.lastModifiedAt || a.number.localeCompare(b.number)) *
        (filter.order === 'DESC' ? -1 : 1),
    );
  return {
    page: matching.slice(filter.offset, filter.offset + filter.size),
    total: matching.length,
  };
}

const xmlParser = new XMLParser({ parseTagValue: false, removeNSPrefix: true });

function readFilter(flavour: V1Flavour, body: string): V1Filter | undefined {
  let fields: Record<string, unknown>;
  try {
    const document: unknown = flavour === 'hydra' ? JSON.parse(body) : xmlParser.parse(body);
    const parsed: unknown =
      flavour === 'hydra'
        ? document
        : typeof document === 'object' && document !== null && 'caseFilter' in document
          ? document.caseFilter
          : undefined;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    fields = { ...parsed };
  } catch (err) {
    void err; // an unreadable filter is answered with 400 by the caller
    return undefined;
  }
  const num = (v: unknown, fallback: number): number =>
    v === undefined || v === '' ? fallback : Number(v);
  const offset = num(flavour === 'hydra' ? fields.offset : fields.start, 0);
  const size = num(flavour === 'hydra' ? fields.maxResults : fields.count, DEFAULT_PAGE_SIZE);
  const start = fields.startDate;
  const startDate = typeof start === 'string' && start !== '' ? Date.parse(start) : undefined;
  if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 1)
    return undefined;
  if (startDate !== undefined && Number.isNaN(startDate)) return undefined;
  return {
    ...(startDate !== undefined ? { startDate } : {}),
    includeClosed: fields.includeClosed === true || fields.includeClosed === 'true',
    offset,
    size,
    order: fields.sortOrder === 'DESC' ? 'DESC' : 'ASC',
  };
}

// ---- answers ------------------------------------------------------------------------------

/** The answer to a Hydra or Strata request (`origin` for Strata's case uri). */
export function v1Answer(
  model: ModelView,
  origin: string,
  flavour: V1Flavour,
  endpoint: V1Endpoint,
  caseNumber: string | undefined,
  req: ApiRequest,
): Answer {
  if ('reason' in req.auth) {
    return v1Error(flavour, 401, req.auth.reason, {
      'WWW-Authenticate': 'Bearer realm="redhat-external"',
    });
  }
  const { user } = req.auth;

  if (endpoint === 'filter') {
    if (req.method !== 'POST') return v1Error(flavour, 405, 'Method not allowed');
    const filter = readFilter(flavour, req.body);
    if (!filter) return v1Error(flavour, 400, 'Invalid case filter');
    const { page, total } = filterCases(model, user, filter);
    if (flavour === 'hydra') {
      return json(200, { cases: page.map((k) => hydraCase(k, false)), totalCount: total });
    }
    return xml(
      200,
      page.length === 0
        ? `${XML_PROLOG}<cases xmlns="${STRATA_NAMESPACE}"/>`
        : `${XML_PROLOG}<cases xmlns="${STRATA_NAMESPACE}">${page
            .map(
              (k) =>
                `<case closed="${k.closed}" caseNumber="${escapeXml(k.number)}">${strataCaseBody(origin, k, false)}</case>`,
            )
            .join('')}</cases>`,
    );
  }

  if (req.method !== 'GET') return v1Error(flavour, 405, 'Method not allowed');
  const kase = caseNumber !== undefined ? model.cases.get(caseNumber) : undefined;
  if (!kase || !canSee(user, kase.number)) {
    return v1Error(flavour, 404, `Case ${caseNumber ?? ''} not found`);
  }
  if (endpoint === 'case') {
    return flavour === 'hydra'
      ? json(200, hydraCase(kase, true))
      : xml(200, strataCaseDocument(origin, kase));
  }
  const since = req.query.get('startDate');
  const sinceMs = since !== null && since !== '' ? Date.parse(since) : undefined;
  if (sinceMs !== undefined && Number.isNaN(sinceMs))
    return v1Error(flavour, 400, 'Invalid startDate');
  const listed = [...kase.comments]
    .filter((c) => sinceMs === undefined || c.modifiedAt >= sinceMs)
    .sort(newestFirst);
  if (flavour === 'hydra')
    return json(
      200,
      listed.map((c) => hydraComment(kase, c)),
    );
  return xml(
    200,
    listed.length === 0
      ? `${XML_PROLOG}<comments xmlns="${STRATA_NAMESPACE}"/>`
      : `${XML_PROLOG}<comments xmlns="${STRATA_NAMESPACE}">${listed
          .map((c) => strataComment(kase, c, true))
          .join('')}</comments>`,
  );
}
