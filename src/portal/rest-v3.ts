// REST v3 (https://api.access.redhat.com/support/v3), Red Hat's case API since v1 was switched
// off on 2026-09-21. Same endpoints and field names as Hydra v1 (see hydra-schema.ts), with
// three differences the reference records: dates "…00.000+0000", comments typed by
// createdByType ("Internal" ones are never delivered) instead of isPublic, and ids that may
// differ from v1's and GraphQL's (id space 'v3-rest'). A case also carries its description,
// opener and creation date, and the case's attachments are listed (rest-v3-schema.ts). Used
// alone (path "rest") or beside GraphQL (comment lists on path "graphql+rest", attachments and
// single cases on every path); v3.ts decides.
import { createCaseApiClient } from './case-api.js';
import { decodeJson } from './convert.js';
import {
  parseHydraCase,
  parseHydraComments,
  parseHydraEmbeddedComments,
  parseHydraFilterPage,
} from './hydra-schema.js';
import { parseV3Attachments } from './rest-v3-schema.js';
import type { AdapterDeps } from './session.js';
import type { PortalClient } from './types.js';

export function createRestV3Client(deps: AdapterDeps): PortalClient {
  return createCaseApiClient(deps, {
    path: 'rest',
    // Oldest first on the portal's side too: one less thing to trust (we sort anyway).
    commentsQuery: { sortField: 'createdDate', sortOrder: 'asc' },
    mediaType: 'application/json',
    decode: decodeJson,
    // The v3 filter returns a reliable totalCount but few or no cases (reference §6.1): it
    // serves as the cheapest authenticated call, never to find what changed.
    filterBody: ({ startDate, offset, size }) =>
      JSON.stringify({
        ...(startDate !== undefined ? { startDate } : {}),
        maxResults: size,
        offset,
      }),
    parseCase: (document, caseNumber) => parseHydraCase(document, caseNumber, { details: true }),
    parseComments: (document, caseNumber, onSkipped) =>
      parseHydraComments(document, caseNumber, onSkipped, 'v3-rest'),
    parseEmbeddedComments: (document, caseNumber, onSkipped) =>
      parseHydraEmbeddedComments(document, caseNumber, onSkipped, 'v3-rest'),
    parseFilterPage: parseHydraFilterPage,
    parseAttachments: parseV3Attachments,
  });
}
