// The GraphQL transport: one POST per query to portal.graphqlUrl with the Apollo client
// headers Red Hat's gateway expects, and every answer classified into a PortalError kind.
//
// Classification (reference §9; the sources disagree, so the rules lean towards "try another
// path" rather than "tell the user something is wrong with their account"):
// - HTTP 200 with `errors` is a failure even when `data` is partly there;
// - errors naming a field, type, argument or relation (validation, "Cannot query field") are
//   'unsupported': this query does not fit the schema this account sees, another path may;
// - errors with the gateway's transient markers (503, SUBREQUEST_HTTP_ERROR…) are 'transient';
// - 401/403 from the GraphQL endpoint are 'unsupported', not 'auth': the token exchange already
//   succeeded, and REST may still accept the token (GraphQL may want another scope);
// - 404/410 mean there is no GraphQL endpoint there: 'gone';
// - an HTML 403 is the edge throttling ('rate-limited'); 429, 5xx, timeouts as everywhere.
import type { Clock } from '../domain.js';
import { parseJson } from './convert.js';
import { errorFromResponse, looksLikeHtml, type PortalResponse } from './errors.js';
import type { Session } from './session.js';
import { PortalError } from './types.js';

/** Longest portal error message kept, in characters. */
const MAX_MESSAGE_CHARS = 300;
/** Messages (or codes) that mean "try again later" (T5G's list, reference §9). */
const TRANSIENT =
  /\b(50[0234]|service unavailable|bad gateway|gateway time-?out|subrequest_http_error|unsupported content-type|timed? ?out|temporarily)\b/i;
/** Messages that mean "this query does not fit the schema". */
const SCHEMA =
  /cannot query field|unknown (argument|field|type)|is not defined (by|on) type|no such (field|relation|column)|field .{1,80} (is )?(not (found|defined|supported|accessible)|doesn'?t exist)|didn'?t find|invalid (field|relationship)|relationship|expected type|variable "\$\w+"/i;
const SCHEMA_CODES =
  /^(GRAPHQL_VALIDATION_FAILED|GRAPHQL_PARSE_FAILED|VALIDATION_INVALID_TYPE_VARIABLE|BAD_USER_INPUT|INVALID_FIELD|ValidationError|InvalidSyntax)$/i;
const RATE = /rate.?limit|too many requests|throttl/i;
const PERMISSION =
  /permission|not authori[sz]ed|unauthori[sz]ed|forbidden|insufficient.?access|DataFetchingException/i;

export interface GraphqlEndpoint {
  url: string;
  session: Session;
  clock: Clock;
  /** apollographql-client-name / -version: Red Hat's gateway refuses anonymous clients. */
  clientName: string;
  clientVersion: string;
}

interface WireError {
  message: string;
  code: string | undefined;
}

function errorsOf(document: unknown): WireError[] | undefined {
  if (typeof document !== 'object' || document === null || !('errors' in document)) {
    return undefined;
  }
  const { errors } = document;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map((e: unknown) => {
    const message =
      typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string'
        ? e.message
        : String(e);
    const extensions =
      typeof e === 'object' && e !== null && 'extensions' in e ? e.extensions : undefined;
    const code =
      typeof extensions === 'object' &&
      extensions !== null &&
      'code' in extensions &&
      typeof extensions.code === 'string'
        ? extensions.code
        : undefined;
    return { message, code };
  });
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS)}…` : flat;
}

/** The field or relation a validation message names ('Cannot query field "X" on type …'). */
export function fieldNamed(message: string): string | undefined {
  return (
    /field "([A-Za-z_]\w*)"/i.exec(message)?.[1] ??
    /"([A-Za-z_]\w*__[rc])"/.exec(message)?.[1] ??
    /\b([A-Za-z_]\w*__[rc])\b/.exec(message)?.[1]
  );
}

/** The PortalError for a GraphQL `errors` list. */
export function graphqlErrorsToPortalError(
  errors: readonly WireError[],
  response: Pick<PortalResponse, 'status' | 'endpoint'>,
): PortalError {
  const text = errors.map((e) => e.message).join(' | ');
  const portalMessage = cut(text);
  const facts = { status: response.status, endpoint: response.endpoint, portalMessage };
  const said = ` Red Hat says: "${portalMessage}".`;
  if (
    errors.some(
      (e) => SCHEMA.test(e.message) || (e.code !== undefined && SCHEMA_CODES.test(e.code)),
    )
  ) {
    const field = errors.map((e) => fieldNamed(e.message)).find((f) => f !== undefined);
    return new PortalError(
      'unsupported',
      `Red Hat's GraphQL API does not offer what the bot asked for${field !== undefined ? ` (${field})` : ''}.${said}`,
      { ...facts, ...(field !== undefined ? { field } : {}) },
    );
  }
  if (errors.some((e) => TRANSIENT.test(e.message) || TRANSIENT.test(e.code ?? ''))) {
    return new PortalError(
      'transient',
      `Red Hat's GraphQL API failed for now; will try again.${said}`,
      facts,
    );
  }
  if (errors.some((e) => RATE.test(e.message))) {
    return new PortalError(
      'rate-limited',
      `Red Hat's GraphQL API asked us to slow down.${said}`,
      facts,
    );
  }
  if (errors.some((e) => PERMISSION.test(e.message) || PERMISSION.test(e.code ?? ''))) {
    return new PortalError(
      'unsupported',
      `Red Hat's GraphQL API refused this account's query.${said}`,
      facts,
    );
  }
  return new PortalError(
    'bad-payload',
    `Red Hat's GraphQL API answered with an error.${said}`,
    facts,
  );
}

