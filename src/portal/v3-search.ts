// Searching a credential's cases through GraphQL (reference §6.2): the follow rules' discovery,
// one request per credential per cycle. The portal filters on what it surely can,
//   where: { and: [ { LastModifiedDate: { gt: { value: <ISO> } } }, { IsClosed: { eq: false } } ] }
// and the caller applies its own conditions (severity, product, group) to the cases returned:
// a `where` on those fields is untested against the real schema, and a rule change would need
// a new query. No record-type or AccessRestrictions__c clause: a follow rule is about what the
// credential sees, whatever the record type.
//
// Order: `orderBy: { LastModifiedDate: { order: ASC } }`, least recently modified first, so a
// caller can move its checkpoint forward page by page. Cases are sorted locally as well (a portal
// may ignore the argument); when the portal refuses orderBy outright, the search asks without it
// from then on and only sorts locally: each page is then in order, but pages are not in order
// with each other, so a checkpoint may move only after the last page.
//
// Optional fields (Description, CreatedBy, Product, Group__r, totalCount) the portal refuses are
// dropped by the query runner (graphql-query.ts), as for every GraphQL read.
import type { Case } from '../domain.js';
import type { Logger } from '../logger.js';
import { stepsDown, type CaseQuery } from './graphql-query.js';
import { searchQuery } from './graphql-schema.js';
import { PortalError, type CasePage, type CaseSearch } from './types.js';

/** Largest page the portal serves (§6.2: "Max 200 records/request"). */
export const SEARCH_MAX_FIRST = 200;

/** An error message that blames the orderBy argument or its input type. */
const ORDER_REFUSED = /orderBy|_OrderBy\b|\border\b/i;

/** `first`, made a whole number within 1..SEARCH_MAX_FIRST (the portal refuses anything else). */
export function clampFirst(first: number): number {
  if (!Number.isFinite(first)) return SEARCH_MAX_FIRST;
  return Math.min(SEARCH_MAX_FIRST, Math.max(1, Math.trunc(first)));
}

/** The query's variables: `where` only when the search has a condition. */
export function searchVariables(search: CaseSearch): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  if (search.modifiedAfter !== undefined) {
    and.push({ LastModifiedDate: { gt: { value: search.modifiedAfter.toISOString() } } });
  }
  if (search.openOnly) and.push({ IsClosed: { eq: false } });
  return {
    ...(and.length > 0 ? { where: { and } } : {}),
    first: clampFirst(search.first),
    after: search.after ?? null,
  };
}

/** Least recently modified first; the case number breaks ties, so the order is stable. */
export function leastRecentFirst(cases: readonly Case[]): Case[] {
  return [...cases].sort(
    (a, b) =>
      Date.parse(a.lastModifiedAt) - Date.parse(b.lastModifiedAt) ||
      (a.number < b.number ? -1 : a.number > b.number ? 1 : 0),
  );
}

function refusesOrder(err: unknown): boolean {
  return (
    err instanceof PortalError &&
    err.kind === 'unsupported' &&
    ORDER_REFUSED.test(err.portalMessage ?? '')
  );
}

/**
 * searchCases for one client. Throws PortalError 'unsupported' when the portal refuses the
 * search (after dropping what it may drop), and other kinds as any GraphQL read does.
 */
export function createCaseSearch(
  query: CaseQuery,
  log: Logger,
): (search: CaseSearch) => Promise<CasePage> {
  let ordered = true;

  return async (search) => {
    let requests = 0;
    const variables = searchVariables(search);
    const counted = (): void => {
      requests++;
    };
    const run = () => query(false, (shape) => searchQuery(shape, ordered), variables, counted);
    try {
      let page;
      try {
        page = await run();
      } catch (err) {
        if (!ordered || !refusesOrder(err)) throw err;
        ordered = false;
        log.info(
          { reason: err instanceof PortalError ? err.portalMessage : undefined },
          'the portal refused to order the case search: asking without orderBy, sorting locally',
        );
        page = await run();
      }
      return {
        cases: leastRecentFirst(page.cases.map((c) => c.kase)),
        totalCount: page.totalCount,
        hasNextPage: page.hasNextPage,
        endCursor: page.endCursor,
        requests,
      };
    } catch (err) {
      if (!stepsDown(err)) throw err;
      throw new PortalError(
        'unsupported',
        `Red Hat's GraphQL API cannot search this account's cases (${err.message})`,
        {
          ...(err.status !== undefined ? { status: err.status } : {}),
          ...(err.endpoint !== undefined ? { endpoint: err.endpoint } : {}),
          ...(err.portalMessage !== undefined ? { portalMessage: err.portalMessage } : {}),
          ...(err.field !== undefined ? { field: err.field } : {}),
        },
      );
    }
  };
}
