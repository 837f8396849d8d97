// listAttachments: REST v3 `GET /cases/{n}/attachments` (reference §7, §13.3) through the v3
// client over loopback against the fake portal, the wire schema's tolerance on its own, and the
// v1 clients that cannot list attachments at all.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { OnSkippedItem } from '../../src/portal/convert.js';
import { parseV3Attachments } from '../../src/portal/rest-v3-schema.js';
import type { PortalClient } from '../../src/portal/types.js';
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

const START = Date.parse('2026-12-03T09:00:00Z');
const CASE = '01234567';
const HIDDEN = '07654321';
const SOS_UUID = '6f1c0c9e-0000-4000-8000-000000000001';
const LOG_UUID = '6f1c0c9e-0000-4000-8000-000000000002';

const noSkips: OnSkippedItem = (item) => assert.fail(`unexpected skip: ${JSON.stringify(item)}`);

describe('v3 client: attachments', () => {
  let fake: FakePortal;
  let client: PortalClient;
  let log: ReturnType<typeof captureLogger>;

  const start = async (options: Parameters<typeof startFakePortal>[0] = {}) => {
    fake = await startFakePortal({ startTime: START, ...options });
    fake.addUser({ ...USER, visibleCases: [CASE] });
    fake.addCase({ number: CASE });
    fake.addCase({ number: HIDDEN });
    // Added newest first; the portal lists newest first too; the client returns oldest first.
    fake.addAttachment(CASE, {
      uuid: LOG_UUID,
      fileName: 'journal.log',
      size: 2048,
      createdBy: 'Bob Engineer',
      createdByType: 'Associate',
      isPrivate: true,
      createdAt: '2026-12-02T15:00:00Z',
    });
    fake.addAttachment(CASE, {
      uuid: SOS_UUID,
      fileName: 'sosreport-node1.tar.xz',
      size: 73_400_320,
      createdBy: 'Alice Example',
      createdByType: 'Customer',
      createdAt: '2026-12-02T14:01:55Z',
    });
    log = captureLogger('info');
    client = makeFactory({ fake, api: 'v3', clock: manualClock(START), logger: log.logger }).create(
      credential('offline-token'),
    );
  };
  afterEach(() => fake.close());

  describe('with the fields every source shows', () => {
    beforeEach(() => start());

    it('lists the files oldest first: uuid, name, size, author and date; kind unknown', async () => {
      const files = await client.listAttachments(CASE);
      assert.deepEqual(files, [
        {
          id: SOS_UUID,
          caseNumber: CASE,
          fileName: 'sosreport-node1.tar.xz',
          size: 73_400_320,
          author: 'Alice Example',
          authorType: 'unknown',
          createdAt: '2026-12-02T14:01:55.000Z',
          isPrivate: false,
        },
        {
          id: LOG_UUID,
          caseNumber: CASE,
          fileName: 'journal.log',
          size: 2048,
          author: 'Bob Engineer',
          authorType: 'unknown',
          createdAt: '2026-12-02T15:00:00.000Z',
          isPrivate: false,
        },
      ]);
      assert.equal(fake.count({ endpoint: 'v3-attachments' }), 1);
      assert.equal(fake.count({ endpoint: 'graphql' }), 0, 'attachments are REST v3 only');
    });

    it('returns an empty list for a case without files', async () => {
      fake.addCase({ number: '00000001' });
      fake.addUser({ username: 'other', offlineToken: 'other-offline-token' });
      const other = makeFactory({ fake, api: 'v3' }).create({
        kind: 'offline-token',
        offlineToken: 'other-offline-token',
      });
      assert.deepEqual(await other.listAttachments('00000001'), []);
    });

    it('skips a file it cannot read, logs where it was, and lists the others', async () => {
      fake.fail({ endpoint: 'v3-attachments', body: 'bad-comment' });
      const files = await client.listAttachments(CASE);
      assert.deepEqual(
        files.map((f) => f.id),
        [SOS_UUID],
      );
      const skipped = log
        .records()
        .filter((l) => l.msg === 'skipped an attachment the bot cannot read');
      assert.equal(skipped.length, 1);
      assert.equal(skipped[0]?.caseNumber, CASE);
      assert.equal(skipped[0]?.id, LOG_UUID);
      assert.doesNotMatch(log.text(), /journal\.log/, 'never what the item said');
    });

    it('reports an answer that is not a list as bad-payload', async () => {
      fake.fail({ endpoint: 'v3-attachments', body: 'malformed' });
      const err = await rejectsWithKind(client.listAttachments(CASE), 'bad-payload');
      assert.match(err.message, /attachment list/);
    });

    it('treats a case the user cannot see as not visible (404)', async () => {
      const err = await rejectsWithKind(client.listAttachments(HIDDEN), 'not-visible');
      assert.equal(err.status, 404);
      assert.match(err.message, new RegExp(HIDDEN));
    });

    it('says the API is gone, not the case, when REST v3 answers 404 everywhere', async () => {
      fake.retire('v3');
      const err = await rejectsWithKind(client.listAttachments(CASE), 'gone');
      assert.match(err.message, /switched off/);
    });

    it('keeps throttling and server failures apart from visibility', async () => {
      fake.fail({ endpoint: 'v3-attachments', status: 429, retryAfter: 7 });
      const limited = await rejectsWithKind(client.listAttachments(CASE), 'rate-limited');
      assert.equal(limited.retryAfterMs, 7000);
      fake.fail({ endpoint: 'v3-attachments', status: 503 });
      await rejectsWithKind(client.listAttachments(CASE), 'transient');
    });
  });

  describe('where the portal says who attached a file and whether it is private', () => {
    beforeEach(() => start({ attachmentsCarryAuthorType: true }));

    it('maps createdByType and isPrivate', async () => {
      const files = await client.listAttachments(CASE);
      assert.deepEqual(
        files.map((f) => [f.id, f.authorType, f.isPrivate]),
        [
          [SOS_UUID, 'customer', false],
          [LOG_UUID, 'associate', true],
        ],
      );
    });
  });

  describe('where the portal answers 403 for a case the user cannot see', () => {
    beforeEach(() => start({ v3InvisibleCaseStatus: 403 }));

    it('treats it as not visible', async () => {
      const err = await rejectsWithKind(client.listAttachments(HIDDEN), 'not-visible');
      assert.equal(err.status, 403);
    });
  });
});

