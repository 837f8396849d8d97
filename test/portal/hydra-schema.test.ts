import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseHydraCase,
  parseHydraComments,
  parseHydraFilterPage,
} from '../../src/portal/hydra-schema.js';
import type { OnSkippedItem } from '../../src/portal/convert.js';
import { KERNEL_PANIC_CASE, readFixture } from './helpers.js';

const fixture = (name: string): unknown => JSON.parse(readFixture(`hydra/${name}`)) as unknown;
const noSkips: OnSkippedItem = (item) => assert.fail(`unexpected skip: ${JSON.stringify(item)}`);

describe('hydra wire schema', () => {
  it('reads a case with its fields, keeping the leading zeros and the version as text', () => {
    const parsed = parseHydraCase(fixture('case-with-comments.json'), '00012345');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, KERNEL_PANIC_CASE);
  });

  it('reads a case that has no comments array at all', () => {
    const parsed = parseHydraCase(fixture('case-no-comments.json'), '00099999');
    assert.ok(parsed.ok);
    assert.equal(parsed.value.summary, 'New case, nobody answered yet');
    assert.equal(parsed.value.group, undefined);
  });

  it('returns comments oldest first with drafts, private comments and author kinds mapped', () => {
    const parsed = parseHydraComments(fixture('comments-multiple.json'), '00012345', noSkips);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((c) => [c.createdAt, c.authorType, c.isPublic, c.isDraft]),
      [
        ['2024-05-01T08:00:00.000Z', 'customer', true, false],
        ['2024-05-01T09:30:00.000Z', 'associate', true, false],
        // "ASSOCIATE" in capitals: the author kind is compared case-insensitively.
        ['2024-05-01T10:00:00.000Z', 'associate', false, false],
        ['2024-05-01T11:00:00.000Z', 'customer', true, true],
      ],
    );
    const second = parsed.value[1];
    assert.equal(second?.author, 'Rossi, Mario');
    assert.equal(second?.caseNumber, '00012345');
    assert.match(second?.body ?? '', /<kdump> or "R&D" builds/);
    assert.match(second?.body ?? '', /日本語 🚀$/);
    assert.equal(
      parsed.value[0]?.body,
      'Hello,\r\nafter `dnf update` the host panics at boot.\r\nThe sosreport is attached.',
    );
  });

  it('reads a single comment and an empty list', () => {
    const single = parseHydraComments(fixture('comments-single.json'), '00054321', noSkips);
    assert.ok(single.ok);
    assert.equal(single.value.length, 1);
    assert.equal(single.value[0]?.id, 'a0a6R0000000005QAX');
    const empty = parseHydraComments(fixture('comments-empty.json'), '00099999', noSkips);
    assert.deepEqual(empty, { ok: true, value: [] });
  });

  it('skips one unreadable comment, reports it without its text, and keeps the others', () => {
    const skipped: Parameters<OnSkippedItem>[0][] = [];
    const parsed = parseHydraComments(fixture('comments-one-bad.json'), '00012345', (item) =>
      skipped.push(item),
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value.length, 3);
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]?.index, 0);
    assert.match(skipped[0]?.detail ?? '', /createdDate|id/);
    assert.doesNotMatch(skipped[0]?.detail ?? '', /Draft: still collecting/);
  });

  it('refuses a comment list that is not an array', () => {
    const parsed = parseHydraComments({ message: 'OK' }, '00012345', noSkips);
    assert.equal(parsed.ok, false);
  });

  it('sorts by createdDate, then publishedDate, then id when the portal order is shuffled', () => {
    const at = '2024-05-01T08:00:00Z';
    const parsed = parseHydraComments(
      [
        { id: 'a0a000000000000003', createdDate: at, publishedDate: '2024-05-01T08:00:02Z' },
        { id: 'a0a000000000000002', createdDate: at, publishedDate: '2024-05-01T08:00:01Z' },
        { id: 'a0a000000000000009', createdDate: '2024-04-01T08:00:00Z' },
        { id: 'a0a000000000000001', createdDate: at, publishedDate: '2024-05-01T08:00:01Z' },
      ],
      '00000001',
      noSkips,
    );
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((c) => c.id),
      ['a0a000000000000009', 'a0a000000000000001', 'a0a000000000000002', 'a0a000000000000003'],
    );
  });

  it('maps an author kind it does not know to unknown', () => {
    const parsed = parseHydraComments(
      [{ id: 'a0a000000000000001', createdDate: '2024-05-01T08:00:00Z', createdByType: 'Partner' }],
      '00000001',
      noSkips,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value[0]?.authorType, 'unknown');
  });

  it('reads a filter page with its total, and an empty one', () => {
    const page = parseHydraFilterPage(fixture('filter-page.json'), noSkips);
    assert.deepEqual(page, {
      ok: true,
      value: { caseNumbers: ['00054321', '00099999'], itemCount: 2, totalCount: 3 },
    });
    const empty = parseHydraFilterPage(fixture('filter-empty.json'), noSkips);
    assert.deepEqual(empty, { ok: true, value: { caseNumbers: [], itemCount: 0, totalCount: 0 } });
  });

  it('refuses a filter answer that has neither cases nor totalCount', () => {
    assert.equal(parseHydraFilterPage({ message: 'OK' }, noSkips).ok, false);
  });
});
