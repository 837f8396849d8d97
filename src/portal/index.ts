// Everything Red Hat, behind the PortalClientFactory port (./types.ts). main.ts builds one
// factory; the credential vault asks it for one client per credential.
//
//   http.ts       axios with limits, proxy choice from the injected env, a debug line per call
//   auth.ts       offline token → cached access token, or Basic
//   session.ts    Authorization header + one retry after a 401
//   v3.ts         Red Hat's current APIs (default): path probing over graphql*.ts (GraphQL) and
//                 rest-v3*.ts (REST v3: cases, comments, attachments); v3-search.ts searches
//                 cases through GraphQL (follow rules)
//   hydra*.ts     JSON API v1 (switched off 2026-09-21), strata*.ts XML API (legacy);
//                 *-schema.ts convert the wire formats into domain types
//   comment-text.ts  HTML bodies → text
//   errors.ts     HTTP outcome → PortalError kinds
import type { Config, Env } from '../config.js';
import { systemClock, type Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import { createAuthenticator } from './auth.js';
import { createHydraClient } from './hydra.js';
import { createPortalHttp, type PortalHttpOptions } from './http.js';
import { createRestV3Client } from './rest-v3.js';
import { createSession } from './session.js';
import { createStrataClient } from './strata.js';
import type { PortalClientFactory, PortalErrorKind } from './types.js';
import { createV3Client } from './v3.js';

/** apollographql-client-name: how Red Hat's GraphQL gateway knows this client. */
export const GRAPHQL_CLIENT_NAME = 'tickets-pushbot';

export interface PortalClientFactoryOptions {
  portal: Config['portal'];
  logger: Logger;
  /** Sent as User-Agent, e.g. "tickets-pushbot/1.2.0". */
  userAgent: string;
  /** The package version, sent as apollographql-client-version. */
  version: string;
  /** Proxy variables are read here (main passes process.env); portal/ never reads process.env. */
  env: Env;
  /** Time source for access-token expiry and Retry-After dates; the system clock by default. */
  clock?: Clock;
  /** Called once per HTTP request with the error kind of its outcome, if any (for /status). */
  onRequest?: (errorKind: PortalErrorKind | undefined) => void;
  /** Every raw answer (check --record); see PortalHttpOptions.onAnswer. */
  onAnswer?: PortalHttpOptions['onAnswer'];
}

export function createPortalClientFactory(
  options: PortalClientFactoryOptions,
): PortalClientFactory {
  const logger = options.logger.child({ component: 'portal' });
  const clock = options.clock ?? systemClock;
  const baseUrl = options.portal.baseUrl.replace(/\/+$/, '');
  const http = createPortalHttp({
    timeoutSeconds: options.portal.timeoutSeconds,
    maxResponseBytes: options.portal.maxResponseBytes,
    userAgent: options.userAgent,
    env: options.env,
    logger,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.onAnswer ? { onAnswer: options.onAnswer } : {}),
  });

  return {
    create(credential, context = {}) {
      const log = context.credentialId !== undefined ? logger.child(context) : logger;
      const auth = createAuthenticator(credential, {
        http,
        tokenUrl: options.portal.tokenUrl,
        clock,
        logger: log,
      });
      const session = createSession(http, auth);
      const deps = { session, auth, baseUrl, clock, logger: log };
      switch (options.portal.api) {
        case 'strata':
          return createStrataClient(deps);
        case 'hydra':
          return createHydraClient(deps);
        case 'v3':
          return createV3Client({
            graphql: {
              url: options.portal.graphqlUrl,
              session,
              clock,
              clientName: GRAPHQL_CLIENT_NAME,
              clientVersion: options.version,
            },
            rest: createRestV3Client(deps),
            account: () => auth.account(),
            clock,
            logger: log,
          });
      }
    },
  };
}
