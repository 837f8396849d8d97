// The fake portal's HTTP server: a real node:http server on 127.0.0.1 that routes each request
// to its API, logs it (for count()), applies retired APIs and injected faults, and writes the
// answer the API handlers computed. It knows paths and faults, not payloads.
import http from 'node:http';
import { GRAPHQL_PATH } from './fake-portal-graphql.js';
import {
  headerValue,
  json,
  type Answer,
  type ApiRequest,
  type AuthResult,
} from './fake-portal-model.js';
import { breakBody, createFaultQueue, faultStatusAnswer } from './fake-portal-faults.js';
import { TOKEN_PATH } from './fake-portal-sso.js';
import type {
  FakeApi,
  FakeFault,
  FakeFlavour,
  FakeRequestFilter,
  FakeRequestRecord,
} from './fake-portal-types.js';
import {
  HYDRA_PATH,
  STRATA_PATH,
  routeV1,
  type V1Endpoint,
  type V1Flavour,
} from './fake-portal-v1.js';
import { V3_PATH, routeV3, type V3Endpoint } from './fake-portal-v3.js';

/** Largest request body the fake reads (filters, queries and token forms are tiny). */
const MAX_REQUEST_BYTES = 64 * 1024;

/** A request for one of the case APIs, once routed (the token endpoint and 404s aside). */
export type ApiRoute =
  | { endpoint: 'graphql'; flavour: 'graphql'; caseNumber?: undefined }
  | { endpoint: V1Endpoint; flavour: V1Flavour; caseNumber?: string }
  | { endpoint: V3Endpoint; flavour: 'v3'; caseNumber?: string };

type Route =
  | ApiRoute
  | { endpoint: 'token'; flavour: 'sso'; caseNumber?: undefined }
  | { endpoint: 'unknown'; flavour: FakeFlavour; caseNumber?: undefined };

export interface PortalHandlers {
  /** The token endpoint's answer to a POSTed form, and who it was issued to. */
  token(body: string): { answer: Answer; username?: string };
  authenticate(authorization: string | undefined): AuthResult;
  /** The real answer of a case API, credential already checked (`origin` for links). */
  answer(route: ApiRoute, req: ApiRequest, origin: string): Answer;
}

export interface PortalServer {
  readonly origin: string;
  readonly requests: readonly FakeRequestRecord[];
  count(filter?: FakeRequestFilter): number;
  resetCounters(): void;
  fail(fault: FakeFault): void;
  clearFaults(): void;
  retire(api: FakeApi, status?: 404 | 410): void;
  unretire(api: FakeApi): void;
  close(): Promise<void>;
}

function route(path: string): Route | undefined {
  if (path === TOKEN_PATH) return { endpoint: 'token', flavour: 'sso' };
  if (path === GRAPHQL_PATH) return { endpoint: 'graphql', flavour: 'graphql' };
  if (path.startsWith(`${GRAPHQL_PATH}/`)) return { endpoint: 'unknown', flavour: 'graphql' };
  const v3 = routeV3(path);
  if (v3) {
    const { endpoint, caseNumber } = v3;
    if (endpoint === 'unknown') return { endpoint, flavour: 'v3' };
    return { endpoint, flavour: 'v3', ...(caseNumber !== undefined ? { caseNumber } : {}) };
  }
  return routeV1(path);
}

/** The API a path belongs to, for retire(): any path under its prefix. */
function apiOf(path: string): FakeApi | undefined {
  const under = (prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);
  if (under(HYDRA_PATH)) return 'v1';
  if (under(STRATA_PATH)) return 'strata';
  if (under(V3_PATH)) return 'v3';
  if (under(GRAPHQL_PATH)) return 'graphql';
  return undefined;
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size <= MAX_REQUEST_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined),
    );
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, record: FakeRequestRecord, answer: Answer): void {
  record.status = answer.status;
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(answer.status, {
    ...(answer.contentType !== undefined ? { 'Content-Type': answer.contentType } : {}),
    ...answer.headers,
  });
  res.end(answer.body);
}

