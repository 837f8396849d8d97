// The port every other part of the daemon uses to reach Red Hat. Only portal/ implements it.
import type { Case, CaseNumber, Comment } from '../domain.js';

/** A credential in clear, only ever held in memory (the store keeps it sealed). */
export type PortalCredential =
  | { kind: 'offline-token'; offlineToken: string }
  | { kind: 'basic'; username: string; password: string };

export interface PortalClient {
  /** Checks the credential works; returns the account/login it sees when the API tells. */
  verify(): Promise<{ account?: string }>;
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
}

export interface CaseRead {
  kase: Case;
  comments: Comment[];
}

export interface PortalClientFactory {
  /** One client per credential; it caches its own access token. */
  create(credential: PortalCredential): PortalClient;
  caseUrl(caseNumber: CaseNumber): string;
  commentUrl(caseNumber: CaseNumber, commentId: string): string;
}

export type PortalErrorKind = 'auth' | 'not-visible' | 'rate-limited' | 'transient' | 'bad-payload';

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

  constructor(
    kind: PortalErrorKind,
    message: string,
    details: {
      status?: number;
      retryAfterMs?: number;
      portalMessage?: string;
      endpoint?: string;
    } = {},
  ) {
    super(message);
    this.name = 'PortalError';
    this.kind = kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.portalMessage = details.portalMessage;
    this.endpoint = details.endpoint;
  }
}

export function isPortalError(err: unknown): err is PortalError {
  return err instanceof PortalError;
}
