// PortalClient over Strata, Red Hat's legacy XML case API (default base URL
// https://api.access.redhat.com/rs), the API the original bot used. Being retired by Red Hat;
// kept for accounts where only Basic login works. Accepts Basic or a Bearer access token.
import { createCaseApiClient } from './case-api.js';
import type { AdapterDeps } from './session.js';
import {
  createStrataXmlParser,
  parseStrataCase,
  parseStrataComments,
  parseStrataEmbeddedComments,
  parseStrataFilterPage,
  parseStrataXml,
  strataFilterBody,
} from './strata-schema.js';
import type { PortalClient } from './types.js';

export function createStrataClient(deps: AdapterDeps): PortalClient {
  const parser = createStrataXmlParser();
  return createCaseApiClient(deps, {
    path: 'strata',
    mediaType: 'application/xml',
    decode: (body) => parseStrataXml(parser, body),
    filterBody: ({ startDate, offset, size }) =>
      strataFilterBody({ startDate, count: size, start: offset }),
    parseCase: parseStrataCase,
    parseComments: parseStrataComments,
    parseEmbeddedComments: parseStrataEmbeddedComments,
    parseFilterPage: parseStrataFilterPage,
  });
}
