// The one place that decides what a failed portal request means for the poller, by its
// PortalError kind (decideFailure, pure), and carries that out for one credential's pass
// (applyFailure):
//   halted earlier   not sent: the pass is only incomplete (`since` does not advance)
//   auth             reject the credential (its chats are told), halt its pass
//   rate-limited     pause the credential (Retry-After, else a default), halt its pass
//   filter, other    poll each case directly (for this cycle if transient, else for a while)
//   not-visible      the case: stop polling it, tell its chats
//   gone             back off; report once that the API looks switched off
//   the rest         back off the case; bad-payload and non-portal errors reported at once
// Every portal failure but auth, not-visible and gone counts as one in a row; the
// REPORT_AFTER_FAILURES-th and later are reported to the admins.
//
// The follow rules' search and the attachment lists are requests beside the case reads
// (applySideFailure): their failures never change how cases are read (no filter fallback, no
// case backoff). Auth and 429 are the credential's, as above; 'unsupported' (and, for
// attachments, 'gone') makes the caller stop asking for a while; the rest is tried next cycle.
import type { CaseNumber } from '../domain.js';
import { isPortalError, type PortalError, type PortalErrorKind } from '../portal/types.js';
import type { CredentialRun } from './context.js';
import { backoffCase, countFailure, pause } from './credential-runtime.js';
import type { CaseResult } from './outcome.js';
import type { PollTiming } from './timing.js';

/** Failures in a row, of one case or one credential, before the admins hear of it. */
export const REPORT_AFTER_FAILURES = 3;

/** A request not sent because its credential was halted earlier in the cycle. */
export class HaltedError extends Error {
  constructor() {
    super('not sent: the credential was halted earlier in this cycle');
    this.name = 'HaltedError';
  }
}

/** Whether a failed request stops its credential's remaining requests in this pass. */
export function haltsCredential(err: unknown): boolean {
  return isPortalError(err) && (err.kind === 'auth' || err.kind === 'rate-limited');
}

export type FailureAction =
  | { kind: 'not-sent' }
  | { kind: 'reject-credential' }
  | { kind: 'pause-credential'; pauseMs: number }
  | { kind: 'poll-each-case'; retryFilterInMs: number }
  | { kind: 'not-visible' }
  | { kind: 'back-off'; gone: boolean; reportNow: boolean };

export interface FailureDecision {
  action: FailureAction;
  /** Counts as a failure in a row (kinds with their own handling do not). */
  inARow: boolean;
}

/**
 * What the poller does about `err`, met reading `caseNumber` (undefined: the credential's own
 * request, the changed-cases filter).
 */
export function decideFailure(
  err: unknown,
  caseNumber: CaseNumber | undefined,
  timing: Pick<PollTiming, 'defaultRateLimitPauseMs' | 'filterRetryAfterMs'>,
): FailureDecision {
  if (err instanceof HaltedError) return { action: { kind: 'not-sent' }, inARow: false };
  const kind: PortalErrorKind | 'unexpected' = isPortalError(err) ? err.kind : 'unexpected';
  // The chats are told (auth), polling stops (not-visible), or the admins already heard (gone).
  const inARow = isPortalError(err) && kind !== 'auth' && kind !== 'not-visible' && kind !== 'gone';
  if (kind === 'auth') return { action: { kind: 'reject-credential' }, inARow };
  if (kind === 'rate-limited') {
    const pauseMs =
      (isPortalError(err) ? err.retryAfterMs : undefined) ?? timing.defaultRateLimitPauseMs;
    return { action: { kind: 'pause-credential', pauseMs }, inARow };
  }
  if (caseNumber === undefined) {
    // Broken or missing (a 404, an answer we cannot read): poll case by case for a while.
    // Transient (5xx, timeout): case by case for this cycle only; the filter next cycle.
    const retryFilterInMs = kind === 'transient' ? 0 : timing.filterRetryAfterMs;
    return { action: { kind: 'poll-each-case', retryFilterInMs }, inARow };
  }
  if (kind === 'not-visible') return { action: { kind: 'not-visible' }, inARow };
  const reportNow = kind === 'bad-payload' || kind === 'unexpected';
  return { action: { kind: 'back-off', gone: kind === 'gone', reportNow }, inARow };
}

/**
 * Counts a failure in a row (under `key`: a case number, '*' or '*<request>'); the
 * REPORT_AFTER_FAILURES-th and later go to the admins.
 */
function noteFailure(
  run: CredentialRun,
  key: string | undefined,
  err: PortalError,
  caseNumber: CaseNumber | undefined,
) {
  const count = countFailure(run.rt, key);
  if (count < REPORT_AFTER_FAILURES) return;
  run.env.reporter.report({
    component: 'portal',
    error: err,
    context: {
      credentialId: run.credentialId,
      ...(caseNumber !== undefined ? { caseNumber } : {}),
      ...(key?.startsWith('*') === true ? { request: key.slice(1) } : {}),
      failuresInARow: count,
      endpoint: err.endpoint,
      status: err.status,
    },
  });
}

