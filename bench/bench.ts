// The benchmark: the BUILT daemon (dist/main.js) against the loopback fake portal and fake
// Telegram Bot API, with N chats × M followed cases, each chat with its own portal credential.
//
// Run: npm run bench [-- --chats 500 --cases 20] [--api v3|hydra] [--path graphql|graphql+rest|rest]
//      (npm run bench builds first)
//
// API and path: the daemon's default API is v3 (Red Hat's GraphQL + REST v3); it reads each
// credential's cases through path "graphql" (one GraphQL request per ≤ 100 cases, comments
// included), "graphql+rest" (the same batch without comments, plus a REST v3 comment list for
// each case that moved) or "rest" (a REST v3 comment list per case per cycle), settling on the
// best one the portal answers. The bench makes the fake portal offer exactly one: for
// graphql+rest its GraphQL schema lacks the comment relation, for rest GraphQL is retired.
// --api hydra runs v1 (switched off by Red Hat on 2026-09-21), kept as the baseline.
//
// Phases:
//   1. start: the state is pre-written (bench/_world.ts), the daemon starts and runs its first
//      cycle, a full read (every case and its comments read, access tokens obtained);
//   2. quiet: `--quiet-cycles` cycles with nothing new at the portal and no background sweep
//      running, plus the sweep that starts every poll.fullSweepEvery cycles (reported on its
//      own line): portal requests (from the fake's counters and the daemon's per-cycle log),
//      store writes (log, and db.json's inode/mtime/size), CPU time (/proc/<pid>/stat) and RSS
//      (/proc/<pid>/status);
//   3. latency: `--comments` comments added one at a time at random moments, over random chats
//      and cases; latency = from addComment at the fake portal to the fake Telegram accepting
//      the sendMessage, both timed in this process;
//   4. burst: `--burst` comments added at once across the chats; time until Telegram accepted
//      all of them, compared with the pace the daemon's Telegram pacing allows; none may be
//      lost or duplicated.
// Then SIGTERM: the daemon must exit 0 and leave a valid db.json with an empty outbox; and
//   6. restart: the daemon again on that db.json; its first cycle (it should ask the filter
//      from the checkpoints the clean stop saved) and its memory a few cycles later.
//
// Prints a table with each target and PASS/FAIL; exits 1 if any target is missed, a message
// was lost or duplicated, or the daemon misbehaved. Everything it starts is stopped and its
// temp folder removed, also on failure and on Ctrl-C.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  GLOBAL_MIN_INTERVAL_MS,
  PRIVATE_CHAT_MIN_INTERVAL_MS,
} from '../src/notify/telegram/pacing.js';
import { SINCE_SAFETY_MARGIN_MS } from '../src/poller/timing.js';
import { BATCH_SIZE } from '../src/portal/v3.js';
import { parseState } from '../src/store/schema.js';
import { startFakePortal, type FakePortal } from '../test/_helpers/fake-portal.js';
import { startFakeTelegram } from '../test/_helpers/fake-telegram.js';
import { npmStartNodeFlags } from '../test/_helpers/shipped-node-flags.js';
import { cpuTimeMs, memoryMB, spawnDaemon, type DaemonProcess } from './_daemon-process.js';
import {
  benchToken,
  describeEndpoints,
  max,
  median,
  percentile,
  seededRandom,
  sum,
  trackCycles,
  waitFor,
  watchSends,
  type CycleRecord,
  type CycleTracker,
  type FakePortalCounts,
  type SendWatcher,
  type SweepRecord,
} from './_meters.js';
import { buildWorld, type BenchApi, type BenchChat, type World } from './_world.js';

// ---- targets (issue 7) ----

/**
 * What a quiet cycle may cost per credential, on the path being measured: the filter path
 * (hydra) asks one "changed since" question; the GraphQL paths one batch per BATCH_SIZE cases
 * (the comments come with it, or are read only for cases that moved); REST v3 alone reads
 * every case's comment list.
 */
