// An authenticated API call: adds the Authorization header, and after a 401 gets a fresh
// access token and retries exactly once (an access token may expire or be revoked before the
// time it announced). A second 401 is the caller's to classify as 'auth'.
import type { Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import type { Authenticator } from './auth.js';
import type { OnSkippedItem } from './convert.js';
import type { PortalResponse } from './errors.js';
import type { PortalHttp, PortalHttpRequest } from './http.js';

export interface Session {
  send(request: PortalHttpRequest): Promise<PortalResponse>;
}

export function createSession(http: PortalHttp, auth: Authenticator): Session {
  const attempt = async (
    request: PortalHttpRequest,
  ): Promise<{ header: string; response: PortalResponse }> => {
    const header = await auth.authorization();
    const response = await http.send({
      ...request,
      headers: { ...request.headers, Authorization: header },
    });
    return { header, response };
  };
  return {
    async send(request) {
      const first = await attempt(request);
      if (first.response.status !== 401 || !auth.rejected(first.header)) return first.response;
      return (await attempt(request)).response;
    },
  };
}

/** What each flavour's adapter needs: the authenticated session and a few facts. */
export interface AdapterDeps {
  session: Session;
  auth: Authenticator;
  /** No trailing slash. */
  baseUrl: string;
  clock: Clock;
  logger: Logger;
}

/** Log line for a list item that was skipped: where it was, never what it said. */
export function skippedItemLogger(
  logger: Logger,
  what: 'comment' | 'case' | 'attachment',
  caseNumber?: string,
): OnSkippedItem {
  return ({ index, id, detail }) => {
    logger.warn(
      {
        ...(caseNumber !== undefined ? { caseNumber } : {}),
        index,
        ...(id !== undefined ? { id } : {}),
        problem: detail,
      },
      `skipped ${what === 'attachment' ? 'an' : 'a'} ${what} the bot cannot read`,
    );
  };
}
