// The portal half of `check`: one probe per thing that can go wrong on its own (the proxy, the
// SSO token exchange, GraphQL and which of its fields this account may read, REST v3), each
// reported with the HTTP status and the portal's own words. The probes use the daemon's own
// pieces (http, auth, session, GraphQL transport and schema, REST v3 client), so what passes
// here is what the daemon sends; only the order and the reporting are check's.
import type { Config, Env } from '../config.js';
import { systemClock } from '../domain.js';
import { proxyForUrl } from '../lib/proxy.js';
import type { Logger } from '../logger.js';
import { createAuthenticator, type Authenticator } from '../portal/auth.js';
import { postGraphql, type GraphqlEndpoint } from '../portal/graphql.js';
import {
  COMMENT_RELATION,
  OPTIONAL_FIELDS,
  casesQuery,
  isOptionalField,
  parseCasesPage,
  type OptionalField,
  type QueryShape,
} from '../portal/graphql-schema.js';
import { createPortalHttp } from '../portal/http.js';
import { GRAPHQL_CLIENT_NAME } from '../portal/index.js';
import { createRestV3Client } from '../portal/rest-v3.js';
import { createSession } from '../portal/session.js';
import { PortalError, type PortalClient, type PortalCredential } from '../portal/types.js';
import type { AnswerLog } from './answers.js';
import { failureText, httpPart, statusOf, type Report } from './report.js';

/** The daemon's pieces, wired for one credential, every answer passing through `answers`. */
export interface ProbeKit {
  config: Config;
  credential: PortalCredential;
  /** "host:port", or "host:port through the proxy proxy:3128", for a URL. */
  route: (url: string) => string;
  auth: Authenticator;
  rest: PortalClient;
  graphql: GraphqlEndpoint;
  answers: AnswerLog;
  report: Report;
}

export function createProbeKit(options: {
  config: Config;
  credential: PortalCredential;
  env: Env;
  version: string;
  logger: Logger;
  answers: AnswerLog;
  report: Report;
}): ProbeKit {
  const { config, logger } = options;
  const http = createPortalHttp({
    timeoutSeconds: config.portal.timeoutSeconds,
    maxResponseBytes: config.portal.maxResponseBytes,
    userAgent: `tickets-pushbot/${options.version} (check)`,
    env: options.env,
    logger,
    onAnswer: options.answers.onAnswer,
  });
  const clock = systemClock;
  const auth = createAuthenticator(options.credential, {
    http,
    tokenUrl: config.portal.tokenUrl,
    clock,
    logger,
  });
  const session = createSession(http, auth);
  return {
    config,
    credential: options.credential,
    route: (url) => routeOf(url, options.env),
    auth,
    rest: createRestV3Client({ session, auth, baseUrl: config.portal.baseUrl, clock, logger }),
    graphql: {
      url: config.portal.graphqlUrl,
      session,
      clock,
      clientName: GRAPHQL_CLIENT_NAME,
      clientVersion: options.version,
    },
    answers: options.answers,
    report: options.report,
  };
}

/** "proxy.example.com:3128": never the scheme's credentials. */
function proxyHost(proxy: string): string {
  if (!URL.canParse(proxy)) return 'a proxy URL that cannot be read';
  const url = new URL(proxy);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  const login = url.username !== '' ? ' (with a login)' : '';
  return `${url.hostname}:${port}${login}`;
}

function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}

function routeOf(url: string, env: Env): string {
  const proxy = proxyForUrl(url, env);
  return proxy === undefined ? hostOf(url) : `${hostOf(url)} through the proxy ${proxyHost(proxy)}`;
}

/** Which proxy each portal URL goes through, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
export function reportProxies(
  report: Report,
  env: Env,
  targets: readonly { label: string; url: string }[],
): void {
  const groups = new Map<string, string[]>();
  for (const t of targets) {
    const proxy = proxyForUrl(t.url, env);
    const key = proxy === undefined ? 'direct' : `through ${proxyHost(proxy)}`;
    groups.set(key, [...(groups.get(key) ?? []), `${t.label} (${hostOf(t.url)})`]);
  }
  const direct = groups.get('direct');
  if (direct !== undefined && groups.size === 1) {
    report.line('INFO', 'proxy', `none; direct connections to ${direct.join(', ')}`);
    return;
  }
  const parts = [...groups].map(([how, labels]) => `${how}: ${labels.join(', ')}`);
  report.line('INFO', 'proxy', parts.join('; '));
}

function expiresIn(body: string | undefined): number | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    const seconds =
      typeof value === 'object' && value !== null && 'expires_in' in value
        ? value.expires_in
        : undefined;
    return typeof seconds === 'number' ? seconds : undefined;
  } catch (err) {
    void err; // no lifetime to show
    return undefined;
  }
}

/** The offline token → access token exchange; SKIP for a username + password. */
export async function probeSso(kit: ProbeKit): Promise<boolean> {
  const { report, answers } = kit;
  const subject = 'SSO token exchange';
  if (kit.credential.kind === 'basic') {
    report.line(
      'SKIP',
      subject,
      'a username + password logs in with HTTP Basic: no token to exchange',
    );
    return true;
  }
  const mark = answers.mark();
  try {
    await kit.auth.authorization();
    const entry = answers.lastSince(mark);
    const account = kit.auth.account();
    const lifetime = expiresIn(entry?.answer.body);
    report.line(
      'PASS',
      `${subject}${httpPart(entry?.answer.status)}`,
      `access token issued${account !== undefined ? ` for ${account}` : ''}${lifetime !== undefined ? `, valid ${lifetime} s` : ''}`,
    );
    return true;
  } catch (err) {
    const entry = answers.lastSince(mark);
    report.line(
      'FAIL',
      `${subject}${httpPart(statusOf(err, entry))}`,
      failureText(err, entry, kit.route(kit.config.portal.tokenUrl)),
    );
    return false;
  }
}

