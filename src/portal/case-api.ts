// The PortalClient both of Red Hat's case APIs share. Hydra (JSON) and Strata (XML) have the
// same endpoints, status codes and paging; a CaseApiFlavour names only what differs: the media
// type, how an answer is decoded, how a filter request is written, and the wire schemas that
// turn a decoded answer into domain types.
import type { Case, CaseNumber, Comment } from '../domain.js';
import type { OnSkippedItem, Parsed } from './convert.js';
import { badPayload, errorFromResponse } from './errors.js';
import { endpointOf } from './http.js';
import { collectPages, type FilterPage } from './pagination.js';
import { skippedItemLogger, type AdapterDeps } from './session.js';
import type { CaseRead, PortalClient } from './types.js';

/** One page of `POST /cases/filter`; `offset` counts from 0, `size` is the most items wanted. */
export interface FilterRequest {
  startDate?: string;
  offset: number;
  size: number;
}

export interface CaseApiFlavour {
  /** Sent as Accept on every request and as Content-Type on a request with a body. */
  mediaType: string;
  /** An answer's body → the document the parse functions read; `detail` holds no body text. */
  decode(body: string): Parsed<unknown>;
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
    const document = flavour.decode(response.body);
    if (!document.ok) throw badPayload(response, document.detail);
    const parsed = parse(document.value);
    if (!parsed.ok) throw badPayload(response, parsed.detail);
    return parsed.value;
  };

  const filterPage = (request: FilterRequest): Promise<FilterPage> =>
    call({ method: 'POST', body: flavour.filterBody(request) }, filterUrl, undefined, (document) =>
      flavour.parseFilterPage(document, skippedItemLogger(deps.logger, 'case')),
    );

  const readCase = (caseNumber: CaseNumber, withComments: boolean): Promise<CaseRead> =>
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
      await filterPage({ offset: 0, size: 1 });
      const account = deps.auth.account();
      return account !== undefined ? { account } : {};
    },

    async getCase(caseNumber) {
      return (await readCase(caseNumber, false)).kase;
    },

    readCase(caseNumber) {
      return readCase(caseNumber, true);
    },

    async listComments(caseNumber, options) {
      // `since` narrows the answer on the portal's side; callers still dedupe by comment id.
      const query =
        options?.since !== undefined
          ? `?${new URLSearchParams({ startDate: options.since.toISOString() }).toString()}`
          : '';
      return call(
        { method: 'GET' },
        caseUrl(caseNumber, `/comments${query}`),
        caseNumber,
        (document) =>
          flavour.parseComments(
            document,
            caseNumber,
            skippedItemLogger(deps.logger, 'comment', caseNumber),
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