/**
 * Carries out decideFailure for one credential's pass. Returns the case's result, or
 * undefined when the case has none (the credential halted, or no case was read).
 */
export function applyFailure(
  run: CredentialRun,
  caseNumber: CaseNumber | undefined,
  err: unknown,
): CaseResult | undefined {
  const { action, inARow } = decideFailure(err, caseNumber, run.env.timing);
  const { rt, outcome, log } = run;
  if (action.kind === 'not-sent') {
    outcome.incomplete = true;
    return undefined;
  }
  run.pass.stats.portalFailures++;
  const now = run.env.clock.now();
  if (inARow && isPortalError(err)) noteFailure(run, caseNumber, err, caseNumber);
  switch (action.kind) {
    case 'reject-credential':
      if (!outcome.rejected) {
        log.warn({ err }, 'the portal rejected the credential: pausing it and telling its chats');
      }
      run.halted = true;
      outcome.rejected = true;
      outcome.incomplete = true;
      return undefined;
    case 'pause-credential':
      if (!run.rateLimitLogged) {
        run.rateLimitLogged = true;
        log.warn(
          { retryAfterMs: action.pauseMs },
          'the portal asked to slow down: pausing this credential',
        );
      }
      pause(rt, now, action.pauseMs);
      run.halted = true;
      outcome.incomplete = true;
      return undefined;
    case 'poll-each-case':
      rt.filterRetryAt = run.checkStart + action.retryFilterInMs;
      if (!rt.filterWarned) {
        rt.filterWarned = true;
        log.warn(
          { err, retryFilterInMs: action.retryFilterInMs },
          'the changed-cases filter failed: polling each followed case directly for now',
        );
      }
      return undefined;
    case 'not-visible':
      log.info({ caseNumber }, 'the credential cannot see the case any more: stopping its polling');
      return { kind: 'not-visible' };
    case 'back-off':
      if (action.gone && isPortalError(err) && !rt.goneReported) {
        // The API is missing, not the case: polling goes on (backed off), chats hear nothing,
        // the operator hears once until a read works again.
        rt.goneReported = true;
        log.error({ err }, 'the portal API answers as if it were switched off');
        run.env.reporter.report({
          component: 'portal',
          error: err,
          context: {
            credentialId: run.credentialId,
            endpoint: err.endpoint,
            status: err.status,
            hint: 'run "tickets-pushbot check" to see which Red Hat API works',
          },
        });
      }
      return backOff(run, caseNumber, err, now, action.reportNow);
  }
}

function backOff(
  run: CredentialRun,
  caseNumber: CaseNumber | undefined,
  err: unknown,
  now: number,
  reportNow: boolean,
): CaseResult {
  const wait = caseNumber !== undefined ? backoffCase(run.rt, caseNumber, now, run.env.timing) : 0;
  run.log.warn(
    { err, caseNumber, retryInMs: wait },
    'portal request failed; the case is retried later',
  );
  if (reportNow) {
    run.env.reporter.report({
      component: 'poller',
      error: err,
      context: { credentialId: run.credentialId, caseNumber },
    });
  }
  return { kind: 'failed' };
}

/** Requests beside the case reads: the follow rules' search, a case's attachment list. */
export type SideRequest = 'search' | 'attachments';

/**
 * A failed search or attachment list, for one credential's pass. Returns 'not-sent' (the
 * credential was halted earlier), 'refused' (the API is not there for this credential:
 * 'unsupported', and for attachments 'gone' too; the caller stops asking for a while and
 * logs it) or 'failed' (asked again next cycle).
 */
export function applySideFailure(
  run: CredentialRun,
  what: SideRequest,
  err: unknown,
  caseNumber?: CaseNumber,
): 'not-sent' | 'refused' | 'failed' {
  if (err instanceof HaltedError) return 'not-sent';
  if (haltsCredential(err)) {
    // Rejected or told to slow down: the credential's, whatever request met it.
    applyFailure(run, undefined, err);
    return 'failed';
  }
  run.pass.stats.portalFailures++;
  const kind: PortalErrorKind | 'unexpected' = isPortalError(err) ? err.kind : 'unexpected';
  if (kind === 'unsupported' || (what === 'attachments' && kind === 'gone')) return 'refused';
  if (isPortalError(err) && kind !== 'not-visible' && kind !== 'gone') {
    noteFailure(run, `*${what}`, err, caseNumber);
  }
  run.log.warn(
    { err, caseNumber },
    what === 'search'
      ? "the follow rules' case search failed; it is asked again next cycle"
      : 'could not read the attachments of a case; they are read again when it is next read',
  );
  if (kind === 'bad-payload' || kind === 'unexpected') {
    run.env.reporter.report({
      component: 'poller',
      error: err,
      context: { credentialId: run.credentialId, request: what, caseNumber },
    });
  }
  return 'failed';
}