export async function startPortalServer(handlers: PortalHandlers): Promise<PortalServer> {
  const faults = createFaultQueue();
  const requests: FakeRequestRecord[] = [];
  const pendingDelays = new Set<() => void>();
  const retired = new Map<FakeApi, 404 | 410>();
  let origin = '';

  const delay = (ms: number, res: http.ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pendingDelays.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pendingDelays.add(done);
      // The client gave up: stop waiting.
      res.once('close', done);
    });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const routed = route(url.pathname);
    const record: FakeRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      endpoint: routed?.endpoint ?? 'unknown',
      flavour: routed?.flavour ?? 'unknown',
      ...(routed?.caseNumber !== undefined ? { caseNumber: routed.caseNumber } : {}),
      user: undefined,
      status: 0,
      userAgent: req.headers['user-agent'],
    };
    const apolloClientName = headerValue(req.headers['apollographql-client-name']);
    const apolloClientVersion = headerValue(req.headers['apollographql-client-version']);
    if (apolloClientName !== undefined) record.apolloClientName = apolloClientName;
    if (apolloClientVersion !== undefined) record.apolloClientVersion = apolloClientVersion;
    requests.push(record);
    const body = await readBody(req);
    const api = apiOf(url.pathname);
    const retiredStatus = api !== undefined ? retired.get(api) : undefined;
    if (retiredStatus !== undefined) {
      return send(
        res,
        record,
        json(retiredStatus, { status: retiredStatus, message: 'Not Found' }),
      );
    }
    if (!routed || routed.endpoint === 'unknown')
      return send(res, record, json(404, { status: 404, message: 'Not found' }));
    if (body === undefined)
      return send(res, record, json(413, { status: 413, message: 'Too large' }));

    const fault = faults.take(routed.endpoint, routed.flavour, routed.caseNumber);
    if (fault?.delayMs !== undefined) {
      await delay(fault.delayMs, res);
      if (res.destroyed) {
        record.status = -1; // the client hung up first
        return;
      }
    }
    const faultHeaders: Record<string, string> = {
      ...(fault?.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}),
      ...(fault?.strataMessage !== undefined ? { 'Strata-Message': fault.strataMessage } : {}),
    };
    if (fault?.body === 'html' || fault?.body === 'access-denied') {
      const page = breakBody({ status: 0, body: '' }, fault.body, routed.flavour);
      return send(res, record, {
        ...page,
        status: fault.status ?? page.status,
        headers: faultHeaders,
      });
    }
    if (fault?.status !== undefined) {
      const answer = faultStatusAnswer(routed.flavour, fault.status, fault.strataMessage);
      return send(res, record, { ...answer, headers: { ...answer.headers, ...faultHeaders } });
    }

    let answer: Answer;
    if (routed.flavour === 'sso') {
      if (req.method === 'POST') {
        const issued = handlers.token(body);
        if (issued.username !== undefined) record.user = issued.username;
        answer = issued.answer;
      } else {
        answer = json(405, { error: 'invalid_request' });
      }
    } else {
      const auth = handlers.authenticate(req.headers.authorization);
      if ('user' in auth) record.user = auth.user.username;
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        query: url.searchParams,
        body,
        headers: req.headers,
        auth,
      };
      answer = handlers.answer(routed, request, origin);
    }
    if (fault?.body !== undefined) answer = breakBody(answer, fault.body, routed.flavour);
    send(res, record, { ...answer, headers: { ...answer.headers, ...faultHeaders } });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake must be loud in the test output, and the client must get an answer.
      console.error('fake portal failed to answer', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake portal: no TCP port');
  origin = `http://127.0.0.1:${address.port}`;

  return {
    origin,
    requests,

    count(filter = {}) {
      return requests.filter(
        (r) =>
          (filter.endpoint === undefined || r.endpoint === filter.endpoint) &&
          (filter.flavour === undefined || r.flavour === filter.flavour) &&
          (filter.user === undefined || r.user === filter.user) &&
          (filter.status === undefined || r.status === filter.status) &&
          (filter.caseNumber === undefined || r.caseNumber === filter.caseNumber),
      ).length;
    },
    resetCounters() {
      requests.length = 0;
    },
    fail(fault) {
      faults.add(fault);
    },
    clearFaults() {
      faults.clear();
    },
    retire(api, status = 404) {
      retired.set(api, status);
    },
    unretire(api) {
      retired.delete(api);
    },
    async close() {
      for (const done of [...pendingDelays]) done();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
    },
  };
}
