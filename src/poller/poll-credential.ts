// One credential within a pass: which cases to read and how, by the client's read mode (the
// batch path, REST per case, or the changed-cases filter with readCase for what it names).
// Returns what came back, for commit.ts to record; undefined when nothing was asked.
import type { CaseNumber } from '../domain.js';
import type { PortalClient } from '../portal/types.js';
import { chatsUsing, type CredentialOutcome } from './apply.js';
import { readBatches, readEachCase } from './batch-cycle.js';
import type { CredentialRun, Pass, PollerEnv } from './context.js';
import {
  forgetUnfollowed,
  isDue,
  isPaused,
  resetFailures,
  runtimeOf,
} from './credential-runtime.js';
import { applyFailure } from './portal-failure.js';
import {
  changedSinceRead,
  embedsUnseen,
  fail,
  fetchCase,
  ok,
  readComments,
  request,
} from './read-case.js';
import type { PassCounters } from './stats.js';

export async function pollCredential(
  env: PollerEnv,
  credentialId: string,
  cases: readonly CaseNumber[],
  pass: Pass<PassCounters>,
): Promise<CredentialOutcome | undefined> {
  const rt = runtimeOf(env.runtimes, credentialId);
  forgetUnfollowed(rt, cases);
  const outcome: CredentialOutcome = {
    credentialId,
    applied: rt.applied,
    results: new Map(),
    rejected: false,
    incomplete: false,
  };
  if (cases.length === 0) {
    // Nothing followed: nothing to ask. A case added later was read by /add itself.
    if (pass.kind === 'cycle') rt.lastCheckStart = pass.start;
    return undefined;
  }
  if (isPaused(rt, env.clock.now())) return undefined;

  const log = env.log.child({ credentialId });
  let client: PortalClient | undefined;
  try {
    client = env.vault.clientFor(credentialId);
  } catch (err) {
    if (!rt.clientWarned) {
      rt.clientWarned = true;
      log.error({ err }, 'cannot open a stored credential; its cases are not polled');
      env.reporter.report({ component: 'poller', error: err, context: { credentialId } });
    }
    return undefined;
  }
  if (!client) return undefined;
  pass.stats.credentials++;
  const state = env.store.read();
  const now = env.clock.now();
  const run: CredentialRun = {
    env,
    pass,
    credentialId,
    rt,
    portal: client,
    log,
    outcome,
    checkStart: now,
    state,
    chats: chatsUsing(state.chats, credentialId),
    pending: undefined,
    halted: false,
    rateLimitLogged: false,
  };

  const due = (n: CaseNumber) => isDue(rt, n, now);
  const mode = client.readMode();

  if (mode.kind === 'batch' && pass.kind === 'sweep' && mode.withComments) {
    // Every cycle already reads every case with its newest comments: nothing to sweep.
    return undefined;
  }
  if (mode.kind === 'batch' && pass.kind === 'cycle') {
    const stepDown = await readBatches({
      cases: cases.filter(due),
      mode,
      portal: client,
      request: (fn) => request(run, fn),
      stats: pass.stats,
      now: () => env.clock.now(),
      halted: () => run.halted,
      onBatchOk: () => resetFailures(rt, undefined),
      fail: (n, err) => fail(run, n, err),
      notVisible: (n) => outcome.results.set(n, { kind: 'not-visible' }),
      ok: (n, kase, comments, readAt) => ok(run, n, kase, comments, readAt),
      readComments: (n, kase, readAt) => readComments(run, n, kase, readAt),
      needsComments: (n, kase, returned) =>
        returned === undefined
          ? changedSinceRead(run, n, kase, [])
          : embedsUnseen(run, n, returned),
    });
    if (stepDown.length > 0) {
      log.info(
        { cases: stepDown.length },
        'no batch path works for this credential now: reading its cases one by one',
      );
      await Promise.all(stepDown.map((n) => fetchCase(run, n)));
    }
    return outcome;
  }
  if (mode.kind === 'per-case' && pass.kind === 'cycle' && rt.lastCheckStart !== undefined) {
    // REST v3 alone: every case's comment list, every cycle (a comment need not move the
    // case's lastModifiedDate); the case fields come with the sweep.
    await readEachCase(cases.filter(due), (n) => readComments(run, n, undefined, env.clock.now()));
    return outcome;
  }

  let toFetch: CaseNumber[];
  if (
    mode.kind !== 'filter' ||
    pass.kind === 'sweep' ||
    rt.lastCheckStart === undefined ||
    (rt.filterRetryAt !== undefined && now < rt.filterRetryAt)
  ) {
    toFetch = cases.filter(due);
  } else {
    const since = new Date(rt.lastCheckStart - env.timing.sinceSafetyMarginMs);
    let changed: Set<CaseNumber> | undefined;
    try {
      changed = new Set(await request(run, () => client.changedCases(since)));
      resetFailures(rt, undefined);
      if (rt.filterRetryAt !== undefined) {
        log.info('the changed-cases filter works again: back to one request per cycle');
      }
      rt.filterRetryAt = undefined;
      rt.filterWarned = false;
    } catch (err) {
      applyFailure(run, undefined, err);
    }
    // What the filter names, plus cases whose earlier failure is due for a retry; every
    // case when the filter failed.
    toFetch = run.halted
      ? []
      : cases.filter((n) => due(n) && (!changed || changed.has(n) || rt.backoff.has(n)));
  }

  await Promise.all(toFetch.map((n) => fetchCase(run, n)));
  return outcome;
}
