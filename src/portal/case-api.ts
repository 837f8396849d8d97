// The PortalClient Red Hat's REST case APIs share. Hydra (JSON, v1), Strata (XML, v1) and REST
// v3 (JSON) have the same endpoints, status codes and paging; a CaseApiFlavour names only what
// differs: the media type, how an answer is decoded, how a filter request is written, and the
// wire schemas that turn a decoded answer into domain types.
//
// A 404 for a case normally means "this account cannot see it". But an API that was switched
// off answers 404 for everything: before a 404 is reported as not-visible, the API's root (the
// filter endpoint) is asked once; if that is missing too, the error is 'gone' instead, so no
// chat is told it lost access to its cases. The attachment list (REST v3 only) follows the same
// rules. None of these APIs can search cases: searching is GraphQL's (v3.ts).
import type { Attachment, Case, CaseNumber, Comment } from '../domain.js';
import type { OnSkippedItem, Parsed } from './convert.js';
import { badPayload, errorFromResponse } from './errors.js';
import { endpointOf } from './http.js';
import { collectPages, type FilterPage } from './pagination.js';
import { skippedItemLogger, type AdapterDeps } from './session.js';
import { PortalError, type CaseRead, type PortalClient, type PortalPath } from './types.js';

/** A root found alive is not asked again for this long (ms). */
export const ROOT_ALIVE_TTL_MS = 10 * 60_000;
/** A root found missing is believed this long before it is asked again (ms). */
export const ROOT_GONE_TTL_MS = 60_000;

/** One page of `POST /cases/filter`; `offset` counts from 0, `size` is the most items wanted. */
export interface FilterRequest {
  startDate?: string;
  offset: number;
  size: number;
}

export interface CaseApiFlavour {
  /** What /status calls reading through this API. */
  path: PortalPath;
  /** Query parameters of every comment list request (REST v3 sorts on request). */
  commentsQuery?: Readonly<Record<string, string>>;
  /** Sent as Accept on every request and as Content-Type on a request with a body. */
  mediaType: string;
  /**
   * An answer's body → the document the parse functions read; `detail` holds no body text. May
   * be async: Strata loads its XML parser on first use.
   */
  decode(body: string): Parsed<unknown> | Promise<Parsed<unknown>>;
  /**
   * The body of `POST /cases/filter`: closed cases included, sorted by lastModifiedDate
   * ascending (collectPages relies on that order).
   */
  filterBody(request: FilterRequest): string;
  parseCase(document: unknown, caseNumber: CaseNumber): Parsed<Case>;
  /** The comments a case answer embeds (a case answer already accepted by parseCase). */
  parseEmbeddedComments(
    document: unknown,
    caseNumber: CaseNumber,
    onSkipped: OnSkippedItem,
  ): Comment[];
  parseComments(
    document: unknown,
    caseNumber: CaseNumber,
    onSkipped: OnSkippedItem,
  ): Parsed<Comment[]>;
  parseFilterPage(document: unknown, onSkipped: OnSkippedItem): Parsed<FilterPage>;
  /** `GET /cases/{n}/attachments`; absent for an API without that endpoint (the v1 ones). */
  parseAttachments?: (
    document: unknown,
    caseNumber: CaseNumber,
    onSkipped: OnSkippedItem,
  ) => Parsed<Attachment[]>;
}

/** How messages name each API. */
const API_NAMES: Readonly<Record<PortalPath, string>> = {
  hydra: 'The v1 Hydra API',
  strata: 'The v1 Strata XML API',
  rest: 'REST v3',
  graphql: 'GraphQL',
  'graphql+rest': 'GraphQL',
};

/** The error for a question this API cannot answer at all; `why` finishes the sentence. */
function cannot(path: PortalPath, what: string, why: string): PortalError {
  return new PortalError('unsupported', `${API_NAMES[path]} cannot ${what}${why}`, {});
}

