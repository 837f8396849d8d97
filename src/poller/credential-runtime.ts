// What the poller remembers about each credential between passes, in memory only: where it was
// checked up to, its pause after a 429, its failing cases' backoff, its failures in a row. Lost
// on restart on purpose, except lastCheckStart (saved by checkpoint()).
import type { CaseNumber } from '../domain.js';
import type { PollTiming } from './timing.js';

export interface CredentialRuntime {
  /** Start of the last complete check; undefined → the next check is a full sweep. */
  lastCheckStart: number | undefined;
  /** The portal answered 429: no request before this time. */
  pausedUntil: number;
  /** Set while changedCases is considered broken: per-case polling until then. */
  filterRetryAt: number | undefined;
  /** The fallback was logged (once per credential, until the filter works again). */
  filterWarned: boolean;
  /** The follow rules' search is not asked before this time (the portal refused it). */
  discoveryRetryAt: number | undefined;
  /** That refusal was logged (once per credential, until a search works). */
  discoveryWarned: boolean;
  /** No attachment list is read before this time (the API answered 'unsupported' or 'gone'). */
  attachmentsRetryAt: number | undefined;
  /** The vault could not open the credential (logged once). */
  clientWarned: boolean;
  /**
   * Per case: its lastModifiedAt when its comments were last read, and when (our clock) that
   * read started. Lets a case that has not moved cost getCase alone.
   */
  modified: Map<CaseNumber, { lastModifiedAt: string; readAt: number }>;
  /** Cases whose last fetch failed: not fetched before `until`, then fetched directly until one works. */
  backoff: Map<CaseNumber, { failures: number; until: number }>;
  /**
   * Per case: the newest lastModifiedAt (ms) whose case fields were applied to the store. A
   * read older than that (a sweep's, overtaken by a cycle's) must not set them back.
   */
  applied: Map<CaseNumber, number>;
  /**
   * Consecutive portal failures per case ('*' for the credential's own requests: the filter, a
   * batch; '*search' and '*attachments' for the rules' search and the attachment lists). The
   * third in a row is reported to the admins (the reporter sends one message an hour per kind
   * of failure, with a repeat count), so a changed API is noticed in minutes.
   */
  failures: Map<string, number>;
  /** The admins were told this credential's API looks switched off (until a read works). */
  goneReported: boolean;
}

export type Runtimes = Map<string, CredentialRuntime>;

export function runtimeOf(runtimes: Runtimes, credentialId: string): CredentialRuntime {
  let rt = runtimes.get(credentialId);
  if (!rt) {
    rt = {
      lastCheckStart: undefined,
      pausedUntil: 0,
      filterRetryAt: undefined,
      filterWarned: false,
      discoveryRetryAt: undefined,
      discoveryWarned: false,
      attachmentsRetryAt: undefined,
      clientWarned: false,
      modified: new Map(),
      backoff: new Map(),
      applied: new Map(),
      failures: new Map(),
      goneReported: false,
    };
    runtimes.set(credentialId, rt);
  }
  return rt;
}

/** Forget what is no longer followed, so memory follows the subscriptions. */
export function forgetUnfollowed(rt: CredentialRuntime, cases: readonly CaseNumber[]): void {
  const followed = new Set(cases);
  for (const map of [rt.modified, rt.backoff, rt.applied, rt.failures]) {
    for (const n of map.keys()) if (!n.startsWith('*') && !followed.has(n)) map.delete(n);
  }
}

export function isPaused(rt: CredentialRuntime, now: number): boolean {
  return rt.pausedUntil > now;
}

/** After a 429: no request of this credential before now + waitMs (a longer pause stays). */
export function pause(rt: CredentialRuntime, now: number, waitMs: number): void {
  rt.pausedUntil = Math.max(rt.pausedUntil, now + waitMs);
}

/** The case waits before its next try, doubling per failure; returns the wait in ms. */
export function backoffCase(
  rt: CredentialRuntime,
  caseNumber: CaseNumber,
  now: number,
  timing: Pick<PollTiming, 'caseBackoffBaseMs' | 'caseBackoffMaxMs'>,
): number {
  const failures = (rt.backoff.get(caseNumber)?.failures ?? 0) + 1;
  const wait = Math.min(
    timing.caseBackoffMaxMs,
    timing.caseBackoffBaseMs * 2 ** Math.min(failures - 1, 30),
  );
  rt.backoff.set(caseNumber, { failures, until: now + wait });
  return wait;
}

/** Whether the case's backoff (if any) has run out. */
export function isDue(rt: CredentialRuntime, caseNumber: CaseNumber, now: number): boolean {
  return (rt.backoff.get(caseNumber)?.until ?? 0) <= now;
}

/**
 * One more failure in a row of a case (undefined: the credential's own request; a key starting
 * with '*': another request of the credential's); the count.
 */
export function countFailure(rt: CredentialRuntime, caseNumber: CaseNumber | undefined): number {
  const key = caseNumber ?? '*';
  const count = (rt.failures.get(key) ?? 0) + 1;
  rt.failures.set(key, count);
  return count;
}

/** A read worked: its failures in a row end, and a switched-off API may be reported again. */
export function resetFailures(rt: CredentialRuntime, caseNumber: CaseNumber | undefined): void {
  rt.failures.delete(caseNumber ?? '*');
  rt.goneReported = false;
}
