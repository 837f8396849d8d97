// Offline token → access token: caching, sharing, refreshing, retrying, and refusals.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ACCESS_TOKEN_REFRESH_MARGIN_MS, accountFromJwt } from '../../src/portal/auth.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import {
  APIS,
  USER,
  credential,
  makeFactory,
  manualClock,
  readFixture,
  rejectsWithKind,
} from './helpers.js';

const TTL_SECONDS = 900;
const CASE = '00012345';

describe('offline token authentication', () => {
  let fake: FakePortal;

  beforeEach(async () => {
    fake = await startFakePortal({ accessTokenTtlSeconds: TTL_SECONDS });
    fake.addUser({ ...USER });
    fake.addCase({ number: CASE });
  });
  afterEach(() => fake.close());

  it('exchanges the offline token once for many calls', async () => {
    const client = makeFactory({ fake, api: 'hydra' }).create(credential('offline-token'));
    for (let i = 0; i < 5; i++) await client.getCase(CASE);
    await client.listComments(CASE);
    assert.equal(fake.count({ endpoint: 'token' }), 1);
    assert.equal(fake.count({ endpoint: 'case', user: USER.username }), 5);
  });

  it('makes concurrent callers share one exchange', async () => {
    // The token answer is held back so that every caller arrives while it is in flight.
    fake.fail({ endpoint: 'token', delayMs: 150 });
    const client = makeFactory({ fake, api: 'hydra' }).create(credential('offline-token'));
    const cases = await Promise.all(Array.from({ length: 10 }, () => client.getCase(CASE)));
    assert.equal(cases.length, 10);
    assert.equal(fake.count({ endpoint: 'token' }), 1);
  });

  it('refreshes the access token a minute before it expires, not earlier', async () => {
    const clock = manualClock(fake.now());
    const client = makeFactory({ fake, api: 'hydra', clock }).create(credential('offline-token'));
    await client.getCase(CASE);
    await clock.advance(TTL_SECONDS * 1000 - ACCESS_TOKEN_REFRESH_MARGIN_MS - 1000);
    await client.getCase(CASE);
    assert.equal(fake.count({ endpoint: 'token' }), 1, 'still inside the lifetime minus margin');
    await clock.advance(2000);
    await client.getCase(CASE);
    assert.equal(fake.count({ endpoint: 'token' }), 2, 'refreshed within the last minute');
    assert.equal(fake.count({ endpoint: 'case', status: 401 }), 0, 'no call was refused');
  });

  for (const api of APIS) {
    it(`after a 401 gets a new access token and retries once (${api})`, async () => {
      const client = makeFactory({ fake, api }).create(credential('offline-token'));
      await client.getCase(CASE);
      // The portal forgets the token before the time it announced.
      fake.expireAccessTokens();
      const kase = await client.getCase(CASE);
      assert.equal(kase.number, CASE);
      assert.equal(fake.count({ endpoint: 'token' }), 2);
      assert.equal(fake.count({ endpoint: 'case', status: 401 }), 1);
      assert.equal(fake.count({ endpoint: 'case', status: 200 }), 2);
    });
  }

  it('gives up with auth when the retry is refused too', async () => {
    const client = makeFactory({ fake, api: 'hydra' }).create(credential('offline-token'));
    fake.fail({ endpoint: 'case', status: 401, times: 5 });
    const err = await rejectsWithKind(client.getCase(CASE), 'auth');
    assert.equal(err.status, 401);
    assert.equal(fake.count({ endpoint: 'case' }), 2, 'one call and exactly one retry');
    assert.equal(fake.count({ endpoint: 'token' }), 2);
  });

  it('reports a dead offline token as auth, without calling the API', async () => {
    const client = makeFactory({ fake, api: 'hydra' }).create({
      kind: 'offline-token',
      offlineToken: 'not-a-token-the-portal-knows',
    });
    const err = await rejectsWithKind(client.getCase(CASE), 'auth');
    assert.match(err.message, /offline token/);
    assert.match(err.message, /access\.redhat\.com\/management\/api/);
    assert.equal(err.status, 400);
    assert.equal(fake.count({ endpoint: 'case' }), 0);
    // Not cached as a failure: the next call tries the exchange again.
    await rejectsWithKind(client.getCase(CASE), 'auth');
    assert.equal(fake.count({ endpoint: 'token' }), 2);
  });

  it('reports a revoked offline token as auth once its access token is refused', async () => {
    const client = makeFactory({ fake, api: 'strata' }).create(credential('offline-token'));
    await client.getCase(CASE);
    fake.revokeOfflineToken(USER.offlineToken);
    const err = await rejectsWithKind(client.getCase(CASE), 'auth');
    assert.match(err.message, /revoked/);
  });

  it('treats a failing login service as transient and a busy one as rate-limited', async () => {
    const client = makeFactory({ fake, api: 'hydra' }).create(credential('offline-token'));
    fake.fail({ endpoint: 'token', status: 503 });
    await rejectsWithKind(client.getCase(CASE), 'transient');
    fake.fail({ endpoint: 'token', status: 429, retryAfter: 7 });
    const limited = await rejectsWithKind(client.getCase(CASE), 'rate-limited');
    assert.equal(limited.retryAfterMs, 7000);
    fake.fail({ endpoint: 'token', body: 'malformed' });
    await rejectsWithKind(client.getCase(CASE), 'bad-payload');
    assert.equal((await client.getCase(CASE)).number, CASE, 'recovers on the next call');
  });

  it('verifies with the exchange plus one cheap call, naming the account from the token', async () => {
    const client = makeFactory({ fake, api: 'hydra' }).create(credential('offline-token'));
    assert.deepEqual(await client.verify(), { account: USER.username, path: 'hydra' });
    assert.equal(fake.count({ endpoint: 'token' }), 1);
    assert.equal(fake.count({ endpoint: 'filter' }), 1);
    assert.equal(fake.requests.length, 2);
  });
});

