// A loopback fake of Red Hat's customer portal, for tests at the network edge: a real
// node:http server on 127.0.0.1 speaking every case API over one in-memory model, plus the
// SSO token endpoint.
//
//   hydra   (JSON)  {hydraBaseUrl}  = http://127.0.0.1:PORT/support/v1
//   strata  (XML)   {strataBaseUrl} = http://127.0.0.1:PORT/rs
//   REST v3 (JSON)  {v3BaseUrl}     = http://127.0.0.1:PORT/support/v3   (fake-portal-v3.ts)
//   GraphQL         {graphqlUrl}    = http://127.0.0.1:PORT/graphql      (fake-portal-graphql.ts)
//   SSO             {tokenUrl}      = http://127.0.0.1:PORT/auth/realms/redhat-external/protocol/openid-connect/token
//
// Behaviour modelled on /work/shared/reference/redhat-portal-api.md and the anonymised
// Strata sample (payload shapes match test/portal/fixtures/):
// - offline token → access token (OAuth2 refresh_token grant, client_id rhsm-api); access
//   tokens look like JWTs (payload with preferred_username), expire on the fake's own clock;
//   unknown or revoked offline token → 400 {"error":"invalid_grant"};
// - API calls need `Bearer <issued, unexpired access token>` or `Basic user:password`, else 401;
// - a case the user cannot see (or that does not exist) → 404;
// - comment lists newest first; a case without comments has no comments element at all;
// - `POST /cases/filter`: lastModifiedDate at or after startDate, closed cases only with
//   includeClosed, sorted by lastModifiedDate, paged by maxResults/offset (hydra) or
//   count/start (strata);
// - `GET .../comments?startDate=`: comments modified at or after startDate.
// Simplifications: drafts are shown to every user (the real portal shows a user their own).
//
// Time: the fake has a manual clock (starts at `startTime`, default now) used for default
// dates and token expiry; move it with advanceTime(). Faults: fail({...}) makes the next
// `times` matching requests misbehave (status, Retry-After, delay, broken bodies); retire(api)
// switches one API off for good, as Red Hat did to v1 on 2026-09-21.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import type { FakeGraphqlSchemaVariant } from './fake-portal-graphql-schema.js';
import {
  ACCESS_DENIED_HTML,
  GRAPHQL_PATH,
  GRAPHQL_TRANSIENT,
  createFakeGraphql,
  graphqlError,
  withBadGraphqlComment,
  withGraphqlErrors,
} from './fake-portal-graphql.js';
import {
  canSee,
  headerValue,
  json,
  newestFirst,
  type Answer,
  type CaseModel,
  type CommentModel,
  type UserModel,
} from './fake-portal-model.js';
import {
  V3_PATH,
  routeV3,
  v3Answer,
  v3Error,
  type V3Endpoint,
  type V3RestIds,
} from './fake-portal-v3.js';

export const HYDRA_PATH = '/support/v1';
export const STRATA_PATH = '/rs';
export const TOKEN_PATH = '/auth/realms/redhat-external/protocol/openid-connect/token';
export const STRATA_NAMESPACE = 'http://www.redhat.com/gss/strata';
const SSO_CLIENT_ID = 'rhsm-api';
const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;
/** Largest request body the fake reads (filters and token forms are tiny). */
const MAX_REQUEST_BYTES = 64 * 1024;
/** Default page size of the filter when the request gives none. */
const DEFAULT_PAGE_SIZE = 50;
/** The sample shows lastModifiedDate and publishedDate one second before createdDate. */
const SAMPLE_SKEW_MS = 1000;

const ERROR_PAGE_HTML = readFileSync(
  new URL('../portal/fixtures/error-page.html', import.meta.url),
  'utf8',
);

export type FakeEndpoint = 'token' | 'case' | 'comments' | 'filter' | V3Endpoint | 'graphql';
export type FakeFlavour = 'hydra' | 'strata' | 'sso' | 'v3' | 'graphql';
/** An API as retire() names it: 'v1' is Hydra (/support/v1). */
export type FakeApi = 'v1' | 'strata' | 'v3' | 'graphql';

