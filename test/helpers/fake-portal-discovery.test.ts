// The fake portal's side of case discovery and attachment notices, checked over HTTP against
// redhat-portal-api-v3.md: the §6.2 ChangedCases query (where/first/after/orderBy/totalCount),
// the case fields following-by-rule reads (§4), REST v3 attachments (§7), and the switches for
// what the reference does not know (does a comment bump LastModifiedDate? 403 or 404?).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { callJson, get, list, ssoBearer, type JsonCall } from '../_helpers/fake-portal-calls.js';
import {
  startFakePortal,
  type FakePortal,
  type FakePortalOptions,
} from '../_helpers/fake-portal.js';

const T0 = Date.parse('2026-12-03T09:00:00Z');
const MINUTE = 60_000;
const APOLLO = {
  'apollographql-client-name': 'pushbot-tests',
  'apollographql-client-version': '1.0',
};
const CASES = 'data.redhat_support_uiapi.query.RedHatSupportCase';
const ALICE = { username: 'alice', offlineToken: 'alice-offline-token' };
const CAROL = { username: 'carol', offlineToken: 'carol-offline-token' };

/** §6.2 as written, plus the fields following-by-rule and the alerts read. */
const CHANGED_CASES = `query ChangedCases($first: Int, $after: String, $where: RedHatSupportCase_Filter) {
  redhat_support_uiapi { query {
    RedHatSupportCase(first: $first, after: $after, where: $where,
                      orderBy: { LastModifiedDate: { order: DESC } }) {
      totalCount
      edges { cursor node {
        Id  CaseNumber__c { value }  Subject { value }  Status { value }  Priority { value }
        IsClosed { value }  CreatedDate { value }  LastModifiedDate { value }
        Product { Name { value } }  Group__r { Name { value } }  Description { value }
        CreatedBy { Name { value } }
      } }
      pageInfo { hasNextPage endCursor }
    }
  } }
}`;

/** The §6.2 variables' where: changed since, Technical Support, unrestricted, open. */
const sinceWhere = (since: number, ...more: unknown[]) => ({
  and: [
    { LastModifiedDate: { gt: { value: new Date(since).toISOString() } } },
    { RedHatSupportRecordType: { Name: { eq: 'Technical Support' } } },
    { AccessRestrictions__c: { eq: 'None' } },
    { IsClosed: { eq: false } },
    ...more,
  ],
});