function quietTarget(options: Options): { perCredential: number; text: string } {
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
/** Latency target: the poll interval plus this. */
const TARGET_LATENCY_SLACK_MS = 1_000;
/** RSS target, MB (10^6 bytes), stated for 10,000 subscriptions and applied to every run. */
const TARGET_RSS_MB = 100;
/** A burst drains "at Telegram's pace" when it reaches at least this share of the paced rate. */
const BURST_MIN_PACE_SHARE = 0.8;
/**
 * Gaps between two messages to one chat, as seen at the fake, may be this much shorter than the
 * pacing interval before they count as too close (network and event-loop jitter).
 */
const PACING_TOLERANCE = 0.9;
/** Scheduling slack allowed on top of the paced drain time, ms. */
const BURST_SLACK_MS = 1_000;

// ---- run parameters ----

const BOT_TOKEN = '987654321:BENCH-bot-token-abcdefghijklmnopqrstuvwxyz0123';
const SECRET_KEY = 'bench-secret-key-0123456789abcdef';
/** Waits scale with the work: a base plus a share per subscription or message. */
const STARTUP_TIMEOUT_MS = 60_000;
const STARTUP_TIMEOUT_PER_SUBSCRIPTION_MS = 10;
const COMMENT_TIMEOUT_MS = 30_000;
const BURST_TIMEOUT_MS = 60_000;
const BURST_TIMEOUT_PER_MESSAGE_MS = 200;
/** After the last burst message, cycles watched for late duplicates. */
const CYCLES_AFTER_BURST = 2;
/** How often db.json is read while waiting for the outbox to empty. */
const OUTBOX_POLL_MS = 250;
/** A sweep further apart than this many cycles is not waited for. */
const MAX_CYCLES_TO_WAIT_FOR_SWEEP = 50;
const MS_PER_S = 1000;

/** The path the daemon should settle on ('hydra' for --api hydra, which has one). */
type BenchPath = 'graphql' | 'graphql+rest' | 'rest' | 'hydra';
const V3_PATHS = ['graphql', 'graphql+rest', 'rest'] as const;
/** The GraphQL field whose absence makes path graphql step down to graphql+rest. */
const COMMENT_RELATION_FIELD = 'RedHatSupportCase.CaseComments__r';

interface Options {
  api: BenchApi;
  path: BenchPath;
  chats: number;
  cases: number;
  comments: number;
  burst: number;
  intervalSeconds: number;
  fullSweepEvery: number;
  quietCycles: number;
  history: number;
  seed: number;
  nodeFlags: string[];
  json: string | undefined;
}

const USAGE = `Usage: npm run bench [-- options]

  --api A               v3 (default, the daemon's default) or hydra (v1, the baseline)
  --path P              v3 only: graphql (default), graphql+rest or rest; the fake portal
                        offers only that path (graphql+rest: no comment relation in the
                        GraphQL schema; rest: GraphQL retired)
  --chats N             chats, each with its own portal credential (default 50)
  --cases M             followed cases per chat (default 10)
  --comments K          comments for the latency measurement (default 100)
  --burst B             comments added at once for the burst (default 500)
  --interval S          poll.intervalSeconds, at least 1 (default 1)
  --full-sweep-every F  poll.fullSweepEvery (default 10, the daemon's default)
  --quiet-cycles Q      quiet cycles measured (default 10)
  --history H           existing (seen) comments per case (default 5)
  --seed S              picks the same chats and cases again (default 1)
  --node-flags="F …"    node flags for the daemon (default: those of npm start and the Docker
                        image; --node-flags="" runs a bare node dist/main.js)
  --json FILE           also write every figure as JSON`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      api: { type: 'string' },
      path: { type: 'string' },
      chats: { type: 'string' },
      cases: { type: 'string' },
      comments: { type: 'string' },
      burst: { type: 'string' },
      interval: { type: 'string' },
      'full-sweep-every': { type: 'string' },
      'quiet-cycles': { type: 'string' },
      history: { type: 'string' },
      seed: { type: 'string' },
      'node-flags': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) {
      throw new Error(`--${name}: expected a number of at least ${min}, got "${text}"\n\n${USAGE}`);
    }
    return value;
  };
  const integer = (name: string, text: string | undefined, fallback: number, min: number) => {
    const value = number(name, text, fallback, min);
    if (!Number.isInteger(value)) throw new Error(`--${name}: expected a whole number\n\n${USAGE}`);
    return value;
  };
  const api = values.api ?? 'v3';
  if (api !== 'v3' && api !== 'hydra') {
    throw new Error(`--api: expected v3 or hydra, got "${api}"\n\n${USAGE}`);
  }
  if (api === 'hydra' && values.path !== undefined) {
    throw new Error(`--path: only with --api v3 (hydra has a single path)\n\n${USAGE}`);
  }
  const path = values.path ?? 'graphql';
  const v3Path = V3_PATHS.find((p) => p === path);
  if (v3Path === undefined) {
    throw new Error(`--path: expected ${V3_PATHS.join(', ')}, got "${path}"\n\n${USAGE}`);
  }
  return {
    api,
    path: api === 'hydra' ? 'hydra' : v3Path,
    chats: integer('chats', values.chats, 50, 1),
    cases: integer('cases', values.cases, 10, 1),
    comments: integer('comments', values.comments, 100, 1),
    burst: integer('burst', values.burst, 500, 1),
    intervalSeconds: number('interval', values.interval, 1, 1),
    fullSweepEvery: integer('full-sweep-every', values['full-sweep-every'], 10, 1),
    quietCycles: integer('quiet-cycles', values['quiet-cycles'], 10, 1),
    history: integer('history', values.history, 5, 0),
    seed: integer('seed', values.seed, 1, 0),
    nodeFlags:
      values['node-flags'] !== undefined
        ? values['node-flags'].split(/\s+/).filter((f) => f !== '')
        : npmStartNodeFlags(),
    json: values.json,
  };
}

// ---- cleanup, also on Ctrl-C ----

/** Undo steps, newest first; each runs once, whatever happened before. */
class Cleanup {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  /** Synchronous last resort for a signal: kill the daemon, remove the folder. */
  private readonly urgent: (() => void)[] = [];

  add(name: string, run: () => Promise<unknown>, urgent?: () => void): void {
    this.steps.push({ name, run });
    if (urgent) this.urgent.push(urgent);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`cleanup: ${step.name} failed:`, err);
      }
    }
    this.urgent.length = 0;
  }

  runUrgent(): void {
    for (const step of this.urgent.splice(0).reverse()) {
      try {
        step();
      } catch (err) {
        console.error('cleanup after a signal failed:', err);
      }
    }
  }
}

