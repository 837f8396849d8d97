// The v3 client against the loopback fake portal (REST v3 + GraphQL from a real schema): how it
// finds a working path per credential, steps down on schema-type answers only, climbs back
// after the hourly re-probe, and tells failures apart.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import { REPROBE_MS } from '../../src/portal/v3.js';
import type { PortalClient } from '../../src/portal/types.js';
import {
  captureLogger,
  credential,
  makeFactory,
  manualClock,
  rejectsWithKind,
  USER,
} from './helpers.js';

const START = Date.parse('2026-12-03T09:00:00Z');
const VISIBLE = ['01234567', '07654321'];
const HIDDEN = '05555555';

describe('v3 client: paths, probing and errors', () => {
  let fake: FakePortal;
  let client: PortalClient;
  let clock: ReturnType<typeof manualClock>;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    fake = await startFakePortal({ startTime: START, v3RestIds: 'distinct' });
    fake.addUser({ ...USER, visibleCases: VISIBLE });
    for (const number of [...VISIBLE, HIDDEN]) {
      fake.addCase({
        number,
        summary: `Case ${number}`,
        severity: '2 (High)',
        product: 'OpenShift',
        version: '4.16',
      });
    }
    fake.addComment('01234567', {
      author: 'Bob Engineer',
      authorType: 'Associate',
      body: 'Please attach a sosreport.',
      createdAt: '2026-12-01T08:02:10Z',
    });
    fake.addComment('01234567', {
      author: 'Alice Example',
      authorType: 'Customer',
      contentType: 'html',
      body: '<p>Uploaded <b>sosreport</b> &amp; must-gather.</p><ul><li>node1</li><li>node2</li></ul>',
      createdAt: '2026-12-02T14:03:07Z',
    });
    fake.addComment('01234567', {
      author: 'Carol Internal',
      authorType: 'Internal',
      body: 'internal note',
      createdAt: '2026-12-02T15:00:00Z',
    });
    clock = manualClock(START);
    log = captureLogger('info');
    client = makeFactory({ fake, api: 'v3', clock, logger: log.logger }).create(
      credential('offline-token'),
    );
  });
  afterEach(() => fake.close());

  it('reads cases and their newest comments in one GraphQL request (path graphql)', async () => {
    assert.deepEqual(client.readMode(), {
      kind: 'batch',
      path: 'graphql',
      withComments: true,
      batchSize: 100,
    });
    fake.resetCounters();
    const read = await client.readCases([...VISIBLE]);
    assert.equal(fake.count({ endpoint: 'graphql' }), 1);
    assert.equal(fake.count({ flavour: 'v3' }), 0);
    assert.equal(read.mode.path, 'graphql');
    const kase = read.cases.get('01234567');
    assert.ok(kase);
    assert.equal(kase.kase.severity, '2 (High)');
    assert.equal(kase.commentsComplete, true);
    const comments = kase.comments ?? [];
    assert.deepEqual(
      comments.map((c) => [c.author, c.authorType, c.isPublic]),
      [
        ['Bob Engineer', 'associate', true],
        ['Alice Example', 'customer', true],
        ['Carol Internal', 'associate', false],
      ],
    );
    assert.equal(comments[1]?.body, 'Uploaded sosreport & must-gather.\n\n• node1\n• node2');
    assert.equal(comments[1]?.createdAt, '2026-12-02T14:03:07.000Z');
    assert.ok(comments.every((c) => c.idSpace === 'graphql' && c.id.startsWith('a2b')));
    const sent = fake.requests.find((r) => r.endpoint === 'graphql');
    assert.equal(sent?.apolloClientName, 'tickets-pushbot');
    assert.equal(sent?.apolloClientVersion, '0.0.0-test');
  });

  it('confirms a case missing from the GraphQL answer through REST before calling it not visible', async () => {
    fake.resetCounters();
    const read = await client.readCases([...VISIBLE, HIDDEN]);
    assert.deepEqual(read.notVisible, [HIDDEN]);
    assert.equal(fake.count({ endpoint: 'v3-case' }), 1);
    assert.equal(read.requests, 2);
  });

  it('drops an optional field the schema refuses and stays on the graphql path', async () => {
    fake.setGraphqlSchema({ omit: ['RedHatSupportCaseComment__c.Visibility__c'] });
    fake.resetCounters();
    const read = await client.readCases(['01234567']);
    assert.equal(read.mode.path, 'graphql');
    assert.equal(fake.count({ endpoint: 'graphql', status: 400 }), 1);
    fake.resetCounters();
    await client.readCases(['01234567']);
    assert.equal(fake.count({ endpoint: 'graphql' }), 1, 'the field stays dropped');
  });

  it('steps down to graphql+rest when the comment relation is refused, and reads comments through REST', async () => {
    fake.setGraphqlSchema({ omit: ['RedHatSupportCase.CaseComments__r'] });
    const read = await client.readCases(['01234567']);
    assert.equal(read.mode.path, 'graphql+rest');
    assert.equal(read.cases.get('01234567')?.comments, undefined);
    assert.equal(client.readMode().path, 'graphql+rest');
    fake.resetCounters();
    const comments = await client.listComments('01234567');
    assert.equal(fake.count({ endpoint: 'v3-comments' }), 1);
    assert.ok(comments.every((c) => c.idSpace === 'v3-rest' && c.id.startsWith('a0c')));
    assert.equal(comments.find((c) => c.author === 'Carol Internal')?.isPublic, false);
    assert.ok(log.lines.some((l) => l.includes('"path":"graphql+rest"')));
  });

  it('steps down to REST alone when GraphQL is gone, then back up after the hourly re-probe', async () => {
    fake.retire('graphql');
    await rejectsWithKind(client.readCases(['01234567']), 'unsupported');
    assert.deepEqual(client.readMode(), { kind: 'per-case', path: 'rest' });
    const comments = await client.listComments('01234567');
    assert.equal(comments.length, 3);
    fake.unretire('graphql');
    await clock.advance(REPROBE_MS - 1);
    assert.equal(client.readMode().kind, 'per-case', 'not before the hour');
    await clock.advance(1);
    assert.equal(client.readMode().kind, 'batch');
    const read = await client.readCases(['01234567']);
    assert.equal(read.mode.path, 'graphql');
    assert.equal(client.readMode().path, 'graphql');
  });

  it('never steps down on a transient failure, a throttle page or an error with partial data', async () => {
    await client.readCases(['01234567']);
    fake.fail({ endpoint: 'graphql', status: 503 });
    await rejectsWithKind(client.readCases(['01234567']), 'transient');
    fake.fail({ endpoint: 'graphql', body: 'access-denied' });
    await rejectsWithKind(client.readCases(['01234567']), 'rate-limited');
    fake.fail({ endpoint: 'graphql', body: 'graphql-transient' });
    await rejectsWithKind(client.readCases(['01234567']), 'transient');
    fake.fail({ endpoint: 'graphql', body: 'graphql-errors' });
    const partial = await client.readCases(['01234567']).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(partial instanceof Error && 'kind' in partial && partial.kind === 'bad-payload');
    assert.ok('portalMessage' in partial && partial.portalMessage === 'Missing CRM contact');
    assert.equal(client.readMode().path, 'graphql');
  });

  it('accepts a credential through any path, and reports a dead offline token as auth', async () => {
    assert.deepEqual(await client.verify(), { account: USER.username, path: 'graphql' });
    fake.retire('graphql');
    const other = makeFactory({ fake, api: 'v3', clock }).create(credential('offline-token'));
    assert.equal((await other.verify()).path, 'rest');
    fake.revokeOfflineToken(USER.offlineToken);
    const dead = makeFactory({ fake, api: 'v3', clock }).create(credential('offline-token'));
    await rejectsWithKind(dead.verify(), 'auth');
  });

  it('tells a switched-off API (gone) from a case the account cannot see', async () => {
    await rejectsWithKind(client.getCase(HIDDEN), 'not-visible');
    fake.retire('graphql');
    fake.retire('v3');
    const other = makeFactory({ fake, api: 'v3', clock }).create(credential('offline-token'));
    await rejectsWithKind(other.getCase('01234567'), 'gone');
    await rejectsWithKind(other.listComments('01234567'), 'gone');
    await rejectsWithKind(other.verify(), 'gone');
  });

  it('reads through the other API when one answers in a shape the bot cannot read', async () => {
    fake.setGraphqlSchema({ omit: ['RedHatSupportCase.CaseComments__r'] });
    await client.readCases(['01234567']);
    assert.equal(client.readMode().path, 'graphql+rest');
    fake.fail({ endpoint: 'v3-case', body: 'malformed' });
    assert.equal((await client.getCase('07654321')).number, '07654321');
    assert.equal(fake.count({ endpoint: 'graphql', status: 200 }) >= 2, true);
    // Both unreadable: the first API's error is the one reported.
    fake.fail({ endpoint: 'v3-comments', body: 'malformed' });
    await rejectsWithKind(client.listComments('01234567'), 'bad-payload');
  });

  it('reads a case for /add through GraphQL, or through REST when GraphQL is gone', async () => {
    const kase = await client.getCase('07654321');
    assert.equal(kase.number, '07654321');
    assert.equal(kase.product, 'OpenShift 4.16', 'GraphQL product names carry the version');
    fake.retire('graphql');
    const other = makeFactory({ fake, api: 'v3', clock }).create(credential('offline-token'));
    assert.equal((await other.getCase('07654321')).product, 'OpenShift');
  });
});
