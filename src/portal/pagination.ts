// Walking the pages of `POST /cases/filter` (both flavours), sorted by lastModifiedDate
// ascending. Offset paging over a list that changes while we read it can skip an item: when a
// case on an earlier page is modified it moves to the end, and every later case shifts one
// place towards the start, so the first case of the next page slides onto the page already
// read. Each page therefore starts FILTER_PAGE_OVERLAP places early; duplicates are dropped.
import type { CaseNumber } from '../domain.js';

/** Cases per filter request. */
export const FILTER_PAGE_SIZE = 100;
/** Places each page re-reads from the previous one (see above); must be < FILTER_PAGE_SIZE. */
export const FILTER_PAGE_OVERLAP = 5;
/** Stop after this many pages (100 000 cases): a portal that never ends its list is a bug. */
export const MAX_FILTER_PAGES = 1000;

export interface FilterPage {
  caseNumbers: CaseNumber[];
  /** Items on the page, readable or not (a skipped bad item still takes a place). */
  itemCount: number;
  /** Hydra tells the total; Strata does not. */
  totalCount?: number | undefined;
}

/** Case numbers of every page, in first-seen order, without duplicates. */
export async function collectPages(
  fetchPage: (offset: number, size: number) => Promise<FilterPage>,
  /** Builds the error thrown when the list does not end; `detail` describes why. */
  stuck: (detail: string) => Error,
  pageSize = FILTER_PAGE_SIZE,
): Promise<CaseNumber[]> {
  const overlap = Math.min(FILTER_PAGE_OVERLAP, pageSize - 1);
  const seen = new Set<CaseNumber>();
  let offset = 0;
  for (let page = 0; page < MAX_FILTER_PAGES; page++) {
    const result = await fetchPage(offset, pageSize);
    const fresh = result.caseNumbers.filter((number) => !seen.has(number));
    for (const number of fresh) seen.add(number);
    const end = offset + result.itemCount;
    if (result.itemCount < pageSize) return [...seen];
    if (result.totalCount !== undefined && end >= result.totalCount) return [...seen];
    if (page > 0 && result.caseNumbers.length > 0 && fresh.length === 0) {
      throw stuck('the portal sent the same page again, ignoring the offset');
    }
    offset = end - overlap;
  }
  throw stuck(`the case list did not end after ${MAX_FILTER_PAGES} pages`);
}
