// Recording a pass's outcomes in the store, and what the credential's runtime learns from it.
// Nothing is written unless something changed (checked on store.read() first). Writes are
// store.update transactions that re-apply the portal's answers to the state as it is inside
// the transaction, so a /add, /remove or /forget that happened while the portal answered is
// never overwritten (a removed case is not re-created, an added one is kept), and a sweep's
// read that is older than what a cycle already applied cannot turn a case's status back.
// Credentials finishing while a write is in flight share the next one (group commit).
import { createGroupCommit, writeTogetherOrAlone } from '../lib/group-commit.js';
import { enqueuer, PendingComments } from '../outbox/index.js';
import { applyOutcome, needsWrite, type CredentialOutcome } from './apply.js';
import type { Pass, PollerEnv } from './context.js';
import { resetFailures, runtimeOf } from './credential-runtime.js';
import type { PassCounters } from './stats.js';

/**
 * Writes credentials' outcomes (those that change anything) in ONE transaction. Returns
 * whether they are recorded. A batch that fails is retried one outcome at a time, so one
 * bad outcome cannot hold the others back.
 */
async function writeBatch(
  env: PollerEnv,
  batch: readonly CredentialOutcome[],
  stats: PassCounters,
): Promise<boolean[]> {
  const settings = { keepClosedCases: env.keepClosedCases, maxCasesPerRule: env.maxCasesPerRule };
  const state = env.store.read();
  const pendingNow = new PendingComments(state.outbox);
  const writing = batch.filter((o) => needsWrite(state, o, pendingNow, settings));
  if (writing.length === 0) return batch.map(() => true);
  const write = async (outcomes: readonly CredentialOutcome[]): Promise<boolean> => {
    try {
      const added = await env.store.update((draft) => {
        const context = {
          ...settings,
          now: env.clock.now(),
          destinations: env.destinations,
          enqueue: enqueuer(draft),
        };
        return outcomes.reduce((sum, o) => sum + applyOutcome(draft, o, context), 0);
      });
      stats.storeWrites++;
      stats.enqueued += added;
      // Wake the delivery worker now, not at the end of the cycle: latency matters.
      if (added > 0) env.onEnqueued?.();
      return true;
    } catch (err) {
      const credentialIds = outcomes.map((o) => o.credentialId);
      env.log.error(
        { err, credentialIds },
        'could not record what the portal returned; it is fetched again next cycle',
      );
      env.reporter.report({ component: 'store', error: err, context: { credentialIds } });
      return false;
    }
  };
  const written = await writeTogetherOrAlone(writing, write);
  const recorded = new Set(writing.filter((_, i) => written[i]));
  return batch.map((o) => !writing.includes(o) || recorded.has(o));
}

/** Settles a credential's runtime once its outcome is recorded (or not). */
function settle(
  env: PollerEnv,
  o: CredentialOutcome,
  recorded: boolean,
  pass: Pass<PassCounters>,
): void {
  if (!recorded) return;
  const rt = runtimeOf(env.runtimes, o.credentialId);
  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    rt.backoff.delete(caseNumber);
    resetFailures(rt, caseNumber);
    if (result.kind === 'ok' && result.commentsFetched && result.kase !== undefined) {
      // A cycle and a sweep may both have read the case: keep the later read.
      const previous = rt.modified.get(caseNumber);
      if (previous === undefined || previous.readAt <= result.readAt) {
        rt.modified.set(caseNumber, {
          lastModifiedAt: result.kase.lastModifiedAt,
          readAt: result.readAt,
        });
      }
    }
  }
  if (o.rejected) {
    // When the credential comes back (/setup), start over with a full read.
    env.runtimes.delete(o.credentialId);
  } else if (pass.kind === 'cycle' && !o.incomplete) {
    rt.lastCheckStart = pass.start;
  }
}

/**
 * Group commit (lib/group-commit.ts): the first finished credential is written at once;
 * outcomes finishing while a write is in flight are written together by the next one. Latency
 * stays low when few credentials change, and a pass where hundreds change costs a handful of
 * writes, not hundreds (each write rewrites the whole db.json).
 */
export function createCommitter(
  env: PollerEnv,
  pass: Pass<PassCounters>,
): (o: CredentialOutcome) => Promise<void> {
  return createGroupCommit(async (batch: readonly CredentialOutcome[]) => {
    const recorded = await writeBatch(env, batch, pass.stats);
    return batch.map((o, i) => settle(env, o, recorded[i] ?? false, pass));
  });
}
