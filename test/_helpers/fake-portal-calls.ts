// Small HTTP helpers for tests that talk to the fake portal directly (no production client):
// an SSO exchange, one JSON call, and path lookups into an untyped JSON answer.
import assert from 'node:assert/strict';

export interface JsonCall {
  status: number;
  /** The parsed body; undefined when it is not JSON (an HTML page, say). */
  body: unknown;
  text: string;
  headers: Headers;
}

/** The value at a dotted path ("a.0.b") of a JSON tree; '' is the tree itself. */
export function get(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path === '' ? [] : path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = Object.entries(node).find(([k]) => k === key)?.[1];
  }
  return node;
}

/** The array at a dotted path; fails the test when there is none. */
export function list(value: unknown, path: string): unknown[] {
  const found = get(value, path);
  assert.ok(Array.isArray(found), `${path || 'the answer'} is not an array`);
  return found;
}

/** `Bearer <access token>` from the fake's SSO for an offline token. */
export async function ssoBearer(tokenUrl: string, offlineToken: string): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: 'rhsm-api',
      refresh_token: offlineToken,
    }).toString(),
  });
  assert.equal(res.status, 200);
  return `Bearer ${String(get(await res.json(), 'access_token'))}`;
}

/** One request; a `json` body is sent as application/json. */
export async function callJson(
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<JsonCall> {
  const res = await fetch(url, {
    method: init.method ?? (init.json !== undefined ? 'POST' : 'GET'),
    headers: {
      Accept: 'application/json',
      ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    void err; // not JSON: body stays undefined, text has it
  }
  return { status: res.status, body, text, headers: res.headers };
}