export interface FakeUserInput {
  username: string;
  /** Enables HTTP Basic for this user. */
  password?: string;
  /** Enables the token exchange for this user. */
  offlineToken?: string;
  /** Case numbers this user may see; 'all' (the default) sees every case. */
  visibleCases?: string[] | 'all';
  email?: string;
}

export interface FakeCaseInput {
  number: string;
  summary?: string;
  status?: string;
  severity?: string;
  product?: string;
  version?: string;
  closed?: boolean;
  /** ISO-8601; default: the fake's now. */
  lastModifiedAt?: string;
  /** Case group name (hydra groupName, strata folderName). */
  group?: string;
  groupNumber?: string;
}

export interface FakeCommentInput {
  /** Default: a generated Salesforce-like id, "a0a…", 18 characters, increasing. */
  id?: string;
  author?: string;
  authorType?: 'Associate' | 'Customer' | (string & {});
  body?: string;
  /** ISO-8601; default: the fake's now. */
  createdAt?: string;
  isPublic?: boolean;
  isDraft?: boolean;
  /** Default 'plaintext'; the body is stored and served as given, HTML or not. */
  contentType?: 'plaintext' | 'html';
}

export type FakeBrokenBody =
  /** An HTML error page (default status 502) as a proxy or load balancer sends. */
  | 'html'
  /** The real answer cut in half, status 200. */
  | 'truncated'
  /** Well-formed JSON/XML of the wrong shape, status 200. */
  | 'malformed'
  /** Plain text instead of JSON/XML, status 200. */
  | 'not-json'
  /** The real answer with its first (newest) comment missing id and createdDate. */
  | 'bad-comment'
  /** The edge WAF's throttle page: 403 (unless `status` says otherwise), text/html. */
  | 'access-denied'
  /** GraphQL 200 with the real data (or empty edges when none) and "Missing CRM contact". */
  | 'graphql-errors'
  /** GraphQL 200 {"data":null} with an upstream "SUBREQUEST_HTTP_ERROR: 503" error. */
  | 'graphql-transient';

export interface FakeFault {
  endpoint: FakeEndpoint;
  /** Only for this flavour; default: any. */
  flavour?: 'hydra' | 'strata' | 'v3' | 'graphql';
  /** Only for this case number (case and comments endpoints, v1 and v3). */
  caseNumber?: string;
  /** Answer with this status (an error body) instead of the real answer. */
  status?: number;
  /** How many matching requests misbehave; default 1. */
  times?: number;
  /** Retry-After header value: seconds, or an HTTP-date string. */
  retryAfter?: number | string;
  /** Strata-Message header on the faulty answer. */
  strataMessage?: string;
  /** Wait this long before answering (the client may time out first). */
  delayMs?: number;
  body?: FakeBrokenBody;
}

export interface FakeRequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string without the leading "?" ('' when none). */
  query: string;
  endpoint: FakeEndpoint | 'unknown';
  flavour: FakeFlavour | 'unknown';
  /** The authenticated username, when the credential was valid. */
  user: string | undefined;
  /** 0 until the answer is sent. */
  status: number;
  /** The User-Agent the client sent. */
  userAgent: string | undefined;
  /** The apollographql-client-name header, when sent. */
  apolloClientName?: string;
  /** The apollographql-client-version header, when sent. */
  apolloClientVersion?: string;
}

