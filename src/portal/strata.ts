// PortalClient over Strata, Red Hat's legacy XML case API (default base URL
// https://api.access.redhat.com/rs), the API the original bot used. Being retired by Red Hat;
// kept for accounts where only Basic login works. Accepts Basic or a Bearer access token.
import { createCaseApiClient } from './case-api.js';
import type { Parsed } from './convert.js';
import type { AdapterDeps } from './session.js';
import {
  parseStrataCase,
  parseStrataComments,
  parseStrataEmbeddedComments,
  parseStrataFilterPage,
  strataFilterBody,
} from './strata-schema.js';
import type { PortalClient } from './types.js';

type DecodeXml = (body: string) => Parsed<unknown>;

/**
 * The XML parser, imported on first use: fast-xml-parser stays out of the heap of a daemon that
 * reads through v3 or Hydra (only this API needs it). Node caches the module, so every Strata
 * client shares one copy of its code; each client still gets its own parser.
 */
async function loadXmlDecoder(): Promise<DecodeXml> {
  const { createStrataXmlParser, parseStrataXml } = await import('./strata-xml.js');
  const parser = createStrataXmlParser();
  return (body) => parseStrataXml(parser, body);
}

export function createStrataClient(deps: AdapterDeps): PortalClient {
  let decodeXml: Promise<DecodeXml> | undefined;
  return createCaseApiClient(deps, {
    path: 'strata',
    mediaType: 'application/xml',
    decode: async (body) => (await (decodeXml ??= loadXmlDecoder()))(body),
    filterBody: ({ startDate, offset, size }) =>
      strataFilterBody({ startDate, count: size, start: offset }),
    parseCase: parseStrataCase,
    parseComments: parseStrataComments,
    parseEmbeddedComments: parseStrataEmbeddedComments,
    parseFilterPage: parseStrataFilterPage,
  });
}
