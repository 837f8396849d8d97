// searchCases (the follow rules' discovery) and the case details a new-case alert shows, over
// loopback against the fake portal's GraphQL (a real schema, so a refused field is refused by
// graphql's own validation). The variables the client sends are read from the factory's
// onAnswer hook, which sees every request body as sent.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { createPortalClientFactory } from '../../src/portal/index.js';
import type { PortalClient } from '../../src/portal/types.js';
import { REPROBE_MS } from '../../src/portal/v3.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import {
  APIS,
  USER,
  captureLogger,
  credential,
  makeFactory,
  manualClock,
  portalConfig,
  rejectsWithKind,
} from './helpers.js';

const START = Date.parse('2026-12-03T09:00:00Z');
const CHECKPOINT = new Date('2026-12-02T00:00:00.000Z');
const HIDDEN = '09999999';

const sentSchema = z.object({
  query: z.string(),
  variables: z.record(z.string(), z.unknown()),
});
type Sent = z.infer<typeof sentSchema>;

/** A v3 client on the fake, and the GraphQL requests it sends, as sent. */
function v3Client(
  fake: FakePortal,
  clock: ReturnType<typeof manualClock>,
  log = captureLogger('silent'),
): { client: PortalClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const factory = createPortalClientFactory({
    portal: portalConfig(fake, 'v3'),
    logger: log.logger,
    userAgent: 'tickets-pushbot/test',
    version: '0.0.0-test',
    env: {},
    clock,
    onAnswer: (request) => {
      if (request.endpoint !== 'POST /graphql' || request.body === undefined) return;
      sent.push(sentSchema.parse(JSON.parse(request.body)));
    },
  });
  return { client: factory.create(credential('offline-token')), sent };
}

const numbers = (cases: readonly { number: string }[]): string[] => cases.map((c) => c.number);

