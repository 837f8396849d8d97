// End to end, when the Red Hat portal misbehaves: down for several cycles (500s and timeouts),
// and access tokens that die every second or so. Nothing may be lost, nothing sent twice.
//
// A case whose fetch failed is retried after one poll interval, doubling per failure (capped):
// with a 1 s interval a few failed cycles cost seconds. The two suites below run side by side,
// each with its own daemon and fakes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../_helpers/wait.js';
import {
  NEW_COMMENT,
  WAIT_MS,
  connect,
  createWorld,
  follow,
  type Person,
  type World,
} from './_support.js';

/**
 * After the outage the daemon retries each failed case once its backoff (1, 2, 4, 8… s at a
 * 1 s interval) has passed; give it that plus a loaded machine.
 */
const RECOVERY_WAIT_MS = 2 * WAIT_MS;
/** Portal requests hang this long: well past the daemon's portal.timeoutSeconds (2 s). */
const HANG_MS = 10_000;
/** Access tokens are made to expire once the newest one is this old (ms). */
const TOKEN_MAX_AGE_MS = 200;

describe('the portal misbehaves', { concurrency: true }, () => {
  // Inside each suite the steps run in order (a suite inherits `concurrency` otherwise).
  describe('portal down for several cycles (v1 Hydra API)', { concurrency: 1 }, () => {
    const BOT_TOKEN = '700003:E2E-outage-bot-token-abcdefghijklmno';
    const SECRET_KEY = 'e2e-outage-secret-key-0123456789';
    const OFFLINE_TOKEN = 'e2e-outage-offline-token-abcdefghijklmnopqrstuvw';
    const FAILING = '03456789';
    const HANGING = '03456790';
    const CAROL = 3003;
    let world: World;
    let carol: Person;

    before(async () => {
      world = await createWorld({ botToken: BOT_TOKEN, secretKey: SECRET_KEY, api: 'hydra' });
      world.secrets.add(OFFLINE_TOKEN);
      world.portal.addUser({ username: 'carol', offlineToken: OFFLINE_TOKEN });
      world.portal.addCase({ number: FAILING, summary: 'Storage array offline' });
      world.portal.addCase({ number: HANGING, summary: 'Cluster upgrade stuck' });
      carol = world.person(CAROL);
      await world.start();
      await connect(carol, OFFLINE_TOKEN);
      await carol.ask(`/add ${FAILING} ${HANGING}`, new RegExp(`${HANGING} added`));
    });
    after(async () => {
      await world.close();
    });

    it('delivers the comments written during the outage once the portal is back', async () => {
      const { portal } = world;
      // Every endpoint fails: errors for one case, requests that hang for the other.
      const forever = 1_000;
      portal.fail({ endpoint: 'token', status: 500, times: forever });
      portal.fail({ endpoint: 'filter', status: 500, times: forever });
      portal.fail({ endpoint: 'case', caseNumber: FAILING, status: 503, times: forever });
      portal.fail({ endpoint: 'comments', caseNumber: FAILING, status: 500, times: forever });
      portal.fail({ endpoint: 'case', caseNumber: HANGING, delayMs: HANG_MS, times: forever });
      portal.fail({ endpoint: 'comments', caseNumber: HANGING, delayMs: HANG_MS, times: forever });
      const requestsBefore = portal.requests.length;
      const outageStart = Date.now();
      world.addComment(FAILING, { body: 'Controller replaced during the outage.' });
      world.addComment(HANGING, { body: 'Upgrade resumed during the outage.' });

      await waitUntil(
        () =>
          portal.count({ status: 500 }) + portal.count({ status: 503 }) >= 2 &&
          portal.count({ status: -1 }) >= 1,
        { timeoutMs: WAIT_MS, what: 'failed and timed-out portal requests' },
      );
      await world.waitForCycles(3);
      assert.deepEqual(carol.matching(NEW_COMMENT), []);
      // Backing off: per cycle one attempt to reach the portal (the token exchange before the
      // filter), and each case only when its doubling backoff is due; without backoff every
      // cycle would cost at least five requests (token and filter, then token and case twice).
      const during = portal.requests.slice(requestsBefore);
      const cycles = Math.max(1, (Date.now() - outageStart) / 1000);
      assert.ok(
        during.length <= 2 * cycles + 2,
        `${during.length} portal requests in about ${cycles.toFixed(1)} cycles of outage`,
      );

      portal.clearFaults();
      await carol.waitFor(/Controller replaced during the outage\./, 0, RECOVERY_WAIT_MS);
      await carol.waitFor(/Upgrade resumed during the outage\./, 0, RECOVERY_WAIT_MS);
      await world.waitForEmptyOutbox();
      assert.equal(carol.matching(NEW_COMMENT).length, 2);
      // The outage was not taken for a rejected login.
      const state = await world.readState();
      assert.deepEqual(
        Object.values(state.credentials).map((c) => c.rejectedAt),
        [undefined],
      );
    });

    it('leaves no secret in its output, db.json, db.json.bak or its messages', async () => {
      await world.assertNoSecretLeaked();
    });
  });

  describe('v3 portal down for several cycles', { concurrency: 1 }, () => {
    const BOT_TOKEN = '700005:E2E-v3-outage-bot-token-abcdefghijk';
    const SECRET_KEY = 'e2e-v3-outage-secret-key-0123456789';
    const OFFLINE_TOKEN = 'e2e-v3-outage-offline-token-abcdefghijklmnopqrs';
    const CASES = ['05456789', '05456790'];
    const DAVE = 5005;
    let world: World;
    let dave: Person;

    before(async () => {
      world = await createWorld({ botToken: BOT_TOKEN, secretKey: SECRET_KEY });
      world.secrets.add(OFFLINE_TOKEN);
      world.portal.addUser({ username: 'dave', offlineToken: OFFLINE_TOKEN });
      for (const n of CASES) world.portal.addCase({ number: n, summary: `Case ${n}` });
      dave = world.person(DAVE);
      await world.start();
      await connect(dave, OFFLINE_TOKEN);
      await dave.ask(`/add ${CASES.join(' ')}`, new RegExp(`${CASES[1]} added`));
    });
    after(async () => {
      await world.close();
    });

    it('loses nothing, tells no chat it lost access, and keeps the GraphQL path', async () => {
      const { portal } = world;
      const forever = 1_000;
      portal.fail({ endpoint: 'graphql', status: 503, times: forever });
      portal.fail({ endpoint: 'v3-case', status: 502, times: forever });
      portal.fail({ endpoint: 'v3-comments', status: 500, times: forever });
      world.addComment(CASES[0] ?? '', { body: 'Written while GraphQL was down.' });
      await waitUntil(() => portal.count({ endpoint: 'graphql', status: 503 }) >= 2, {
        timeoutMs: WAIT_MS,
        what: 'failed GraphQL requests',
      });
      world.addComment(CASES[1] ?? '', { body: 'Also written during the outage.' });
      await world.waitForCycles(2);
      assert.deepEqual(dave.matching(NEW_COMMENT), []);
      portal.clearFaults();
      await dave.waitFor(/Written while GraphQL was down\./, 0, RECOVERY_WAIT_MS);
      await dave.waitFor(/Also written during the outage\./, 0, RECOVERY_WAIT_MS);
      await world.waitForEmptyOutbox();
      assert.equal(dave.matching(NEW_COMMENT).length, 2);
      const state = await world.readState();
      const subs = Object.values(state.chats[String(DAVE)]?.subscriptions ?? {});
      assert.deepEqual(
        subs.map((s) => s.notVisibleAt),
        [undefined, undefined],
      );
      assert.deepEqual(
        Object.values(state.credentials).map((c) => c.rejectedAt),
        [undefined],
      );
      // Transient failures never moved it off GraphQL: no REST comment list was needed.
      assert.equal(portal.count({ endpoint: 'v3-comments', status: 200 }), 0);
    });

    it('leaves no secret in its output, db.json, db.json.bak or its messages', async () => {
      await world.assertNoSecretLeaked();
    });
  });

  describe('access tokens expiring every second', { concurrency: 1 }, () => {
    const BOT_TOKEN = '700004:E2E-tokens-bot-token-abcdefghijklmnop';
    const SECRET_KEY = 'e2e-tokens-secret-key-0123456789';
    const OFFLINE_TOKEN = 'e2e-tokens-offline-token-abcdefghijklmnopqrstuvw';
    const CASE = '04567890';
    const ERIN = 4004;
    let world: World;
    let erin: Person;
    let expiring: NodeJS.Timeout | undefined;

    before(async () => {
      // A token lives 2 s on the portal's clock (which follows the wall clock)…
      world = await createWorld({
        botToken: BOT_TOKEN,
        secretKey: SECRET_KEY,
        accessTokenTtlSeconds: 2,
      });
      world.secrets.add(OFFLINE_TOKEN);
      world.portal.addUser({ username: 'erin', offlineToken: OFFLINE_TOKEN });
      world.portal.addCase({ number: CASE, summary: 'Certificate renewal failed' });
      erin = world.person(ERIN);
      await world.start();
      await connect(erin, OFFLINE_TOKEN);
      await follow(erin, CASE);
    });
    after(async () => {
      clearInterval(expiring);
      await world.close();
    });

    it('loses nothing when tokens die before the time they announced', async () => {
      const { portal } = world;
      // …and dies even earlier: once the newest token is a fifth of a second old, every token
      // issued so far stops working. The daemon meets 401s and must fetch a new token.
      const firstSeen = new Map<string, number>();
      expiring = setInterval(() => {
        const tokens = portal.issuedAccessTokens();
        for (const t of tokens) if (!firstSeen.has(t)) firstSeen.set(t, Date.now());
        const newest = tokens.at(-1);
        const age = newest === undefined ? 0 : Date.now() - (firstSeen.get(newest) ?? Date.now());
        if (age >= TOKEN_MAX_AGE_MS) portal.expireAccessTokens();
      }, 100);
      const from = erin.messages().length;
      const unauthorizedBefore = portal.count({ status: 401 });
      const tokensBefore = portal.count({ endpoint: 'token' });

      const bodies = ['Renewal one.', 'Renewal two.', 'Renewal three.', 'Renewal four.'];
      for (const body of bodies) {
        world.addComment(CASE, { body });
        await erin.waitFor(new RegExp(body.replace('.', '\\.')));
      }
      clearInterval(expiring);
      await world.waitForEmptyOutbox();

      for (const body of bodies) {
        assert.equal(erin.matching(NEW_COMMENT).filter((m) => m.text.includes(body)).length, 1);
      }
      assert.ok(portal.count({ status: 401 }) > unauthorizedBefore, 'no token ever expired');
      assert.ok(portal.count({ endpoint: 'token' }) >= tokensBefore + 2, 'tokens were not renewed');
      // Only the four comments: no "Red Hat refused the login" notice.
      assert.equal(erin.messages().length - from, bodies.length);
      const state = await world.readState();
      assert.deepEqual(
        Object.values(state.credentials).map((c) => c.rejectedAt),
        [undefined],
      );
    });

    it('leaves no secret (access tokens included) in its output, files or messages', async () => {
      assert.ok(world.portal.issuedAccessTokens().length >= 3);
      await world.assertNoSecretLeaked();
    });
  });
});
