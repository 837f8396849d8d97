// PortalClient over Hydra, Red Hat's current JSON case API (default base URL
// https://api.access.redhat.com/support/v1). Works with a Bearer access token (offline token)
// or HTTP Basic; the session adds whichever the credential gives.
import type { CaseNumber } from '../domain.js';
import { parseJson } from './convert.js';
import { badPayload, errorFromResponse, type PortalResponse } from './errors.js';
import { parseHydraCase, parseHydraComments, parseHydraFilterPage } from './hydra-schema.js';
import { endpointOf } from './http.js';
import { collectPages, type FilterPage } from './pagination.js';
import { skippedItemLogger, type AdapterDeps } from './session.js';
import type { PortalClient } from './types.js';

const JSON_HEADERS = { Accept: 'application/json' };

export function createHydraClient(deps: AdapterDeps): PortalClient {
  const filterUrl = `${deps.baseUrl}/cases/filter`;
  const caseUrl = (caseNumber: CaseNumber, suffix = ''): string =>
    `${deps.baseUrl}/cases/${encodeURIComponent(caseNumber)}${suffix}`;

  /** Sends, classifies the status, and parses JSON; throws PortalError otherwise. */
  const call = async (
    request: { method: 'GET' } | { method: 'POST'; body: unknown },
    url: string,
    caseNumber?: CaseNumber,
  ): Promise<{ response: PortalResponse; value: unknown }> => {
    const response = await deps.session.send(
      request.method === 'GET'
        ? { method: 'GET', url, headers: JSON_HEADERS }
        : {
            method: 'POST',
            url,
            headers: { ...JSON_HEADERS, 'Content-Type': 'application/json' },
            body: JSON.stringify(request.body),
          },
    );
    const error = errorFromResponse(response, {
      now: deps.clock.now(),
      ...(caseNumber !== undefined ? { caseNumber } : {}),
    });
    if (error) throw error;
    const json = parseJson(response.body);
    if (!json.ok) throw badPayload(response, 'the answer is not JSON');
    return { response, value: json.value };
  };

  const filterPage = async (
    filter: { startDate?: string },
    offset: number,
    maxResults: number,
  ): Promise<FilterPage> => {
    const { response, value } = await call(
      {
        method: 'POST',
        body: {
          ...filter,
          maxResults,
          offset,
          includeClosed: true,
          sortField: 'lastModifiedDate',
          sortOrder: 'ASC',
        },
      },
      filterUrl,
    );
    const page = parseHydraFilterPage(value, skippedItemLogger(deps.logger, 'case'));
    if (!page.ok) throw badPayload(response, page.detail);
    return page.value;
  };

  return {
    async verify() {
      // The token exchange (for an offline token) plus the cheapest authenticated call.
      await filterPage({}, 0, 1);
      const account = deps.auth.account();
      return account !== undefined ? { account } : {};
    },

    async getCase(caseNumber) {
      const { response, value } = await call({ method: 'GET' }, caseUrl(caseNumber), caseNumber);
      const parsed = parseHydraCase(value, caseNumber);
      if (!parsed.ok) throw badPayload(response, parsed.detail);
      return parsed.value;
    },

    async listComments(caseNumber, options) {
      // `since` narrows the answer on the portal's side; callers still dedupe by comment id.
      const query =
        options?.since !== undefined
          ? `?${new URLSearchParams({ startDate: options.since.toISOString() }).toString()}`
          : '';
      const { response, value } = await call(
        { method: 'GET' },
        caseUrl(caseNumber, `/comments${query}`),
        caseNumber,
      );
      const parsed = parseHydraComments(
        value,
        caseNumber,
        skippedItemLogger(deps.logger, 'comment', caseNumber),
      );
      if (!parsed.ok) throw badPayload(response, parsed.detail);
      return parsed.value;
    },

    async changedCases(since) {
      const startDate = since.toISOString();
      return collectPages(
        (offset, size) => filterPage({ startDate }, offset, size),
        (detail) => badPayload({ endpoint: endpointOf('POST', filterUrl) }, detail),
      );
    },
  };
}
