// The filter's paging, and what every request carries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  collectPages,
  FILTER_PAGE_OVERLAP,
  FILTER_PAGE_SIZE,
  type FilterPage,
} from '../../src/portal/pagination.js';
import { startFakePortal } from '../_helpers/fake-portal.js';
import { USER, credential, makeFactory } from './helpers.js';

/** A filter endpoint over an in-memory list the test may change between pages. */
function pager(list: string[], options: { total?: boolean; ignoreOffset?: boolean } = {}) {
  const offsets: number[] = [];
  const fetchPage = async (offset: number, size: number): Promise<FilterPage> => {
    offsets.push(offset);
    const start = options.ignoreOffset === true ? 0 : offset;
    const page = list.slice(start, start + size);
    return {
      caseNumbers: page,
      itemCount: page.length,
      ...(options.total === true ? { totalCount: list.length } : {}),
    };
  };
  return { offsets, fetchPage };
}
const numbers = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => String(i).padStart(8, '0'));
const stuck = (detail: string): Error => new Error(detail);

describe('filter pagination', () => {
  it('reads pages that overlap by a few places until a short page', async () => {
    const { offsets, fetchPage } = pager(numbers(250));
    const result = await collectPages(fetchPage, stuck);
    assert.deepEqual(result, numbers(250));
    const step = FILTER_PAGE_SIZE - FILTER_PAGE_OVERLAP;
    assert.deepEqual(offsets, [0, step, 2 * step]);
  });

  it('stops at the announced total without asking for an empty page', async () => {
    const { offsets, fetchPage } = pager(numbers(2 * FILTER_PAGE_SIZE - FILTER_PAGE_OVERLAP), {
      total: true,
    });
    const result = await collectPages(fetchPage, stuck);
    assert.equal(result.length, 2 * FILTER_PAGE_SIZE - FILTER_PAGE_OVERLAP);
    assert.equal(offsets.length, 2);
  });

  it('does not lose a case when an earlier one moves to the end between two pages', async () => {
    const list = numbers(150);
    const { fetchPage } = pager(list);
    let pages = 0;
    const moving = async (offset: number, size: number): Promise<FilterPage> => {
      const page = await fetchPage(offset, size);
      if (pages++ === 0) {
        // Case 10 is modified: sorted by lastModifiedDate it moves to the end, and every
        // later case shifts one place towards the start.
        const [moved] = list.splice(10, 1);
        list.push(moved ?? '');
      }
      return page;
    };
    const result = await collectPages(moving, stuck);
    assert.deepEqual([...result].sort(), numbers(150));
  });

  it('fails instead of looping when the portal ignores the offset', async () => {
    const { fetchPage } = pager(numbers(300), { ignoreOffset: true });
    await assert.rejects(collectPages(fetchPage, stuck), /same page again/);
  });
});

describe('portal requests', () => {
  it('carry the configured User-Agent', async () => {
    const fake = await startFakePortal();
    try {
      fake.addUser({ ...USER });
      fake.addCase({ number: '00012345' });
      await makeFactory({ fake, api: 'hydra' })
        .create(credential('offline-token'))
        .getCase('00012345');
      assert.deepEqual(
        fake.requests.map((r) => r.userAgent),
        ['tickets-pushbot/test', 'tickets-pushbot/test'],
      );
    } finally {
      await fake.close();
    }
  });
});