/** The error for a GraphQL answer, or undefined when `data` should be read. */
export function graphqlAnswerError(response: PortalResponse, now: number): PortalError | undefined {
  const { status, endpoint } = response;
  if (status === 404 || status === 410) {
    return new PortalError(
      'gone',
      `There is no GraphQL API at ${endpoint} (HTTP ${status}). Check portal.graphqlUrl, and run "tickets-pushbot check".`,
      { status, endpoint },
    );
  }
  if ((status === 401 || status === 403) && !looksLikeHtml(response)) {
    return new PortalError(
      'unsupported',
      `Red Hat's GraphQL API refused this login (HTTP ${status}); the REST API may still accept it.`,
      { status, endpoint },
    );
  }
  const json = looksLikeHtml(response) ? undefined : parseJson(response.body);
  const errors = json?.ok === true ? errorsOf(json.value) : undefined;
  if (errors !== undefined && (status === 200 || (status >= 400 && status < 500))) {
    return graphqlErrorsToPortalError(errors, response);
  }
  return errorFromResponse(response, { now });
}

/**
 * Sends one query and returns its `data`. Throws PortalError for every failure, including an
 * answer with `errors` and an answer that is not a GraphQL envelope.
 */
export async function postGraphql(
  endpoint: GraphqlEndpoint,
  query: string,
  variables: Readonly<Record<string, unknown>>,
): Promise<{ data: unknown; response: PortalResponse }> {
  const response = await endpoint.session.send({
    method: 'POST',
    url: endpoint.url,
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'apollographql-client-name': endpoint.clientName,
      'apollographql-client-version': endpoint.clientVersion,
      // Harmless for a JSON POST; one public client needed it past CSRF protection.
      'Apollo-Require-Preflight': 'true',
    },
    body: JSON.stringify({ query, variables }),
  });
  const error = graphqlAnswerError(response, endpoint.clock.now());
  if (error) throw error;
  const json = parseJson(response.body);
  const data =
    json.ok && typeof json.value === 'object' && json.value !== null && 'data' in json.value
      ? json.value.data
      : undefined;
  if (typeof data !== 'object' || data === null) {
    throw new PortalError(
      json.ok ? 'unsupported' : 'bad-payload',
      json.ok
        ? "Red Hat's GraphQL API answered without data."
        : "Red Hat's GraphQL API sent an answer that is not JSON.",
      { status: response.status, endpoint: response.endpoint },
    );
  }
  return { data, response };
}
