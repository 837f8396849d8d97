// Phase 2, quiet: `--quiet-cycles` cycles with nothing new at the portal and no background
// sweep running at any moment of their span, then the next sweep (every poll.fullSweepEvery
// cycles), reported on its own line. Portal requests from the fake's counters (total, per
// endpoint, per portal user = per credential) and from the daemon's log; bytes read
// (/proc/<pid>/io); store writes (log lines, db.json's inode/mtime/size); CPU (/proc/<pid>/stat);
// RSS at each cycle line (their median is the "settled" figure of the memory rows) and once
// the cycles are done. Also judged here, once the cycles are done: the path each credential
// settled on.
import { BATCH_SIZE } from '../../src/portal/v3.js';
import { memoryMB } from '../_daemon-process.js';
import {
  describeEndpoints,
  type CycleRecord,
  type FakePortalCounts,
  type SweepRecord,
} from '../_meters.js';
import { max, median, percentile, sum, waitFor } from '../_stats.js';
import type { Options } from '../options.js';
import { fmt, type Row } from '../report.js';
import { compact, type Session } from '../session.js';

/** A sweep further apart than this many cycles is not waited for. */
const MAX_CYCLES_TO_WAIT_FOR_SWEEP = 50;
/** Added to the time the quiet cycles and the sweep may take (a slow first sweep), ms. */
const QUIET_TIMEOUT_BASE_MS = 60_000;
/** A cycle may start this much later than its interval (jitter, event-loop delay). */
const INTERVAL_LATENESS = 1.2;

export interface Quiet {
  sweeps: SweepRecord[];
  /** Memory once the quiet cycles and the sweep are done: VmRSS and the peak so far. */
  steadyMemory: ReturnType<typeof memoryMB>;
  /** Median RSS at the quiet cycles' lines, MB: the settled figure of the memory rows. */
  settledRssMB: number;
  quietCycles: number;
  /** The longest cycle or sweep so far (first cycle included), ms: later waits allow for it. */
  longestCycleMs: number;
}

/**
 * What a quiet cycle may cost per credential (issue 7), on the path being measured: the filter
 * path (hydra) asks one "changed since" question; the GraphQL paths one batch per BATCH_SIZE
 * cases (the comments come with it, or are read only for cases that moved); REST v3 alone reads
 * every case's comment list.
 */
function quietTarget(options: Options): { perCredential: number; text: string } {
  const base = readTarget(options);
  if (options.rules === 0) return base;
  return {
    perCredential: base.perCredential + 1,
    text: `${base.text} + 1 case search per credential (${options.rules} rules per chat)`,
  };
}

function readTarget(options: Options): { perCredential: number; text: string } {
  const cases = options.cases;
  switch (options.path) {
    case 'hydra':
      return { perCredential: 1, text: '≤ 1 per credential (one filter request)' };
    case 'graphql':
    case 'graphql+rest': {
      const batches = Math.ceil(cases / BATCH_SIZE);
      return {
        perCredential: batches,
        text: `≤ ⌈${cases}/${BATCH_SIZE}⌉ = ${batches} per credential (GraphQL batches)`,
      };
    }
    case 'rest':
      return {
        perCredential: cases,
        text: `≤ ${cases} per credential (a comment list per case)`,
      };
  }
}

/** Each count averaged over `counts`, to one decimal. */
function averageCounts(counts: readonly FakePortalCounts[]): FakePortalCounts {
  const n = Math.max(1, counts.length);
  const avg = (pick: (c: FakePortalCounts) => number) =>
    Math.round((sum(counts.map(pick)) / n) * 10) / 10;
  return {
    total: avg((c) => c.total),
    token: avg((c) => c.token),
    filter: avg((c) => c.filter),
    case: avg((c) => c.case),
    comments: avg((c) => c.comments),
    graphql: avg((c) => c.graphql),
    v3Case: avg((c) => c.v3Case),
    v3Comments: avg((c) => c.v3Comments),
    v3Attachments: avg((c) => c.v3Attachments),
    v3Filter: avg((c) => c.v3Filter),
    other: avg((c) => c.other),
    maxPerUser: max(counts.map((c) => c.maxPerUser)),
    users: max(counts.map((c) => c.users)),
    failed: avg((c) => c.failed),
  };
}