describe('REST v3 attachment schema', () => {
  const item = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
    uuid: SOS_UUID,
    fileName: 'sosreport.tar.xz',
    createdBy: 'Alice Example',
    createdDate: '2026-12-02T14:01:55.000+0000',
    ...fields,
  });

  it('reads a list wrapped as {attachments: [...]}, as v1 wrote lists', () => {
    const parsed = parseV3Attachments({ attachments: [item()] }, CASE, noSkips);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((a) => a.id),
      [SOS_UUID],
    );
  });

  it('reads a size written as digits, and leaves out a size it cannot read', () => {
    const parsed = parseV3Attachments(
      [
        item({ uuid: 'a', size: '73400320' }),
        item({ uuid: 'b', size: 'big' }),
        item({ uuid: 'c', size: null }),
      ],
      CASE,
      noSkips,
    );
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((a) => a.size),
      [73_400_320, undefined, undefined],
    );
    assert.ok(!('size' in (parsed.value[1] ?? {})));
  });

  it('reads the three date forms, and a private flag spelled isPrivate or private', () => {
    const parsed = parseV3Attachments(
      [
        item({ uuid: 'a', createdDate: '2026-12-02T14:01:55Z', isPrivate: true }),
        item({ uuid: 'b', createdDate: '2026-12-02T14:01:56.000Z', private: 'true' }),
        item({ uuid: 'c', createdDate: '2026-12-02T14:01:57.000+0000' }),
      ],
      CASE,
      noSkips,
    );
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((a) => [a.id, a.createdAt, a.isPrivate]),
      [
        ['a', '2026-12-02T14:01:55.000Z', true],
        ['b', '2026-12-02T14:01:56.000Z', true],
        ['c', '2026-12-02T14:01:57.000Z', false],
      ],
    );
  });

  it('keeps an "Internal" file as internal and private, and names a missing author', () => {
    const parsed = parseV3Attachments(
      [item({ createdByType: 'Internal', createdBy: null })],
      CASE,
      noSkips,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value[0]?.authorType, 'internal');
    assert.equal(parsed.value[0]?.isPrivate, true);
    assert.equal(parsed.value[0]?.author, 'Unknown author');
  });

  it('skips items without uuid, name or date, reporting where they were', () => {
    const skipped: Parameters<OnSkippedItem>[0][] = [];
    const parsed = parseV3Attachments(
      [
        item({ uuid: undefined }),
        item({ uuid: 'no-name', fileName: '' }),
        item({ uuid: 'no-date', createdDate: 'yesterday' }),
        'not an object',
        item(),
      ],
      CASE,
      (s) => skipped.push(s),
    );
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((a) => a.id),
      [SOS_UUID],
    );
    assert.deepEqual(
      skipped.map((s) => [s.index, s.id]),
      [
        [0, undefined],
        [1, 'no-name'],
        [2, 'no-date'],
        [3, undefined],
      ],
    );
  });

  it('refuses an answer that is no list', () => {
    const parsed = parseV3Attachments({ message: 'OK' }, CASE, noSkips);
    assert.deepEqual(parsed, { ok: false, detail: 'the attachment list is not an array' });
  });
});

for (const api of APIS) {
  describe(`${api} client: no attachments`, () => {
    it('says the v1 API cannot list attachments, without asking the portal', async () => {
      const fake = await startFakePortal();
      try {
        fake.addUser({ ...USER });
        const client = makeFactory({ fake, api }).create(credential('basic'));
        const err = await rejectsWithKind(client.listAttachments(CASE), 'unsupported');
        assert.match(err.message, /v1 .*cannot list attachments/);
        assert.equal(fake.count(), 0);
      } finally {
        await fake.close();
      }
    });
  });
}
