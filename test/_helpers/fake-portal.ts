// A loopback fake of Red Hat's customer portal, for tests at the network edge: a real
// node:http server on 127.0.0.1 speaking every case API over one in-memory model, plus the
// SSO token endpoint.
//
//   hydra   (JSON)  {hydraBaseUrl}  = http://127.0.0.1:PORT/support/v1   (fake-portal-v1.ts)
//   strata  (XML)   {strataBaseUrl} = http://127.0.0.1:PORT/rs           (fake-portal-v1.ts)
//   REST v3 (JSON)  {v3BaseUrl}     = http://127.0.0.1:PORT/support/v3   (fake-portal-v3.ts)
//   GraphQL         {graphqlUrl}    = http://127.0.0.1:PORT/graphql      (fake-portal-graphql.ts)
//   SSO             {tokenUrl}      = http://127.0.0.1:PORT/auth/realms/redhat-external/protocol/openid-connect/token
//                                                                         (fake-portal-sso.ts)
//
// Behaviour modelled on /work/shared/reference/redhat-portal-api.md (v1, Strata) and
// redhat-portal-api-v3.md (REST v3, GraphQL). Where that reference is unsure, the fake takes
// an option (FakePortalOptions in fake-portal-types.ts): whether comments and attachments bump
// the case's lastModifiedDate, whether attachments say who wrote them, 403 or 404 for a case
// the user cannot see on REST v3, GraphQL's default and largest page size.
//
// The other files: fake-portal-types.ts (what tests pass and get back), fake-portal-ops.ts
// (state and the test-side addCase/addComment/…), fake-portal-server.ts (HTTP, routing, the
// request log), fake-portal-faults.ts (fail({...})), fake-portal-model.ts (shared model types).
//
// Time: the fake has a manual clock (starts at `startTime`, default now) used for default
// dates and token expiry; move it with advanceTime(). Faults: fail({...}) makes the next
// `times` matching requests misbehave (status, Retry-After, delay, broken bodies); retire(api)
// switches one API off for good, as Red Hat did to v1 on 2026-09-21.
import { GRAPHQL_PATH, createFakeGraphql } from './fake-portal-graphql.js';
import { createFakeModel } from './fake-portal-ops.js';
import { startPortalServer, type ApiRoute } from './fake-portal-server.js';
import { createFakeSso, DEFAULT_ACCESS_TOKEN_TTL_SECONDS, TOKEN_PATH } from './fake-portal-sso.js';
import type { FakePortal, FakePortalOptions } from './fake-portal-types.js';
import { HYDRA_PATH, STRATA_PATH, v1Answer } from './fake-portal-v1.js';
import { V3_PATH, v3Answer, type V3Options } from './fake-portal-v3.js';
import type { Answer, ApiRequest } from './fake-portal-model.js';

export { HYDRA_PATH, STRATA_NAMESPACE, STRATA_PATH, escapeXml } from './fake-portal-v1.js';
export { TOKEN_PATH } from './fake-portal-sso.js';
export type {
  FakeApi,
  FakeAttachmentInput,
  FakeBrokenBody,
  FakeCaseInput,
  FakeCommentInput,
  FakeEndpoint,
  FakeFault,
  FakeFlavour,
  FakePortal,
  FakePortalOptions,
  FakeRequestFilter,
  FakeRequestRecord,
  FakeUserInput,
} from './fake-portal-types.js';

export async function startFakePortal(options: FakePortalOptions = {}): Promise<FakePortal> {
  const { state, ops } = createFakeModel({
    startTime: options.startTime,
    commentsBumpCaseModified: options.commentsBumpCaseModified,
    attachmentsBumpCaseModified: options.attachmentsBumpCaseModified,
  });
  const sso = createFakeSso(
    state,
    options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  );
  const graphql = createFakeGraphql({
    defaultFirst: options.graphqlDefaultFirst,
    maxFirst: options.graphqlMaxFirst,
  });
  const v3: V3Options = {
    ids: options.v3RestIds ?? 'same-as-v1',
    invisibleCaseStatus: options.v3InvisibleCaseStatus ?? 404,
    attachmentsCarryAuthorType: options.attachmentsCarryAuthorType ?? false,
  };

  const answer = (route: ApiRoute, req: ApiRequest, origin: string): Answer => {
    switch (route.flavour) {
      case 'graphql':
        return graphql.answer(state, req);
      case 'v3':
        return v3Answer(state, v3, route.endpoint, route.caseNumber, req);
      case 'hydra':
      case 'strata':
        return v1Answer(state, origin, route.flavour, route.endpoint, route.caseNumber, req);
    }
  };
  const server = await startPortalServer({
    token: (body) => sso.token(body),
    authenticate: (authorization) => sso.authenticate(authorization),
    answer,
  });
  const { origin } = server;

  return {
    ...ops,
    origin,
    hydraBaseUrl: `${origin}${HYDRA_PATH}`,
    strataBaseUrl: `${origin}${STRATA_PATH}`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    v3BaseUrl: `${origin}${V3_PATH}`,
    graphqlUrl: `${origin}${GRAPHQL_PATH}`,
    requests: server.requests,
    count: (filter) => server.count(filter),
    resetCounters: () => server.resetCounters(),
    fail: (fault) => server.fail(fault),
    clearFaults: () => server.clearFaults(),
    retire: (api, status) => server.retire(api, status),
    unretire: (api) => server.unretire(api),
    close: () => server.close(),
    revokeOfflineToken: (offlineToken) => sso.revokeOfflineToken(offlineToken),
    expireAccessTokens: () => sso.expireAccessTokens(),
    issuedAccessTokens: () => sso.issuedAccessTokens(),
    setGraphqlSchema: (variant) => graphql.setSchema(variant),
  };
}
