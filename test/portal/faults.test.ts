// HTTP outcomes → PortalError kinds, for both APIs, and the promise that no secret leaks
// into an error or a log line on the way.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { isPortalError, type PortalClient, type PortalError } from '../../src/portal/types.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import {
  APIS,
  USER,
  captureLogger,
  credential,
  makeFactory,
  manualClock,
  rejectsWithKind,
} from './helpers.js';

const CASE = '00012345';
const HIDDEN_CASE = '00054321';

for (const api of APIS) {
  describe(`${api} client faults`, () => {
    let fake: FakePortal;
    let client: PortalClient;
    let clock: ReturnType<typeof manualClock>;
    let log: ReturnType<typeof captureLogger>;

    before(async () => {
      fake = await startFakePortal();
      fake.addUser({ ...USER, visibleCases: [CASE, '00099999'] });
      fake.addCase({ number: CASE });
      fake.addCase({ number: HIDDEN_CASE });
      fake.addCase({ number: '00099999' });
      fake.addComment(CASE, { createdAt: '2024-05-01T08:00:00Z', body: 'first' });
      fake.addComment(CASE, {
        createdAt: '2024-05-01T09:00:00Z',
        body: 'SECRET-ISH BODY OF THE BAD ONE',
      });
      fake.addComment(CASE, { createdAt: '2024-05-01T07:00:00Z', body: 'oldest' });
    });
    after(() => fake.close());
    beforeEach(() => {
      clock = manualClock(Date.parse('2024-05-02T12:00:00Z'));
      log = captureLogger();
      client = makeFactory({ fake, api, clock, logger: log.logger }).create(credential('basic'));
    });

    it('reports 401 as auth', async () => {
      // Basic: a 401 is final, so one refusal is enough.
      fake.fail({ endpoint: 'case', status: 401 });
      const err = await rejectsWithKind(client.getCase(CASE), 'auth');
      assert.equal(err.status, 401);
      assert.match(err.endpoint ?? '', new RegExp(`^GET /.*/cases/${CASE}$`));
    });

    it('reports 403 as a case the user cannot see', async () => {
      fake.fail({ endpoint: 'case', status: 403, strataMessage: 'Access denied to case' });
      const err = await rejectsWithKind(client.getCase(CASE), 'not-visible');
      assert.equal(err.status, 403);
      assert.equal(err.portalMessage, 'Access denied to case');
      assert.match(err.message, /Access denied to case/);
    });

    it("reports 404 for a case outside the user's groups as not-visible, naming the case", async () => {
      const err = await rejectsWithKind(client.listComments(HIDDEN_CASE), 'not-visible');
      assert.equal(err.status, 404);
      assert.match(err.message, new RegExp(HIDDEN_CASE));
    });

    it('reports 429 as rate-limited with Retry-After in seconds', async () => {
      fake.fail({ endpoint: 'comments', status: 429, retryAfter: 30 });
      const err = await rejectsWithKind(client.listComments(CASE), 'rate-limited');
      assert.equal(err.retryAfterMs, 30_000);
      assert.match(err.message, /30 seconds/);
    });

    it('reports 429 as rate-limited with Retry-After as an HTTP date', async () => {
      const later = new Date(clock.now() + 120_000).toUTCString();
      fake.fail({ endpoint: 'filter', status: 429, retryAfter: later });
      const err = await rejectsWithKind(client.changedCases(new Date(0)), 'rate-limited');
      assert.equal(err.retryAfterMs, 120_000);
    });

    it('reports 500 and 503 as transient', async () => {
      fake.fail({ endpoint: 'case', status: 500 });
      await rejectsWithKind(client.getCase(CASE), 'transient');
      fake.fail({ endpoint: 'comments', status: 503 });
      const err = await rejectsWithKind(client.listComments(CASE), 'transient');
      assert.equal(err.status, 503);
    });

    it("reports a proxy's HTML error page as transient, even with status 200", async () => {
      fake.fail({ endpoint: 'case', body: 'html' });
      const err = await rejectsWithKind(client.getCase(CASE), 'transient');
      assert.equal(err.status, 502);
      assert.match(err.message, /web page/);
      fake.fail({ endpoint: 'comments', body: 'html', status: 200 });
      await rejectsWithKind(client.listComments(CASE), 'transient');
    });

    it('reports a timeout as transient, within the configured time', async () => {
      const slow = makeFactory({ fake, api, portal: { timeoutSeconds: 0.5 } }).create(
        credential('basic'),
      );
      fake.fail({ endpoint: 'case', delayMs: 5000 });
      const started = Date.now();
      const err = await rejectsWithKind(slow.getCase(CASE), 'transient');
      const elapsed = Date.now() - started;
      assert.match(err.message, /0\.5 s/);
      assert.ok(elapsed >= 450 && elapsed < 2500, `gave up after ${elapsed} ms`);
    });

    it('reports malformed, truncated and non-JSON/XML answers as bad-payload', async () => {
      fake.fail({ endpoint: 'case', body: 'malformed' });
      await rejectsWithKind(client.getCase(CASE), 'bad-payload');
      fake.fail({ endpoint: 'comments', body: 'truncated' });
      await rejectsWithKind(client.listComments(CASE), 'bad-payload');
      fake.fail({ endpoint: 'filter', body: 'not-json' });
      const err = await rejectsWithKind(client.changedCases(new Date(0)), 'bad-payload');
      assert.equal(err.status, 200);
      fake.fail({ endpoint: 'filter', body: 'malformed' });
      await rejectsWithKind(client.changedCases(new Date(0)), 'bad-payload');
    });

    it('skips one unreadable comment, logging where it was but not what it said', async () => {
      fake.fail({ endpoint: 'comments', body: 'bad-comment' });
      const comments = await client.listComments(CASE);
      assert.deepEqual(
        comments.map((c) => c.body),
        ['oldest', 'first'],
      );
      const warnings = log.lines.filter((l) => l.includes('"level":"warn"'));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', new RegExp(`"caseNumber":"${CASE}"`));
      assert.match(warnings[0] ?? '', /skipped a comment/);
      assert.ok(!log.lines.some((l) => l.includes('SECRET-ISH BODY')), 'the body was logged');
    });

    it('turns an answer over the size cap into bad-payload, and keeps working', async () => {
      const capped = makeFactory({ fake, api, portal: { maxResponseBytes: 4096 } }).create(
        credential('basic'),
      );
      fake.addComment('00099999', { body: 'x'.repeat(10_000) });
      const err = await rejectsWithKind(capped.listComments('00099999'), 'bad-payload');
      assert.match(err.message, /4096 bytes/);
      assert.equal((await capped.getCase(CASE)).number, CASE);
    });

    it('writes one debug line per request: method, path, status, duration; no query', async () => {
      await client.listComments(CASE, { since: new Date('2024-05-01T00:00:00Z') });
      const lines = log.lines.filter((l) => l.includes('"msg":"portal request"'));
      assert.equal(lines.length, 1);
      const entry: unknown = JSON.parse(lines[0] ?? '{}');
      assert.ok(typeof entry === 'object' && entry !== null);
      assert.ok(
        'endpoint' in entry && 'status' in entry && 'durationMs' in entry && 'method' in entry,
      );
      assert.match(String(entry.endpoint), new RegExp(`^GET /.*/cases/${CASE}/comments$`));
      assert.equal(entry.status, 200);
      assert.ok(!lines[0]?.includes('startDate'), 'the query string was logged');
    });
  });
}

