// The fake portal is shared by the engine and end-to-end tests: its protocol behaviour is
// checked here directly over HTTP, and its payloads against the fixtures' shapes.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createStrataXmlParser, parseStrataXml } from '../../src/portal/strata-xml.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import { USER, readFixture } from './helpers.js';

const BASIC = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;

/** Every key path of a JSON-like tree; array items share one path ("comments[]"). */
function shape(value: unknown, prefix = ''): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(value)) {
    for (const item of value) for (const p of shape(item, `${prefix}[]`)) out.add(p);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.add(path);
      for (const p of shape(child, path)) out.add(p);
    }
  }
  return out;
}

const xmlParser = createStrataXmlParser();
function xmlTree(text: string): unknown {
  const parsed = parseStrataXml(xmlParser, text);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  return parsed.value;
}

async function call(
  fake: FakePortal,
  path: string,
  init: {
    method?: string;
    body?: string;
    authorization?: string | null;
    contentType?: string;
  } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (init.authorization !== null) headers.Authorization = init.authorization ?? BASIC;
  if (init.contentType !== undefined) headers['Content-Type'] = init.contentType;
  const res = await fetch(`${fake.origin}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function accessToken(
  fake: FakePortal,
  offlineToken: string,
): Promise<{ status: number; token: string }> {
  const res = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: 'rhsm-api',
      refresh_token: offlineToken,
    }).toString(),
  });
  const body: unknown = await res.json();
  const token =
    typeof body === 'object' && body !== null && 'access_token' in body
      ? String(body.access_token)
      : '';
  return { status: res.status, token };
}

describe('fake portal', () => {
  let fake: FakePortal;

  beforeEach(async () => {
    fake = await startFakePortal({
      startTime: Date.parse('2024-05-02T12:00:00Z'),
      accessTokenTtlSeconds: 600,
    });
    fake.addUser({ ...USER });
    fake.addUser({ username: 'limited', password: 'limited-password', visibleCases: ['00054321'] });
    fake.addCase({
      number: '00012345',
      version: '8.10',
      group: 'Platform team',
      groupNumber: '76703',
      lastModifiedAt: '2024-04-30T16:00:00Z',
    });
    fake.addComment('00012345', { authorType: 'Customer', createdAt: '2024-05-01T08:00:00Z' });
    fake.addComment('00012345', { createdAt: '2024-05-01T09:30:00Z' });
    fake.addComment('00012345', { createdAt: '2024-05-01T10:00:00Z', isPublic: false });
    fake.addComment('00012345', {
      authorType: 'Customer',
      createdAt: '2024-05-01T11:00:00Z',
      isDraft: true,
    });
    fake.addCase({ number: '00054321', version: '6.15', lastModifiedAt: '2024-04-29T10:00:00Z' });
    fake.addCase({ number: '00099999', version: '4.16', lastModifiedAt: '2024-05-01T07:00:00Z' });
    fake.addCase({ number: '00011111', closed: true, lastModifiedAt: '2024-04-28T09:00:00Z' });
  });
  afterEach(() => fake.close());

  describe('payload shapes match the fixtures', () => {
    it('hydra case, comments and filter page', async () => {
      const pairs: [string, string, string?][] = [
        ['/support/v1/cases/00012345', 'hydra/case-with-comments.json'],
        ['/support/v1/cases/00099999', 'hydra/case-no-comments.json'],
        ['/support/v1/cases/00012345/comments', 'hydra/comments-multiple.json'],
        ['/support/v1/cases/00099999/comments', 'hydra/comments-empty.json'],
      ];
      for (const [path, fixture] of pairs) {
        const live: unknown = JSON.parse((await call(fake, path)).text);
        assert.deepEqual(
          [...shape(live)].sort(),
          [...shape(JSON.parse(readFixture(fixture)))].sort(),
          fixture,
        );
      }
      const page = await call(fake, '/support/v1/cases/filter', {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({
          startDate: '2024-04-29T00:00:00Z',
          maxResults: 2,
          offset: 0,
          includeClosed: true,
        }),
      });
      assert.deepEqual(
        [...shape(JSON.parse(page.text))].sort(),
        [...shape(JSON.parse(readFixture('hydra/filter-page.json')))].sort(),
      );
    });

    it('strata case, comments and filter page', async () => {
      const pairs: [string, string][] = [
        ['/rs/cases/00012345', 'strata/case-with-comments.xml'],
        ['/rs/cases/00099999', 'strata/case-no-comments.xml'],
        ['/rs/cases/00012345/comments', 'strata/comments-multiple.xml'],
        ['/rs/cases/00099999/comments', 'strata/comments-empty.xml'],
      ];
      for (const [path, fixture] of pairs) {
        const live = xmlTree((await call(fake, path)).text);
        assert.deepEqual(
          [...shape(live)].sort(),
          [...shape(xmlTree(readFixture(fixture)))].sort(),
          fixture,
        );
      }
      const page = await call(fake, '/rs/cases/filter', {
        method: 'POST',
        contentType: 'application/xml',
        body: '<caseFilter xmlns="http://www.redhat.com/gss/strata"><startDate>2024-04-29T00:00:00Z</startDate><includeClosed>true</includeClosed><count>2</count><start>0</start></caseFilter>',
      });
      assert.deepEqual(
        [...shape(xmlTree(page.text))].sort(),
        [...shape(xmlTree(readFixture('strata/filter-page.xml')))].sort(),
      );
    });
  });

  it('lists comments newest first, like the real service', async () => {
    const list: unknown = JSON.parse(
      (await call(fake, '/support/v1/cases/00012345/comments')).text,
    );
    assert.ok(Array.isArray(list));
    const dates = list.map((c: unknown) =>
      typeof c === 'object' && c !== null && 'createdDate' in c ? String(c.createdDate) : '',
    );
    assert.deepEqual(dates, [
      '2024-05-01T11:00:00Z',
      '2024-05-01T10:00:00Z',
      '2024-05-01T09:30:00Z',
      '2024-05-01T08:00:00Z',
    ]);
  });

  it('issues JWT-like access tokens that expire on its own clock', async () => {
    const { status, token } = await accessToken(fake, USER.offlineToken);
    assert.equal(status, 200);
    assert.equal(token.split('.').length, 3);
    const bearer = `Bearer ${token}`;
    assert.equal((await call(fake, '/rs/cases/00012345', { authorization: bearer })).status, 200);
    fake.advanceTime(600_000);
    assert.equal((await call(fake, '/rs/cases/00012345', { authorization: bearer })).status, 401);
    assert.deepEqual(fake.issuedAccessTokens(), [token]);
  });

  it('refuses unknown and revoked offline tokens with invalid_grant', async () => {
    assert.equal((await accessToken(fake, 'unknown')).status, 400);
    const { token } = await accessToken(fake, USER.offlineToken);
    fake.revokeOfflineToken(USER.offlineToken);
    assert.equal((await accessToken(fake, USER.offlineToken)).status, 400);
    const refused = await call(fake, '/support/v1/cases/00012345', {
      authorization: `Bearer ${token}`,
    });
    assert.equal(refused.status, 401);
  });

  it('needs credentials, and hides cases a user may not see behind 404', async () => {
    assert.equal(
      (await call(fake, '/support/v1/cases/00012345', { authorization: null })).status,
      401,
    );
    assert.equal(
      (await call(fake, '/support/v1/cases/00012345', { authorization: 'Basic bm9ib2R5Ong=' }))
        .status,
      401,
    );
    const limited = `Basic ${Buffer.from('limited:limited-password').toString('base64')}`;
    assert.equal(
      (await call(fake, '/support/v1/cases/00012345', { authorization: limited })).status,
      404,
    );
    const hidden = await call(fake, '/rs/cases/00012345', { authorization: limited });
    assert.equal(hidden.status, 404);
    assert.match(hidden.headers.get('strata-message') ?? '', /not found/);
    assert.equal(
      (await call(fake, '/support/v1/cases/00054321', { authorization: limited })).status,
      200,
    );
    assert.equal(fake.count({ user: 'limited' }), 3);
  });

  it('filters on lastModifiedDate at or after startDate, closed cases only on request, paged', async () => {
    const filter = async (body: object): Promise<unknown> =>
      JSON.parse(
        (
          await call(fake, '/support/v1/cases/filter', {
            method: 'POST',
            contentType: 'application/json',
            body: JSON.stringify(body),
          })
        ).text,
      );
    const numbersOf = (answer: unknown): string[] =>
      typeof answer === 'object' &&
      answer !== null &&
      'cases' in answer &&
      Array.isArray(answer.cases)
        ? answer.cases.map((c: unknown) =>
            typeof c === 'object' && c !== null && 'caseNumber' in c ? String(c.caseNumber) : '',
          )
        : [];
    assert.deepEqual(
      numbersOf(await filter({ startDate: '2024-05-01T07:00:00Z', includeClosed: true })),
      ['00099999', '00012345'],
    );
    assert.deepEqual(numbersOf(await filter({ includeClosed: false })), [
      '00054321',
      '00099999',
      '00012345',
    ]);
    const page = await filter({ includeClosed: true, maxResults: 2, offset: 1 });
    assert.deepEqual(numbersOf(page), ['00054321', '00099999']);
    assert.ok(
      typeof page === 'object' && page !== null && 'totalCount' in page && page.totalCount === 4,
    );
  });

  it('bumps the case on a new comment, an edit, a status change and closing', async () => {
    const modified = async (): Promise<string> => {
      const kase: unknown = JSON.parse((await call(fake, '/support/v1/cases/00054321')).text);
      return typeof kase === 'object' && kase !== null && 'lastModifiedDate' in kase
        ? String(kase.lastModifiedDate)
        : '';
    };
    const id = fake.addComment('00054321');
    assert.match(id, /^a0a[A-Za-z0-9]{15}$/);
    assert.equal(await modified(), '2024-05-02T12:00:00Z');
    fake.advanceTime(60_000);
    fake.editComment('00054321', id, 'edited');
    assert.equal(await modified(), '2024-05-02T12:01:00Z');
    fake.advanceTime(60_000);
    fake.setStatus('00054321', 'Waiting on Customer');
    assert.equal(await modified(), '2024-05-02T12:02:00Z');
    fake.advanceTime(60_000);
    fake.closeCase('00054321');
    const kase = await call(fake, '/rs/cases/00054321');
    assert.match(kase.text, /closed="true"/);
    assert.match(kase.text, /<lastModifiedDate>2024-05-02T12:03:00Z<\/lastModifiedDate>/);
  });

  it('applies a fault the given number of times, then answers normally', async () => {
    fake.fail({ endpoint: 'case', flavour: 'strata', status: 503, times: 2, retryAfter: 5 });
    assert.equal(
      (await call(fake, '/support/v1/cases/00012345')).status,
      200,
      'other flavour untouched',
    );
    const first = await call(fake, '/rs/cases/00012345');
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('retry-after'), '5');
    assert.equal((await call(fake, '/rs/cases/00012345')).status, 503);
    assert.equal((await call(fake, '/rs/cases/00012345')).status, 200);
    assert.equal(fake.count({ endpoint: 'case', status: 503 }), 2);
    fake.fail({ endpoint: 'comments', status: 500, times: 9 });
    fake.clearFaults();
    assert.equal((await call(fake, '/rs/cases/00012345/comments')).status, 200);
  });
});