describe('v3 client: searching cases through GraphQL', () => {
  let fake: FakePortal;
  let clock: ReturnType<typeof manualClock>;

  beforeEach(async () => {
    fake = await startFakePortal({ startTime: START });
    clock = manualClock(START);
    // Case numbers run against the modification order, so only a sort by date passes.
    const cases: [string, string, { closed?: boolean }?][] = [
      ['01000005', '2026-12-01T10:00:00Z'], // before the checkpoint
      ['01000004', '2026-12-02T00:00:00Z'], // at the checkpoint: not strictly after it
      ['01000003', '2026-12-02T12:00:00Z'],
      ['01000002', '2026-12-02T18:00:00Z', { closed: true }],
      ['01000001', '2026-12-03T08:00:00Z'],
      ['01000000', '2026-12-02T06:00:00Z'],
    ];
    const visible = [...cases.map(([n]) => n)];
    fake.addUser({ ...USER, visibleCases: visible });
    for (const [number, lastModifiedAt, extra] of cases) {
      fake.addCase({ number, lastModifiedAt, createdAt: '2026-11-30T09:12:44Z', ...extra });
    }
    fake.addCase({ number: HIDDEN, lastModifiedAt: '2026-12-03T07:00:00Z' });
  });
  afterEach(() => fake.close());

  it('asks once for open cases modified after the checkpoint, least recently modified first', async () => {
    const { client, sent } = v3Client(fake, clock);
    assert.equal(client.canSearch(), true, 'before any path settled, GraphQL is tried');
    const page = await client.searchCases({ modifiedAfter: CHECKPOINT, openOnly: true, first: 50 });

    assert.equal(sent.length, 1);
    const [request] = sent;
    assert.ok(request);
    assert.deepEqual(request.variables, {
      where: {
        and: [
          { LastModifiedDate: { gt: { value: '2026-12-02T00:00:00.000Z' } } },
          { IsClosed: { eq: false } },
        ],
      },
      first: 50,
      after: null,
    });
    assert.match(request.query, /orderBy: \{ LastModifiedDate: \{ order: ASC \} \}/);
    assert.match(request.query, /totalCount/);
    assert.doesNotMatch(request.query, /RedHatSupportRecordType|AccessRestrictions__c/);
    assert.doesNotMatch(request.query, /CaseComments__r/);

    assert.deepEqual(numbers(page.cases), ['01000000', '01000003', '01000001']);
    assert.equal(page.totalCount, 3);
    assert.equal(page.hasNextPage, false);
    assert.equal(page.requests, 1);
    assert.equal(fake.count({ endpoint: 'graphql' }), 1);
    assert.equal(fake.count({ flavour: 'v3' }), 0, 'no REST request');
  });

  it('sends no where without conditions, and keeps first within 1..200', async () => {
    const { client, sent } = v3Client(fake, clock);
    const all = await client.searchCases({ openOnly: false, first: 1000 });
    assert.deepEqual(sent[0]?.variables, { first: 200, after: null });
    assert.deepEqual(numbers(all.cases), [
      '01000005',
      '01000004',
      '01000000',
      '01000003',
      '01000002',
      '01000001',
    ]);
    assert.equal(all.totalCount, 6, 'what the credential sees, closed cases included');

    const one = await client.searchCases({ openOnly: false, first: 0 });
    assert.equal(sent[1]?.variables.first, 1);
    assert.equal(one.cases.length, 1);
    assert.equal(one.hasNextPage, true);
  });

  it('pages with endCursor, each page after the one before, until hasNextPage is false', async () => {
    const { client, sent } = v3Client(fake, clock);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const result = await client.searchCases({
        openOnly: true,
        first: 2,
        ...(after !== undefined ? { after } : {}),
      });
      assert.equal(result.totalCount, 5);
      seen.push(...numbers(result.cases));
      if (!result.hasNextPage) break;
      assert.ok(result.endCursor);
      after = result.endCursor;
    }
    assert.deepEqual(seen, ['01000005', '01000004', '01000000', '01000003', '01000001']);
    assert.equal(sent.length, 3);
    assert.equal(sent[0]?.variables.after, null);
    assert.equal(typeof sent[1]?.variables.after, 'string');
    assert.notEqual(sent[1]?.variables.after, sent[2]?.variables.after);
  });

  it('drops optional fields the portal refuses, once, and still searches', async () => {
    fake.setGraphqlSchema({
      omit: [
        'RedHatSupportCase.Description',
        'RedHatSupportCase.Group__r',
        'RedHatSupportCaseConnection.totalCount',
      ],
    });
    const log = captureLogger('info');
    const { client, sent } = v3Client(fake, clock, log);
    const first = await client.searchCases({
      modifiedAfter: CHECKPOINT,
      openOnly: true,
      first: 10,
    });
    assert.deepEqual(numbers(first.cases), ['01000000', '01000003', '01000001']);
    assert.equal(first.requests, 4, 'one refusal per field, then the answer');
    assert.equal(first.totalCount, undefined);
    assert.equal(first.cases[0]?.description, undefined);
    assert.equal(first.cases[0]?.createdAt, '2026-11-30T09:12:44.000Z');
    assert.equal(log.count(/refused an optional field/), 3);

    const again = await client.searchCases({
      modifiedAfter: CHECKPOINT,
      openOnly: true,
      first: 10,
    });
    assert.equal(again.requests, 1, 'the drops are remembered');
    assert.doesNotMatch(sent.at(-1)?.query ?? '', /Description|Group__r|totalCount/);
  });

  it('asks without orderBy when the portal refuses it, and sorts each page itself', async () => {
    fake.setGraphqlSchema({ omit: ['RedHatSupportCase_OrderBy.LastModifiedDate'] });
    const log = captureLogger('info');
    const { client, sent } = v3Client(fake, clock, log);
    const page = await client.searchCases({ modifiedAfter: CHECKPOINT, openOnly: true, first: 10 });
    // The fake then answers in case-number order: 01000000, 01000001, 01000003.
    assert.deepEqual(numbers(page.cases), ['01000000', '01000003', '01000001']);
    assert.equal(page.requests, 2);
    assert.doesNotMatch(sent[1]?.query ?? '', /orderBy/);
    assert.equal(log.count(/refused to order the case search/), 1);

    const again = await client.searchCases({ openOnly: true, first: 10 });
    assert.equal(again.requests, 1, 'orderBy stays off');
    assert.equal(again.cases.length, 5);
  });

  it('reports a refused search as unsupported, and does not try again before the re-probe', async () => {
    fake.setGraphqlSchema({ omit: ['RedHatSupportCase_Filter.IsClosed'] });
    const { client } = v3Client(fake, clock);
    const err = await rejectsWithKind(
      client.searchCases({ openOnly: true, first: 10 }),
      'unsupported',
    );
    assert.match(err.message, /cannot search/);
    assert.equal(client.canSearch(), false);
    fake.resetCounters();
    await rejectsWithKind(client.searchCases({ openOnly: true, first: 10 }), 'unsupported');
    assert.equal(fake.count(), 0, 'no request while refused');
    assert.equal(client.readMode().path, 'graphql', 'a search never moves the read path');

    fake.setGraphqlSchema({});
    await clock.advance(REPROBE_MS);
    assert.equal(client.canSearch(), true);
    assert.equal((await client.searchCases({ openOnly: true, first: 10 })).cases.length, 5);
  });

  it('keeps the failure kind of a transient failure, and stays searchable', async () => {
    const { client } = v3Client(fake, clock);
    fake.fail({ endpoint: 'graphql', status: 503 });
    await rejectsWithKind(client.searchCases({ openOnly: true, first: 10 }), 'transient');
    assert.equal(client.canSearch(), true);
  });

  it('cannot search on the REST-only path: canSearch is false, searchCases unsupported', async () => {
    fake.retire('graphql');
    const { client } = v3Client(fake, clock);
    await rejectsWithKind(client.readCases(['01000001']), 'unsupported');
    assert.equal(client.readMode().kind, 'per-case');
    assert.equal(client.canSearch(), false);
    fake.resetCounters();
    const err = await rejectsWithKind(
      client.searchCases({ openOnly: true, first: 10 }),
      'unsupported',
    );
    assert.match(err.message, /REST v3/);
    assert.equal(fake.count(), 0);
  });

  it('reports a search where GraphQL is gone as unsupported', async () => {
    fake.retire('graphql');
    const { client } = v3Client(fake, clock);
    const err = await rejectsWithKind(
      client.searchCases({ openOnly: true, first: 10 }),
      'unsupported',
    );
    assert.equal(err.status, 404);
  });
});

