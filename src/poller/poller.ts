// Polling: the cycle (every poll interval) asks the portal what changed, fetches only that,
// diffs it against the store and enqueues the notifications (src/outbox/; the delivery worker
// sends them); the sweep (every poll.fullSweepEvery cycles) reads every followed case directly,
// as a safety net.
//
// Cost for the vendor, per credential:
//   - cycle: ONE changedCases(since) request, then readCase only for the followed cases it
//     names, and listComments only when such a case's lastModifiedAt moved since we last read
//     its comments (or its answer embeds a comment the chats have not seen). A quiet cycle is one
//     request per credential, whatever the number of cases, and writes nothing to the store.
//   - first check of a credential (first cycle after start, a credential seen for the first
//     time): readCase + listComments for every followed case, inside the cycle.
//   - sweep: readCase for every followed case (one request per case; the case answer embeds its
//     comments), and listComments only when that shows something moved. The sweep is a
//     background pass beside the cycles, never inside one: its requests wait behind the
//     cycle's (lower priority) and take at most half of poll.concurrency, so a sweep over
//     10,000 cases does not hold a new comment back.
//   - filter fallback (changedCases failed: endpoint missing, broken, down): readCase for every
//     followed case, listComments as above. The filter is tried again after FILTER_RETRY_AFTER_MS.
//   - follow rules (discover.ts): when some chat using the credential has rules, ONE
//     searchCases request per cycle (never in a sweep), beside the reads, whatever the number of
//     rules or chats; none otherwise. A case it brings in is read from the next cycle on.
//   - attachments (read-attachments.ts): listAttachments only for a case that moved (its
//     lastModifiedAt is not the one its files were last read at; on REST alone, new comments),
//     and only for chats that want file notices. Never in a quiet cycle.
// Chats sharing a credential share every fetch: one request per case per pass, not per chat.
//
// `since` is the start of the previous successful check of that credential minus
// SINCE_SAFETY_MARGIN_MS (clock skew between us and the portal, the portal indexing late). It
// lives in memory, and is saved only when the daemon stops cleanly (checkpoint()): the first
// cycle after such a restart asks the filter what changed meanwhile. After a crash there is no
// newer checkpoint than the previous clean stop's; an older `since` only widens the question,
// and a credential without one is read in full.
//
// Writes: commit.ts (nothing written unless something changed; group commit).
import PQueue from 'p-queue';
import type { Config } from '../config.js';
import type { CredentialVault } from '../credentials.js';
import type { AdminReporter, CaseNumber, Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import type { Destination } from '../outbox/index.js';
import type { State } from '../store/schema.js';
import type { DeepReadonly, StateStore } from '../store/store.js';
import { createCommitter } from './commit.js';
import type { Pass, PollerEnv } from './context.js';
import { runtimeOf, type Runtimes } from './credential-runtime.js';
import { isPollable } from './outcome.js';
import { pollCredential } from './poll-credential.js';
import {
  CYCLE_DONE_MSG,
  newCounters,
  SWEEP_DONE_MSG,
  type CycleStats,
  type SweepStats,
} from './stats.js';
import { resolveTiming, type PollTiming } from './timing.js';

export interface PollerDeps {
  config: Pick<Config, 'poll' | 'rules'>;
  store: StateStore;
  vault: Pick<CredentialVault, 'clientFor'>;
  logger: Logger;
  clock: Clock;
  reporter: AdminReporter;
  /** Destinations with a notifier: each new notification gets one outbox entry per destination. */
  destinations: readonly Destination[];
  /** Called after a transaction enqueued something (wakes the delivery worker). */
  onEnqueued?: () => void;
  timing?: Partial<PollTiming>;
}

export interface Poller {
  runCycle(): Promise<CycleStats>;
  /**
   * Saves each credential's last complete check (credentials.*.checkedAt), so that the next
   * start asks the portal what changed since then instead of reading every case. Called once,
   * when the daemon stops; nothing is written when nothing changed.
   */
  checkpoint(): Promise<void>;
  /**
   * One pass over every followed case of the credentials a cycle has already checked, beside
   * the cycles (never blocking one). Resolves when done, or soon after `signal` aborts.
   */
  runSweep(signal?: AbortSignal): Promise<SweepStats>;
}

/** Cycle requests go first; a sweep's wait behind them (p-queue: higher number = sooner). */
const CYCLE_PRIORITY = 1;
const SWEEP_PRIORITY = 0;

export function createPoller(deps: PollerDeps): Poller {
  const log = deps.logger.child({ component: 'poller' });
  const runtimes: Runtimes = new Map();
  let cycle = 0;
  let sweeps = 0;
  let sweepRunning = false;
  let checkpointsLoaded = false;
  const keepClosedCases = deps.config.poll.keepClosedCases;
  const env: PollerEnv = {
    store: deps.store,
    vault: deps.vault,
    clock: deps.clock,
    reporter: deps.reporter,
    log,
    timing: resolveTiming(deps.config.poll, deps.timing),
    keepClosedCases,
    maxCasesPerRule: deps.config.rules.maxCasesPerRule,
    destinations: deps.destinations,
    onEnqueued: deps.onEnqueued,
    runtimes,
  };

  // One limiter for every portal request of this poller, so cycles and a sweep together never
  // exceed poll.concurrency; a queued cycle request starts before any queued sweep request.
  // (p-queue, not Bottleneck: Bottleneck dispatches each job through a timer, about 2 ms per
  // job, which made a 500-credential quiet cycle over a second longer.)
  const limiter = new PQueue({ concurrency: deps.config.poll.concurrency });
  // The sweep never holds more than half the slots (at least one): a slow or hanging portal
  // answer to a sweep request leaves room for the cycle's.
  const sweepSlots = Math.max(1, Math.floor(deps.config.poll.concurrency / 2));

  /** Followed, pollable cases per usable credential (active chats, credential not rejected). */
  const plan = (state: DeepReadonly<State>): Map<string, CaseNumber[]> => {
    const byCredential = new Map<string, Set<CaseNumber>>();
    for (const chat of Object.values(state.chats)) {
      if (!chat.active || chat.credentialId === undefined) continue;
      const cred = state.credentials[chat.credentialId];
      if (!cred || cred.rejectedAt !== undefined) continue;
      const cases = byCredential.get(cred.id) ?? new Set<CaseNumber>();
      byCredential.set(cred.id, cases);
      for (const sub of Object.values(chat.subscriptions)) {
        if (isPollable(sub, keepClosedCases)) cases.add(sub.caseNumber);
      }
    }
    return new Map([...byCredential].map(([id, cases]) => [id, [...cases].sort()]));
  };

  return {
    async runCycle() {
      cycle++;
      const start = deps.clock.now();
      const state = deps.store.read();
      if (!checkpointsLoaded) {
        checkpointsLoaded = true;
        for (const cred of Object.values(state.credentials)) {
          const at = cred.checkedAt !== undefined ? Date.parse(cred.checkedAt) : Number.NaN;
          // A checkpoint from the future (a clock set back) is no checkpoint.
          if (!Number.isNaN(at) && at <= start) runtimeOf(runtimes, cred.id).lastCheckStart = at;
        }
      }
      for (const id of runtimes.keys()) {
        if (state.credentials[id] === undefined) runtimes.delete(id);
      }
      const planned = plan(state);
      const stats: CycleStats = {
        cycle,
        fullSweep: [...planned.keys()].some((id) => runtimes.get(id)?.lastCheckStart === undefined),
        sweepRunning,
        startedAt: new Date(start).toISOString(),
        durationMs: 0,
        ...newCounters(),
      };
      const pass: Pass<CycleStats> = {
        kind: 'cycle',
        start,
        stats,
        schedule: (fn) => limiter.add(fn, { priority: CYCLE_PRIORITY }),
      };
      const commit = createCommitter(env, pass);
      await Promise.all(
        [...planned].map(async ([credentialId, cases]) => {
          const o = await pollCredential(env, credentialId, cases, pass);
          if (o) await commit(o);
        }),
      );
      stats.durationMs = deps.clock.now() - start;
      log.debug(stats, CYCLE_DONE_MSG);
      return stats;
    },

    async checkpoint() {
      const checked = [...runtimes].filter(([, rt]) => rt.lastCheckStart !== undefined);
      if (checked.length === 0) return;
      await deps.store.update((draft) => {
        for (const [id, rt] of checked) {
          const cred = draft.credentials[id];
          if (cred && rt.lastCheckStart !== undefined) {
            cred.checkedAt = new Date(rt.lastCheckStart).toISOString();
          }
        }
      });
      log.info({ credentials: checked.length }, 'saved where each credential was checked up to');
    },

    async runSweep(signal) {
      sweeps++;
      const start = deps.clock.now();
      const stats: SweepStats = {
        sweep: sweeps,
        startedAt: new Date(start).toISOString(),
        durationMs: 0,
        aborted: false,
        ...newCounters(),
      };
      const slots = new PQueue({ concurrency: sweepSlots });
      const pass: Pass<SweepStats> = {
        kind: 'sweep',
        start,
        stats,
        schedule: (fn) => slots.add(() => limiter.add(fn, { priority: SWEEP_PRIORITY })),
        signal,
      };
      const commit = createCommitter(env, pass);
      // Credentials a cycle has not checked yet get their full read there.
      const planned = [...plan(deps.store.read())].filter(
        ([id]) => runtimes.get(id)?.lastCheckStart !== undefined,
      );
      // A few credentials at a time: the outcomes held in memory stay small at any size.
      const credentials = new PQueue({ concurrency: sweepSlots });
      sweepRunning = true;
      log.debug({ sweep: sweeps, credentials: planned.length }, 'sweep started');
      try {
        await Promise.all(
          planned.map(([credentialId, cases]) =>
            credentials.add(async () => {
              // p-queue starts a task at once: yield first, so that a cycle started right
              // after runSweep() queues its requests ahead of the sweep's.
              await Promise.resolve();
              if (signal?.aborted) return;
              const o = await pollCredential(env, credentialId, cases, pass);
              if (o) await commit(o);
            }),
          ),
        );
      } finally {
        sweepRunning = false;
      }
      stats.aborted = signal?.aborted ?? false;
      stats.durationMs = deps.clock.now() - start;
      log.debug(stats, SWEEP_DONE_MSG);
      return stats;
    },
  };
}