export interface FakePortal {
  readonly origin: string;
  readonly hydraBaseUrl: string;
  readonly strataBaseUrl: string;
  readonly tokenUrl: string;
  /** origin + '/support/v3' */
  readonly v3BaseUrl: string;
  /** origin + '/graphql' */
  readonly graphqlUrl: string;
  addUser(user: FakeUserInput): void;
  addCase(input: FakeCaseInput): void;
  /** Adds a comment and bumps the case's lastModifiedDate; returns the comment id. */
  addComment(caseNumber: string, input?: FakeCommentInput): string;
  /** New text, modification time = now; bumps the case. */
  editComment(caseNumber: string, id: string, body: string): void;
  /** A draft becomes a sent comment, modification time = now; bumps the case. */
  publishComment(caseNumber: string, id: string): void;
  setStatus(caseNumber: string, status: string): void;
  closeCase(caseNumber: string): void;
  /** The offline token stops working, and so do access tokens issued from it. */
  revokeOfflineToken(offlineToken: string): void;
  /** The fake's clock, ms since the epoch. */
  now(): number;
  advanceTime(ms: number): void;
  /** Every access token issued so far stops working (answers 401). */
  expireAccessTokens(): void;
  /** Access tokens issued so far, oldest first (for "no secret in logs" assertions). */
  issuedAccessTokens(): string[];
  fail(fault: FakeFault): void;
  /** Requests received that match every given field. */
  count(filter?: {
    endpoint?: FakeEndpoint;
    flavour?: FakeFlavour;
    user?: string;
    status?: number;
  }): number;
  readonly requests: readonly FakeRequestRecord[];
  /** Forgets the request log (counters start again from zero). */
  resetCounters(): void;
  /** Drops every fault not yet used up. */
  clearFaults(): void;
  /**
   * Serves the GraphQL schema without the listed fields ('Type.field'), so queries selecting
   * them are refused by validation; `{}` restores the full schema. Throws on an unknown field.
   */
  setGraphqlSchema(variant: FakeGraphqlSchemaVariant): void;
  /** Every request under that API, any path, with or without auth, answers `status` (JSON). */
  retire(api: FakeApi, status?: 404 | 410): void;
  unretire(api: FakeApi): void;
  close(): Promise<void>;
}