// ---- the report ----

interface Row {
  measure: string;
  value: string;
  target: string;
  /** undefined: reported, no target. */
  pass: boolean | undefined;
}

interface LatencySample {
  token: string;
  chatId: number;
  caseNumber: string;
  /** performance.now() when the comment was added at the portal. */
  addedAt: number;
  latencyMs: number | undefined;
  /** A full-sweep cycle ran while this comment waited. */
  duringSweep: boolean;
}

interface Report {
  machine: Record<string, string>;
  options: Options;
  subscriptions: number;
  rows: Row[];
  passed: boolean;
  figures: Record<string, unknown>;
}

const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : 'n/a';
const seconds = (ms: number, digits = 2): string => `${fmt(ms / MS_PER_S, digits)} s`;

function describeMachine(): Record<string, string> {
  let cpuModel = 'unknown';
  try {
    cpuModel =
      /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch (err) {
    void err; // not Linux: the model stays unknown
  }
  return {
    date: new Date().toISOString(),
    cpus: String(availableParallelism()),
    cpuModel,
    memory: `${fmt(totalmem() / 1024 ** 3, 1)} GiB`,
    node: process.version,
    kernel: release(),
    source: describeSource(),
    loadAtStart: loadAverage(),
  };
}

/** The commit measured, and whether src/ had uncommitted changes (they are in the build too). */
function describeSource(): string {
  try {
    // Not trimmed: porcelain lines start with a two-letter status that may begin with a space.
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const head = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter((l) => l !== '');
    return changed.length === 0
      ? head
      : `${head} + uncommitted changes in ${changed.map((l) => l.slice(3)).join(', ')}`;
  } catch (err) {
    void err; // not a git checkout (a release tarball): the version is in package.json
    return 'unknown (not a git checkout)';
  }
}

/** 1, 5 and 15-minute load averages: other work on the machine skews every timing. */
function loadAverage(): string {
  return loadavg()
    .map((l) => fmt(l, 2))
    .join(' ');
}

function printReport(report: Report): void {
  const { machine, options } = report;
  console.log('');
  console.log(
    `tickets-pushbot benchmark — API ${options.api}${options.api === 'v3' ? `, path ${options.path}` : ''}, ` +
      `${options.chats} chats × ${options.cases} cases = ${fmt(report.subscriptions)} subscriptions, ` +
      `poll interval ${options.intervalSeconds} s, sweep every ${options.fullSweepEvery} cycles` +
      `, daemon node flags: ${options.nodeFlags.length > 0 ? options.nodeFlags.join(' ') : 'none'}`,
  );
  console.log(
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memory} RAM, Node ${machine.node}, Linux ${machine.kernel}, ${machine.date}`,
  );
  console.log(`source: ${machine.source}`);
  console.log(
    `load average (1/5/15 min): ${machine.loadAtStart} at the start, ${machine.loadAtEnd} at the end; run took ${machine.duration}`,
  );
  console.log('');
  const header = ['Measure', 'Value', 'Target', 'Result'];
  const lines = report.rows.map((r) => [
    r.measure,
    r.value,
    r.target,
    r.pass === undefined ? '—' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(row(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(row(l));
  console.log('');
  console.log(report.passed ? 'All targets met.' : 'Some targets were MISSED (see FAIL above).');
}

// ---- phases ----

function syncPortalClock(portal: FakePortal): void {
  // The fake's clock stands still unless moved; new comments must carry today's time so the
  // daemon's changed-cases filter (since = last check − margin) sees them.
  const behind = Date.now() - portal.now();
  if (behind > 0) portal.advanceTime(behind);
}

/** A cycle record for the JSON figures: without the per-request round trips (20,000 in a sweep). */
function compact({ requestMs, ...cycle }: CycleRecord): Omit<CycleRecord, 'requestMs'> & {
  requestMsMedian: number;
} {
  return { ...cycle, requestMsMedian: median(requestMs) };
}

/** A sweep (or the first cycle's full read) ran at some moment between `from` and `to`. */
function overlapsSweep(tracker: CycleTracker, from: number, to: number): boolean {
  const since = tracker.sweepActiveSince();
  const running = since !== undefined ? [{ startedAt: since, doneAt: Infinity }] : [];
  return [...tracker.sweeps, ...running].some((w) => w.startedAt < to && w.doneAt > from);
}

async function readOutboxLength(dbPath: string): Promise<number> {
  const raw: unknown = JSON.parse(await readFile(dbPath, 'utf8'));
  return parseState(raw).outbox.length;
}

/** What every phase works with. */
interface Session {
  options: Options;
  intervalMs: number;
  subscriptions: number;
  portal: FakePortal;
  world: World;
  dbPath: string;
  daemon: DaemonProcess;
  tracker: CycleTracker;
  watcher: SendWatcher;
  rows: Row[];
  figures: Record<string, unknown>;
  say: (text: string) => void;
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
    v3Filter: avg((c) => c.v3Filter),
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

/** Phase 2: quiet cycles and the next sweep. */
async function measureQuiet(
  session: Session,
  first: CycleRecord,
  startupMs: number,
): Promise<{ sweeps: SweepRecord[]; steadyMemory: ReturnType<typeof memoryMB> }> {
  const { options, intervalMs, daemon, tracker, rows, figures, say } = session;
  const every = options.fullSweepEvery;
  const wantSweep = every > 1 && every <= MAX_CYCLES_TO_WAIT_FOR_SWEEP;
  const wantQuiet = every > 1 ? options.quietCycles : 0;
  const quietLimit =
    (options.quietCycles + (wantSweep ? every : 0) + 2) * (intervalMs * 1.2 + first.durationMs) +
    STARTUP_TIMEOUT_MS;
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
  const quietRequestsPerCycle = quiet.map((c) => c.fake.total - c.fake.token);
  const quietTokenRequests = sum(quiet.map((c) => c.fake.token));
  const maxPerCredential = max(quiet.map((c) => c.fake.maxPerUser));
  const loggedPerCredential = max(quiet.map((c) => c.portalRequests / Math.max(1, c.credentials)));
  const quietWrites = sum(quiet.map((c) => c.storeWrites));
  const quietSaved = sum(quiet.map((c) => c.stateSaved));
  const quietDbChanged = quiet.filter((c) => c.dbChanged).length;
  const quietCpu = sum(quiet.map((c) => c.daemonCpuMs)) / Math.max(1, quiet.length);
  const quietSpan = sum(quiet.map((c) => c.sincePreviousMs)) / Math.max(1, quiet.length);
  const quietFakesCpu = sum(quiet.map((c) => c.fakesCpuMs)) / Math.max(1, quiet.length);
  const quietRequestMs = quiet.flatMap((c) => c.requestMs);
  const quietReadKiB = sum(quiet.map((c) => c.readBytes)) / Math.max(1, quiet.length) / 1024;

  rows.push(describePaths(session));
  rows.push({
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
  });
  rows.push({
    measure: 'Store writes per quiet cycle',
    value: `${fmt(quietWrites / Math.max(1, quiet.length), 1)} (daemon's log: ${quietWrites} in ${quiet.length} cycles; "state saved" lines: ${quietSaved}); db.json inode/mtime/size changed in ${quietDbChanged} cycles`,
    target: '0',
    pass: quiet.length > 0 && quietWrites === 0 && quietSaved === 0 && quietDbChanged === 0,
  });
  rows.push({
    measure: 'Quiet cycle duration (daemon)',
    value: `median ${fmt(median(quiet.map((c) => c.durationMs)))} ms, max ${fmt(max(quiet.map((c) => c.durationMs)))} ms; portal round trip median ${fmt(median(quietRequestMs))} ms, p99 ${fmt(percentile(quietRequestMs, 0.99))} ms`,
    target: '',
    pass: undefined,
  });
  rows.push({
    measure: 'Daemon CPU per quiet cycle',
    value: `${fmt(quietCpu, 1)} ms (${fmt((quietCpu / quietSpan) * 100, 1)} % of one core over ${fmt(quietSpan)} ms); the fakes used ${fmt(quietFakesCpu, 1)} ms`,
    target: '',
    pass: undefined,
  });
  rows.push({
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
  });
  rows.push({
    measure: 'Start: first cycle (every case and its comments + token exchanges)',
    value:
      `${fmt(first.fake.total)} requests (${first.fake.token} token, ${describeEndpoints(first.fake)}), ` +
      `${fmt(first.durationMs)} ms; ${fmt(startupMs)} ms from spawn to its end; ` +
      `${first.storeWrites} store writes, ${first.enqueued} messages enqueued`,
    // Every comment there was seen before the start: a message now is an old one resent.
    target: '0 enqueued',
    pass: first.enqueued === 0,
  });
  figures.startup = { startupMs, first: compact(first) };
  figures.quiet = quiet.map(compact);
  figures.sweeps = sweeps;
  figures.besideSweep = beside.map(compact);

  return { sweeps, steadyMemory };
}