describe('username and password authentication', () => {
  let fake: FakePortal;

  beforeEach(async () => {
    fake = await startFakePortal();
    fake.addUser({ ...USER });
    fake.addCase({ number: CASE });
  });
  afterEach(() => fake.close());

  for (const api of APIS) {
    it(`reports a wrong password as auth, with no retry and no token exchange (${api})`, async () => {
      const client = makeFactory({ fake, api }).create({
        kind: 'basic',
        username: USER.username,
        password: 'wrong password',
      });
      const err = await rejectsWithKind(client.verify(), 'auth');
      assert.equal(err.status, 401);
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.count({ endpoint: 'token' }), 0);
    });
  }

  it('verifies and names the account by its username', async () => {
    const client = makeFactory({ fake, api: 'strata' }).create(credential('basic'));
    assert.deepEqual(await client.verify(), { account: USER.username, path: 'strata' });
    assert.equal(fake.count({ endpoint: 'filter', user: USER.username }), 1);
  });
});

describe('access token claims', () => {
  it('reads preferred_username, then username, then email, from the JWT payload', () => {
    const jwt = (claims: object): string =>
      `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
    assert.equal(accountFromJwt(jwt({ preferred_username: 'a', username: 'b' })), 'a');
    assert.equal(accountFromJwt(jwt({ username: 'b', email: 'c@example.com' })), 'b');
    assert.equal(accountFromJwt(jwt({ email: 'c@example.com' })), 'c@example.com');
    assert.equal(accountFromJwt(jwt({ sub: 'x' })), undefined);
  });

  it('reads the account from the fixture token answer and ignores tokens that are not JWTs', () => {
    const answer: unknown = JSON.parse(readFixture('sso/token-answer.json'));
    assert.ok(typeof answer === 'object' && answer !== null && 'access_token' in answer);
    assert.equal(accountFromJwt(String(answer.access_token)), 'portal-reader');
    assert.equal(accountFromJwt('opaque-token'), undefined);
    assert.equal(accountFromJwt('a.!!!not-base64-json!!!.c'), undefined);
  });
});