interface AccessTokenModel {
  username: string;
  offlineToken: string;
  expiresAt: number;
  revoked: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function parseDate(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`fake portal: not a date: ${text}`);
  return ms;
}

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

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export async function startFakePortal(
  options: {
    accessTokenTtlSeconds?: number;
    startTime?: number;
    /** REST v3 comment ids: v1's (default), or 'distinct' ("a0c…"). GraphQL's always differ. */
    v3RestIds?: V3RestIds;
  } = {},
): Promise<FakePortal> {
  const ttlSeconds = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const v3RestIds = options.v3RestIds ?? 'same-as-v1';
  let clock = options.startTime ?? Math.floor(Date.now() / 1000) * 1000;
  const users = new Map<string, UserModel>();
  const cases = new Map<string, CaseModel>();
  const accessTokens = new Map<string, AccessTokenModel>();
  const revokedOfflineTokens = new Set<string>();
  const faults: (FakeFault & { remaining: number })[] = [];
  const requests: FakeRequestRecord[] = [];
  const pendingDelays = new Set<() => void>();
  let commentSeq = 0;
  let caseSeq = 0;
  const graphql = createFakeGraphql();
  const retired = new Map<FakeApi, 404 | 410>();

  const caseOf = (number: string): CaseModel => {
    const found = cases.get(number);
    if (!found) throw new Error(`fake portal: no case ${number}`);
    return found;
  };
  const commentOf = (number: string, id: string): { kase: CaseModel; comment: CommentModel } => {
    const kase = caseOf(number);
    const comment = kase.comments.find((c) => c.id === id);
    if (!comment) throw new Error(`fake portal: no comment ${id} on case ${number}`);
    return { kase, comment };
  };
  const bump = (kase: CaseModel, at: number): void => {
    kase.lastModifiedAt = Math.max(kase.lastModifiedAt, at);
  };

  // ---- rendering (shapes match test/portal/fixtures) -------------------------------------

  const hydraComment = (kase: CaseModel, c: CommentModel): Record<string, unknown> => {
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
  };

  const hydraCase = (kase: CaseModel, withComments: boolean): Record<string, unknown> => ({
    id: kase.id,
    caseNumber: kase.number,
    summary: kase.summary,
    description: `Description of ${kase.summary}`,
    status: kase.status,
    severity: kase.severity,
    product: kase.product,
    ...(kase.version !== undefined ? { version: kase.version } : {}),
    type: 'Other',
    isClosed: kase.closed,
    createdBy: 'Customer, Example',
    createdDate: iso(kase.createdAt),
    lastModifiedBy: 'Customer, Example',
    lastModifiedDate: iso(kase.lastModifiedAt),
    accountNumber: '1234567',
    contactName: 'Example Customer',
    ...(kase.groupNumber !== undefined ? { groupNumber: kase.groupNumber } : {}),
    ...(kase.group !== undefined ? { groupName: kase.group } : {}),
    // A case without comments has no comments array at all, as in real answers.
    ...(withComments && kase.comments.length > 0
      ? { comments: [...kase.comments].sort(newestFirst).map((c) => hydraComment(kase, c)) }
      : {}),
  });

  const strataComment = (kase: CaseModel, c: CommentModel, withCaseNumber: boolean): string => {
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
  };

  const strataCaseBody = (kase: CaseModel, withComments: boolean): string =>
    element('createdBy', 'Example Customer') +
    element('createdDate', iso(kase.createdAt)) +
    element('lastModifiedBy', 'Example Customer') +
    element('lastModifiedDate', iso(kase.lastModifiedAt)) +
    element('id', kase.id) +
    element('uri', `${origin}${STRATA_PATH}/cases/${kase.number}`) +
    element('summary', kase.summary) +
    element('description', `Description of ${kase.summary}`) +
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
    element('folderName', kase.group);

  const XML_PROLOG = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

  const strataCaseDocument = (kase: CaseModel): string =>
    `${XML_PROLOG}<case xmlns="${STRATA_NAMESPACE}" closed="${kase.closed}" caseNumber="${escapeXml(kase.number)}">` +
    `${strataCaseBody(kase, true)}</case>`;

  // ---- request handling ------------------------------------------------------------------

  const xml = (status: number, body: string, headers?: Record<string, string>): Answer => ({
    status,
    contentType: 'application/xml;charset=UTF-8',
    body,
    ...(headers ? { headers } : {}),
  });
  const apiError = (
    flavour: 'hydra' | 'strata',
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ): Answer =>
    flavour === 'hydra'
      ? json(status, { status, message }, headers)
      : { status, headers: { 'Strata-Message': message, ...headers }, body: '' };

  const authenticate = (
    authorization: string | undefined,
  ): { user: UserModel } | { reason: string } => {
    if (authorization === undefined) return { reason: 'Authentication required' };
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (bearer?.[1] !== undefined) {
      const token = accessTokens.get(bearer[1]);
      if (!token || token.revoked) return { reason: 'Invalid access token' };
      if (clock >= token.expiresAt) return { reason: 'Access token expired' };
      const user = users.get(token.username);
      return user ? { user } : { reason: 'Unknown user' };
    }
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (basic?.[1] !== undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = users.get(decoded.slice(0, colon));
      if (colon > 0 && user?.password !== undefined && user.password === decoded.slice(colon + 1)) {
        return { user };
      }
      return { reason: 'Invalid username or password' };
    }
    return { reason: 'Unsupported authorization scheme' };
  };

  const tokenAnswer = (body: string, record: FakeRequestRecord): Answer => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'refresh_token') {
      return json(400, {
        error: 'unsupported_grant_type',
        error_description: 'Unsupported grant_type',
      });
    }
    if (form.get('client_id') !== SSO_CLIENT_ID) {
      return json(401, {
        error: 'invalid_client',
        error_description: 'Invalid client credentials',
      });
    }
    const offline = form.get('refresh_token') ?? '';
    const user = [...users.values()].find((u) => u.offlineToken === offline);
    if (offline === '' || !user || revokedOfflineTokens.has(offline)) {
      return json(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
    }
    record.user = user.username;
    const issuedAt = Math.floor(clock / 1000);
    const token = [
      base64url({ alg: 'RS256', typ: 'JWT', kid: 'fake' }),
      base64url({
        exp: issuedAt + ttlSeconds,
        iat: issuedAt,
        jti: randomBytes(8).toString('hex'),
        iss: 'https://sso.redhat.com/auth/realms/redhat-external',
        typ: 'Bearer',
        azp: SSO_CLIENT_ID,
        preferred_username: user.username,
        email: user.email,
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    accessTokens.set(token, {
      username: user.username,
      offlineToken: offline,
      expiresAt: clock + ttlSeconds * 1000,
      revoked: false,
    });
    return json(200, {
      access_token: token,
      expires_in: ttlSeconds,
      refresh_expires_in: 0,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: randomBytes(8).toString('hex'),
      scope: 'openid offline_access',
    });
  };

  const filterCases = (
    user: UserModel,
    filter: {
      startDate?: number;
      includeClosed: boolean;
      offset: number;
      size: number;
      order: 'ASC' | 'DESC';
    },
  ): { page: CaseModel[]; total: number } => {
    const matching = [...cases.values()]
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
  };

  const xmlParser = new XMLParser({ parseTagValue: false, removeNSPrefix: true });

  const readFilter = (
    flavour: 'hydra' | 'strata',
    body: string,
  ):
    | {
        startDate?: number;
        includeClosed: boolean;
        offset: number;
        size: number;
        order: 'ASC' | 'DESC';
      }
    | undefined => {
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
  };

  const apiAnswer = (
    flavour: 'hydra' | 'strata',
    endpoint: FakeEndpoint,
    caseNumber: string | undefined,
    method: string,
    query: URLSearchParams,
    body: string,
    authorization: string | undefined,
    record: FakeRequestRecord,
  ): Answer => {
    const auth = authenticate(authorization);
    if ('reason' in auth) {
      return apiError(flavour, 401, auth.reason, {
        'WWW-Authenticate': 'Bearer realm="redhat-external"',
      });
    }
    const { user } = auth;
    record.user = user.username;

    if (endpoint === 'filter') {
      if (method !== 'POST') return apiError(flavour, 405, 'Method not allowed');
      const filter = readFilter(flavour, body);
      if (!filter) return apiError(flavour, 400, 'Invalid case filter');
      const { page, total } = filterCases(user, filter);
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
                  `<case closed="${k.closed}" caseNumber="${escapeXml(k.number)}">${strataCaseBody(k, false)}</case>`,
              )
              .join('')}</cases>`,
      );
    }

    if (method !== 'GET') return apiError(flavour, 405, 'Method not allowed');
    const kase = caseNumber !== undefined ? cases.get(caseNumber) : undefined;
    if (!kase || !canSee(user, kase.number)) {
      return apiError(flavour, 404, `Case ${caseNumber ?? ''} not found`);
    }
    if (endpoint === 'case') {
      return flavour === 'hydra'
        ? json(200, hydraCase(kase, true))
        : xml(200, strataCaseDocument(kase));
    }
    const since = query.get('startDate');
    const sinceMs = since !== null && since !== '' ? Date.parse(since) : undefined;
    if (sinceMs !== undefined && Number.isNaN(sinceMs))
      return apiError(flavour, 400, 'Invalid startDate');
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
  };

  const takeFault = (
    endpoint: FakeEndpoint,
    flavour: FakeFlavour,
    caseNumber: string | undefined,
  ): FakeFault | undefined => {
    const fault = faults.find(
      (f) =>
        f.remaining > 0 &&
        f.endpoint === endpoint &&
        (f.flavour === undefined || f.flavour === flavour) &&
        (f.caseNumber === undefined || f.caseNumber === caseNumber),
    );
    if (fault) fault.remaining--;
    return fault;
  };

  const breakBody = (answer: Answer, kind: FakeBrokenBody, flavour: FakeFlavour): Answer => {
    const isXml = flavour === 'strata';
    switch (kind) {
      case 'html':
        return { status: 502, contentType: 'text/html; charset=utf-8', body: ERROR_PAGE_HTML };
      case 'access-denied':
        return { status: 403, contentType: 'text/html', body: ACCESS_DENIED_HTML };
      case 'graphql-errors':
        return withGraphqlErrors(answer);
      case 'graphql-transient':
        return GRAPHQL_TRANSIENT;
      case 'truncated':
        return { ...answer, body: answer.body.slice(0, Math.floor(answer.body.length / 2)) };
      case 'malformed':
        return isXml
          ? xml(
              200,
              `${XML_PROLOG}<status xmlns="${STRATA_NAMESPACE}"><message>OK</message></status>`,
            )
          : json(200, { message: 'OK', status: 200 });
      case 'not-json':
        return { status: 200, contentType: 'text/plain', body: 'Service temporarily unavailable' };
      case 'bad-comment': {
        if (answer.status !== 200) return answer;
        if (flavour === 'graphql') return withBadGraphqlComment(answer);
        if (isXml) {
          // The newest comment loses its id attribute and its createdDate.
          const start = answer.body.search(/<comment[\s>]/);
          const end = answer.body.indexOf('</comment>', start);
          if (start < 0 || end < 0) return answer;
          const broken = answer.body
            .slice(start, end)
            .replace(/ id="[^"]*"/, '')
            .replace(/<createdDate>[^<]*<\/createdDate>/, '');
          return { ...answer, body: answer.body.slice(0, start) + broken + answer.body.slice(end) };
        }
        const value: unknown = JSON.parse(answer.body);
        const list: unknown = Array.isArray(value)
          ? value
          : typeof value === 'object' && value !== null && 'comments' in value
            ? value.comments
            : undefined;
        const newest: unknown = Array.isArray(list) ? list[0] : undefined;
        if (Array.isArray(list) && typeof newest === 'object' && newest !== null) {
          const first: Record<string, unknown> = { ...newest };
          delete first.id;
          delete first.createdDate;
          list[0] = first;
        }
        return { ...answer, body: JSON.stringify(value) };
      }
    }
  };

  const route = (
    path: string,
  ):
    | { endpoint: FakeEndpoint | 'unknown'; flavour: FakeFlavour; caseNumber?: string }
    | undefined => {
    if (path === TOKEN_PATH) return { endpoint: 'token', flavour: 'sso' };
    if (path === GRAPHQL_PATH) return { endpoint: 'graphql', flavour: 'graphql' };
    if (path.startsWith(`${GRAPHQL_PATH}/`)) return { endpoint: 'unknown', flavour: 'graphql' };
    const v3 = routeV3(path);
    if (v3) return { ...v3, flavour: 'v3' };
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
  };

  /** The API a path belongs to, for retire(): any path under its prefix. */
  const apiOf = (path: string): FakeApi | undefined => {
    const under = (prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);
    if (under(HYDRA_PATH)) return 'v1';
    if (under(STRATA_PATH)) return 'strata';
    if (under(V3_PATH)) return 'v3';
    if (under(GRAPHQL_PATH)) return 'graphql';
    return undefined;
  };

  const delay = (ms: number, res: http.ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pendingDelays.add(done);
      // The client gave up: stop waiting.
      res.once('close', done);
    });

  const readBody = (req: http.IncomingMessage): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
      });
      req.on('end', () =>
        resolve(size <= MAX_REQUEST_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined),
      );
      req.on('error', reject);
    });

  const send = (res: http.ServerResponse, record: FakeRequestRecord, answer: Answer): void => {
    record.status = answer.status;
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(answer.status, {
      ...(answer.contentType !== undefined ? { 'Content-Type': answer.contentType } : {}),
      ...answer.headers,
    });
    res.end(answer.body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const routed = route(url.pathname);
    const record: FakeRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      endpoint: routed?.endpoint ?? 'unknown',
      flavour: routed?.flavour ?? 'unknown',
      user: undefined,
      status: 0,
      userAgent: req.headers['user-agent'],
    };
    const apolloClientName = headerValue(req.headers['apollographql-client-name']);
    const apolloClientVersion = headerValue(req.headers['apollographql-client-version']);
    if (apolloClientName !== undefined) record.apolloClientName = apolloClientName;
    if (apolloClientVersion !== undefined) record.apolloClientVersion = apolloClientVersion;
    requests.push(record);
    const body = await readBody(req);
    const api = apiOf(url.pathname);
    const retiredStatus = api !== undefined ? retired.get(api) : undefined;
    if (retiredStatus !== undefined) {
      return send(
        res,
        record,
        json(retiredStatus, { status: retiredStatus, message: 'Not Found' }),
      );
    }
    if (!routed || routed.endpoint === 'unknown')
      return send(res, record, json(404, { status: 404, message: 'Not found' }));
    if (body === undefined)
      return send(res, record, json(413, { status: 413, message: 'Too large' }));

    const fault = takeFault(routed.endpoint, routed.flavour, routed.caseNumber);
    if (fault?.delayMs !== undefined) {
      await delay(fault.delayMs, res);
      if (res.destroyed) {
        record.status = -1; // the client hung up first
        return;
      }
    }
    const faultHeaders: Record<string, string> = {
      ...(fault?.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}),
      ...(fault?.strataMessage !== undefined ? { 'Strata-Message': fault.strataMessage } : {}),
    };
    if (fault?.body === 'html' || fault?.body === 'access-denied') {
      const page = breakBody({ status: 0, body: '' }, fault.body, routed.flavour);
      return send(res, record, {
        ...page,
        status: fault.status ?? page.status,
        headers: faultHeaders,
      });
    }
    if (fault?.status !== undefined) {
      const answer =
        routed.flavour === 'sso'
          ? json(fault.status, { error: 'server_error', error_description: 'Injected failure' })
          : routed.flavour === 'graphql'
            ? graphqlError(fault.status, 'Injected failure')
            : routed.flavour === 'v3'
              ? v3Error(fault.status, 'Injected failure')
              : apiError(routed.flavour, fault.status, fault.strataMessage ?? 'Injected failure');
      return send(res, record, { ...answer, headers: { ...answer.headers, ...faultHeaders } });
    }

    let answer: Answer;
    if (routed.flavour === 'sso') {
      answer =
        req.method === 'POST' ? tokenAnswer(body, record) : json(405, { error: 'invalid_request' });
    } else if (routed.flavour === 'v3' || routed.flavour === 'graphql') {
      const auth = authenticate(req.headers.authorization);
      if ('user' in auth) record.user = auth.user.username;
      const request = {
        method: req.method ?? 'GET',
        query: url.searchParams,
        body,
        headers: req.headers,
        auth,
      };
      answer =
        routed.endpoint === 'graphql'
          ? graphql.answer({ cases }, request)
          : v3Answer({ cases }, v3RestIds, routed.endpoint, routed.caseNumber, request);
    } else {
      answer = apiAnswer(
        routed.flavour,
        routed.endpoint,
        routed.caseNumber,
        req.method ?? 'GET',
        url.searchParams,
        body,
        req.headers.authorization,
        record,
      );
    }
    if (fault?.body !== undefined) answer = breakBody(answer, fault.body, routed.flavour);
    send(res, record, { ...answer, headers: { ...answer.headers, ...faultHeaders } });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake must be loud in the test output, and the client must get an answer.
      console.error('fake portal failed to answer', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake portal: no TCP port');
  const { port } = address;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    hydraBaseUrl: `${origin}${HYDRA_PATH}`,
    strataBaseUrl: `${origin}${STRATA_PATH}`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    v3BaseUrl: `${origin}${V3_PATH}`,
    graphqlUrl: `${origin}${GRAPHQL_PATH}`,
    requests,

    addUser(input) {
      users.set(input.username, {
        username: input.username,
        password: input.password,
        offlineToken: input.offlineToken,
        visibleCases:
          input.visibleCases === undefined || input.visibleCases === 'all'
            ? 'all'
            : new Set(input.visibleCases),
        email: input.email ?? `${input.username}@example.com`,
      });
    },

    addCase(input) {
      caseSeq++;
      const modified = parseDate(input.lastModifiedAt, clock);
      cases.set(input.number, {
        id: `5006R00000${caseSeq.toString(36).toUpperCase().padStart(5, '0')}QAA`,
        number: input.number,
        summary: input.summary ?? `Case ${input.number}`,
        status: input.status ?? (input.closed === true ? 'Closed' : 'Waiting on Red Hat'),
        severity: input.severity ?? '3 (Normal)',
        product: input.product ?? 'Red Hat Enterprise Linux',
        version: input.version,
        closed: input.closed ?? false,
        closedAt: input.closed === true ? modified : undefined,
        createdAt: Math.min(modified, clock),
        lastModifiedAt: modified,
        group: input.group,
        groupNumber: input.groupNumber,
        comments: [],
      });
    },

    addComment(caseNumber, input = {}) {
      const kase = caseOf(caseNumber);
      commentSeq++;
      const id =
        input.id ?? `a0a6R00000${commentSeq.toString(36).toUpperCase().padStart(5, '0')}QAX`;
      const createdAt = parseDate(input.createdAt, clock);
      kase.comments.push({
        id,
        author: input.author ?? 'Engineer, Red Hat',
        authorType: input.authorType ?? 'Associate',
        body: input.body ?? `Comment ${commentSeq}`,
        createdAt,
        modifiedAt: createdAt,
        edited: false,
        isPublic: input.isPublic ?? true,
        isDraft: input.isDraft ?? false,
        contentType: input.contentType ?? 'plaintext',
      });
      bump(kase, createdAt);
      return id;
    },

    editComment(caseNumber, id, body) {
      const { kase, comment } = commentOf(caseNumber, id);
      comment.body = body;
      comment.modifiedAt = clock;
      comment.edited = true;
      bump(kase, clock);
    },

    publishComment(caseNumber, id) {
      const { kase, comment } = commentOf(caseNumber, id);
      comment.isDraft = false;
      comment.modifiedAt = clock;
      comment.edited = true;
      bump(kase, clock);
    },

    setStatus(caseNumber, status) {
      const kase = caseOf(caseNumber);
      kase.status = status;
      bump(kase, clock);
    },

    closeCase(caseNumber) {
      const kase = caseOf(caseNumber);
      kase.closed = true;
      kase.closedAt ??= clock;
      kase.status = 'Closed';
      bump(kase, clock);
    },

    revokeOfflineToken(offlineToken) {
      revokedOfflineTokens.add(offlineToken);
      for (const token of accessTokens.values()) {
        if (token.offlineToken === offlineToken) token.revoked = true;
      }
    },

    now: () => clock,
    advanceTime(ms) {
      clock += ms;
    },
    expireAccessTokens() {
      for (const token of accessTokens.values()) token.expiresAt = Math.min(token.expiresAt, clock);
    },
    issuedAccessTokens: () => [...accessTokens.keys()],

    fail(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },

    count(filter = {}) {
      return requests.filter(
        (r) =>
          (filter.endpoint === undefined || r.endpoint === filter.endpoint) &&
          (filter.flavour === undefined || r.flavour === filter.flavour) &&
          (filter.user === undefined || r.user === filter.user) &&
          (filter.status === undefined || r.status === filter.status),
      ).length;
    },

    resetCounters() {
      requests.length = 0;
    },

    clearFaults() {
      faults.length = 0;
    },

    setGraphqlSchema(variant) {
      graphql.setSchema(variant);
    },

    retire(api, status = 404) {
      retired.set(api, status);
    },

    unretire(api) {
      retired.delete(api);
    },

    async close() {
      for (const done of [...pendingDelays]) done();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}