/** Phase 3: comments one at a time; latency from the portal to Telegram. */
async function measureLatency(session: Session, longestCycleMs: number): Promise<LatencySample[]> {
  const { options, intervalMs, portal, world, daemon, tracker, watcher, rows, figures, say } =
    session;
  say(`latency: ${options.comments} comments, one at a time`);
  const random = seededRandom(options.seed);
  const samples: LatencySample[] = [];
  let previousChat = -1;
  const latencyStart = performance.now();
  const commentTimeoutMs = COMMENT_TIMEOUT_MS + 2 * intervalMs + 2 * longestCycleMs;
  for (let i = 0; i < options.comments; i++) {
    let c = Math.floor(random() * options.chats);
    // Not the chat of the previous comment: its 1 message/s pacing would be measured instead.
    if (options.chats > 1 && c === previousChat) c = (c + 1) % options.chats;
    previousChat = c;
    const chat: BenchChat = world.chats[c]!;
    const caseNumber = chat.cases[Math.floor(random() * chat.cases.length)]!;
    const token = benchToken('L', i);
    syncPortalClock(portal);
    const t0 = performance.now();
    portal.addComment(caseNumber, {
      authorType: 'Associate',
      body: `${token}: the node was rebooted with the new kernel and the upgrade resumed.`,
    });
    let latencyMs: number | undefined;
    try {
      const arrival = await waitFor(() => watcher.arrivals(token)[0], {
        timeoutMs: commentTimeoutMs,
        what: `${token} to reach Telegram`,
        daemon,
      });
      latencyMs = arrival.at - t0;
    } catch (err) {
      if (daemon.hasExited) throw err;
      console.error(
        `lost: ${token} (case ${caseNumber}, chat ${chat.chatId}) never reached Telegram`,
      );
    }
    samples.push({
      token,
      chatId: chat.chatId,
      caseNumber,
      addedAt: t0,
      latencyMs,
      duringSweep: false,
    });
    await sleep(random() * intervalMs);
  }
  const latencyCycles = tracker.cycles.filter((c) => c.doneAt > latencyStart);
  for (const s of samples) {
    s.duringSweep = overlapsSweep(tracker, s.addedAt, s.addedAt + (s.latencyMs ?? Infinity));
  }
  const delivered = samples.filter((s) => s.latencyMs !== undefined).map((s) => s.latencyMs!);
  const outsideSweeps = samples
    .filter((s) => s.latencyMs !== undefined && !s.duringSweep)
    .map((s) => s.latencyMs!);
  const inSweeps = samples
    .filter((s) => s.latencyMs !== undefined && s.duringSweep)
    .map((s) => s.latencyMs!);
  const latencyLost = samples.length - delivered.length;
  const latencyTarget = intervalMs + TARGET_LATENCY_SLACK_MS;
  rows.push({
    measure: `Latency portal → Telegram (${options.comments} comments)`,
    value: `median ${seconds(median(delivered))}, p90 ${seconds(percentile(delivered, 0.9))}, max ${seconds(max(delivered))}; lost ${latencyLost}`,
    target: `max ≤ ${seconds(latencyTarget, 1)} (interval + 1 s)`,
    pass: latencyLost === 0 && max(delivered) <= latencyTarget,
  });
  rows.push({
    measure: '  … comments that met a sweep',
    value:
      inSweeps.length === 0
        ? 'none'
        : `${inSweeps.length}: median ${seconds(median(inSweeps))}, max ${seconds(max(inSweeps))}; the other ${outsideSweeps.length}: median ${seconds(median(outsideSweeps))}, max ${seconds(max(outsideSweeps))}`,
    target: '',
    pass: undefined,
  });
  const busyRequests = latencyCycles
    .filter((c) => !c.fullSweep && !c.sweepOverlap)
    .map((c) => c.fake.total - c.fake.token);
  const busyNote: Record<BenchPath, string> = {
    hydra: `a changed case stays in the filter's answer for ${fmt(SINCE_SAFETY_MARGIN_MS / 60_000)} min and is read again each cycle meanwhile`,
    graphql: 'the batch carries the new comments',
    'graphql+rest': `a moved case's comments are read again each cycle for ${fmt(SINCE_SAFETY_MARGIN_MS / 60_000)} min`,
    rest: 'every case is read every cycle anyway',
  };
  rows.push({
    measure: 'Portal requests per cycle while comments arrive (no sweep)',
    value: `median ${fmt(median(busyRequests))}, max ${fmt(max(busyRequests))} (${busyNote[options.path]})`,
    target: '',
    pass: undefined,
  });
  figures.latency = samples;

  return samples;
}

