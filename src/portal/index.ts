// Everything Red Hat, behind the PortalClientFactory port (./types.ts). main.ts builds one
// factory; the credential vault asks it for one client per credential.
//
//   http.ts       axios with limits, proxy choice from the injected env, a debug line per call
//   auth.ts       offline token → cached access token, or Basic
//   session.ts    Authorization header + one retry after a 401
//   hydra*.ts     JSON API (default), strata*.ts XML API (legacy); *-schema.ts convert the
//                 wire formats into domain types
//   errors.ts     HTTP outcome → PortalError kinds
import type { Config, Env } from '../config.js';
import { systemClock, type CaseNumber, type Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import { createAuthenticator } from './auth.js';
import { createHydraClient } from './hydra.js';
import { createPortalHttp } from './http.js';
import { createSession } from './session.js';
import { createStrataClient } from './strata.js';
import type { PortalClientFactory, PortalErrorKind } from './types.js';

export interface PortalClientFactoryOptions {
  portal: Config['portal'];
  logger: Logger;
  /** Sent as User-Agent, e.g. "tickets-pushbot/1.2.0". */
  userAgent: string;
  /** Proxy variables are read here (main passes process.env); portal/ never reads process.env. */
  env: Env;
  /** Time source for access-token expiry and Retry-After dates; the system clock by default. */
  clock?: Clock;
  /** Called once per HTTP request with the error kind of its outcome, if any (for /status). */
  onRequest?: (errorKind: PortalErrorKind | undefined) => void;
}

function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(caseNumber|commentId)\}/g, (whole, name: string) => {
    const value = values[name];
    return value !== undefined ? encodeURIComponent(value) : whole;
  });
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
  });

  return {
    create(credential) {
      const auth = createAuthenticator(credential, {
        http,
        tokenUrl: options.portal.tokenUrl,
        clock,
        logger,
      });
      const deps = { session: createSession(http, auth), auth, baseUrl, clock, logger };
      return options.portal.api === 'strata' ? createStrataClient(deps) : createHydraClient(deps);
    },
    caseUrl(caseNumber: CaseNumber) {
      return fillTemplate(options.portal.caseUrlTemplate, { caseNumber });
    },
    commentUrl(caseNumber: CaseNumber, commentId: string) {
      return fillTemplate(options.portal.commentUrlTemplate, { caseNumber, commentId });
    },
  };
}