/**
 * The path the daemon logged for each credential ("reading cases through …", info, from
 * v3.ts settle()), against the one the fake offers. Hydra has one path and logs none.
 */
function describePaths(session: Session): Row {
  const { options, tracker, world } = session;
  const byPath = new Map<string, number>();
  for (const path of tracker.paths.values()) byPath.set(path, (byPath.get(path) ?? 0) + 1);
  const logged =
    byPath.size === 0
      ? 'no "reading cases through" line'
      : [...byPath]
          .map(([path, n]) => `${path} for ${n} of ${options.chats} credentials`)
          .join(', ');
  const changes = tracker.pathChanges.length - tracker.paths.size;
  const seeded = [...world.seededPaths].map(([path, n]) => `${path} (${n})`).join(', ');
  const pass =
    options.api === 'hydra'
      ? tracker.paths.size === 0
      : byPath.size === 1 && byPath.get(options.path) === options.chats && changes === 0;
  return {
    measure: 'Path the daemon logged',
    value:
      `${logged}${changes > 0 ? `; ${changes} later changes` : ''}; ` +
      `the world's clients settled on ${seeded || 'nothing'} when they read the existing comments`,
    target:
      options.api === 'hydra' ? 'none (v1 has one path)' : `${options.path} for every credential`,
    pass,
  };
}

