// PortalClient over Hydra, Red Hat's current JSON case API (default base URL
// https://api.access.redhat.com/support/v1). Works with a Bearer access token (offline token)
// or HTTP Basic; the session adds whichever the credential gives.
import { createCaseApiClient } from './case-api.js';
import { decodeJson } from './convert.js';
import {
  parseHydraCase,
  parseHydraComments,
  parseHydraEmbeddedComments,
  parseHydraFilterPage,
} from './hydra-schema.js';
import type { AdapterDeps } from './session.js';
import type { PortalClient } from './types.js';

export function createHydraClient(deps: AdapterDeps): PortalClient {
  return createCaseApiClient(deps, {
    path: 'hydra',
    mediaType: 'application/json',
    decode: decodeJson,
    filterBody: ({ startDate, offset, size }) =>
      JSON.stringify({
        ...(startDate !== undefined ? { startDate } : {}),
        maxResults: size,
        offset,
        includeClosed: true,
        sortField: 'lastModifiedDate',
        sortOrder: 'ASC',
      }),
    parseCase: parseHydraCase,
    parseComments: parseHydraComments,
    parseEmbeddedComments: parseHydraEmbeddedComments,
    parseFilterPage: parseHydraFilterPage,
  });
}
