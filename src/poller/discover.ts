// The follow rules' discovery, the read side: when some active chat using the credential has
// rules, ONE searchCases request per cycle (none in a sweep, none without rules), for the open
// cases the credential sees whose LastModifiedDate is after the checkpoint. What it returns is
// matched against each chat's rules inside the transaction (apply-discovery.ts).
//
// The checkpoint is the credential's discoveredUpTo (portal time, stored: it survives a
// restart), else now minus DISCOVERY_LOOKBACK_INTERVALS poll intervals. The search asks from one
// second before it, as portal dates have one-second resolution: a case changed in the same
// second as the newest one seen is not missed (the newest one comes back each cycle, and
// following it again changes nothing). One page only: when there are more, the checkpoint moves
// to the newest case returned and the next cycle goes on from there (least recently modified
// first, so nothing is skipped).
//
// Failures never hold the comment reads back: the search runs beside them, and only what ends
// the credential's pass anyway (auth, 429) stops them. A credential that cannot search (REST v3
// alone, v1, GraphQL refusing the query) is logged once and asked again after
// DISCOVERY_RETRY_AFTER_MS; its rules find nothing meanwhile.
import type { Case } from '../domain.js';
import type { CredentialRun } from './context.js';
import { applySideFailure } from './portal-failure.js';
import { request } from './read-case.js';

/** Cases per search: the portal's largest page. More wait for the next cycle. */
export const DISCOVERY_PAGE_SIZE = 200;
/** The search starts this long before the checkpoint (portal dates have 1 s resolution). */
export const DISCOVERY_OVERLAP_MS = 1000;

/** The newest lastModifiedAt of a page; undefined when empty (or no date is readable). */
export function newestChange(cases: readonly Case[]): string | undefined {
  let newest: string | undefined;
  let newestMs = Number.NEGATIVE_INFINITY;
  for (const c of cases) {
    const ms = Date.parse(c.lastModifiedAt);
    if (!Number.isNaN(ms) && ms > newestMs) {
      newest = c.lastModifiedAt;
      newestMs = ms;
    }
  }
  return newest;
}

/** Searches once for the credential's run, recording the answer in run.outcome.discovery. */
export async function discover(run: CredentialRun): Promise<void> {
  const { rt, env, portal, log } = run;
  const now = env.clock.now();
  if (rt.discoveryRetryAt !== undefined && now < rt.discoveryRetryAt) return;
  if (!portal.canSearch()) {
    // Known without asking (REST v3 alone, v1): no request, asked again when it can.
    cannotSearch(run, undefined);
    return;
  }
  const stored = run.state.credentials[run.credentialId]?.discoveredUpTo;
  const storedMs = stored !== undefined ? Date.parse(stored) : Number.NaN;
  const from = Number.isNaN(storedMs) ? now - env.timing.discoveryLookbackMs : storedMs;
  try {
    const page = await request(run, () => {
      run.pass.stats.searches++;
      return portal.searchCases({
        modifiedAfter: new Date(from - DISCOVERY_OVERLAP_MS),
        openOnly: true,
        first: DISCOVERY_PAGE_SIZE,
      });
    });
    // The request was counted by `request`; a step down to a smaller query is extra.
    run.pass.stats.portalRequests += Math.max(0, page.requests - 1);
    run.outcome.discovery = { cases: page.cases, upTo: newestChange(page.cases) };
    if (page.hasNextPage) {
      log.debug(
        { cases: page.cases.length, totalCount: page.totalCount },
        'more cases changed than one search returns: the next cycle goes on from the newest',
      );
    }
    rt.failures.delete('*search');
    rt.discoveryRetryAt = undefined;
    if (rt.discoveryWarned) log.info("the follow rules' case search works again");
    rt.discoveryWarned = false;
  } catch (err) {
    if (applySideFailure(run, 'search', err) !== 'refused') return;
    rt.discoveryRetryAt = now + env.timing.discoveryRetryAfterMs;
    cannotSearch(run, err);
  }
}

function cannotSearch(run: CredentialRun, err: unknown): void {
  if (run.rt.discoveryWarned) return;
  run.rt.discoveryWarned = true;
  run.log.warn(
    { err, retryInMs: err === undefined ? undefined : run.env.timing.discoveryRetryAfterMs },
    'follow rules need the GraphQL case search, which this credential cannot use now: its rules ' +
      'bring in no cases. Run "tickets-pushbot check" to see which Red Hat API works',
  );
}
