// The fake portal's SSO and credential check: the OAuth2 refresh_token grant that turns an
// offline token into an access token (client_id rhsm-api), and the check every API runs on
// `Authorization` (`Bearer <issued, unexpired access token>` or `Basic user:password`).
// Access tokens look like JWTs (payload with preferred_username) and expire on the fake's own
// clock; an unknown or revoked offline token → 400 {"error":"invalid_grant"}.
import { randomBytes } from 'node:crypto';
import { json, type Answer, type AuthResult, type PortalState } from './fake-portal-model.js';

export const TOKEN_PATH = '/auth/realms/redhat-external/protocol/openid-connect/token';
const SSO_CLIENT_ID = 'rhsm-api';
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;

interface AccessTokenModel {
  username: string;
  offlineToken: string;
  expiresAt: number;
  revoked: boolean;
}

export interface FakeSso {
  /** The token endpoint's answer to a POSTed form, and who it was issued to. */
  token(body: string): { answer: Answer; username?: string };
  authenticate(authorization: string | undefined): AuthResult;
  revokeOfflineToken(offlineToken: string): void;
  expireAccessTokens(): void;
  issuedAccessTokens(): string[];
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function createFakeSso(state: PortalState, ttlSeconds: number): FakeSso {
  const accessTokens = new Map<string, AccessTokenModel>();
  const revokedOfflineTokens = new Set<string>();

  const issue = (username: string, email: string, offline: string): string => {
    const issuedAt = Math.floor(state.clock / 1000);
    const token = [
      base64url({ alg: 'RS256', typ: 'JWT', kid: 'fake' }),
      base64url({
        exp: issuedAt + ttlSeconds,
        iat: issuedAt,
        jti: randomBytes(8).toString('hex'),
        iss: 'https://sso.redhat.com/auth/realms/redhat-external',
        typ: 'Bearer',
        azp: SSO_CLIENT_ID,
        preferred_username: username,
        email,
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    accessTokens.set(token, {
      username,
      offlineToken: offline,
      expiresAt: state.clock + ttlSeconds * 1000,
      revoked: false,
    });
    return token;
  };

  return {
    token(body) {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'refresh_token') {
        return {
          answer: json(400, {
            error: 'unsupported_grant_type',
            error_description: 'Unsupported grant_type',
          }),
        };
      }
      if (form.get('client_id') !== SSO_CLIENT_ID) {
        return {
          answer: json(401, {
            error: 'invalid_client',
            error_description: 'Invalid client credentials',
          }),
        };
      }
      const offline = form.get('refresh_token') ?? '';
      const user = [...state.users.values()].find((u) => u.offlineToken === offline);
      if (offline === '' || !user || revokedOfflineTokens.has(offline)) {
        return {
          answer: json(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' }),
        };
      }
      const token = issue(user.username, user.email, offline);
      return {
        username: user.username,
        answer: json(200, {
          access_token: token,
          expires_in: ttlSeconds,
          refresh_expires_in: 0,
          token_type: 'Bearer',
          'not-before-policy': 0,
          session_state: randomBytes(8).toString('hex'),
          scope: 'openid offline_access',
        }),
      };
    },

    authenticate(authorization) {
      if (authorization === undefined) return { reason: 'Authentication required' };
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (bearer?.[1] !== undefined) {
        const token = accessTokens.get(bearer[1]);
        if (!token || token.revoked) return { reason: 'Invalid access token' };
        if (state.clock >= token.expiresAt) return { reason: 'Access token expired' };
        const user = state.users.get(token.username);
        return user ? { user } : { reason: 'Unknown user' };
      }
      const basic = /^Basic\s+(\S+)$/i.exec(authorization);
      if (basic?.[1] !== undefined) {
        const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const user = state.users.get(decoded.slice(0, colon));
        if (
          colon > 0 &&
          user?.password !== undefined &&
          user.password === decoded.slice(colon + 1)
        ) {
          return { user };
        }
        return { reason: 'Invalid username or password' };
      }
      return { reason: 'Unsupported authorization scheme' };
    },

    revokeOfflineToken(offlineToken) {
      revokedOfflineTokens.add(offlineToken);
      for (const token of accessTokens.values()) {
        if (token.offlineToken === offlineToken) token.revoked = true;
      }
    },

    expireAccessTokens() {
      for (const token of accessTokens.values()) {
        token.expiresAt = Math.min(token.expiresAt, state.clock);
      }
    },

    issuedAccessTokens: () => [...accessTokens.keys()],
  };
}