export function createCaseApiClient(deps: AdapterDeps, flavour: CaseApiFlavour): PortalClient {
  const filterUrl = `${deps.baseUrl}/cases/filter`;
  const caseUrl = (caseNumber: CaseNumber, suffix = ''): string =>
    `${deps.baseUrl}/cases/${encodeURIComponent(caseNumber)}${suffix}`;
  const accept = { Accept: flavour.mediaType };

  /** Sends, classifies the status, decodes and parses the body; throws PortalError otherwise. */
  const call = async <T>(
    request: { method: 'GET' } | { method: 'POST'; body: string },
    url: string,
    caseNumber: CaseNumber | undefined,
    parse: (document: unknown) => Parsed<T>,
  ): Promise<T> => {
    const response = await deps.session.send(
      request.method === 'GET'
        ? { method: 'GET', url, headers: accept }
        : {
            method: 'POST',
            url,
            headers: { ...accept, 'Content-Type': flavour.mediaType },
            body: request.body,
          },
    );
    const error = errorFromResponse(response, {
      now: deps.clock.now(),
      ...(caseNumber !== undefined ? { caseNumber } : {}),
    });
    if (error) throw error;
    const document = await flavour.decode(response.body);
    if (!document.ok) throw badPayload(response, document.detail);
    const parsed = parse(document.value);
    if (!parsed.ok) throw badPayload(response, parsed.detail);
    return parsed.value;
  };

  const filterPage = (request: FilterRequest): Promise<FilterPage> =>
    call({ method: 'POST', body: flavour.filterBody(request) }, filterUrl, undefined, (document) =>
      flavour.parseFilterPage(document, skippedItemLogger(deps.logger, 'case')),
    );

  let rootAliveUntil = 0;
  // A root found missing is believed for a minute: a cycle over many cases asks once.
  let rootGone: { until: number; error: PortalError } | undefined;
  /** A case call's 404 becomes 'gone' when the API's root is missing as well. */
  const caseCall = async <T>(caseNumber: CaseNumber, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof PortalError) || err.kind !== 'not-visible' || err.status !== 404) {
        throw err;
      }
      const now = deps.clock.now();
      if (now < rootAliveUntil) throw err;
      if (rootGone !== undefined && now < rootGone.until) throw rootGone.error;
      try {
        await filterPage({ offset: 0, size: 1 });
        rootAliveUntil = deps.clock.now() + ROOT_ALIVE_TTL_MS;
      } catch (rootErr) {
        if (
          rootErr instanceof PortalError &&
          (rootErr.kind === 'gone' || (rootErr.kind === 'not-visible' && rootErr.status === 404))
        ) {
          const error = new PortalError(
            'gone',
            `Red Hat's portal answers HTTP ${rootErr.status ?? 404} for case ${caseNumber} and for the API itself (${rootErr.endpoint ?? filterUrl}): this API seems switched off. Run "tickets-pushbot check".`,
            {
              ...(rootErr.status !== undefined ? { status: rootErr.status } : {}),
              endpoint: rootErr.endpoint ?? endpointOf('POST', filterUrl),
            },
          );
          rootGone = { until: deps.clock.now() + ROOT_GONE_TTL_MS, error };
          throw error;
        }
        // The root failed some other way (down, throttled): the case's own answer stands.
      }
      throw err;
    }
  };

  const readCase = (caseNumber: CaseNumber, withComments: boolean): Promise<CaseRead> =>
    caseCall(caseNumber, () => readCaseOnce(caseNumber, withComments));
  const readCaseOnce = (caseNumber: CaseNumber, withComments: boolean): Promise<CaseRead> =>
    call({ method: 'GET' }, caseUrl(caseNumber), caseNumber, (document) => {
      const kase = flavour.parseCase(document, caseNumber);
      if (!kase.ok) return kase;
      const comments = withComments
        ? flavour.parseEmbeddedComments(
            document,
            caseNumber,
            skippedItemLogger(deps.logger, 'comment', caseNumber),
          )
        : [];
      return { ok: true, value: { kase: kase.value, comments } };
    });

  return {
    async verify() {
      // The token exchange (for an offline token) plus the cheapest authenticated call.
      try {
        await filterPage({ offset: 0, size: 1 });
      } catch (err) {
        // A missing root is a missing API, not an account that may not read cases.
        if (err instanceof PortalError && err.kind === 'not-visible' && err.status === 404) {
          throw new PortalError(
            'gone',
            `Red Hat's portal has no case API at ${err.endpoint ?? filterUrl} (HTTP 404). Check portal.api and portal.baseUrl, and run "tickets-pushbot check".`,
            { status: 404, ...(err.endpoint !== undefined ? { endpoint: err.endpoint } : {}) },
          );
        }
        throw err;
      }
      const account = deps.auth.account();
      return account !== undefined ? { account, path: flavour.path } : { path: flavour.path };
    },

    readMode() {
      return { kind: 'filter', path: flavour.path };
    },

    readCases() {
      return Promise.reject(
        new PortalError('unsupported', 'This API reads cases one by one, not in batches.', {}),
      );
    },

    async getCase(caseNumber) {
      return (await readCase(caseNumber, false)).kase;
    },

    readCase(caseNumber) {
      return readCase(caseNumber, true);
    },

    async listComments(caseNumber, options) {
      // `since` narrows the answer on the portal's side; callers still dedupe by comment id.
      const params = new URLSearchParams(flavour.commentsQuery);
      if (options?.since !== undefined) params.set('startDate', options.since.toISOString());
      const query = params.size > 0 ? `?${params.toString()}` : '';
      return caseCall(caseNumber, () =>
        call({ method: 'GET' }, caseUrl(caseNumber, `/comments${query}`), caseNumber, (document) =>
          flavour.parseComments(
            document,
            caseNumber,
            skippedItemLogger(deps.logger, 'comment', caseNumber),
          ),
        ),
      );
    },

    canSearch() {
      return false;
    },

    searchCases() {
      const why =
        flavour.path === 'rest'
          ? ': its filter returns a handful of cases at most; searching needs GraphQL.'
          : ' (Red Hat switched the v1 APIs off on 2026-09-21); set portal.api to "v3".';
      return Promise.reject(cannot(flavour.path, 'search cases', why));
    },

    async listAttachments(caseNumber) {
      const parse = flavour.parseAttachments;
      if (parse === undefined) {
        throw cannot(
          flavour.path,
          'list attachments',
          ' (Red Hat switched the v1 APIs off on 2026-09-21); set portal.api to "v3".',
        );
      }
      return caseCall(caseNumber, () =>
        call({ method: 'GET' }, caseUrl(caseNumber, '/attachments'), caseNumber, (document) =>
          parse(document, caseNumber, skippedItemLogger(deps.logger, 'attachment', caseNumber)),
        ),
      );
    },

    async changedCases(since) {
      const startDate = since.toISOString();
      return collectPages(
        (offset, size) => filterPage({ startDate, offset, size }),
        (detail) => badPayload({ endpoint: endpointOf('POST', filterUrl) }, detail),
      );
    },
  };
}