export async function measureQuiet(session: Session, first: CycleRecord): Promise<Quiet> {
  const { options, intervalMs, daemon, tracker, rows, figures, say } = session;
  const every = options.fullSweepEvery;
  const wantSweep = every > 1 && every <= MAX_CYCLES_TO_WAIT_FOR_SWEEP;
  const wantQuiet = every > 1 ? options.quietCycles : 0;
  const quietLimit =
    (options.quietCycles + (wantSweep ? every : 0) + 2) *
      (intervalMs * INTERVAL_LATENESS + first.durationMs) +
    QUIET_TIMEOUT_BASE_MS;
  say(`measuring ${wantQuiet} quiet cycles${wantSweep ? ' and the next sweep' : ''}`);
  const isQuiet = (c: CycleRecord) => c.cycle > 1 && !c.fullSweep && !c.sweepOverlap;
  await waitFor(
    () => {
      const quiet = tracker.cycles.filter(isQuiet).length;
      return quiet >= wantQuiet && (!wantSweep || tracker.sweeps.length >= 1);
    },
    { timeoutMs: quietLimit, what: 'the quiet cycles', daemon },
  );
  const quiet = tracker.cycles.filter(isQuiet);
  const sweeps = [...tracker.sweeps];
  const firstSweep = sweeps[0];
  const beside = firstSweep
    ? tracker.cycles.filter(
        (c) => c.doneAt - c.durationMs >= firstSweep.startedAt && c.doneAt <= firstSweep.doneAt,
      )
    : [];
  const steadyMemory = memoryMB(daemon.pid);

  const credentials = options.chats;
  const target = quietTarget(options);
  const perCycle = (total: number) => total / Math.max(1, quiet.length);
  const quietRequestsPerCycle = quiet.map((c) => c.fake.total - c.fake.token);
  const quietTokenRequests = sum(quiet.map((c) => c.fake.token));
  const maxPerCredential = max(quiet.map((c) => c.fake.maxPerUser));
  const loggedPerCredential = max(quiet.map((c) => c.portalRequests / Math.max(1, c.credentials)));
  const quietWrites = sum(quiet.map((c) => c.storeWrites));
  const quietSaved = sum(quiet.map((c) => c.stateSaved));
  const quietDbChanged = quiet.filter((c) => c.dbChanged).length;
  const quietCpu = perCycle(sum(quiet.map((c) => c.daemonCpuMs)));
  const quietSpan = perCycle(sum(quiet.map((c) => c.sincePreviousMs)));
  const quietFakesCpu = perCycle(sum(quiet.map((c) => c.fakesCpuMs)));
  const quietRequestMs = quiet.flatMap((c) => c.requestMs);
  const quietReadKiB = perCycle(sum(quiet.map((c) => c.readBytes))) / 1024;

  rows.add('path', describePaths(session));
  rows.add(
    'quiet',
    {
      measure: 'Portal requests per quiet cycle',
      value:
        `${fmt(median(quietRequestsPerCycle))} total (max ${fmt(max(quietRequestsPerCycle))}) for ${credentials} credentials ` +
        `(per cycle: ${describeEndpoints(averageCounts(quiet.map((c) => c.fake)))}); ` +
        `per credential max ${fmt(maxPerCredential)} (fake's count), ${fmt(loggedPerCredential, 2)} (daemon's log); ` +
        `${quietTokenRequests} token exchanges; ${quiet.length} cycles; ` +
        `the daemon read ${fmt(quietReadKiB)} KiB per cycle (${fmt(quietReadKiB / credentials, 1)} KiB per credential)`,
      target: target.text,
      pass:
        quiet.length > 0 &&
        maxPerCredential <= target.perCredential &&
        loggedPerCredential <= target.perCredential,
    },
    {
      measure: 'Follow-rule case searches per quiet cycle',
      value:
        `${fmt(median(quiet.map((c) => c.searches)))} (min ${fmt(Math.min(...quiet.map((c) => c.searches)))}, ` +
        `max ${fmt(max(quiet.map((c) => c.searches)))}) for ${credentials} credentials with ` +
        `${options.rules} rules per chat`,
      target:
        options.rules === 0
          ? '0 (no rules)'
          : `${credentials} (one per credential, any number of rules)`,
      pass:
        quiet.length > 0 &&
        quiet.every((c) => c.searches === (options.rules === 0 ? 0 : credentials)),
    },
    {
      measure: 'Store writes per quiet cycle',
      value: `${fmt(perCycle(quietWrites), 1)} (daemon's log: ${quietWrites} in ${quiet.length} cycles; "state saved" lines: ${quietSaved}); db.json inode/mtime/size changed in ${quietDbChanged} cycles`,
      target: '0',
      pass: quiet.length > 0 && quietWrites === 0 && quietSaved === 0 && quietDbChanged === 0,
    },
    {
      measure: 'Quiet cycle duration (daemon)',
      value: `median ${fmt(median(quiet.map((c) => c.durationMs)))} ms, max ${fmt(max(quiet.map((c) => c.durationMs)))} ms; portal round trip median ${fmt(median(quietRequestMs))} ms, p99 ${fmt(percentile(quietRequestMs, 0.99))} ms`,
      target: '',
      pass: undefined,
    },
    {
      measure: 'Daemon CPU per quiet cycle',
      value: `${fmt(quietCpu, 1)} ms (${fmt((quietCpu / quietSpan) * 100, 1)} % of one core over ${fmt(quietSpan)} ms); the fakes used ${fmt(quietFakesCpu, 1)} ms`,
      target: '',
      pass: undefined,
    },
    {
      measure: `Sweep (background, every ${every} cycles)`,
      value: !firstSweep
        ? `not observed (next after cycle ${every + 1})`
        : `${fmt(firstSweep.portalRequests)} requests for ${fmt(firstSweep.casesFetched)} cases ` +
          `(${fmt(firstSweep.commentReads)} comment reads), ${fmt(firstSweep.durationMs)} ms, ` +
          `daemon CPU ${fmt(firstSweep.daemonCpuMs)} ms, ${firstSweep.storeWrites} store writes; ` +
          (beside.length === 0
            ? 'it ended before the next cycle'
            : `${beside.length} cycles ran beside it (median ${fmt(median(beside.map((c) => c.durationMs)))} ms, ` +
              `max ${fmt(max(beside.map((c) => c.durationMs)))} ms)`),
      target: 'reported',
      pass: undefined,
    },
  );
  figures.quiet = quiet.map(compact);
  figures.sweeps = sweeps;
  figures.besideSweep = beside.map(compact);

  const longestCycleMs = max([
    first.durationMs,
    ...tracker.cycles.map((c) => c.durationMs),
    ...sweeps.map((c) => c.durationMs),
  ]);
  return {
    sweeps,
    steadyMemory,
    settledRssMB: median(quiet.map((c) => c.rssMB)),
    quietCycles: quiet.length,
    longestCycleMs,
  };
}