/** Phase 4: many comments at once; drain time under Telegram pacing, nothing lost. */
async function measureBurst(session: Session, longestCycleMs: number): Promise<void> {
  const {
    options,
    intervalMs,
    portal,
    world,
    dbPath,
    daemon,
    tracker,
    watcher,
    rows,
    figures,
    say,
  } = session;
  say(`burst: ${options.burst} comments at once`);
  const failuresBefore = new Map(watcher.failures);
  const burstTokens: string[] = [];
  const perChat = new Map<number, number>();
  syncPortalClock(portal);
  const burstStart = performance.now();
  for (let j = 0; j < options.burst; j++) {
    const chat = world.chats[j % options.chats]!;
    const caseNumber = chat.cases[Math.floor(j / options.chats) % chat.cases.length]!;
    const token = benchToken('B', j);
    burstTokens.push(token);
    perChat.set(chat.chatId, (perChat.get(chat.chatId) ?? 0) + 1);
    portal.addComment(caseNumber, {
      authorType: 'Associate',
      body: `${token}: please collect an sosreport from the affected node and attach it here.`,
    });
  }
  const burstTimeoutMs =
    BURST_TIMEOUT_MS + options.burst * BURST_TIMEOUT_PER_MESSAGE_MS + 2 * longestCycleMs;
  try {
    await waitFor(() => burstTokens.every((t) => watcher.arrivals(t).length > 0), {
      timeoutMs: burstTimeoutMs,
      what: `the ${options.burst} burst messages`,
      daemon,
    });
  } catch (err) {
    if (daemon.hasExited) throw err;
    console.error(`the burst did not drain within ${seconds(burstTimeoutMs, 0)}`);
  }
  const lastArrivalAt = performance.now();
  // A few more cycles: a duplicate would show up now, and the last commits land in db.json.
  await waitFor(
    () => tracker.cycles.filter((c) => c.doneAt > lastArrivalAt).length >= CYCLES_AFTER_BURST,
    {
      timeoutMs: CYCLES_AFTER_BURST * intervalMs * 1.2 + burstTimeoutMs,
      what: 'the cycles after the burst',
      daemon,
    },
  );
  // db.json holds the committed state: an empty outbox means every send was recorded.
  let outboxLeft = await readOutboxLength(dbPath);
  const outboxDeadline = performance.now() + burstTimeoutMs;
  while (outboxLeft > 0 && performance.now() < outboxDeadline && !daemon.hasExited) {
    await sleep(OUTBOX_POLL_MS);
    outboxLeft = await readOutboxLength(dbPath);
  }

  const firstArrivals = burstTokens
    .map((t) => watcher.arrivals(t)[0]?.at)
    .filter((at): at is number => at !== undefined);
  const burstLost = burstTokens.length - firstArrivals.length;
  const burstDuplicated = burstTokens.filter((t) => watcher.arrivals(t).length > 1).length;
  const earliest = Math.min(...firstArrivals);
  const latest = Math.max(...firstArrivals);
  const sendPhaseMs = latest - earliest;
  const maxPerChat = Math.max(...perChat.values());
  const pacedMs = Math.max(
    (options.burst - 1) * GLOBAL_MIN_INTERVAL_MS,
    (maxPerChat - 1) * PRIVATE_CHAT_MIN_INTERVAL_MS,
  );
  const pacedRate = pacedMs > 0 ? ((options.burst - 1) * MS_PER_S) / pacedMs : Infinity;
  const rate = sendPhaseMs > 0 ? ((options.burst - 1) * MS_PER_S) / sendPhaseMs : Infinity;
  const byChat = new Map<number, number[]>();
  for (const t of burstTokens) {
    const a = watcher.arrivals(t)[0];
    if (a) byChat.set(a.chatId, [...(byChat.get(a.chatId) ?? []), a.at]);
  }
  const gaps = [...byChat.values()].flatMap((times) => {
    const sorted = [...times].sort((a, b) => a - b);
    return sorted.slice(1).map((t, i) => t - sorted[i]!);
  });
  const gapsUnder = gaps.filter((g) => g < PACING_TOLERANCE * PRIVATE_CHAT_MIN_INTERVAL_MS).length;
  const sortedArrivals = [...firstArrivals].sort((a, b) => a - b);
  let peakPerSecond = 0;
  for (let i = 0, j = 0; i < sortedArrivals.length; i++) {
    while (sortedArrivals[i]! - sortedArrivals[j]! >= MS_PER_S) j++;
    peakPerSecond = Math.max(peakPerSecond, i - j + 1);
  }
  const burstFailures = [...watcher.failures].map(
    ([status, n]) => [status, n - (failuresBefore.get(status) ?? 0)] as const,
  );
  const burstCycles = tracker.cycles.filter(
    (c) => c.doneAt > burstStart && c.doneAt <= lastArrivalAt + intervalMs * 2,
  );
  rows.push({
    measure: `Burst of ${options.burst} notifications (${perChat.size} chats, up to ${maxPerChat} per chat)`,
    value:
      `all accepted ${seconds(latest - burstStart, 1)} after they appeared; first after ${seconds(earliest - burstStart, 1)}; ` +
      `sending took ${seconds(sendPhaseMs, 1)} = ${fmt(rate, 1)} msg/s (pacing allows ${fmt(pacedRate, 1)} msg/s → ${seconds(pacedMs, 1)}); ` +
      `peak ${peakPerSecond} msg in 1 s, gaps between messages to one chat: ${
        gaps.length > 0
          ? `smallest ${fmt(Math.min(...gaps))} ms, ${gapsUnder} of ${gaps.length} under ${fmt(PACING_TOLERANCE * PRIVATE_CHAT_MIN_INTERVAL_MS)} ms`
          : 'none (one message per chat)'
      }`,
    target: `≥ ${fmt(BURST_MIN_PACE_SHARE * 100)} % of the paced rate`,
    pass: burstLost === 0 && sendPhaseMs <= pacedMs / BURST_MIN_PACE_SHARE + BURST_SLACK_MS,
  });
  const unexpected = watcher.unexpected.length;
  rows.push({
    measure: '  … lost / duplicated / unexpected / outbox left',
    value: `${burstLost} / ${burstDuplicated} / ${unexpected} / ${outboxLeft}${
      unexpected > 0
        ? ` (unexpected: messages without a bench token since the start, first: "${watcher.unexpected[0]?.text ?? ''}")`
        : ''
    }; sendMessage errors: ${
      burstFailures
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n}× ${s}`)
        .join(', ') || 'none'
    }; store writes meanwhile: ${sum(burstCycles.map((c) => c.stateSaved))}`,
    target: '0 / 0 / 0 / 0',
    pass: burstLost === 0 && burstDuplicated === 0 && unexpected === 0 && outboxLeft === 0,
  });
  figures.burst = {
    drainMs: latest - burstStart,
    firstMs: earliest - burstStart,
    sendPhaseMs,
    pacedMs,
    rate,
    pacedRate,
    peakPerSecond,
    minGapMs: Math.min(...gaps),
    gapsUnder,
    gaps: gaps.length,
    lost: burstLost,
    duplicated: burstDuplicated,
    unexpected: watcher.unexpected,
    outboxLeft,
    cycles: burstCycles.map(compact),
  };
}

/** Phase 5: memory and size, then SIGTERM and a look at what the daemon left. */
/** Cycles watched after a restart before its memory is read. */
const RESTART_CYCLES = 3;

/**
 * Phase 6: the daemon again, on the db.json the clean stop left: its first cycle asks the
 * filter from the saved checkpoints instead of reading every case.
 */
async function measureRestart(
  session: Session,
  context: { configPath: string; timeoutMs: number },
): Promise<void> {
  const { options, portal, dbPath, rows, figures, say } = session;
  say('restarting the daemon on the same db.json');
  const daemon = spawnDaemon({
    configPath: context.configPath,
    env: { PUSHBOT_SECRET_KEY: SECRET_KEY },
    nodeFlags: options.nodeFlags,
  });
  try {
    const tracker = trackCycles({ daemon, portal, dbPath });
    const first = await tracker.waitForCycle(
      (c) => c.cycle === 1,
      context.timeoutMs,
      'the first cycle after the restart',
    );
    await tracker.waitForCycle(
      (c) => c.cycle === 1 + RESTART_CYCLES,
      context.timeoutMs,
      'the cycles after the restart',
    );
    const memory = memoryMB(daemon.pid);
    const exit = await daemon.stop('SIGTERM');
    rows.push({
      measure: 'Restart after the clean stop: first cycle',
      value:
        `${fmt(first.fake.total)} requests (${first.fake.token} token, ${describeEndpoints(first.fake)}), ` +
        `${first.fullSweep ? 'read every case' : 'from the saved checkpoints'}, ${fmt(first.durationMs)} ms, ` +
        `${first.enqueued} enqueued; ` +
        `RSS ${fmt(memory.rss, 1)} MB after ${RESTART_CYCLES} more cycles, peak ${fmt(memory.peak, 1)} MB; SIGTERM → exit ${exit.code ?? exit.signal}`,
      target: 'reported',
      pass: exit.code === 0 && first.enqueued === 0 ? undefined : false,
    });
    figures.restart = { first: compact(first), memory, exit };
  } finally {
    if (!daemon.hasExited) process.kill(daemon.pid, 'SIGKILL');
  }
}

async function stopAndCheck(
  session: Session,
  context: {
    samples: readonly LatencySample[];
    steadyMemory: ReturnType<typeof memoryMB>;
    dbBytesAtStart: number;
  },
): Promise<void> {
  const { subscriptions, dbPath, daemon, tracker, watcher, rows, figures, say } = session;
  const { samples, steadyMemory, dbBytesAtStart } = context;
  const endMemory = memoryMB(daemon.pid);
  const daemonCpuTotal = cpuTimeMs(daemon.pid);
  const dbBytes = statSync(dbPath).size;
  const latencyDuplicated = samples.filter((s) => watcher.arrivals(s.token).length > 1).length;
  rows.push({
    measure: 'Daemon RSS',
    value:
      `${fmt(steadyMemory.rss, 1)} MB after the quiet cycles (anonymous ${fmt(steadyMemory.anon, 1)}, file-backed ${fmt(steadyMemory.file, 1)}), ` +
      `${fmt(endMemory.rss, 1)} MB at the end, peak ${fmt(endMemory.peak, 1)} MB (VmHWM)`,
    target: `peak ≤ ${TARGET_RSS_MB} MB`,
    pass: endMemory.peak <= TARGET_RSS_MB,
  });
  rows.push({
    measure: 'db.json size',
    value: `${fmt(dbBytesAtStart / 1024)} KiB at start, ${fmt(dbBytes / 1024)} KiB at the end (${fmt(dbBytes / subscriptions)} bytes per subscription)`,
    target: '',
    pass: undefined,
  });
  say('stopping the daemon (SIGTERM)');
  const stopStart = performance.now();
  const exit = await daemon.stop('SIGTERM');
  const stopMs = performance.now() - stopStart;
  let finalState = 'valid';
  let finalOutbox = -1;
  try {
    finalOutbox = await readOutboxLength(dbPath);
  } catch (err) {
    finalState = `invalid: ${(err as Error).message}`;
  }
  const warnings = daemon.levels.get('warn') ?? 0;
  const errors = (daemon.levels.get('error') ?? 0) + (daemon.levels.get('fatal') ?? 0);
  rows.push({
    measure: 'Daemon health',
    value:
      `SIGTERM → exit ${exit.code ?? exit.signal} in ${fmt(stopMs)} ms; db.json ${finalState}, outbox ${finalOutbox}; ` +
      `log: ${warnings} warnings, ${errors} errors${
        errors > 0 ? ` (${daemon.notable.filter((l) => !l.startsWith('warn')).join('; ')})` : ''
      }; latency duplicates ${latencyDuplicated}; ` +
      `${tracker.cycles.length} cycles, ${fmt(daemonCpuTotal / MS_PER_S, 1)} s CPU in all`,
    target: 'exit 0, valid, no errors',
    pass:
      exit.code === 0 &&
      finalState === 'valid' &&
      finalOutbox === 0 &&
      errors === 0 &&
      latencyDuplicated === 0 &&
      tracker.malformed.length === 0,
  });
  figures.memory = { steady: steadyMemory, end: endMemory };
  figures.db = { startBytes: dbBytesAtStart, endBytes: dbBytes };
  // Every cycle, without the per-request round trips (large at 10,000 subscriptions).
  figures.cycles = tracker.cycles.map(compact);
  figures.health = {
    exit,
    stopMs,
    finalState,
    finalOutbox,
    warnings,
    errors,
    notable: daemon.notable,
    latencyDuplicated,
  };
}

async function run(options: Options, cleanup: Cleanup): Promise<Report> {
  const machine = describeMachine();
  const runStart = performance.now();
  const subscriptions = options.chats * options.cases;
  const intervalMs = options.intervalSeconds * MS_PER_S;
  const rows: Row[] = [];
  const figures: Record<string, unknown> = {};
  const say = (text: string) =>
    console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

  const dir = await mkdtemp(join(tmpdir(), 'pushbot-bench-'));
  cleanup.add(
    'remove the temp folder',
    () => rm(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const dbPath = join(dir, 'data', 'db.json');
  const portal = await startFakePortal();
  cleanup.add('close the fake portal', () => portal.close());
  // The fake offers exactly the path measured: the daemon settles on the best that answers.
  if (options.path === 'graphql+rest') portal.setGraphqlSchema({ omit: [COMMENT_RELATION_FIELD] });
  if (options.path === 'rest') portal.retire('graphql');
  const telegram = await startFakeTelegram({ token: BOT_TOKEN });
  cleanup.add('close the fake Telegram', () => telegram.close());

  say(`writing ${fmt(subscriptions)} subscriptions for ${options.chats} chats`);
  const world = await buildWorld({
    portal,
    api: options.api,
    chats: options.chats,
    casesPerChat: options.cases,
    historyPerCase: options.history,
    secretKey: SECRET_KEY,
    dbPath,
  });
  say(
    `read the existing comments through ${[...world.seededPaths.keys()].join(', ')}: ` +
      `${fmt(world.seedRequests)} requests in ${seconds(world.seedMs, 1)}`,
  );
  const dbBytesAtStart = statSync(dbPath).size;
  const configPath = join(dir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      telegram: { token: BOT_TOKEN, apiRoot: telegram.apiRoot },
      portal: {
        api: world.portal.api,
        baseUrl: world.portal.baseUrl,
        // Set for every API: the default is Red Hat's real endpoint; everything stays on loopback.
        graphqlUrl: world.portal.graphqlUrl,
        tokenUrl: world.portal.tokenUrl,
      },
      poll: { intervalSeconds: options.intervalSeconds, fullSweepEvery: options.fullSweepEvery },
      dbPath,
      // Debug: the per-cycle figures ("poll cycle done") and store writes are debug lines.
      log: { level: 'debug' },
    }),
  );

  // ---- 1. start ----
  const watcher: SendWatcher = watchSends(telegram);
  cleanup.add('stop watching Telegram', async () => watcher.stop());
  const startedAt = performance.now();
  const daemon: DaemonProcess = spawnDaemon({
    configPath,
    env: { PUSHBOT_SECRET_KEY: SECRET_KEY },
    nodeFlags: options.nodeFlags,
  });
  cleanup.add(
    'stop the daemon',
    () => daemon.stop('SIGTERM'),
    () => {
      if (!daemon.hasExited) process.kill(daemon.pid, 'SIGKILL');
    },
  );
  const tracker = trackCycles({ daemon, portal, dbPath });
  say(`daemon pid ${daemon.pid} started; waiting for its first cycle (every case read)`);
  const first = await tracker.waitForCycle(
    (c) => c.cycle === 1,
    STARTUP_TIMEOUT_MS + subscriptions * STARTUP_TIMEOUT_PER_SUBSCRIPTION_MS,
    'the first poll cycle',
  );
  const startupMs = first.doneAt - startedAt;

  const session: Session = {
    options,
    intervalMs,
    subscriptions,
    portal,
    world,
    dbPath,
    daemon,
    tracker,
    watcher,
    rows,
    figures,
    say,
  };
  const { sweeps, steadyMemory } = await measureQuiet(session, first, startupMs);
  const longestCycleMs = max([
    first.durationMs,
    ...tracker.cycles.map((c) => c.durationMs),
    ...sweeps.map((c) => c.durationMs),
  ]);
  const samples = await measureLatency(session, longestCycleMs);
  await measureBurst(session, longestCycleMs);
  await stopAndCheck(session, { samples, steadyMemory, dbBytesAtStart });
  await measureRestart(session, {
    configPath,
    timeoutMs: STARTUP_TIMEOUT_MS + subscriptions * STARTUP_TIMEOUT_PER_SUBSCRIPTION_MS,
  });

  machine.loadAtEnd = loadAverage();
  machine.duration = seconds(performance.now() - runStart, 0);
  return {
    machine,
    options,
    subscriptions,
    rows,
    passed: rows.every((r) => r.pass !== false),
    figures,
  };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the daemon and removing the temp folder`);
    cleanup.runUrgent();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await run(options, cleanup);
    printReport(report);
    if (options.json !== undefined) {
      await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`figures written to ${options.json}`);
    }
    return report.passed ? 0 : 1;
  } catch (err) {
    console.error('benchmark failed:', err instanceof Error ? err.message : err);
    return 1;
  } finally {
    await cleanup.run();
  }
}

process.exitCode = await main();