describe('v3 client: what a new-case alert shows', () => {
  let fake: FakePortal;
  let clock: ReturnType<typeof manualClock>;
  const NUMBER = '01234567';

  beforeEach(async () => {
    fake = await startFakePortal({ startTime: START });
    clock = manualClock(START);
    fake.addUser({ ...USER });
    fake.addCase({
      number: NUMBER,
      summary: 'Pods fail to schedule after upgrade',
      description: '<p>After upgrading &amp; rebooting:</p><ul><li>node1</li><li>node2</li></ul>',
      severity: '2 (High)',
      product: 'OpenShift Container Platform',
      version: '4.16',
      group: 'Platform team',
      createdBy: 'Alice Example',
      createdAt: '2026-11-30T09:12:44Z',
      lastModifiedAt: '2026-12-02T14:03:07Z',
    });
  });
  afterEach(() => fake.close());

  it('gives the description as text, the opener, the creation date, product and group', async () => {
    const { client } = v3Client(fake, clock);
    const [kase] = (await client.searchCases({ openOnly: true, first: 10 })).cases;
    assert.deepEqual(kase, {
      number: NUMBER,
      summary: 'Pods fail to schedule after upgrade',
      status: 'Waiting on Red Hat',
      severity: '2 (High)',
      // GraphQL's product name includes the version.
      product: 'OpenShift Container Platform 4.16',
      closed: false,
      lastModifiedAt: '2026-12-02T14:03:07.000Z',
      group: 'Platform team',
      description: 'After upgrading & rebooting:\n\n• node1\n• node2',
      createdBy: 'Alice Example',
      createdAt: '2026-11-30T09:12:44.000Z',
    });
  });

  it('reads the same details in a single-case read, through GraphQL and through REST v3', async () => {
    const { client, sent } = v3Client(fake, clock);
    const viaGraphql = await client.getCase(NUMBER);
    assert.equal(fake.count({ endpoint: 'graphql' }), 1);
    assert.match(sent[0]?.query ?? '', /Description/);
    assert.equal(viaGraphql.description, 'After upgrading & rebooting:\n\n• node1\n• node2');
    assert.equal(viaGraphql.createdBy, 'Alice Example');
    assert.equal(viaGraphql.createdAt, '2026-11-30T09:12:44.000Z');

    fake.retire('graphql');
    const rest = makeFactory({ fake, api: 'v3', clock }).create(credential('offline-token'));
    await rest.verify();
    const viaRest = await rest.getCase(NUMBER);
    assert.equal(viaRest.description, viaGraphql.description);
    assert.equal(viaRest.createdAt, viaGraphql.createdAt);
    // REST v3 names no opener: the case contact stands in (the fake's placeholder).
    assert.equal(viaRest.createdBy, 'Example Customer');
  });

  it('keeps the per-cycle batch lean: no description, opener or creation date', async () => {
    const { client, sent } = v3Client(fake, clock);
    const read = await client.readCases([NUMBER]);
    assert.doesNotMatch(sent[0]?.query ?? '', /Description/);
    const kase = read.cases.get(NUMBER)?.kase;
    assert.ok(kase);
    assert.equal(kase.description, undefined);
    assert.equal(kase.createdAt, undefined);
  });
});

for (const api of APIS) {
  describe(`${api} client: no search`, () => {
    it('says it cannot search, without asking the portal', async () => {
      const fake = await startFakePortal();
      try {
        fake.addUser({ ...USER });
        const client = makeFactory({ fake, api }).create(credential('basic'));
        assert.equal(client.canSearch(), false);
        const err = await rejectsWithKind(
          client.searchCases({ openOnly: true, first: 10 }),
          'unsupported',
        );
        assert.match(err.message, /v1 .*cannot search cases/);
        assert.equal(fake.count(), 0);
      } finally {
        await fake.close();
      }
    });
  });
}
