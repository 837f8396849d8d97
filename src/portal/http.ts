// The one HTTP client of portal/: an axios instance with explicit limits, the operator's
// proxy settings, and one debug line per request. It returns every status as data (the
// callers decide what a 401 means) and turns network failures into PortalError.
import { performance } from 'node:perf_hooks';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { Env } from '../config.js';
import { createProxyAgents } from '../lib/proxy.js';
import type { Logger } from '../logger.js';
import { errorFromNetwork, type PortalResponse } from './errors.js';
import { PortalError } from './types.js';
import type { PortalErrorKind } from './types.js';

const MS_PER_SECOND = 1000;

export interface PortalHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Includes Authorization when the call is authenticated; never logged. */
  headers: Record<string, string>;
  body?: string;
}

export interface PortalHttp {
  /** Resolves with any HTTP status; rejects only with PortalError (no answer, or too large). */
  send(request: PortalHttpRequest): Promise<PortalResponse>;
}

export interface PortalHttpOptions {
  timeoutSeconds: number;
  maxResponseBytes: number;
  userAgent: string;
  /** Where HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY are read (main passes process.env). */
  env: Env;
  logger: Logger;
  /** Called once per HTTP request, with the error kind its outcome points to (for /status). */
  onRequest?: (errorKind: PortalErrorKind | undefined) => void;
  /**
   * Called with every answer as received (`check --record` keeps them, scrubbed). The request
   * is described by method, endpoint and body only: never its headers.
   */
  onAnswer?: (
    request: { method: string; endpoint: string; body?: string },
    answer: PortalResponse,
  ) => void;
}

/** The error kind an HTTP status points to before the adapters look at the body. */
function kindOfStatus(status: number): PortalErrorKind | undefined {
  if (status === 401) return 'auth';
  if (status === 410) return 'gone';
  if (status === 403 || status === 404) return 'not-visible';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'transient';
  return undefined;
}

/** "GET /support/v1/cases/00012345": what logs and errors may say about a request. */
export function endpointOf(method: string, url: string): string {
  const path = URL.canParse(url) ? new URL(url).pathname : '(invalid URL)';
  return `${method} ${path}`;
}

function plainHeaders(response: AxiosResponse): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') out[name.toLowerCase()] = value;
    else if (typeof value === 'number') out[name.toLowerCase()] = String(value);
    else if (Array.isArray(value)) out[name.toLowerCase()] = value.map(String).join(', ');
  }
  return out;
}

export function createPortalHttp(options: PortalHttpOptions): PortalHttp {
  const timeoutMs = options.timeoutSeconds * MS_PER_SECOND;
  const instance: AxiosInstance = axios.create({
    // Socket inactivity limit; the AbortController below adds a deadline for the whole call,
    // so a server that trickles bytes cannot hold a poll forever.
    timeout: timeoutMs,
    maxContentLength: options.maxResponseBytes,
    maxBodyLength: options.maxResponseBytes,
    // Every status is an answer to classify, not an exception carrying our headers.
    validateStatus: () => true,
    // Bodies are parsed by the adapters against their schemas, never guessed by axios.
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    // axios would read the proxy variables from process.env itself; proxies are chosen below
    // from the injected env instead.
    proxy: false,
    // A redirect would carry the Authorization header to wherever it points, and the proxy
    // choice was made for the first URL only. The portal API does not redirect API calls.
    maxRedirects: 0,
    headers: { 'User-Agent': options.userAgent },
  });

  // Requests whose CONNECT the proxy refused. https-proxy-agent then replays the proxy's answer
  // (a 403 of a corporate proxy's policy, a 407) as if the portal had sent it, where a 403
  // would read as "you cannot see this case" and stop its polling. The agent tells us which
  // request it was ('proxyConnect' with the ClientRequest), and axios hands that request back.
  const refusedByProxy = new WeakMap<object, number>();
  const agentFor = createProxyAgents(options.env, (agent) => {
    agent.on('proxyConnect', (connect: { statusCode?: number }, req: object) => {
      if (connect.statusCode !== 200) refusedByProxy.set(req, connect.statusCode ?? 0);
    });
  });

  return {
    async send(request) {
      const endpoint = endpointOf(request.method, request.url);
      const agent = agentFor(request.url);
      const deadline = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        deadline.abort();
      }, timeoutMs);
      const started = performance.now();
      const logFields = { method: request.method, endpoint, proxied: agent !== undefined };
      try {
        const response = await instance.request<unknown>({
          method: request.method,
          url: request.url,
          headers: request.headers,
          data: request.body,
          signal: deadline.signal,
          ...(agent !== undefined ? { httpAgent: agent, httpsAgent: agent } : {}),
        });
        const durationMs = Math.round(performance.now() - started);
        const sent: unknown = response.request;
        const refused =
          typeof sent === 'object' && sent !== null ? refusedByProxy.get(sent) : undefined;
        if (refused !== undefined) {
          throw new PortalError(
            'transient',
            refused === 407
              ? 'The HTTP proxy asked for credentials (407): put them in the proxy URL, e.g. http://user:password@proxy:3128.'
              : `The HTTP proxy refused to connect to Red Hat's portal (HTTP ${refused}); check the proxy's rules and NO_PROXY.`,
            { status: refused, endpoint },
          );
        }
        options.onRequest?.(kindOfStatus(response.status));
        const answer: PortalResponse = {
          status: response.status,
          headers: plainHeaders(response),
          body: typeof response.data === 'string' ? response.data : '',
          endpoint,
        };
        try {
          options.onAnswer?.(
            {
              method: request.method,
              endpoint,
              ...(request.body !== undefined ? { body: request.body } : {}),
            },
            answer,
          );
        } catch (hookErr) {
          // A recorder that fails must not turn a good answer into a network failure.
          options.logger.warn({ err: hookErr }, 'could not record a portal answer');
        }
        options.logger.debug(
          { ...logFields, status: response.status, durationMs },
          'portal request',
        );
        return answer;
      } catch (err) {
        const error =
          err instanceof PortalError
            ? err
            : errorFromNetwork(err, {
                endpoint,
                timeoutSeconds: options.timeoutSeconds,
                maxResponseBytes: options.maxResponseBytes,
                timedOut,
              });
        const durationMs = Math.round(performance.now() - started);
        options.onRequest?.(error.kind);
        options.logger.debug(
          { ...logFields, failure: error.message, durationMs },
          'portal request failed',
        );
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
