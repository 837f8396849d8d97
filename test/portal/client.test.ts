// The port's contract, for both APIs and both credential kinds, against the loopback fake.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PortalClient } from '../../src/portal/types.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import {
  APIS,
  CREDENTIAL_KINDS,
  KERNEL_PANIC_CASE,
  USER,
  credential,
  makeFactory,
  rejectsWithKind,
} from './helpers.js';

const TRICKY_BODY =
  'Try `a && b` then <b>bold</b> & "quotes" \'apostrophes\' <![CDATA[ not cdata ]]> ' +
  '&amp; stays literal, ]]> too.\nÜnïcödé, 日本語, emoji 🚀👍, RTL שלום, NUL-free.';
const ONE_MB = 1024 * 1024;
const BULK_CASES = 250;
const BULK_SINCE = '2024-06-01T00:00:00.000Z';

/** The same model for every combination. */
function seed(fake: FakePortal): { ids: string[]; bigBody: string } {
  fake.addUser({ ...USER });
  const { closed: _open, lastModifiedAt: _comments, ...kase } = KERNEL_PANIC_CASE;
  // lastModifiedAt: the fake moves it to the newest comment added below.
  fake.addCase({ ...kase, lastModifiedAt: '2024-04-30T16:00:00Z' });
  // Added out of order on purpose: the client must sort, not trust the portal's order.
  const ids = [
    fake.addComment('00012345', {
      author: 'Rossi, Mario',
      authorType: 'Associate',
      createdAt: '2024-05-01T09:30:00Z',
      body: TRICKY_BODY,
    }),
    fake.addComment('00012345', {
      author: 'Doe, Jane',
      authorType: 'Customer',
      createdAt: '2024-05-01T08:00:00Z',
      body: 'Hello,\r\nthe host panics at boot.',
    }),
    fake.addComment('00012345', {
      author: 'Rossi, Mario',
      authorType: 'Associate',
      createdAt: '2024-05-01T10:00:00Z',
      isPublic: false,
      body: 'Internal note',
    }),
    fake.addComment('00012345', {
      author: 'Doe, Jane',
      authorType: 'Customer',
      createdAt: '2024-05-01T11:00:00Z',
      isDraft: true,
      body: 'Draft reply',
    }),
  ];
  fake.addCase({ number: '00054321', lastModifiedAt: '2024-04-29T10:00:00Z' });
  fake.addComment('00054321', { createdAt: '2024-04-29T10:00:00Z', body: 'Only comment' });
  fake.addCase({ number: '00099999', version: '4.16', lastModifiedAt: '2024-05-01T07:00:00Z' });
  fake.addCase({ number: '00077777', lastModifiedAt: '2024-04-01T00:00:00Z' });
  const line = 'Log line with <tag attr="x"> & ümlauts 🚀\n';
  const bigBody = line.repeat(Math.ceil(ONE_MB / line.length));
  fake.addComment('00077777', { createdAt: '2024-04-01T00:00:00Z', body: bigBody });
  for (let i = 0; i < BULK_CASES; i++) {
    fake.addCase({
      number: String(1_000_000 + i).padStart(8, '0'),
      closed: i % 10 === 0,
      lastModifiedAt: new Date(Date.parse(BULK_SINCE) + i * 1000).toISOString(),
    });
  }
  return { ids, bigBody };
}

