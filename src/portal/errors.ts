// HTTP outcomes → PortalError. Every error is built from copied, safe facts (status, a few
// headers, the method and path), never from an axios error object: those carry the request
// config, including the Authorization header and the full URL.
//
// Kinds and what the poller is expected to do with them:
//   auth         the credential is wrong, expired or revoked: stop using it, tell the user
//   not-visible  403/404: this account cannot see the case (or it does not exist)
//   rate-limited 429, or the edge's HTML "Access Denied" 403 (its way of throttling): wait
//                retryAfterMs (when the portal said) and try again
//   transient    5xx, timeouts, broken connections, a proxy's HTML page: back off, retry
//   bad-payload  an answer we cannot read (schema, truncation, too large, other 4xx):
//                retrying soon will not help; log it and move on
//   unsupported  the portal does not offer this query or field (GraphQL validation): the v3
//                client steps down to another path
//   gone         410, or 404 at the API's root: the API was switched off; nobody lost access
import { errorCode } from '../lib/error-facts.js';
import { MS_PER_SECOND, parseRetryAfter } from '../lib/retry-after.js';
import { PortalError, type PortalErrorKind } from './types.js';

/** Longest vendor message kept (Strata-Message), in characters. */
const MAX_PORTAL_MESSAGE_CHARS = 300;
/** A network error's code is copied into the message only when it is one of these plain codes. */
const PLAIN_ERROR_CODE = /^[A-Z0-9_]{2,40}$/;

/** What the HTTP layer hands over about an answer: no request data, no secrets. */
export interface PortalResponse {
  status: number;
  /** Lowercase header names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string;
  /** "GET /support/v1/cases/00012345": method and path, never the query or host credentials. */
  endpoint: string;
}

export interface ErrorContext {
  /** The case the call was about, for a message that names it. */
  caseNumber?: string;
  /** Current time in ms since the epoch, to turn an HTTP-date Retry-After into a delay. */
  now: number;
}

/** The Strata-Message header, trimmed and capped; undefined when absent or empty. */
export function portalMessageOf(headers: PortalResponse['headers']): string | undefined {
  const raw = headers['strata-message']?.trim();
  if (raw === undefined || raw === '') return undefined;
  return raw.length > MAX_PORTAL_MESSAGE_CHARS ? `${raw.slice(0, MAX_PORTAL_MESSAGE_CHARS)}…` : raw;
}

/** True when the body is an HTML page (a proxy's error page, a login or maintenance page). */
export function looksLikeHtml(response: Pick<PortalResponse, 'headers' | 'body'>): boolean {
  const type = response.headers['content-type'] ?? '';
  if (/\btext\/html\b/i.test(type)) return true;
  return /^\s*(<!doctype\s+html|<html[\s>])/i.test(response.body.slice(0, 512));
}