export interface GraphqlProbe {
  /** GraphQL reads cases for this account. */
  works: boolean;
  /** …with their comments (the comment relation was accepted). */
  comments: boolean;
  /** Optional fields the portal refused; later queries leave them out. */
  dropped: Set<OptionalField>;
}

/** A "does not work here" answer, as opposed to "not now" (the daemon steps down on these). */
const stepsDown = (err: unknown): boolean =>
  err instanceof PortalError && (err.kind === 'unsupported' || err.kind === 'gone');

/**
 * Asks for one case with the daemon's full query (fields and the comment relation); every
 * refused optional field is dropped and the question asked again, as the daemon does, and a
 * refused comment relation leaves the query without comments (the daemon's graphql+rest path).
 */
export async function probeGraphql(kit: ProbeKit): Promise<GraphqlProbe> {
  const { report, answers } = kit;
  const result: GraphqlProbe = { works: false, comments: true, dropped: new Set() };
  const attempts = OPTIONAL_FIELDS.length + 2;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const shape: QueryShape = { comments: result.comments, dropped: result.dropped };
    const mark = answers.mark();
    try {
      const { data, response } = await postGraphql(kit.graphql, casesQuery(shape), {
        first: 1,
        ...(result.comments ? { comments: 1 } : {}),
      });
      const page = parseCasesPage(data, result.comments, () => () => undefined);
      if (!page.ok) {
        report.line(
          'WARN',
          `GraphQL${httpPart(response.status)}`,
          `the answer has a shape the bot does not know (${page.detail}); the daemon would read cases through REST v3.`,
        );
        return result;
      }
      result.works = true;
      const sample = page.value.cases[0]?.kase.number;
      const seen =
        sample !== undefined ? `first case seen: ${sample}` : 'no case visible to this account';
      const refused =
        result.dropped.size > 0
          ? `; refused optional fields: ${[...result.dropped].join(', ')} (the daemon asks without them)`
          : '; every field the daemon asks for is readable';
      if (result.comments) {
        report.line(
          'PASS',
          `GraphQL${httpPart(response.status)}`,
          `reads cases and their comments (${COMMENT_RELATION})${refused}; ${seen}`,
        );
      } else {
        report.line(
          'WARN',
          `GraphQL${httpPart(response.status)}`,
          `reads cases, but Red Hat refused the comment relation ${COMMENT_RELATION}: comments would come from REST v3${refused}; ${seen}`,
        );
      }
      return result;
    } catch (err) {
      const entry = answers.lastSince(mark);
      const field =
        err instanceof PortalError && err.kind === 'unsupported' ? err.field : undefined;
      if (isOptionalField(field) && !result.dropped.has(field)) {
        result.dropped.add(field);
        continue;
      }
      if (field === COMMENT_RELATION && result.comments) {
        result.comments = false;
        continue;
      }
      result.comments = false;
      const next = stepsDown(err) ? ' The daemon would not use GraphQL for this account.' : '';
      report.line(
        stepsDown(err) ? 'WARN' : 'FAIL',
        `GraphQL${httpPart(statusOf(err, entry))}`,
        `${failureText(err, entry, kit.route(kit.graphql.url))}${next}`,
      );
      return result;
    }
  }
  report.line('FAIL', 'GraphQL', 'the portal kept refusing fields; giving up.');
  return result;
}

function totalCount(body: string | undefined): number | undefined {
  try {
    const value: unknown = JSON.parse(body ?? '');
    const count =
      typeof value === 'object' && value !== null && 'totalCount' in value
        ? value.totalCount
        : undefined;
    return typeof count === 'number' ? count : undefined;
  } catch (err) {
    void err; // no count to show
    return undefined;
  }
}

/** REST v3 `POST /cases/filter` with maxResults 1: the cheapest authenticated call. */
export async function probeRest(kit: ProbeKit): Promise<boolean> {
  const { report, answers } = kit;
  const mark = answers.mark();
  try {
    await kit.rest.verify();
    const entry = answers.lastSince(mark);
    const count = totalCount(entry?.answer.body);
    report.line(
      'PASS',
      `REST v3${httpPart(entry?.answer.status)}`,
      `${entry?.request.endpoint ?? 'POST /cases/filter'} answered${count !== undefined ? `; the account sees ${count} case${count === 1 ? '' : 's'} (totalCount)` : ''}`,
    );
    return true;
  } catch (err) {
    const entry = answers.lastSince(mark);
    report.line(
      stepsDown(err) ? 'WARN' : 'FAIL',
      `REST v3${httpPart(statusOf(err, entry))}`,
      failureText(err, entry, kit.route(kit.config.portal.baseUrl)),
    );
    return false;
  }
}