for (const api of APIS) {
  for (const kind of CREDENTIAL_KINDS) {
    describe(`${api} client with ${kind === 'basic' ? 'username and password' : 'an offline token'}`, () => {
      let fake: FakePortal;
      let client: PortalClient;
      let ids: string[];
      let bigBody: string;

      before(async () => {
        fake = await startFakePortal();
        ({ ids, bigBody } = seed(fake));
        client = makeFactory({ fake, api }).create(credential(kind));
      });
      after(() => fake.close());

      it('verifies the credential and names the account', async () => {
        assert.deepEqual(await client.verify(), { account: USER.username, path: api });
      });

      it('reads a case with its fields, leading zeros and version "8.10" kept as text', async () => {
        assert.deepEqual(await client.getCase('00012345'), KERNEL_PANIC_CASE);
      });

      it('reads a case without comments', async () => {
        const kase = await client.getCase('00099999');
        assert.equal(kase.number, '00099999');
        assert.equal(kase.version, '4.16');
      });

      it('lists comments oldest first, with drafts flagged and the public flag mapped', async () => {
        const comments = await client.listComments('00012345');
        assert.deepEqual(
          comments.map((c) => ({
            id: c.id,
            authorType: c.authorType,
            isPublic: c.isPublic,
            isDraft: c.isDraft,
            createdAt: c.createdAt,
          })),
          [
            {
              id: ids[1],
              authorType: 'customer',
              isPublic: true,
              isDraft: false,
              createdAt: '2024-05-01T08:00:00.000Z',
            },
            {
              id: ids[0],
              authorType: 'associate',
              isPublic: true,
              isDraft: false,
              createdAt: '2024-05-01T09:30:00.000Z',
            },
            {
              id: ids[2],
              authorType: 'associate',
              isPublic: false,
              isDraft: false,
              createdAt: '2024-05-01T10:00:00.000Z',
            },
            {
              id: ids[3],
              authorType: 'customer',
              isPublic: true,
              isDraft: true,
              createdAt: '2024-05-01T11:00:00.000Z',
            },
          ],
        );
        assert.ok(comments.every((c) => c.caseNumber === '00012345'));
        assert.equal(comments[0]?.author, 'Doe, Jane');
        assert.equal(comments[0]?.body, 'Hello,\r\nthe host panics at boot.');
      });

      it('reads a case with the comments its answer embeds, in one request', async () => {
        const before = fake.requests.length;
        const read = await client.readCase('00012345');
        assert.deepEqual(read.kase, KERNEL_PANIC_CASE);
        assert.deepEqual(read.comments, await client.listComments('00012345'));
        assert.equal(fake.requests.slice(before).filter((r) => r.endpoint === 'case').length, 1);
      });

      it('reads a case without comments as a case with an empty comment list', async () => {
        const read = await client.readCase('00099999');
        assert.equal(read.kase.version, '4.16');
        assert.deepEqual(read.comments, []);
      });

      it('keeps Unicode, HTML, & and < inside bodies exactly as written', async () => {
        const comments = await client.listComments('00012345');
        assert.equal(comments.find((c) => c.id === ids[0])?.body, TRICKY_BODY);
      });

      it('lists a single comment', async () => {
        const comments = await client.listComments('00054321');
        assert.deepEqual(
          comments.map((c) => c.body),
          ['Only comment'],
        );
      });

      it('returns no comments for a case that has none', async () => {
        assert.deepEqual(await client.listComments('00099999'), []);
      });

      it('reads a 1 MB comment body', async () => {
        const comments = await client.listComments('00077777');
        assert.equal(comments.length, 1);
        assert.ok((comments[0]?.body.length ?? 0) >= ONE_MB);
        const body = comments[0]?.body ?? '';
        // Compared without assert.equal, whose failure message would print a megabyte.
        assert.equal(body.length, bigBody.trim().length);
        assert.ok(body === bigBody.trim(), 'the 1 MB body differs from what was stored');
      });

      it('passes `since` to the portal as startDate', async () => {
        fake.resetCounters();
        const comments = await client.listComments('00012345', {
          since: new Date('2024-05-01T09:59:00Z'),
        });
        // The fake narrows by modification time (shown one second before creation, as in
        // real answers); the two newest comments remain.
        assert.deepEqual(
          comments.map((c) => c.id),
          [ids[2], ids[3]],
        );
        const request = fake.requests.find((r) => r.endpoint === 'comments');
        assert.equal(request?.query, 'startDate=2024-05-01T09%3A59%3A00.000Z');
      });

      it(`lists ${BULK_CASES} changed cases, closed ones included, following pagination`, async () => {
        fake.resetCounters();
        const numbers = await client.changedCases(new Date(BULK_SINCE));
        assert.equal(numbers.length, BULK_CASES);
        assert.equal(new Set(numbers).size, BULK_CASES);
        assert.ok(numbers.includes('01000000'), 'the case modified exactly at `since` is included');
        assert.ok(numbers.includes('01000010'), 'closed cases are included');
        assert.ok(!numbers.includes('00012345'), 'cases modified before `since` are not');
        // Pages of 100 overlapping by 5: offsets 0, 95, 190.
        assert.equal(fake.count({ endpoint: 'filter' }), 3);
      });

      it('answers an empty list when nothing changed', async () => {
        assert.deepEqual(await client.changedCases(new Date('2030-01-01T00:00:00Z')), []);
      });

      it('treats 404 as a case the user cannot see', async () => {
        const err = await rejectsWithKind(client.getCase('00000404'), 'not-visible');
        assert.equal(err.status, 404);
        assert.match(err.message, /00000404/);
      });
    });
  }
}