function describeSeconds(ms: number): string {
  const seconds = Math.ceil(ms / MS_PER_SECOND);
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

function withVendorText(message: string, portalMessage: string | undefined): string {
  return portalMessage === undefined ? message : `${message} Red Hat says: "${portalMessage}".`;
}

function make(
  kind: PortalErrorKind,
  message: string,
  response: PortalResponse,
  extra: { retryAfterMs?: number } = {},
): PortalError {
  const portalMessage = portalMessageOf(response.headers);
  return new PortalError(kind, withVendorText(message, portalMessage), {
    status: response.status,
    endpoint: response.endpoint,
    ...(portalMessage !== undefined ? { portalMessage } : {}),
    ...extra,
  });
}

/**
 * The error for an answer that is not a usable success, or undefined when the body should be
 * parsed (2xx and not an HTML page).
 */
export function errorFromResponse(
  response: PortalResponse,
  context: ErrorContext,
): PortalError | undefined {
  const { status } = response;
  const what = context.caseNumber !== undefined ? `case ${context.caseNumber}` : 'this data';
  if (status === 401) {
    return make(
      'auth',
      `Red Hat did not accept the login (HTTP 401). Check the username and password, or create a new offline token.`,
      response,
    );
  }
  if (status === 410) {
    return make(
      'gone',
      `Red Hat's portal says this API is gone (HTTP 410). Check portal.api and portal.baseUrl, and run "tickets-pushbot check".`,
      response,
    );
  }
  if (status === 403 && looksLikeHtml(response)) {
    // Red Hat's edge (WAF/CDN) throttles with an HTML "Access Denied" page instead of a 429.
    return make(
      'rate-limited',
      `Red Hat's edge refused the request with an "Access Denied" page (HTTP 403), which is how it throttles; will slow down and try again.`,
      response,
    );
  }
  if (status === 403 || status === 404) {
    return make(
      'not-visible',
      `This Red Hat account cannot see ${what} (HTTP ${status}). Check the case number and the account's case groups.`,
      response,
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], context.now);
    const when = retryAfterMs !== undefined ? ` in ${describeSeconds(retryAfterMs)}` : ' later';
    return make(
      'rate-limited',
      `Red Hat asked us to slow down (HTTP 429); will try again${when}.`,
      response,
      {
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      },
    );
  }
  if (status === 407) {
    return make(
      'transient',
      'The HTTP proxy asked for a login (HTTP 407). Put the proxy user and password in HTTPS_PROXY.',
      response,
    );
  }
  if (status >= 500 || looksLikeHtml(response)) {
    const page = looksLikeHtml(response)
      ? ' with a web page instead of data (a proxy or maintenance page?)'
      : '';
    return make(
      'transient',
      `Red Hat's portal answered${page} (HTTP ${status}); will try again.`,
      response,
    );
  }
  if (status >= 300 && status < 400) {
    return make(
      'transient',
      `Red Hat's portal redirected the request (HTTP ${status}). Check portal.baseUrl in the configuration.`,
      response,
    );
  }
  if (status >= 400) {
    return make(
      'bad-payload',
      `Red Hat's portal refused the request (HTTP ${status}); this needs a fix in the bot or its configuration.`,
      response,
    );
  }
  if (status < 200) {
    return make('transient', `Unexpected answer from Red Hat's portal (HTTP ${status}).`, response);
  }
  return undefined;
}

/** A 2xx answer whose body is not what the API documents. `detail` must hold no payload text. */
export function badPayload(
  facts: { status?: number; endpoint: string },
  detail: string,
): PortalError {
  return new PortalError(
    'bad-payload',
    `Red Hat's portal sent an answer the bot cannot read (${detail}).`,
    { ...(facts.status !== undefined ? { status: facts.status } : {}), endpoint: facts.endpoint },
  );
}

/**
 * The error for a request that got no usable answer at all (network, timeout, size cap).
 * Reads only the error's code and a fixed message prefix; nothing of the error is copied
 * into the result except that code.
 */
export function errorFromNetwork(
  err: unknown,
  facts: { endpoint: string; timeoutSeconds: number; maxResponseBytes: number; timedOut: boolean },
): PortalError {
  const code = errorCode(err, PLAIN_ERROR_CODE);
  const endpoint = { endpoint: facts.endpoint };
  if (err instanceof Error && err.message.startsWith('maxContentLength size of')) {
    return new PortalError(
      'bad-payload',
      `Red Hat's answer was larger than the limit of ${facts.maxResponseBytes} bytes (portal.maxResponseBytes).`,
      endpoint,
    );
  }
  if (facts.timedOut || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new PortalError(
      'transient',
      `Red Hat's portal did not answer within ${facts.timeoutSeconds} s; will try again.`,
      endpoint,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new PortalError(
      'transient',
      "Could not connect to Red Hat's portal (connection refused); will try again.",
      endpoint,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new PortalError(
      'transient',
      `Could not find the portal's address (${code}); check the network, DNS and portal.baseUrl.`,
      endpoint,
    );
  }
  return new PortalError(
    'transient',
    `The connection to Red Hat's portal failed (${code ?? 'network error'}); will try again.`,
    endpoint,
  );
}
