// The fake portal's REST v3 and GraphQL faces, checked directly over HTTP against the wire
// contract the production client is written to (redhat-portal-api-v3.md §4–6, §9, §13).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { callJson, get, list, ssoBearer, type JsonCall } from '../_helpers/fake-portal-calls.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import { USER } from './helpers.js';

const REST_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
const APOLLO = {
  'apollographql-client-name': 'pushbot-tests',
  'apollographql-client-version': '1.0',
};
const CASES = 'data.redhat_support_uiapi.query.RedHatSupportCase';

const COMMENTS_QUERY = `query CaseComments($where: RedHatSupportCase_Filter, $first: Int, $after: String, $cfirst: Int, $cafter: String) {
  redhat_support_uiapi { query {
    RedHatSupportCase(where: $where, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        Id CaseNumber__c { value } Status { value } IsClosed { value } ClosedDate { value }
        LastModifiedDate { value } Product { Name { value } VersionName__c { value } } Group__r { Name { value } }
        CaseComments__r(first: $cfirst, after: $cafter, orderBy: { CreatedDate: { order: DESC } }) {
          totalCount
          edges { cursor node {
            Id Body__c { value } CreatedDate { value } CreatedBy { Name { value } }
            LastModifiedByName__c { value } IsAssociate__c { value } IsCustomer__c { value }
            Visibility__c { value }
          } }
          pageInfo { hasNextPage endCursor }
        }
      } }
    }
  } }
}`;