describe('fake portal: case discovery and attachments', () => {
  let fake: FakePortal;
  let alice: string;

  async function start(options: FakePortalOptions = {}): Promise<void> {
    fake = await startFakePortal({ startTime: T0, ...options });
    fake.addUser({ ...ALICE, visibleCases: [] });
    fake.addUser({ ...CAROL, visibleCases: [] });
    alice = await ssoBearer(fake.tokenUrl, ALICE.offlineToken);
  }

  function gql(variables: Record<string, unknown>, query = CHANGED_CASES): Promise<JsonCall> {
    return callJson(fake.graphqlUrl, {
      headers: { ...APOLLO, Authorization: alice },
      json: { query, variables },
    });
  }

  /** Case numbers of one ChangedCases page, in answer order. */
  async function numbers(where: unknown, first = 200): Promise<unknown[]> {
    const { status, body } = await gql({ first, where });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(get(body, 'errors'), undefined, JSON.stringify(body));
    return list(body, `${CASES}.edges`).map((e) => get(e, 'node.CaseNumber__c.value'));
  }

  const rest = (path: string, authorization: string | null = alice): Promise<JsonCall> =>
    callJson(`${fake.v3BaseUrl}${path}`, {
      headers: authorization !== null ? { Authorization: authorization } : {},
    });

  /** One case's LastModifiedDate over GraphQL and lastModifiedDate over REST v3, in ms. */
  async function modifiedAt(number: string): Promise<{ graphql: number; rest: number }> {
    const { body } = await gql({ first: 1, where: { CaseNumber__c: { eq: number } } });
    const gqlValue = get(body, `${CASES}.edges.0.node.LastModifiedDate.value`);
    const restValue = get((await rest(`/cases/${number}`)).body, 'lastModifiedDate');
    return {
      graphql: Date.parse(String(gqlValue)),
      rest: Date.parse(String(restValue).replace('+0000', '+00:00')),
    };
  }

  afterEach(() => fake.close());

  describe('GraphQL ChangedCases (§6.2)', () => {
    beforeEach(async () => {
      await start();
      const shown = { visibleTo: [ALICE.username] };
      fake.addCase({
        ...shown,
        number: '01000001',
        summary: 'Pods fail to schedule',
        description: 'After upgrading from 4.15 to 4.16 ...',
        severity: '2 (High)',
        product: 'OpenShift Container Platform',
        version: '4.16',
        group: 'Platform team',
        createdBy: 'Alice Example',
        createdAt: '2026-11-30T09:12:44Z',
        lastModifiedAt: '2026-12-03T08:10:00Z',
      });
      fake.addCase({
        ...shown,
        number: '01000002',
        severity: '4 (Low)',
        product: 'Red Hat Satellite',
        version: '6.16',
        lastModifiedAt: '2026-12-03T08:30:00Z',
      });
      fake.addCase({ ...shown, number: '01000003', lastModifiedAt: '2026-12-03T07:00:00Z' });
      fake.addCase({ ...shown, number: '01000004', closed: true });
      fake.addCase({ ...shown, number: '01000005', recordType: 'Escalation Notification' });
      fake.addCase({ ...shown, number: '01000006', accessRestrictions: 'Restricted' });
      fake.addCase({ number: '01000007', summary: 'only carol', visibleTo: [CAROL.username] });
    });

    it('answers the §6.2 query: changed since, open, Technical Support, newest change first', async () => {
      const { status, body } = await gql({
        first: 200,
        after: null,
        where: sinceWhere(T0 - 60 * MINUTE),
      });
      assert.equal(status, 200);
      assert.equal(get(body, 'errors'), undefined);
      assert.equal(get(body, `${CASES}.totalCount`), 2);
      const nodes = list(body, `${CASES}.edges`).map((e) => get(e, 'node'));
      assert.deepEqual(
        nodes.map((n) => get(n, 'CaseNumber__c.value')),
        ['01000002', '01000001'],
      );
      const first = nodes[1];
      assert.match(String(get(first, 'Id')), /^500/);
      assert.equal(get(first, 'Subject.value'), 'Pods fail to schedule');
      assert.equal(get(first, 'Description.value'), 'After upgrading from 4.15 to 4.16 ...');
      assert.equal(get(first, 'Priority.value'), '2 (High)');
      assert.equal(get(first, 'Status.value'), 'Waiting on Red Hat');
      assert.equal(get(first, 'IsClosed.value'), false);
      assert.equal(get(first, 'Product.Name.value'), 'OpenShift Container Platform 4.16');
      assert.equal(get(first, 'Group__r.Name.value'), 'Platform team');
      assert.equal(get(first, 'CreatedBy.Name.value'), 'Alice Example');
      assert.equal(get(first, 'CreatedDate.value'), '2026-11-30T09:12:44.000Z');
      assert.equal(get(first, 'LastModifiedDate.value'), '2026-12-03T08:10:00.000Z');
      assert.equal(get(nodes[0], 'Group__r'), null);
    });

    it('pages with first/after: totalCount on every page, endCursor continues, last page says so', async () => {
      const seen: unknown[] = [];
      let after: unknown = null;
      const pages: boolean[] = [];
      for (;;) {
        const { body } = await gql({ first: 2, after, where: { IsClosed: { eq: false } } });
        assert.equal(get(body, `${CASES}.totalCount`), 5);
        const edges = list(body, `${CASES}.edges`);
        seen.push(...edges.map((e) => get(e, 'node.CaseNumber__c.value')));
        assert.equal(get(body, `${CASES}.pageInfo.endCursor`), get(edges.at(-1), 'cursor'));
        const hasNext = get(body, `${CASES}.pageInfo.hasNextPage`);
        pages.push(hasNext === true);
        if (hasNext !== true) break;
        after = get(body, `${CASES}.pageInfo.endCursor`);
      }
      assert.deepEqual(pages, [true, true, false]);
      // Newest change first; the three cases made at T0 tie, and case number breaks the tie.
      assert.deepEqual(seen, ['01000005', '01000006', '01000002', '01000001', '01000003']);
    });

    it('refuses first above 200 as a GraphQL error, like the published guideline', async () => {
      for (const first of [201, 1000]) {
        const { status, body } = await gql({ first, where: null });
        assert.equal(status, 200);
        assert.equal(get(body, CASES), null);
        assert.match(String(get(body, 'errors.0.message')), /first.*200/);
      }
      assert.equal(list((await gql({ first: 200 })).body, `${CASES}.edges`).length, 6);
    });

    it('takes another page size limit and default when told (the real ones are unknown)', async () => {
      await fake.close();
      await start({ graphqlMaxFirst: 2000, graphqlDefaultFirst: 1 });
      for (const number of ['02000001', '02000002']) fake.addCase({ number, visibleTo: ['alice'] });
      const big = await gql({ first: 201 });
      assert.equal(get(big.body, 'errors'), undefined);
      assert.equal(list(big.body, `${CASES}.edges`).length, 2);
      const omitted = await gql({});
      assert.equal(list(omitted.body, `${CASES}.edges`).length, 1);
      assert.equal(get(omitted.body, `${CASES}.pageInfo.hasNextPage`), true);
    });

    it('filters by severity, product, group and author, as following-by-rule needs', async () => {
      assert.deepEqual(await numbers({ Priority: { in: ['1 (Urgent)', '2 (High)'] } }), [
        '01000001',
      ]);
      assert.deepEqual(await numbers({ Product: { Name: { like: 'Red Hat Satellite%' } } }), [
        '01000002',
      ]);
      assert.deepEqual(await numbers({ Group__r: { Name: { eq: 'Platform team' } } }), [
        '01000001',
      ]);
      assert.deepEqual(await numbers({ CreatedBy: { Name: { eq: 'Alice Example' } } }), [
        '01000001',
      ]);
      assert.deepEqual(
        await numbers(sinceWhere(T0 - 24 * 60 * MINUTE, { Priority: { in: ['4 (Low)'] } })),
        ['01000002'],
      );
      assert.deepEqual(
        await numbers({ RedHatSupportRecordType: { Name: { ne: 'Technical Support' } } }),
        ['01000005'],
      );
    });

    it('lets a test drop Group__r from the schema, as output and as filter', async () => {
      fake.setGraphqlSchema({ omit: ['RedHatSupportCase.Group__r'] });
      const output = await gql({ first: 1 });
      assert.equal(output.status, 400);
      assert.match(String(get(output.body, 'errors.0.message')), /Cannot query field "Group__r"/);

      fake.setGraphqlSchema({ omit: ['RedHatSupportCase_Filter.Group__r'] });
      assert.equal((await gql({ first: 1 })).status, 200);
      const filter = await gql({ first: 1, where: { Group__r: { Name: { eq: 'x' } } } });
      assert.equal(filter.status, 400);
      assert.match(String(get(filter.body, 'errors.0.message')), /Group__r/);
      fake.setGraphqlSchema({});
      assert.equal(
        (await gql({ first: 1, where: { Group__r: { Name: { eq: 'x' } } } })).status,
        200,
      );
    });

    it('shows a new case only to the users it was made visible to, created and modified now', async () => {
      fake.advanceTime(5 * MINUTE);
      fake.addCase({ number: '01000010', severity: '1 (Urgent)', visibleTo: [ALICE.username] });
      const { body } = await gql({ first: 1, where: sinceWhere(T0) });
      assert.equal(get(body, `${CASES}.totalCount`), 1);
      const node = get(body, `${CASES}.edges.0.node`);
      assert.equal(get(node, 'CaseNumber__c.value'), '01000010');
      assert.equal(get(node, 'CreatedDate.value'), new Date(T0 + 5 * MINUTE).toISOString());
      assert.equal(get(node, 'LastModifiedDate.value'), new Date(T0 + 5 * MINUTE).toISOString());
      const carol = await ssoBearer(fake.tokenUrl, CAROL.offlineToken);
      assert.equal((await rest('/cases/01000010', carol)).status, 404);
      assert.throws(() => fake.addCase({ number: '01000011', visibleTo: ['nobody'] }), /nobody/);
    });

    it('bumps LastModifiedDate on a severity, status or close change, and a closed case leaves', async () => {
      const changes: [string, () => void][] = [
        ['01000003', () => fake.setSeverity('01000003', '1 (Urgent)')],
        ['01000002', () => fake.setStatus('01000002', 'Waiting on Customer Action Required')],
        ['01000001', () => fake.closeCase('01000001')],
      ];
      for (const [number, change] of changes) {
        fake.advanceTime(MINUTE);
        const before = fake.now();
        change();
        assert.deepEqual(await modifiedAt(number), { graphql: before, rest: before });
      }
      assert.deepEqual(await numbers(sinceWhere(T0)), ['01000002', '01000003']);
      const { body } = await gql({ first: 1, where: { CaseNumber__c: { eq: '01000003' } } });
      assert.equal(get(body, `${CASES}.edges.0.node.Priority.value`), '1 (Urgent)');
    });
  });

  describe('whether comments and attachments bump the case (§12-Q3, switchable)', () => {
    for (const bumps of [true, false]) {
      it(`${bumps ? 'bumps' : 'leaves'} lastModifiedDate on a comment when commentsBumpCaseModified is ${bumps}`, async () => {
        await start({ commentsBumpCaseModified: bumps });
        fake.addCase({ number: '03000001', visibleTo: [ALICE.username] });
        fake.advanceTime(10 * MINUTE);
        const id = fake.addComment('03000001', { body: 'new' });
        const expected = bumps ? T0 + 10 * MINUTE : T0;
        assert.deepEqual(await modifiedAt('03000001'), { graphql: expected, rest: expected });
        fake.advanceTime(MINUTE);
        fake.editComment('03000001', id, 'edited');
        const edited = bumps ? T0 + 11 * MINUTE : T0;
        assert.deepEqual(await modifiedAt('03000001'), { graphql: edited, rest: edited });
        assert.deepEqual(await numbers(sinceWhere(T0)), bumps ? ['03000001'] : []);
        // An attachment still bumps: that is its own switch.
        fake.advanceTime(MINUTE);
        fake.addAttachment('03000001');
        const attached = T0 + 12 * MINUTE;
        assert.deepEqual(await modifiedAt('03000001'), { graphql: attached, rest: attached });
      });
    }

    it('leaves lastModifiedDate on an attachment when attachmentsBumpCaseModified is false', async () => {
      await start({ attachmentsBumpCaseModified: false });
      fake.addCase({ number: '03000002', visibleTo: [ALICE.username] });
      fake.advanceTime(MINUTE);
      fake.addAttachment('03000002');
      assert.deepEqual(await modifiedAt('03000002'), { graphql: T0, rest: T0 });
      assert.equal(list((await rest('/cases/03000002/attachments')).body, '').length, 1);
    });
  });

  describe('REST v3 attachments (§7)', () => {
    beforeEach(async () => {
      await start();
      fake.addCase({ number: '04000001', visibleTo: [ALICE.username], product: 'RHEL' });
      fake.addCase({ number: '04000002', visibleTo: [ALICE.username] });
      fake.addCase({ number: '04000009', visibleTo: [CAROL.username] });
    });

    const sosreport = {
      uuid: '6f1c0c9e-0000-4000-8000-00000000abcd',
      fileName: 'sosreport-node1.tar.xz',
      description: 'sosreport',
      size: 73_400_320,
      createdBy: 'Alice Example',
      createdByType: 'Customer',
      isPrivate: false,
      createdAt: '2026-12-02T14:01:55Z',
    } as const;

    it('lists a bare array newest first with the §7 fields, no author type by default', async () => {
      fake.addAttachment('04000001', sosreport);
      const later = fake.addAttachment('04000001', { createdBy: 'Bob Engineer', isPrivate: true });
      const { status, body } = await rest('/cases/04000001/attachments');
      assert.equal(status, 200);
      const files = list(body, '');
      assert.deepEqual(
        files.map((f) => get(f, 'uuid')),
        [later, sosreport.uuid],
      );
      assert.deepEqual(files[1], {
        uuid: sosreport.uuid,
        fileName: 'sosreport-node1.tar.xz',
        description: 'sosreport',
        size: 73_400_320,
        createdBy: 'Alice Example',
        createdDate: '2026-12-02T14:01:55.000+0000',
        lastModifiedDate: '2026-12-02T14:01:55.000+0000',
        link: `https://attachments.access.redhat.com/hydra/rest/cases/04000001/attachments/${sosreport.uuid}`,
      });
      assert.equal(get(files[0], 'createdDate'), '2026-12-03T09:00:00.000+0000');
      assert.equal(get(files[0], 'isPrivate'), undefined);
      assert.deepEqual(list((await rest('/cases/04000002/attachments')).body, ''), []);
    });

    it('adds createdByType and isPrivate only where set, with attachmentsCarryAuthorType', async () => {
      await fake.close();
      await start({ attachmentsCarryAuthorType: true });
      fake.addCase({ number: '04000001', visibleTo: [ALICE.username] });
      fake.addAttachment('04000001', sosreport);
      fake.addAttachment('04000001', { createdByType: 'Associate' });
      const files = list((await rest('/cases/04000001/attachments')).body, '');
      assert.deepEqual(
        files.map((f) => [get(f, 'createdByType'), get(f, 'isPrivate')]),
        [
          ['Associate', undefined],
          ['Customer', false],
        ],
      );
    });

    it('answers 404 for an unknown case, 404 or 403 for an invisible one, 401 without auth', async () => {
      for (const number of ['04999999', '04000009']) {
        const { status, body } = await rest(`/cases/${number}/attachments`);
        assert.equal(status, 404);
        assert.deepEqual(body, { status: 404, message: `Case ${number} not found` });
      }
      assert.equal((await rest('/cases/04000001/attachments', null)).status, 401);

      await fake.close();
      await start({ v3InvisibleCaseStatus: 403 });
      fake.addCase({ number: '04000009', visibleTo: [CAROL.username] });
      for (const path of ['', '/comments', '/attachments']) {
        const { status, body } = await rest(`/cases/04000009${path}`);
        assert.equal(status, 403, path);
        assert.equal(get(body, 'status'), 403);
      }
      assert.equal((await rest('/cases/04999999/attachments')).status, 404);
    });

    it('counts requests per endpoint and case, and takes injected faults like comments do', async () => {
      fake.fail({ endpoint: 'v3-attachments', caseNumber: '04000002', status: 503, retryAfter: 7 });
      assert.equal((await rest('/cases/04000001/attachments')).status, 200);
      const failed = await rest('/cases/04000002/attachments');
      assert.equal(failed.status, 503);
      assert.equal(failed.headers.get('retry-after'), '7');
      assert.equal((await rest('/cases/04000002/attachments')).status, 200);
      fake.fail({ endpoint: 'v3-attachments', body: 'html' });
      const page = await rest('/cases/04000001/attachments');
      assert.equal(page.status, 502);
      assert.equal(page.body, undefined);
      await rest('/cases/04000001/comments');

      assert.equal(fake.count({ endpoint: 'v3-attachments' }), 4);
      assert.equal(fake.count({ endpoint: 'v3-attachments', caseNumber: '04000002' }), 2);
      assert.equal(fake.count({ endpoint: 'v3-attachments', status: 503 }), 1);
      assert.equal(fake.count({ endpoint: 'v3-comments', caseNumber: '04000001' }), 1);
      assert.equal(fake.count({ flavour: 'v3' }), 5);
      // A fault answers before the credential is read: no user on those two records.
      assert.equal(fake.count({ flavour: 'v3', user: ALICE.username }), 3);
      fake.retire('v3');
      assert.equal((await rest('/cases/04000001/attachments')).status, 404);
    });

    it('serves the case description given, on REST v3 as on GraphQL', async () => {
      fake.addCase({ number: '04000003', description: 'It broke.', visibleTo: [ALICE.username] });
      assert.equal(get((await rest('/cases/04000003')).body, 'description'), 'It broke.');
      assert.equal(
        get((await rest('/cases/04000001')).body, 'description'),
        'Description of Case 04000001',
      );
    });
  });
});