describe('portal client network failures', () => {
  it('reports a refused connection as transient', async () => {
    // A port that was just free: bind, note it, close.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const origin = `http://127.0.0.1:${address.port}`;
    const client = makeFactory({
      fake: {
        hydraBaseUrl: `${origin}/support/v1`,
        strataBaseUrl: `${origin}/rs`,
        tokenUrl: `${origin}/token`,
      },
      api: 'hydra',
    }).create(credential('basic'));
    const err = await rejectsWithKind(client.getCase(CASE), 'transient');
    assert.match(err.message, /connection refused/);
  });
});

describe('secrets in errors and logs', () => {
  let fake: FakePortal;
  beforeEach(async () => {
    fake = await startFakePortal({ accessTokenTtlSeconds: 900 });
    fake.addUser({ ...USER });
    fake.addCase({ number: CASE });
  });
  afterEach(() => fake.close());

  it('never puts the offline token, an access token or the password in an error or a log line', async () => {
    const log = captureLogger('trace');
    const errors: PortalError[] = [];
    const collect = async (call: Promise<unknown>): Promise<void> => {
      try {
        await call;
      } catch (err) {
        assert.ok(isPortalError(err), String(err));
        errors.push(err);
      }
    };
    for (const api of APIS) {
      const factory = makeFactory({
        fake,
        api,
        logger: log.logger,
        portal: { timeoutSeconds: 0.3 },
      });
      for (const kind of ['offline-token', 'basic'] as const) {
        const client = factory.create(credential(kind));
        await client.verify();
        for (const status of [401, 403, 404, 429, 500]) {
          // An offline-token client retries a 401 once; give it a second refusal.
          const times = status === 401 && kind === 'offline-token' ? 2 : 1;
          fake.fail({ endpoint: 'case', status, times });
          await collect(client.getCase(CASE));
        }
        fake.fail({ endpoint: 'comments', body: 'html' });
        await collect(client.listComments(CASE));
        fake.fail({ endpoint: 'comments', body: 'truncated' });
        await collect(client.listComments(CASE));
        fake.fail({ endpoint: 'case', delayMs: 2000 });
        await collect(client.getCase(CASE));
        fake.expireAccessTokens();
        await client.getCase(CASE);
      }
      fake.fail({ endpoint: 'token', status: 500 });
      await collect(factory.create(credential('offline-token')).getCase(CASE));
      await collect(
        factory
          .create({ kind: 'offline-token', offlineToken: `${USER.offlineToken}-revoked` })
          .getCase(CASE),
      );
      await collect(
        factory
          .create({ kind: 'basic', username: USER.username, password: `${USER.password}!` })
          .getCase(CASE),
      );
    }
    assert.ok(errors.length >= 20, `only ${errors.length} errors collected`);
    assert.ok(log.lines.length > 20, 'expected debug lines');

    const basic = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
    const secrets = [
      USER.offlineToken,
      `${USER.offlineToken}-revoked`,
      USER.password,
      basic,
      ...fake.issuedAccessTokens(),
    ];
    assert.ok(fake.issuedAccessTokens().length >= 4);
    const texts = [
      ...errors.flatMap((e) => [
        e.message,
        String(e.stack),
        JSON.stringify(e),
        String(e.portalMessage),
        String(e.endpoint),
      ]),
      ...log.lines,
    ];
    for (const secret of secrets) {
      // The signature part alone is enough to flag a leaked access token.
      const needle = secret.includes('.') ? (secret.split('.').at(-1) ?? secret) : secret;
      const leaks = texts.filter((t) => t.includes(needle));
      assert.equal(leaks.length, 0, `a secret leaked into: ${leaks[0]?.slice(0, 200)}`);
    }
    assert.ok(!texts.some((t) => /Bearer |Basic /.test(t)), 'an Authorization header value leaked');
  });
});
