import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  errorFromNetwork,
  errorFromResponse,
  looksLikeHtml,
  type PortalResponse,
} from '../../src/portal/errors.js';
import { readFixture } from './helpers.js';

const NOW = Date.parse('2024-05-02T12:00:00Z');
const response = (status: number, extra: Partial<PortalResponse> = {}): PortalResponse => ({
  status,
  headers: {},
  body: '',
  endpoint: 'GET /support/v1/cases/00012345',
  ...extra,
});

describe('Retry-After on a 429', () => {
  const retryAfterMs = (value: string) =>
    errorFromResponse(response(429, { headers: { 'retry-after': value } }), { now: NOW })
      ?.retryAfterMs;

  it('waits what the portal asked, as seconds or an HTTP date, without a cap', () => {
    assert.equal(retryAfterMs('120'), 120_000);
    assert.equal(retryAfterMs('Thu, 02 May 2024 12:01:30 GMT'), 90_000);
    assert.equal(retryAfterMs('86400'), 86_400_000, 'a whole day is kept as asked');
    assert.equal(retryAfterMs('Thu, 02 May 2024 11:00:00 GMT'), 0, 'a date in the past');
  });

  it('says "later" and sets no wait when the header is unreadable or absent', () => {
    assert.equal(retryAfterMs('soon'), undefined);
    const err = errorFromResponse(response(429), { now: NOW });
    assert.equal(err?.retryAfterMs, undefined);
    assert.match(err?.message ?? '', /will try again later/);
    assert.match(
      errorFromResponse(response(429, { headers: { 'retry-after': '1' } }), { now: NOW })
        ?.message ?? '',
      /in 1 second\./,
    );
  });
});

describe('HTTP outcome classification', () => {
  it('maps statuses to kinds', () => {
    const kinds = [200, 204, 301, 400, 401, 403, 404, 407, 409, 429, 500, 502, 503, 504].map(
      (status) => [status, errorFromResponse(response(status), { now: NOW })?.kind ?? 'ok'],
    );
    assert.deepEqual(kinds, [
      [200, 'ok'],
      [204, 'ok'],
      [301, 'transient'],
      [400, 'bad-payload'],
      [401, 'auth'],
      [403, 'not-visible'],
      [404, 'not-visible'],
      [407, 'transient'],
      [409, 'bad-payload'],
      [429, 'rate-limited'],
      [500, 'transient'],
      [502, 'transient'],
      [503, 'transient'],
      [504, 'transient'],
    ]);
  });

  it('treats an HTML page as transient whatever its status', () => {
    const page = readFixture('error-page.html');
    assert.ok(looksLikeHtml({ headers: {}, body: page }));
    assert.ok(
      looksLikeHtml({ headers: { 'content-type': 'text/html; charset=utf-8' }, body: 'x' }),
    );
    assert.ok(!looksLikeHtml({ headers: { 'content-type': 'application/json' }, body: '[]' }));
    assert.equal(errorFromResponse(response(200, { body: page }), { now: NOW })?.kind, 'transient');
  });

  it('keeps the Strata-Message, capped, as portalMessage', () => {
    const err = errorFromResponse(
      response(404, { headers: { 'strata-message': `Case not found ${'x'.repeat(500)}` } }),
      { now: NOW, caseNumber: '00012345' },
    );
    assert.equal(err?.portalMessage?.startsWith('Case not found xxx'), true);
    assert.ok((err?.portalMessage?.length ?? 0) <= 301);
    assert.match(err?.message ?? '', /case 00012345/);
    assert.equal(err?.endpoint, 'GET /support/v1/cases/00012345');
  });

  it('maps network failures by their code only', () => {
    const facts = {
      endpoint: 'GET /x',
      timeoutSeconds: 30,
      maxResponseBytes: 1024,
      timedOut: false,
    };
    const withCode = (
      code: string,
      message = `connect ${code} 10.0.0.1:443 Authorization: Bearer abc`,
    ) => Object.assign(new Error(message), { code });
    assert.match(errorFromNetwork(withCode('ECONNREFUSED'), facts).message, /connection refused/);
    assert.match(errorFromNetwork(withCode('ECONNRESET'), facts).message, /\(ECONNRESET\)/);
    assert.match(errorFromNetwork(withCode('ENOTFOUND'), facts).message, /address/);
    assert.match(errorFromNetwork(withCode('ECONNABORTED'), facts).message, /within 30 s/);
    assert.match(
      errorFromNetwork(new Error('x'), { ...facts, timedOut: true }).message,
      /within 30 s/,
    );
    const big = errorFromNetwork(
      withCode('ERR_BAD_RESPONSE', 'maxContentLength size of 1024 exceeded'),
      facts,
    );
    assert.equal(big.kind, 'bad-payload');
    const odd = errorFromNetwork(withCode('not a code; Bearer secret'), facts);
    assert.equal(odd.kind, 'transient');
    for (const err of [odd, errorFromNetwork(withCode('ECONNRESET'), facts)]) {
      assert.doesNotMatch(err.message, /Bearer|abc|secret|10\.0\.0\.1/);
    }
  });
});