describe('fake portal, REST v3 and GraphQL', () => {
  let fake: FakePortal;
  let bearer: string;

  const token = (portal: FakePortal): Promise<string> =>
    ssoBearer(portal.tokenUrl, USER.offlineToken);

  /** REST v3 under the fake's v3BaseUrl, with the test user's bearer unless told otherwise. */
  function rest(
    path: string,
    init: {
      method?: string;
      body?: unknown;
      authorization?: string | null;
      portal?: FakePortal;
    } = {},
  ): Promise<JsonCall> {
    const authorization = init.authorization === undefined ? bearer : init.authorization;
    return callJson(`${(init.portal ?? fake).v3BaseUrl}${path}`, {
      ...(init.method !== undefined ? { method: init.method } : {}),
      headers: authorization !== null ? { Authorization: authorization } : {},
      ...(init.body !== undefined ? { json: init.body } : {}),
    });
  }

  /** One GraphQL POST, with the bearer and both Apollo headers unless `headers` replaces them. */
  function gql(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = { ...APOLLO, Authorization: bearer },
  ): Promise<JsonCall> {
    return callJson(fake.graphqlUrl, { headers, json: { query, variables } });
  }

  const byNumber = (numbers: string[]) => ({ where: { CaseNumber__c: { in: numbers } } });

  beforeEach(async () => {
    fake = await startFakePortal({ startTime: Date.parse('2026-12-03T09:00:00Z') });
    fake.addUser({ ...USER, visibleCases: ['01234567', '07654321', '05555555'] });
    fake.addCase({
      number: '01234567',
      summary: 'Pods fail to schedule after upgrade',
      status: 'Waiting on Customer Action Required',
      product: 'OpenShift Container Platform',
      version: '4.16',
      group: 'Demo group',
      lastModifiedAt: '2026-11-30T09:12:44Z',
    });
    fake.addComment('01234567', {
      author: 'Bob Engineer',
      authorType: 'Associate',
      body: 'Could you attach a sosreport?',
      createdAt: '2026-12-01T08:02:10Z',
    });
    fake.addComment('01234567', {
      author: 'Bob Engineer',
      authorType: 'Internal',
      body: 'internal: looks like BZ 123',
      createdAt: '2026-12-01T09:00:00Z',
    });
    fake.addComment('01234567', {
      author: 'Alice Example',
      authorType: 'Customer',
      body: '<p>Uploaded sosreport &amp; must-gather.</p>',
      contentType: 'html',
      createdAt: '2026-12-02T14:03:07Z',
    });
    fake.addComment('01234567', {
      author: 'Alice Example',
      authorType: 'Customer',
      body: 'half-written',
      createdAt: '2026-12-02T15:00:00Z',
      isDraft: true,
    });
    fake.addCase({ number: '07654321', product: 'Red Hat Satellite', version: '6.16' });
    fake.addCase({ number: '05555555', closed: true, lastModifiedAt: '2026-11-01T10:00:00Z' });
    fake.addCase({ number: '09999999', summary: 'someone else’s case' });
    bearer = await token(fake);
  });
  afterEach(() => fake.close());

  describe('REST v3', () => {
    it('serves a case with its comments embedded newest first, in the +0000 date form', async () => {
      const { status, body } = await rest('/cases/01234567');
      assert.equal(status, 200);
      assert.ok(typeof body === 'object' && body !== null);
      assert.deepEqual(Object.keys(body).sort(), [
        ...['accountNumberRef', 'bugzillas', 'caseNumber', 'caseType', 'comments', 'contactName'],
        ...['createdDate', 'critSit', 'description', 'groupName', 'isClosed', 'lastClosedAt'],
        ...['lastModifiedDate', 'notifiedUsers', 'ownerId', 'product', 'severity', 'status'],
        ...['summary', 'version'],
      ]);
      assert.equal(get(body, 'product'), 'OpenShift Container Platform');
      assert.equal(get(body, 'version'), '4.16');
      assert.equal(get(body, 'groupName'), 'Demo group');
      assert.equal(get(body, 'lastClosedAt'), null);
      assert.equal(get(body, 'lastModifiedDate'), '2026-12-02T15:00:00.000+0000');
      assert.match(String(get(body, 'createdDate')), REST_DATE);
      const comments = list(body, 'comments');
      assert.deepEqual(
        comments.map((c) => get(c, 'createdDate')),
        [
          '2026-12-02T15:00:00.000+0000',
          '2026-12-02T14:03:07.000+0000',
          '2026-12-01T09:00:00.000+0000',
          '2026-12-01T08:02:10.000+0000',
        ],
      );
    });

    it('keeps the comments key on a case without comments, and omits groupName when unset', async () => {
      const { body } = await rest('/cases/07654321');
      assert.deepEqual(get(body, 'comments'), []);
      assert.equal(get(body, 'groupName'), undefined);
      const closed = await rest('/cases/05555555');
      assert.equal(get(closed.body, 'isClosed'), true);
      assert.equal(get(closed.body, 'lastClosedAt'), '2026-11-01T10:00:00.000+0000');
    });

    it('lists comments as a bare array, sorted as asked, internal ones typed "Internal", no isPublic', async () => {
      const asc = await rest('/cases/01234567/comments?sortField=createdDate&sortOrder=asc');
      assert.equal(asc.status, 200);
      assert.ok(Array.isArray(asc.body));
      assert.deepEqual(asc.body[2], {
        id: get(asc.body, '2.id'),
        caseNumber: '01234567',
        commentBody: '<p>Uploaded sosreport &amp; must-gather.</p>',
        createdBy: 'Alice Example',
        createdByType: 'Customer',
        createdDate: '2026-12-02T14:03:07.000+0000',
        lastModifiedDate: '2026-12-02T14:03:07.000+0000',
        isDraft: false,
        contentType: 'html',
      });
      assert.deepEqual(
        asc.body.map((c) => [get(c, 'createdByType'), get(c, 'isDraft')]),
        [
          ['Associate', false],
          ['Internal', false],
          ['Customer', false],
          ['Customer', true],
        ],
      );
      const desc = await rest('/cases/01234567/comments');
      assert.deepEqual(
        list(desc.body, '').map((c) => get(c, 'id')),
        asc.body.map((c) => get(c, 'id')).reverse(),
      );
    });

    it('answers 404 JSON for a case the user cannot see or that does not exist, 401 without auth', async () => {
      for (const number of ['09999999', '0123']) {
        const { status, body } = await rest(`/cases/${number}/comments`);
        assert.equal(status, 404);
        assert.deepEqual(body, { status: 404, message: `Case ${number} not found` });
      }
      const anonymous = await rest('/cases/01234567', { authorization: null });
      assert.equal(anonymous.status, 401);
      assert.equal(get(anonymous.body, 'status'), 401);
      assert.equal(typeof get(anonymous.body, 'message'), 'string');
      const basic = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
      assert.equal((await rest('/cases/01234567', { authorization: basic })).status, 200);
      assert.equal((await rest('/cases/01234567/bugzillas')).status, 404);
    });

    it('filters to at most 5 cases whatever maxResults asks, with the true totalCount', async () => {
      const numbers = ['02000001', '02000002', '02000003', '02000004', '02000005', '02000006'];
      fake.addUser({ username: 'many', password: 'many-password', visibleCases: numbers });
      for (const number of numbers) fake.addCase({ number });
      const basic = `Basic ${Buffer.from('many:many-password').toString('base64')}`;
      const { status, body } = await rest('/cases/filter', {
        method: 'POST',
        body: { maxResults: 50, offset: 0 },
        authorization: basic,
      });
      assert.equal(status, 200);
      assert.equal(get(body, 'totalCount'), 6);
      const cases = list(body, 'cases');
      assert.equal(cases.length, 5);
      assert.equal(get(cases[0], 'comments'), undefined);
      const small = await rest('/cases/filter', { method: 'POST', body: { maxResults: 2 } });
      assert.equal(list(small.body, 'cases').length, 2);
      assert.equal(get(small.body, 'totalCount'), 3);
    });

    it('gives comments the v1 ids by default, and distinct ids when asked', async () => {
      const v1 = await fetch(`${fake.hydraBaseUrl}/cases/01234567/comments`, {
        headers: { Authorization: bearer },
      });
      const v1Ids = list(await v1.json(), '').map((c) => get(c, 'id'));
      assert.equal(v1Ids.length, 4);
      const v3 = await rest('/cases/01234567/comments');
      assert.deepEqual(
        list(v3.body, '').map((c) => get(c, 'id')),
        v1Ids,
      );

      const distinct = await startFakePortal({ v3RestIds: 'distinct' });
      try {
        distinct.addUser({ ...USER });
        distinct.addCase({ number: '01234567' });
        const id = distinct.addComment('01234567');
        const { body } = await rest('/cases/01234567/comments', {
          portal: distinct,
          authorization: await token(distinct),
        });
        assert.equal(get(body, '0.id'), `a0c${id.slice(3)}`);
        assert.notEqual(get(body, '0.id'), id);
      } finally {
        await distinct.close();
      }
    });
  });

  describe('GraphQL', () => {
    it('reads a batch of cases by CaseNumber__c in [...] with their comments newest first, no drafts', async () => {
      const { status, body } = await gql(COMMENTS_QUERY, byNumber(['01234567', '07654321']));
      assert.equal(status, 200);
      assert.equal(get(body, 'errors'), undefined);
      assert.equal(get(body, `${CASES}.totalCount`), 2);
      const first = get(body, `${CASES}.edges.0.node`);
      const hydra = await fetch(`${fake.hydraBaseUrl}/cases/01234567`, {
        headers: { Authorization: bearer },
      });
      const v1 = await hydra.json();
      assert.equal(get(first, 'Id'), get(v1, 'id'));
      assert.equal(get(first, 'CaseNumber__c.value'), '01234567');
      assert.equal(get(first, 'Product.Name.value'), 'OpenShift Container Platform 4.16');
      assert.equal(get(first, 'Product.VersionName__c.value'), '4.16');
      assert.equal(get(first, 'Group__r.Name.value'), 'Demo group');
      assert.equal(get(first, 'IsClosed.value'), false);
      assert.equal(get(first, 'LastModifiedDate.value'), '2026-12-02T15:00:00.000Z');
      assert.equal(get(first, 'CaseComments__r.totalCount'), 3);
      const comments = list(first, 'CaseComments__r.edges').map((e) => get(e, 'node'));
      assert.deepEqual(comments[0], {
        Id: `a2b${String(get(v1, 'comments.1.id')).slice(3)}`,
        Body__c: { value: '<p>Uploaded sosreport &amp; must-gather.</p>' },
        CreatedDate: { value: '2026-12-02T14:03:07.000Z' },
        CreatedBy: { Name: { value: 'Alice Example' } },
        LastModifiedByName__c: { value: 'Alice Example' },
        IsAssociate__c: { value: false },
        IsCustomer__c: { value: true },
        Visibility__c: { value: 'Public' },
      });
      assert.deepEqual(
        comments.map((c) => [
          get(c, 'Visibility__c.value'),
          get(c, 'IsAssociate__c.value'),
          get(c, 'IsCustomer__c.value'),
        ]),
        [
          ['Public', false, true],
          ['Internal', true, false],
          ['Public', true, false],
        ],
      );
      assert.equal(get(body, `${CASES}.edges.1.node.Group__r`), null);
      assert.equal(get(body, `${CASES}.edges.1.node.CaseComments__r.totalCount`), 0);
    });

    it('treats a comment that is not public as internal on both APIs, whatever its author type', async () => {
      fake.addComment('07654321', { authorType: 'Customer', isPublic: false });
      const rest1 = await rest('/cases/07654321/comments');
      assert.equal(get(rest1.body, '0.createdByType'), 'Internal');
      const { body } = await gql(COMMENTS_QUERY, byNumber(['07654321']));
      const node = get(body, `${CASES}.edges.0.node.CaseComments__r.edges.0.node`);
      assert.equal(get(node, 'Visibility__c.value'), 'Internal');
      assert.equal(get(node, 'IsCustomer__c.value'), false);
      assert.equal(get(node, 'IsAssociate__c.value'), true);
    });

    it('leaves a case the user cannot see silently absent', async () => {
      const { status, body } = await gql(COMMENTS_QUERY, byNumber(['01234567', '09999999']));
      assert.equal(status, 200);
      assert.equal(get(body, `${CASES}.totalCount`), 1);
      assert.deepEqual(
        list(body, `${CASES}.edges`).map((e) => get(e, 'node.CaseNumber__c.value')),
        ['01234567'],
      );
    });

    it('pages cases and comments with first/after, and refuses a cursor it never issued', async () => {
      const page1 = await gql(COMMENTS_QUERY, { first: 2, cfirst: 1 });
      assert.equal(get(page1.body, `${CASES}.totalCount`), 3);
      assert.equal(list(page1.body, `${CASES}.edges`).length, 2);
      assert.equal(get(page1.body, `${CASES}.pageInfo.hasNextPage`), true);
      const page2 = await gql(COMMENTS_QUERY, {
        first: 2,
        after: get(page1.body, `${CASES}.pageInfo.endCursor`),
      });
      assert.equal(list(page2.body, `${CASES}.edges`).length, 1);
      assert.equal(get(page2.body, `${CASES}.pageInfo.hasNextPage`), false);
      const seen = [...list(page1.body, `${CASES}.edges`), ...list(page2.body, `${CASES}.edges`)];
      assert.deepEqual(seen.map((e) => get(e, 'node.CaseNumber__c.value')).sort(), [
        '01234567',
        '05555555',
        '07654321',
      ]);

      const comments = `${CASES}.edges.0.node.CaseComments__r`;
      const c1 = await gql(COMMENTS_QUERY, { ...byNumber(['01234567']), cfirst: 1 });
      assert.equal(get(c1.body, `${comments}.pageInfo.hasNextPage`), true);
      const c2 = await gql(COMMENTS_QUERY, {
        ...byNumber(['01234567']),
        cfirst: 2,
        cafter: get(c1.body, `${comments}.pageInfo.endCursor`),
      });
      assert.deepEqual(
        list(c2.body, `${comments}.edges`).map((e) => get(e, 'node.CreatedDate.value')),
        ['2026-12-01T09:00:00.000Z', '2026-12-01T08:02:10.000Z'],
      );

      const forged = await gql(COMMENTS_QUERY, { after: Buffer.from('v1:99').toString('base64') });
      assert.equal(forged.status, 200);
      assert.equal(get(forged.body, CASES), null);
      assert.match(String(get(forged.body, 'errors.0.message')), /cursor/i);
    });

    it('refuses first outside 1..200 as a field error, with data null for that field', async () => {
      for (const first of [0, 201]) {
        const { status, body } = await gql(COMMENTS_QUERY, { first });
        assert.equal(status, 200);
        assert.equal(get(body, CASES), null);
        assert.match(String(get(body, 'errors.0.message')), /first/);
      }
      const comments = await gql(COMMENTS_QUERY, { ...byNumber(['01234567']), cfirst: 500 });
      assert.equal(get(comments.body, `${CASES}.edges.0.node.CaseComments__r`), null);
      assert.equal(list(comments.body, 'errors').length, 1);
    });

    it('filters with typed operators: dates wrapped, like, and/or/not', async () => {
      const numbers = async (where: unknown): Promise<unknown[]> => {
        const { status, body } = await gql(COMMENTS_QUERY, { where });
        assert.equal(status, 200, JSON.stringify(body));
        return list(body, `${CASES}.edges`).map((e) => get(e, 'node.CaseNumber__c.value'));
      };
      assert.deepEqual(
        await numbers({
          and: [
            { LastModifiedDate: { gt: { value: '2026-12-02T00:00:00Z' } } },
            { IsClosed: { eq: false } },
          ],
        }),
        ['01234567', '07654321'],
      );
      assert.deepEqual(await numbers({ Status: { like: '%customer action%' } }), ['01234567']);
      assert.deepEqual(await numbers({ not: { IsClosed: { eq: false } } }), ['05555555']);
      assert.deepEqual(
        await numbers({ or: [{ CaseNumber__c: { eq: '05555555' } }, { Status: { eq: 'x' } }] }),
        ['05555555'],
      );
    });

    it('refuses an unknown field with HTTP 400 and graphql’s own message', async () => {
      const { status, body } = await gql(
        '{ redhat_support_uiapi { query { RedHatSupportCase(first: 1) { edges { node { Foo__c { value } } } } } } }',
      );
      assert.equal(status, 400);
      assert.equal(
        get(body, 'errors.0.message'),
        'Cannot query field "Foo__c" on type "RedHatSupportCase".',
      );
      assert.equal(get(body, 'data'), undefined);
      const syntax = await gql('{ redhat_support_uiapi {');
      assert.equal(syntax.status, 400);
      assert.match(String(get(syntax.body, 'errors.0.message')), /^Syntax Error/);
      const badVariable = await gql(COMMENTS_QUERY, { first: 'ten' });
      assert.equal(badVariable.status, 400);
      assert.match(String(get(badVariable.body, 'errors.0.message')), /\$first/);
    });

    it('serves a schema variant without chosen fields, and restores the full one', async () => {
      fake.setGraphqlSchema({ omit: ['RedHatSupportCaseComment__c.Visibility__c'] });
      const refused = await gql(COMMENTS_QUERY, byNumber(['01234567']));
      assert.equal(refused.status, 400);
      assert.equal(
        get(refused.body, 'errors.0.message'),
        'Cannot query field "Visibility__c" on type "RedHatSupportCaseComment__c".',
      );
      const without = COMMENTS_QUERY.replace('Visibility__c { value }', '');
      assert.equal((await gql(without, byNumber(['01234567']))).status, 200);
      fake.setGraphqlSchema({});
      assert.equal((await gql(COMMENTS_QUERY, byNumber(['01234567']))).status, 200);
      assert.throws(() => fake.setGraphqlSchema({ omit: ['RedHatSupportCase.Nope'] }), /Nope/);
    });

    it('requires both Apollo client headers, and logs them', async () => {
      for (const missing of Object.keys(APOLLO)) {
        const headers: Record<string, string> = { ...APOLLO, Authorization: bearer };
        delete headers[missing];
        const { status, body } = await gql(COMMENTS_QUERY, {}, headers);
        assert.equal(status, 400);
        assert.deepEqual(body, {
          errors: [
            {
              message:
                'apollographql-client-name and apollographql-client-version headers are required',
            },
          ],
        });
      }
      await gql(COMMENTS_QUERY);
      const last = fake.requests.at(-1);
      assert.equal(last?.apolloClientName, 'pushbot-tests');
      assert.equal(last?.apolloClientVersion, '1.0');
      assert.equal(fake.count({ endpoint: 'graphql', flavour: 'graphql', status: 400 }), 2);
      assert.equal(fake.count({ endpoint: 'graphql', user: USER.username, status: 200 }), 1);
    });

    it('answers 401 with a GraphQL error envelope for a bad credential', async () => {
      const { status, body } = await gql(
        COMMENTS_QUERY,
        {},
        { ...APOLLO, Authorization: 'Bearer x' },
      );
      assert.equal(status, 401);
      assert.deepEqual(body, { errors: [{ message: 'Unauthorized' }] });
    });
  });

  describe('faults and switches', () => {
    it("sends the edge's HTML 'Access Denied' page for access-denied, once", async () => {
      fake.fail({ endpoint: 'graphql', body: 'access-denied', retryAfter: 30 });
      const denied = await gql(COMMENTS_QUERY);
      assert.equal(denied.status, 403);
      assert.equal(denied.headers.get('content-type'), 'text/html');
      assert.equal(denied.headers.get('retry-after'), '30');
      assert.equal(
        denied.text,
        '<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>' +
          "You don't have permission to access this server.<P>Reference&#32;#18.deadbeef</BODY></HTML>",
      );
      assert.equal((await gql(COMMENTS_QUERY)).status, 200);
      fake.fail({ endpoint: 'v3-case', flavour: 'v3', body: 'access-denied' });
      assert.equal((await rest('/cases/01234567')).status, 403);
    });

    it('adds "Missing CRM contact" to real data for graphql-errors; null data for graphql-transient', async () => {
      fake.fail({ endpoint: 'graphql', body: 'graphql-errors' });
      const partial = await gql(COMMENTS_QUERY, byNumber(['01234567']));
      assert.equal(partial.status, 200);
      assert.deepEqual(get(partial.body, 'errors'), [{ message: 'Missing CRM contact' }]);
      assert.equal(list(partial.body, `${CASES}.edges`).length, 1);
      fake.fail({ endpoint: 'graphql', body: 'graphql-transient' });
      const transient = await gql(COMMENTS_QUERY);
      assert.equal(transient.status, 200);
      assert.deepEqual(transient.body, {
        data: null,
        errors: [{ message: 'SUBREQUEST_HTTP_ERROR: 503 Service Unavailable' }],
      });
    });

    it('fails only the matching case and flavour, with status and Retry-After', async () => {
      fake.fail({ endpoint: 'v3-comments', caseNumber: '07654321', status: 503, retryAfter: 7 });
      assert.equal((await rest('/cases/01234567/comments')).status, 200);
      const failed = await rest('/cases/07654321/comments');
      assert.equal(failed.status, 503);
      assert.equal(failed.headers.get('retry-after'), '7');
      assert.equal(get(failed.body, 'status'), 503);
      assert.equal((await rest('/cases/07654321/comments')).status, 200);
      assert.equal(fake.count({ endpoint: 'v3-comments', flavour: 'v3', status: 503 }), 1);
      fake.fail({ endpoint: 'graphql', flavour: 'graphql', status: 502 });
      const bad = await gql(COMMENTS_QUERY);
      assert.equal(bad.status, 502);
      assert.ok(Array.isArray(get(bad.body, 'errors')));
    });

    it('drops id and date of the newest comment for bad-comment, on REST v3 and GraphQL', async () => {
      fake.fail({ endpoint: 'v3-comments', body: 'bad-comment' });
      const rest1 = await rest('/cases/01234567/comments');
      assert.equal(get(rest1.body, '0.id'), undefined);
      assert.equal(get(rest1.body, '0.createdDate'), undefined);
      assert.equal(typeof get(rest1.body, '1.id'), 'string');
      fake.fail({ endpoint: 'graphql', body: 'bad-comment' });
      const gql1 = await gql(COMMENTS_QUERY, byNumber(['01234567']));
      const newest = get(gql1.body, `${CASES}.edges.0.node.CaseComments__r.edges.0.node`);
      assert.equal(get(newest, 'Id'), undefined);
      assert.equal(get(newest, 'CreatedDate'), undefined);
      assert.equal(get(newest, 'Body__c.value'), '<p>Uploaded sosreport &amp; must-gather.</p>');
    });

    it('retires an API: every path answers 404 (or 410), auth or not, until unretired', async () => {
      fake.retire('v1');
      for (const [path, authorization] of [
        ['/cases/01234567', bearer],
        ['/cases/01234567/comments', undefined],
        ['/anything/else', undefined],
      ] as const) {
        const res = await fetch(`${fake.hydraBaseUrl}${path}`, {
          headers: authorization !== undefined ? { Authorization: authorization } : {},
        });
        assert.equal(res.status, 404, path);
        assert.deepEqual(await res.json(), { status: 404, message: 'Not Found' });
      }
      assert.equal((await rest('/cases/01234567')).status, 200);
      assert.equal(fake.count({ endpoint: 'case', flavour: 'hydra', status: 404 }), 1);

      fake.retire('graphql', 410);
      const gone = await gql(COMMENTS_QUERY);
      assert.equal(gone.status, 410);
      assert.deepEqual(gone.body, { status: 410, message: 'Not Found' });
      fake.unretire('graphql');
      fake.unretire('v1');
      assert.equal((await gql(COMMENTS_QUERY)).status, 200);
      const back = await fetch(`${fake.hydraBaseUrl}/cases/01234567`, {
        headers: { Authorization: bearer },
      });
      assert.equal(back.status, 200);
    });
  });
});
