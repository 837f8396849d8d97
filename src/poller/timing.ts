// The poller's waits, as named defaults; tests and the benchmark shorten them (PollerDeps.timing).
import type { Config } from '../config.js';

/** `since` = previous successful check start minus this: covers clock skew and late indexing. */
export const SINCE_SAFETY_MARGIN_MS = 2 * 60_000;
/**
 * A case whose fetch failed waits one poll interval before the next try, doubling per failure
 * up to this cap.
 */
export const CASE_BACKOFF_MAX_MS = 30 * 60_000;
/** A 429 without Retry-After pauses the credential this long. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;
/**
 * After the changedCases filter failed in a way that will not heal by itself (the endpoint is
 * missing, its answer unreadable), per-case polling lasts this long before it is tried again.
 * A transient failure (5xx, timeout) only costs the cycle it happened in.
 */
export const FILTER_RETRY_AFTER_MS = 60 * 60_000;
/**
 * After the portal refused the follow rules' case search ('unsupported': no GraphQL for this
 * credential), the search is not asked again for this long.
 */
export const DISCOVERY_RETRY_AFTER_MS = 60 * 60_000;
/**
 * After the attachment list answered 'unsupported' or 'gone' (the API is not there for this
 * credential), no attachments are read for this long.
 */
export const ATTACHMENTS_RETRY_AFTER_MS = 60 * 60_000;
/** Without a stored search checkpoint, discovery looks back this many poll intervals. */
export const DISCOVERY_LOOKBACK_INTERVALS = 2;

export interface PollTiming {
  sinceSafetyMarginMs: number;
  /** First wait after a case failed; default one poll interval. */
  caseBackoffBaseMs: number;
  caseBackoffMaxMs: number;
  defaultRateLimitPauseMs: number;
  filterRetryAfterMs: number;
  discoveryRetryAfterMs: number;
  attachmentsRetryAfterMs: number;
  /** How far back (our clock) the first search of a credential looks; default 2 intervals. */
  discoveryLookbackMs: number;
}

const DEFAULT_TIMING: Omit<PollTiming, 'caseBackoffBaseMs' | 'discoveryLookbackMs'> = {
  sinceSafetyMarginMs: SINCE_SAFETY_MARGIN_MS,
  caseBackoffMaxMs: CASE_BACKOFF_MAX_MS,
  defaultRateLimitPauseMs: DEFAULT_RATE_LIMIT_PAUSE_MS,
  filterRetryAfterMs: FILTER_RETRY_AFTER_MS,
  discoveryRetryAfterMs: DISCOVERY_RETRY_AFTER_MS,
  attachmentsRetryAfterMs: ATTACHMENTS_RETRY_AFTER_MS,
};

export function resolveTiming(
  poll: Pick<Config['poll'], 'intervalSeconds'>,
  overrides: Partial<PollTiming> | undefined,
): PollTiming {
  return {
    ...DEFAULT_TIMING,
    caseBackoffBaseMs: poll.intervalSeconds * 1000,
    discoveryLookbackMs: DISCOVERY_LOOKBACK_INTERVALS * poll.intervalSeconds * 1000,
    ...overrides,
  };
}
