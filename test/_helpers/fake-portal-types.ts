// The fake portal's test-facing types: what a test passes in (users, cases, comments,
// attachments, faults, options) and the FakePortal handle it gets back. Re-exported by
// fake-portal.ts, which is where tests import them from.
import type { FakeGraphqlSchemaVariant } from './fake-portal-graphql-schema.js';
import type { V3Endpoint, V3RestIds } from './fake-portal-v3.js';

export type FakeEndpoint = 'token' | 'case' | 'comments' | 'filter' | V3Endpoint | 'graphql';
export type FakeFlavour = 'hydra' | 'strata' | 'sso' | 'v3' | 'graphql';
/** An API as retire() names it: 'v1' is Hydra (/support/v1). */
export type FakeApi = 'v1' | 'strata' | 'v3' | 'graphql';

export interface FakePortalOptions {
  /** Lifetime of issued access tokens; default 900. */
  accessTokenTtlSeconds?: number;
  /** The fake's clock at start, ms since the epoch; default now (whole seconds). */
  startTime?: number;
  /** REST v3 comment ids: v1's (default), or 'distinct' ("a0c…"). GraphQL's always differ. */
  v3RestIds?: V3RestIds;
  /**
   * Whether a new, edited or published comment bumps its case's lastModifiedDate (every API,
   * GraphQL LastModifiedDate included); default true. The reference does not know (§6.2, §12-Q3):
   * in Salesforce a child record does not touch its parent unless automation does.
   */
  commentsBumpCaseModified?: boolean;
  /** The same question for a new attachment (§12-Q3); default true. */
  attachmentsBumpCaseModified?: boolean;
  /**
   * Whether REST v3 attachments carry `createdByType` and `isPrivate` (only where the test set
   * them); default false, because no public source shows those fields on attachments (§7).
   */
  attachmentsCarryAuthorType?: boolean;
  /**
   * REST v3 status for a case that exists but the user cannot see (case, comments and
   * attachments alike); default 404, as for a case that does not exist. §9 allows either.
   */
  v3InvisibleCaseStatus?: 403 | 404;
  /** GraphQL page size when a connection is asked without `first`; default 10 (§12-Q7). */
  graphqlDefaultFirst?: number;
  /** Largest `first` GraphQL accepts, above it a field error; default 200 (§6.2, §12-Q7). */
  graphqlMaxFirst?: number;
}

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
  /** Default "Description of <summary>". */
  description?: string;
  status?: string;
  severity?: string;
  /** Product name without the version (GraphQL's Product.Name adds the version). */
  product?: string;
  version?: string;
  closed?: boolean;
  /** ISO-8601; default: the fake's now. */
  lastModifiedAt?: string;
  /** ISO-8601; default: the earlier of lastModifiedAt and now. */
  createdAt?: string;
  /** Display name of whoever opened the case; default each API's placeholder. */
  createdBy?: string;
  /** Case group name (hydra groupName, strata folderName, GraphQL Group__r.Name). */
  group?: string;
  groupNumber?: string;
  /** GraphQL RedHatSupportRecordType.Name; default 'Technical Support'. */
  recordType?: string;
  /** GraphQL AccessRestrictions__c; default 'None'. */
  accessRestrictions?: string;
  /**
   * Users (already added) who may see this case besides those who see 'all': the case number
   * joins their visibleCases. An unknown username throws.
   */
  visibleTo?: string[];
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

export interface FakeAttachmentInput {
  /** Default: a generated, increasing "6f1c0c9e-0000-4000-8000-…" uuid. */
  uuid?: string;
  /** Default "file-<n>.txt". */
  fileName?: string;
  /** Default ''. */
  description?: string;
  /** Bytes; default 1024. */
  size?: number;
  /** Display name; default 'Example Customer'. */
  createdBy?: string;
  /** Served only with attachmentsCarryAuthorType. */
  createdByType?: 'Associate' | 'Customer';
  /** Served only with attachmentsCarryAuthorType; the fake lists private files either way. */
  isPrivate?: boolean;
  /** ISO-8601; default: the fake's now. */
  createdAt?: string;
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
  /** Only for this case number (case, comments and attachments endpoints, v1 and v3). */
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
  /** The case number in the path, for per-case endpoints. */
  caseNumber?: string;
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

export interface FakeRequestFilter {
  endpoint?: FakeEndpoint;
  flavour?: FakeFlavour;
  user?: string;
  status?: number;
  caseNumber?: string;
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
  /** Adds a comment and (commentsBumpCaseModified) bumps the case; returns the comment id. */
  addComment(caseNumber: string, input?: FakeCommentInput): string;
  /** New text, modification time = now; bumps the case (commentsBumpCaseModified). */
  editComment(caseNumber: string, id: string, body: string): void;
  /** A draft becomes a sent comment, modification time = now; bumps the case likewise. */
  publishComment(caseNumber: string, id: string): void;
  /** Adds a file and (attachmentsBumpCaseModified) bumps the case; returns its uuid. */
  addAttachment(caseNumber: string, input?: FakeAttachmentInput): string;
  /** Bumps the case's lastModifiedDate to now. */
  setStatus(caseNumber: string, status: string): void;
  /** Priority / severity, e.g. '1 (Urgent)'; bumps the case's lastModifiedDate to now. */
  setSeverity(caseNumber: string, severity: string): void;
  /** Status 'Closed', closed flag and date; bumps the case's lastModifiedDate to now. */
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
  count(filter?: FakeRequestFilter): number;
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
