// PortalClient over Red Hat's current APIs: GraphQL and REST v3, on the same login. Nothing of
// them was verified live (reference: redhat-portal-api-v3.md), so this client finds out, per
// credential, which way of reading works, and steps down on its own:
//
//   path "graphql"       one GraphQL query per ≤ BATCH_SIZE followed cases returns their fields
//                        and newest comments: a quiet cycle costs ⌈cases / BATCH_SIZE⌉ requests;
//   path "graphql+rest"  the same query without the comment relation, plus REST v3
//                        GET /cases/{n}/comments for the cases that moved;
//   path "rest"          REST v3 alone: the poller reads every case's comments every cycle.
//
// It settles on a path by using it: the first read tries the best one. A schema-type answer
// ('unsupported': "Cannot query field …", a refused relation, an envelope of the wrong shape)
// or a missing endpoint ('gone') moves to the next path at once; an optional field the portal
// refuses is only dropped from the query. Transient failures (5xx, timeouts, throttling) never
// change the path. Every REPROBE_MS the best path is tried again, and kept if it works.
//
// Searching (v3-search.ts) follows the path: it is GraphQL's, so canSearch() is true on
// "graphql" and "graphql+rest", and also before any path has settled (the first search is
// then the probe: it tries GraphQL). On "rest" it is false, as it is for REPROBE_MS after the
// portal refused the search query itself (one wasted request per cycle otherwise); a search
// never moves the read path. Attachments and single cases with their description are REST v3's.
import type { Case, CaseNumber, Clock, Comment } from '../domain.js';
import type { Logger } from '../logger.js';
import { createCaseQuery, stepsDown } from './graphql-query.js';
import { COMMENT_RELATION, casesQuery, commentsQuery } from './graphql-schema.js';
import type { GraphqlEndpoint } from './graphql.js';
import { createCaseSearch } from './v3-search.js';
import {
  PortalError,
  type BatchRead,
  type PortalClient,
  type PortalPath,
  type ReadMode,
} from './types.js';

/** Cases per GraphQL request (a public client batches 100; the page maximum is 200). */
export const BATCH_SIZE = 100;
/**
 * Newest comments per case in a batch; a case with more new ones is read in full. Every quiet
 * cycle carries these for every followed case (the bench measured ~200× v1's bytes at 20), so
 * the number is kept small: more than this many new comments on one case between two cycles is
 * rare, and then costs one extra read of that case.
 */
export const BATCH_COMMENTS = 5;
/** Comments per page when one case's comments are read through GraphQL. */
export const COMMENT_PAGE_SIZE = 200;
/** The best path is tried again this often (ms) after stepping down. */
export const REPROBE_MS = 60 * 60_000;
/** Pages of one batch followed at most: more means the portal ignores our filter. */
const MAX_BATCH_PAGES = 3;
const MAX_COMMENT_PAGES = 50;
/** Pages of a "changed since" list followed at most (200 cases each). */
const MAX_CHANGED_PAGES = 50;
const CHANGED_PAGE_SIZE = 200;

type V3Path = Extract<PortalPath, 'graphql' | 'graphql+rest' | 'rest'>;
const ORDER: readonly V3Path[] = ['graphql', 'graphql+rest', 'rest'];

export interface V3Deps {
  graphql: GraphqlEndpoint;
  /** REST v3 (rest-v3.ts) for comment lists, single cases and the last path. */
  rest: PortalClient;
  /** Login name for display (the access token's username claim, or the Basic username). */
  account: () => string | undefined;
  clock: Clock;
  logger: Logger;
}

export { stepsDown } from './graphql-query.js';

