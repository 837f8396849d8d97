// Credentials → the Authorization header of each API call.
//
// Offline token: exchanged at the SSO token endpoint for a short-lived access token
// (OAuth2 refresh_token grant, public client "rhsm-api"). The access token is cached until
// ACCESS_TOKEN_REFRESH_MARGIN_MS before it expires; concurrent callers share one in-flight
// exchange; after a 401 from the API the token is dropped so the caller's single retry gets a
// fresh one. Username + password: HTTP Basic, nothing to refresh.
import { z } from 'zod';
import type { Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import { parseJson } from './convert.js';
import { badPayload, errorFromResponse, type PortalResponse } from './errors.js';
import type { PortalHttp } from './http.js';
import { PortalError, type PortalCredential } from './types.js';

/** Refresh this long before the access token's announced expiry (clock skew, slow calls). */
export const ACCESS_TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Assumed lifetime when the SSO answer has no expires_in (sources say 5 to 15 minutes). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 300;
/** The public OAuth client Red Hat documents for offline tokens of the customer portal APIs. */
export const SSO_CLIENT_ID = 'rhsm-api';
const MS_PER_SECOND = 1000;

export const OFFLINE_TOKEN_HELP_URL = 'https://access.redhat.com/management/api';

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
});

const tokenErrorSchema = z.object({ error: z.string() });

const jwtClaimsSchema = z.object({
  preferred_username: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
});

export interface Authenticator {
  /** The Authorization header for the next API call; exchanges the offline token when due. */
  authorization(): Promise<string>;
  /**
   * The API answered 401 to `header`. Forgets that access token and says whether one retry
   * with a fresh header can help (never for Basic: the password will not change).
   */
  rejected(header: string): boolean;
  /** Login name for display: the access token's username claim, or the Basic username. */
  account(): string | undefined;
}

export interface AuthDeps {
  http: PortalHttp;
  tokenUrl: string;
  clock: Clock;
  logger: Logger;
}

/**
 * Reads the username claim of a JWT access token for display only: the payload is decoded,
 * the signature is not checked (the portal checks it; we never trust it for anything).
 */
export function accountFromJwt(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined || payload === '') return undefined;
  const json = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
  if (!json.ok) return undefined;
  const claims = jwtClaimsSchema.safeParse(json.value);
  if (!claims.success) return undefined;
  return claims.data.preferred_username ?? claims.data.username ?? claims.data.email;
}

function basicAuthenticator(username: string, password: string): Authenticator {
  const header = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  return {
    authorization: () => Promise.resolve(header),
    rejected: () => false,
    account: () => username,
  };
}

function tokenExchangeError(response: PortalResponse, now: number): PortalError {
  if (response.status === 400 || response.status === 401) {
    const json = parseJson(response.body);
    const parsed = json.ok ? tokenErrorSchema.safeParse(json.value) : undefined;
    const code = parsed?.success === true ? parsed.data.error : undefined;
    if (code === 'invalid_grant') {
      return new PortalError(
        'auth',
        `Red Hat rejected the offline token: it is wrong, revoked, or expired after 30 days unused. Create a new one at ${OFFLINE_TOKEN_HELP_URL}.`,
        { status: response.status, endpoint: response.endpoint },
      );
    }
    // Only a plain OAuth error code is repeated; the description is free text from the server.
    const shown = code !== undefined && /^[a-z_]{1,40}$/.test(code) ? ` (${code})` : '';
    return new PortalError(
      'auth',
      `Red Hat's login service refused the offline token${shown} (HTTP ${response.status}).`,
      { status: response.status, endpoint: response.endpoint },
    );
  }
  return (
    errorFromResponse(response, { now }) ??
    badPayload(response, 'the token answer has no access token')
  );
}

function offlineTokenAuthenticator(offlineToken: string, deps: AuthDeps): Authenticator {
  let cached: { token: string; refreshAt: number; account: string | undefined } | undefined;
  let inFlight: Promise<string> | undefined;

  const exchange = async (): Promise<string> => {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: SSO_CLIENT_ID,
      refresh_token: offlineToken,
    });
    const response = await deps.http.send({
      method: 'POST',
      url: deps.tokenUrl,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: form.toString(),
    });
    const now = deps.clock.now();
    if (response.status !== 200) throw tokenExchangeError(response, now);
    const early = errorFromResponse(response, { now });
    if (early) throw early;
    const json = parseJson(response.body);
    if (!json.ok) throw badPayload(response, 'the token answer is not JSON');
    const answer = tokenAnswerSchema.safeParse(json.value);
    if (!answer.success) throw badPayload(response, 'the token answer has no access token');
    const lifetimeMs =
      (answer.data.expires_in ?? DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS) * MS_PER_SECOND;
    // A token living less than twice the margin is used for half its life instead, so a very
    // short lifetime still gets cached rather than exchanged before every call.
    const usableMs = Math.max(lifetimeMs - ACCESS_TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2);
    cached = {
      token: answer.data.access_token,
      refreshAt: now + usableMs,
      account: accountFromJwt(answer.data.access_token),
    };
    deps.logger.debug(
      { lifetimeSeconds: Math.round(lifetimeMs / MS_PER_SECOND) },
      'portal access token obtained',
    );
    return cached.token;
  };

  const accessToken = (): Promise<string> => {
    if (cached && deps.clock.now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (!inFlight) {
      inFlight = exchange().finally(() => {
        inFlight = undefined;
      });
    }
    return inFlight;
  };

  return {
    authorization: async () => `Bearer ${await accessToken()}`,
    rejected(header) {
      if (cached && header === `Bearer ${cached.token}`) cached = undefined;
      return true;
    },
    account: () => cached?.account,
  };
}

export function createAuthenticator(credential: PortalCredential, deps: AuthDeps): Authenticator {
  return credential.kind === 'basic'
    ? basicAuthenticator(credential.username, credential.password)
    : offlineTokenAuthenticator(credential.offlineToken, deps);
}
