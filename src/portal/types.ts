// The port every other part of the daemon uses to reach Red Hat. Only portal/ implements it.
import type { Attachment, Case, CaseNumber, Comment } from '../domain.js';

/** A credential in clear, only ever held in memory (the store keeps it sealed). */
export type PortalCredential =
  | { kind: 'offline-token'; offlineToken: string }
  | { kind: 'basic'; username: string; password: string };

/**
 * How a client reads the followed cases of its credential in a poll cycle. It changes as the
 * v3 client finds out what the portal offers this credential (see v3.ts):
 *   filter    v1 APIs: changedCases(since), then readCase/listComments for what changed;
 *   batch     v3 GraphQL: readCases for up to `batchSize` cases per request, with their newest
 *             comments (`withComments`, path "graphql") or without ("graphql+rest": comments
 *             through listComments, for cases that moved);
 *   per-case  v3 REST only: listComments for every case every cycle.
 */
export type ReadMode =
  | { kind: 'filter'; path: PortalPath }
  | { kind: 'batch'; path: PortalPath; withComments: boolean; batchSize: number }
  | { kind: 'per-case'; path: PortalPath };

/** What /status, logs and `check` call the way a credential is read. */
export type PortalPath = 'graphql' | 'graphql+rest' | 'rest' | 'hydra' | 'strata';

export interface BatchCase {
  kase: Case;
  /** Newest comments first as the portal ranks them, returned oldest first; absent without. */
  comments?: Comment[];
  /** False when the case has more comments than the answer carried. */
  commentsComplete: boolean;
}

export interface BatchRead {
  /** The mode the answer was read with (a batch may have stepped down from comments). */
  mode: Extract<ReadMode, { kind: 'batch' }>;
  cases: Map<CaseNumber, BatchCase>;
  /** Asked for, absent from the answer, and confirmed not visible to this credential. */
  notVisible: CaseNumber[];
  /** Asked for but unreadable (one bad item, or absence that could not be confirmed). */
  failed: Map<CaseNumber, PortalError>;
  /** HTTP requests the read took (pages, confirmations, a step down). */
  requests: number;
}

export interface PortalClient {
  /**
   * Checks the credential can read cases through some path; returns the account/login it sees
   * when the API tells, and the path it settled on.
   */
  verify(): Promise<{ account?: string; path?: PortalPath }>;
  /** The way the next cycle should read this credential's cases. */
  readMode(): ReadMode;
  /**
   * Reads many cases at once (batch mode only). Throws PortalError 'unsupported' when no batch
   * path works for this credential any more: readMode() then says what to do instead.
   */
  readCases(caseNumbers: readonly CaseNumber[]): Promise<BatchRead>;
  getCase(caseNumber: CaseNumber): Promise<Case>;
  /**
   * The same request as getCase, with the comments the case answer embeds (oldest first; empty
   * when it embeds none, which is also how the portal writes a case without comments). Whether
   * the embedded list is always complete is not documented: treat it as a hint, and read
   * listComments before notifying from it.
   */
  readCase(caseNumber: CaseNumber): Promise<CaseRead>;
  /** Comments oldest first; drafts are returned with isDraft = true. */
  listComments(caseNumber: CaseNumber, options?: { since?: Date }): Promise<Comment[]>;
  /** Numbers of cases whose last modification is at or after `since` (follows pagination). */
  changedCases(since: Date): Promise<CaseNumber[]>;
  /**
   * True when searchCases can work for this credential now: its path reads GraphQL. False on
   * the REST-only path and the v1 APIs (follow rules then cannot discover cases).
   */
  canSearch(): boolean;
  /**
   * One page of the credential's cases, least recently modified first (GraphQL
   * RedHatSupportCase with `where`): the follow rules' discovery and /follow's first count.
   * Throws PortalError 'unsupported' when no GraphQL path works for this credential.
   */
  searchCases(search: CaseSearch): Promise<CasePage>;
  /** The files attached to a case, oldest first (REST v3 `/cases/{n}/attachments`). */
  listAttachments(caseNumber: CaseNumber): Promise<Attachment[]>;
}

export interface CaseSearch {
  /** Only cases whose LastModifiedDate is strictly after this. */
  modifiedAfter?: Date;
  /** Only open cases (IsClosed false). */
  openOnly: boolean;
  /** Page size, 1..200 (the portal's maximum). */
  first: number;
  /** The previous page's endCursor. */
  after?: string;
}

export interface CasePage {
  /** Least recently modified first; description and createdBy filled when the portal gives them. */
  cases: Case[];
  /** How many cases match in all, when the portal says. */
  totalCount: number | undefined;
  hasNextPage: boolean;
  endCursor: string | undefined;
  /** HTTP requests the page took (a step down to a smaller query counts). */
  requests: number;
}

export interface CaseRead {
  kase: Case;
  comments: Comment[];
}

export interface PortalClientFactory {
  /**
   * One client per credential; it caches its own access token (and, for v3, the path it found
   * working). `context` names the credential in its log lines.
   */
  create(credential: PortalCredential, context?: { credentialId?: string }): PortalClient;
}

export type PortalErrorKind =
  | 'auth'
  | 'not-visible'
  | 'rate-limited'
  | 'transient'
  | 'bad-payload'
  /** The portal does not offer this query, field or path (to this account): use another. */
  | 'unsupported'
  /** The API itself is not there (404/410 at its root or for every case): not the case's fault. */
  | 'gone';

export const PORTAL_ERROR_KINDS: readonly PortalErrorKind[] = [
  'auth',
  'not-visible',
  'rate-limited',
  'transient',
  'bad-payload',
  'unsupported',
  'gone',
];

/**
 * The only error portal/ lets out. Built by copying safe fields (status, endpoint path,
 * vendor message), never by wrapping an HTTP library error, which carries credentials.
 */
export class PortalError extends Error {
  readonly kind: PortalErrorKind;
  readonly status: number | undefined;
  /** For rate-limited: how long the portal asked us to wait, in ms. */
  readonly retryAfterMs: number | undefined;
  /** Human text from the portal (Strata-Message header), when it gave one. */
  readonly portalMessage: string | undefined;
  /** Method and path of the failed call, without query secrets or host credentials. */
  readonly endpoint: string | undefined;
  /** unsupported: the GraphQL field or relation the portal refused, when it named one. */
  readonly field: string | undefined;

  constructor(
    kind: PortalErrorKind,
    message: string,
    details: {
      status?: number;
      retryAfterMs?: number;
      portalMessage?: string;
      endpoint?: string;
      field?: string;
    } = {},
  ) {
    super(message);
    this.name = 'PortalError';
    this.kind = kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.portalMessage = details.portalMessage;
    this.endpoint = details.endpoint;
    this.field = details.field;
  }
}

export function isPortalError(err: unknown): err is PortalError {
  return err instanceof PortalError;
}
