// One credential within a pass: which cases to read and how, by the client's read mode (the
// batch path, REST per case, or the changed-cases filter with readCase for what it names); in a
// cycle, the follow rules' search beside those reads (discover.ts); and the files of each case
// that moved, right after its read (read-attachments.ts). Returns what came back, for commit.ts
// to record; undefined when nothing was asked.
import type { CaseNumber } from '../domain.js';
import type { PortalClient, ReadMode } from '../portal/types.js';
import { readBatches, readEachCase } from './batch-cycle.js';
import type { CredentialRun, Pass, PollerEnv } from './context.js';
import {
  forgetUnfollowed,
  isDue,
  isPaused,
  resetFailures,
  runtimeOf,
} from './credential-runtime.js';
import { discover } from './discover.js';
import { chatsUsing, hasRules, type CredentialOutcome } from './outcome.js';
import { applyFailure } from './portal-failure.js';
import { readAttachmentsIfMoved } from './read-attachments.js';
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
  const state = env.store.read();
  const chats = chatsUsing(state.chats, credentialId);
  // Rules search in cycles only: a sweep re-reads what is followed, it finds nothing new.
  const discovering = pass.kind === 'cycle' && chats.some(hasRules);
  if (cases.length === 0 && !discovering) {
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
  const mode = client.readMode();
  if (mode.kind === 'batch' && pass.kind === 'sweep' && mode.withComments) {
    // Every cycle already reads every case with its newest comments: nothing to sweep.
    return undefined;
  }
  const run: CredentialRun = {
    env,
    pass,
    credentialId,
    rt,
    portal: client,
    log,
    outcome: {
      credentialId,
      applied: rt.applied,
      results: new Map(),
      attachments: new Map(),
      rejected: false,
      incomplete: false,
    },
    checkStart: env.clock.now(),
    state,
    chats,
    pending: undefined,
    halted: false,
    rateLimitLogged: false,
    onRead: () => undefined,
  };
  const fileReads: Promise<void>[] = [];
  run.onRead = (n, result) => {
    const read = readAttachmentsIfMoved(run, n, result);
    if (read) fileReads.push(read);
  };
  await Promise.all([readCases(run, cases, mode), discovering ? discover(run) : undefined]);
  await Promise.all(fileReads);
  return run.outcome;
}

/** The followed cases' reads, by the client's read mode. */
async function readCases(
  run: CredentialRun,
  cases: readonly CaseNumber[],
  mode: ReadMode,
): Promise<void> {
  if (cases.length === 0) return;
  const { env, pass, rt, portal: client, log, outcome } = run;
  const now = run.checkStart;
  const due = (n: CaseNumber) => isDue(rt, n, now);

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
    return;
  }
  if (mode.kind === 'per-case' && pass.kind === 'cycle' && rt.lastCheckStart !== undefined) {
    // REST v3 alone: every case's comment list, every cycle (a comment need not move the
    // case's lastModifiedDate); the case fields come with the sweep.
    await readEachCase(cases.filter(due), (n) => readComments(run, n, undefined, env.clock.now()));
    return;
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
}