export function createV3Client(deps: V3Deps): PortalClient & { path(): PortalPath | undefined } {
  const log = deps.logger;
  let path: V3Path | undefined;
  let probedAt = 0;

  const reprobeDue = (): boolean => path === undefined || deps.clock.now() - probedAt >= REPROBE_MS;

  const settle = (next: V3Path, reason?: PortalError): void => {
    probedAt = deps.clock.now();
    if (next === path) return;
    log.info(
      {
        path: next,
        previous: path ?? 'none',
        ...(reason ? { reason: reason.message, status: reason.status, field: reason.field } : {}),
      },
      `reading cases through ${describePath(next)}`,
    );
    path = next;
  };

  /** Runs a GraphQL query, dropping refused optional fields and asking again. */
  const query = createCaseQuery(deps.graphql, log);
  const search = createCaseSearch(query, log);
  let searchRefusedAt: number | undefined;
  const canSearch = (): boolean =>
    path !== 'rest' &&
    (searchRefusedAt === undefined || deps.clock.now() - searchRefusedAt >= REPROBE_MS);

  /** One batch of ≤ BATCH_SIZE cases through GraphQL, with or without their comments. */
  const batch = async (
    numbers: readonly CaseNumber[],
    withComments: boolean,
  ): Promise<BatchRead> => {
    const wanted = new Set(numbers);
    const read: BatchRead = {
      mode: {
        kind: 'batch',
        path: withComments ? 'graphql' : 'graphql+rest',
        withComments,
        batchSize: BATCH_SIZE,
      },
      cases: new Map(),
      notVisible: [],
      failed: new Map(),
      requests: 0,
    };
    let after: string | undefined;
    const cursors = new Set<string>();
    for (let pageNo = 0; pageNo < MAX_BATCH_PAGES; pageNo++) {
      read.requests++;
      const page = await query(withComments, (shape) => casesQuery(shape), {
        where: { CaseNumber__c: { in: [...wanted] } },
        first: Math.min(BATCH_SIZE, wanted.size),
        after: after ?? null,
        ...(withComments ? { comments: BATCH_COMMENTS } : {}),
      });
      for (const c of page.cases) {
        // The portal's number may lack leading zeros; the followed number is what we asked.
        const asked = wanted.has(c.kase.number)
          ? c.kase.number
          : numbers.find((n) => Number(n) === Number(c.kase.number));
        if (asked === undefined) continue; // not ours: the filter was ignored
        read.cases.set(asked, {
          kase: { ...c.kase, number: asked },
          ...(c.comments !== undefined ? { comments: c.comments } : {}),
          commentsComplete: c.commentsComplete,
        });
      }
      if (read.cases.size === wanted.size || !page.hasNextPage) break;
      if (page.endCursor === undefined || cursors.has(page.endCursor)) break;
      cursors.add(page.endCursor);
      after = page.endCursor;
    }
    // Absent from the answer: Salesforce sharing hides what an account may not see, but a
    // filter the portal did not apply looks the same. REST v3 confirms before anyone is told.
    for (const n of numbers) {
      if (read.cases.has(n)) continue;
      read.requests++;
      try {
        const kase = await deps.rest.getCase(n);
        read.cases.set(n, { kase: { ...kase, number: n }, commentsComplete: false });
      } catch (err) {
        if (err instanceof PortalError && err.kind === 'not-visible') read.notVisible.push(n);
        else if (err instanceof PortalError && !stepsDown(err)) throw err;
        else {
          read.failed.set(
            n,
            new PortalError(
              'bad-payload',
              `Case ${n} is missing from Red Hat's GraphQL answer and REST v3 could not confirm why.`,
              {},
            ),
          );
        }
      }
    }
    return read;
  };

  /** A single case with its comments through GraphQL, every page of them. */
  const graphqlCase = async (
    caseNumber: CaseNumber,
  ): Promise<{ kase: Case; comments: Comment[] }> => {
    const comments: Comment[] = [];
    let kase: Case | undefined;
    let after: string | undefined;
    for (let pageNo = 0; pageNo < MAX_COMMENT_PAGES; pageNo++) {
      const page = await query(true, (shape) => commentsQuery(shape), {
        where: { CaseNumber__c: { eq: caseNumber } },
        comments: COMMENT_PAGE_SIZE,
        after: after ?? null,
      });
      const found = page.cases[0];
      if (!found) {
        throw new PortalError(
          'not-visible',
          `This Red Hat account cannot see case ${caseNumber} (absent from the GraphQL answer).`,
          {},
        );
      }
      kase = { ...found.kase, number: caseNumber };
      comments.push(...(found.comments ?? []));
      if (found.commentsComplete || found.commentsCursor === undefined) break;
      after = found.commentsCursor;
    }
    if (!kase) throw new PortalError('bad-payload', 'The GraphQL comment pages did not end.', {});
    return { kase, comments };
  };

  /**
   * Tries `first`, then `second` when the first does not work on this portal: a schema-type
   * answer, a missing endpoint, or an answer of a shape we cannot read (the other API may read
   * fine). When the second does not work either, the first's error is the one to report.
   */
  const either = async <T>(first: () => Promise<T>, second: () => Promise<T>): Promise<T> => {
    try {
      return await first();
    } catch (err) {
      if (!stepsDown(err) && !(err instanceof PortalError && err.kind === 'bad-payload')) throw err;
      try {
        return await second();
      } catch (secondErr) {
        throw stepsDown(secondErr) ? err : secondErr;
      }
    }
  };
  const restFirst = (): boolean => path === 'graphql+rest' || path === 'rest';

  return {
    path: () => path,

    readMode(): ReadMode {
      // A credential on REST alone tries the batch path again once the re-probe is due.
      const current = path === 'rest' && reprobeDue() ? 'graphql' : (path ?? 'graphql');
      if (current === 'rest') return { kind: 'per-case', path: 'rest' };
      return {
        kind: 'batch',
        path: current,
        withComments: current === 'graphql',
        batchSize: BATCH_SIZE,
      };
    },

    async readCases(numbers) {
      const start = reprobeDue() ? 0 : ORDER.indexOf(path ?? 'graphql');
      const current = path === undefined ? 0 : ORDER.indexOf(path);
      let reason: PortalError | undefined;
      for (let i = start; i < ORDER.length - 1; i++) {
        const candidate = ORDER[i] ?? 'rest';
        try {
          const read = await batch(numbers, candidate === 'graphql');
          settle(candidate, reason);
          return read;
        } catch (err) {
          // Below or at the path in use, only a schema-type answer steps down; above it (a
          // re-probe), any failure just means "not better yet".
          if (i >= current && !stepsDown(err)) throw err;
          if (err instanceof PortalError) reason = err;
          if (i < current && !stepsDown(err)) {
            probedAt = deps.clock.now();
            i = current - 1;
          }
        }
      }
      settle('rest', reason);
      throw new PortalError(
        'unsupported',
        `Red Hat's GraphQL API cannot read this account's cases${reason ? ` (${reason.message})` : ''}; reading each case through REST v3 instead.`,
        { ...(reason?.status !== undefined ? { status: reason.status } : {}) },
      );
    },

    async verify() {
      // Any path that can read cases will do; the first that works is where polling starts.
      let reason: PortalError | undefined;
      for (const candidate of ORDER) {
        try {
          if (candidate === 'rest') {
            await deps.rest.verify();
          } else {
            const withComments = candidate === 'graphql';
            await query(withComments, (shape) => casesQuery(shape), {
              first: 1,
              ...(withComments ? { comments: 1 } : {}),
            });
          }
          settle(candidate, reason);
          const account = deps.account();
          return { ...(account !== undefined ? { account } : {}), path: candidate };
        } catch (err) {
          if (!stepsDown(err)) throw err;
          reason = err;
        }
      }
      throw reason ?? new PortalError('gone', 'No Red Hat case API answered.', {});
    },

    getCase(caseNumber) {
      const viaGraphql = async () => (await graphqlCaseFields(caseNumber)).kase;
      return restFirst()
        ? either(() => deps.rest.getCase(caseNumber), viaGraphql)
        : either(viaGraphql, () => deps.rest.getCase(caseNumber));
    },

    readCase(caseNumber) {
      return either(
        () => deps.rest.readCase(caseNumber),
        () => graphqlCase(caseNumber),
      );
    },

    async listComments(caseNumber, options) {
      const viaGraphql = async () => (await graphqlCase(caseNumber)).comments;
      return path === 'graphql' || path === undefined
        ? either(viaGraphql, () => deps.rest.listComments(caseNumber, options))
        : either(() => deps.rest.listComments(caseNumber, options), viaGraphql);
    },

    async changedCases(since) {
      const numbers: CaseNumber[] = [];
      let after: string | undefined;
      const cursors = new Set<string>();
      for (let pageNo = 0; pageNo < MAX_CHANGED_PAGES; pageNo++) {
        const page = await query(false, (shape) => casesQuery(shape, 'LastModifiedDate'), {
          where: { LastModifiedDate: { gte: { value: since.toISOString() } } },
          first: CHANGED_PAGE_SIZE,
          after: after ?? null,
        });
        for (const c of page.cases)
          if (!numbers.includes(c.kase.number)) numbers.push(c.kase.number);
        if (!page.hasNextPage || page.endCursor === undefined || cursors.has(page.endCursor)) {
          return numbers;
        }
        cursors.add(page.endCursor);
        after = page.endCursor;
      }
      throw new PortalError('bad-payload', 'The list of changed cases did not end.', {});
    },

    canSearch,

    async searchCases(request) {
      if (!canSearch()) {
        throw new PortalError(
          'unsupported',
          path === 'rest'
            ? "This account's cases are read through REST v3 alone (GraphQL refused it), and REST v3 cannot search cases."
            : "Red Hat's GraphQL API refused to search this account's cases; will try again later.",
          {},
        );
      }
      try {
        const page = await search(request);
        searchRefusedAt = undefined;
        return page;
      } catch (err) {
        if (stepsDown(err)) searchRefusedAt = deps.clock.now();
        throw err;
      }
    },

    listAttachments(caseNumber) {
      return deps.rest.listAttachments(caseNumber);
    },
  };

  /**
   * A case's fields through GraphQL, with its description, opener and creation date; absent is
   * 'not-visible' unless REST says otherwise.
   */
  async function graphqlCaseFields(caseNumber: CaseNumber): Promise<{ kase: Case }> {
    const page = await query(false, (shape) => casesQuery({ ...shape, details: true }), {
      where: { CaseNumber__c: { eq: caseNumber } },
      first: 1,
    });
    const found = page.cases[0];
    if (found) return { kase: { ...found.kase, number: caseNumber } };
    // Absent: REST's 404 (or its case) is the more precise answer when REST works.
    try {
      return { kase: await deps.rest.getCase(caseNumber) };
    } catch (err) {
      if (!stepsDown(err)) throw err;
      throw new PortalError(
        'not-visible',
        `This Red Hat account cannot see case ${caseNumber} (absent from the GraphQL answer).`,
        {},
      );
    }
  }
}

export function describePath(path: PortalPath): string {
  switch (path) {
    case 'graphql':
      return 'GraphQL (cases and comments in one query per 100 cases)';
    case 'graphql+rest':
      return `GraphQL for cases, REST v3 for comments (the portal refused ${COMMENT_RELATION})`;
    case 'rest':
      return 'REST v3 alone (one request per case per cycle)';
    case 'hydra':
      return 'the v1 Hydra API (switched off by Red Hat on 2026-09-21)';
    case 'strata':
      return 'the legacy Strata XML API';
  }
}
