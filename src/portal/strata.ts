// PortalClient over Strata, Red Hat's legacy XML case API (default base URL
// https://api.access.redhat.com/rs), the API the original bot used. Being retired by Red Hat;
// kept for accounts where only Basic login works. Accepts Basic or a Bearer access token.
import type { CaseNumber } from '../domain.js';
import { badPayload, errorFromResponse, type PortalResponse } from './errors.js';
import { endpointOf } from './http.js';
import { collectPages, type FilterPage } from './pagination.js';
import { skippedItemLogger, type AdapterDeps } from './session.js';
import {
  createStrataXmlParser,
  parseStrataCase,
  parseStrataComments,
  parseStrataFilterPage,
  parseStrataXml,
  strataFilterBody,
} from './strata-schema.js';
import type { PortalClient } from './types.js';

const XML_HEADERS = { Accept: 'application/xml' };

export function createStrataClient(deps: AdapterDeps): PortalClient {
  const parser = createStrataXmlParser();
  const filterUrl = `${deps.baseUrl}/cases/filter`;
  const caseUrl = (caseNumber: CaseNumber, suffix = ''): string =>
    `${deps.baseUrl}/cases/${encodeURIComponent(caseNumber)}${suffix}`;

  /** Sends, classifies the status, and parses XML; throws PortalError otherwise. */
  const call = async (
    request: { method: 'GET' } | { method: 'POST'; body: string },
    url: string,
    caseNumber?: CaseNumber,
  ): Promise<{ response: PortalResponse; document: unknown }> => {
    const response = await deps.session.send(
      request.method === 'GET'
        ? { method: 'GET', url, headers: XML_HEADERS }
        : {
            method: 'POST',
            url,
            headers: { ...XML_HEADERS, 'Content-Type': 'application/xml' },
            body: request.body,
          },
    );
    const error = errorFromResponse(response, {
      now: deps.clock.now(),
      ...(caseNumber !== undefined ? { caseNumber } : {}),
    });
    if (error) throw error;
    const xml = parseStrataXml(parser, response.body);
    if (!xml.ok) throw badPayload(response, xml.detail);
    return { response, document: xml.value };
  };

  const filterPage = async (
    filter: { startDate?: string },
    start: number,
    count: number,
  ): Promise<FilterPage> => {
    const { response, document } = await call(
      { method: 'POST', body: strataFilterBody({ ...filter, count, start }) },
      filterUrl,
    );
    const page = parseStrataFilterPage(document, skippedItemLogger(deps.logger, 'case'));
    if (!page.ok) throw badPayload(response, page.detail);
    return page.value;
  };

  return {
    async verify() {
      await filterPage({}, 0, 1);
      const account = deps.auth.account();
      return account !== undefined ? { account } : {};
    },

    async getCase(caseNumber) {
      const { response, document } = await call({ method: 'GET' }, caseUrl(caseNumber), caseNumber);
      const parsed = parseStrataCase(document, caseNumber);
      if (!parsed.ok) throw badPayload(response, parsed.detail);
      return parsed.value;
    },

    async listComments(caseNumber, options) {
      // `since` narrows the answer on the portal's side; callers still dedupe by comment id.
      const query =
        options?.since !== undefined
          ? `?${new URLSearchParams({ startDate: options.since.toISOString() }).toString()}`
          : '';
      const { response, document } = await call(
        { method: 'GET' },
        caseUrl(caseNumber, `/comments${query}`),
        caseNumber,
      );
      const parsed = parseStrataComments(
        document,
        caseNumber,
        skippedItemLogger(deps.logger, 'comment', caseNumber),
      );
      if (!parsed.ok) throw badPayload(response, parsed.detail);
      return parsed.value;
    },

    async changedCases(since) {
      const startDate = since.toISOString();
      return collectPages(
        (start, count) => filterPage({ startDate }, start, count),
        (detail) => badPayload({ endpoint: endpointOf('POST', filterUrl) }, detail),
      );
    },
  };
}
