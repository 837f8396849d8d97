// What the benchmark measures while the daemon runs:
// - CycleTracker: one record per poll cycle, built when the daemon logs "poll cycle done"
//   (debug level, with the cycle's CycleStats): the daemon's own figures, plus what the fake
//   portal received since the previous cycle, the daemon's CPU time and memory from /proc, the
//   fake's own CPU, store writes ("state saved" lines) and whether db.json changed on disk;
//   and one record per background sweep ("sweep started" / "sweep done"), so a cycle whose
//   span overlapped a sweep is told apart from a quiet one.
// - SendWatcher: when the fake Telegram accepted each sendMessage carrying a benchmark token.
import { statSync } from 'node:fs';
import { z } from 'zod';
import {
  CYCLE_DONE_MSG,
  SWEEP_DONE_MSG,
  cycleStatsSchema,
  sweepStatsSchema,
} from '../src/poller/stats.js';
import type { FakePortal } from '../test/_helpers/fake-portal.js';
import type { FakeTelegram } from '../test/_helpers/fake-telegram.js';
import {
  cpuTimeMs,
  memoryMB,
  readBytes,
  type DaemonProcess,
  type LogLine,
} from './_daemon-process.js';
import { waitFor } from './_stats.js';

/** How often the send watcher looks at the fake Telegram's call log (bounds the timing error). */
const SEND_WATCH_INTERVAL_MS = 1;
/** Characters of an unexpected message kept for the report. */
const UNEXPECTED_TEXT_CHARS = 120;

// ---- poll cycles ----

/** The daemon's own definitions of its "poll cycle done" and "sweep done" lines. */
const cycleLineSchema = cycleStatsSchema.extend({ msg: z.literal(CYCLE_DONE_MSG) });
const sweepLineSchema = sweepStatsSchema.extend({ msg: z.literal(SWEEP_DONE_MSG) });
const portalRequestLineSchema = z.object({
  msg: z.literal('portal request'),
  durationMs: z.number(),
});
/** v3.ts settle(): "reading cases through …" (info), once per credential and path change. */
const PATH_LINE_PREFIX = 'reading cases through ';
const pathLineSchema = z.object({
  msg: z.string().startsWith(PATH_LINE_PREFIX),
  path: z.string(),
  previous: z.string(),
  credentialId: z.string().optional(),
});

export interface FakePortalCounts {
  total: number;
  token: number;
  /** Hydra (v1) endpoints. */
  filter: number;
  case: number;
  comments: number;
  /** v3 endpoints: GraphQL, and REST v3's case, comment list, attachment list and filter. */
  graphql: number;
  v3Case: number;
  v3Comments: number;
  v3Attachments: number;
  v3Filter: number;
  /** Requests to any other path (an endpoint this count does not know yet, a 404). */
  other: number;
  /** Most requests one portal user (one credential) made, token exchanges excluded. */
  maxPerUser: number;
  /** Users that made at least one API request. */
  users: number;
  /** Answers other than 200. */
  failed: number;
}

/** The daemon's own figures, as its log line carries them (CycleStats, SweepStats). */
type CycleLine = Omit<z.infer<typeof cycleLineSchema>, 'msg'>;
/** Its own `startedAt` (an ISO time) gives way to the bench clock's in SweepRecord. */
type SweepLine = Omit<z.infer<typeof sweepLineSchema>, 'msg' | 'startedAt'>;

export interface CycleRecord extends CycleLine {
  /** A sweep ran at some moment since the previous cycle's line: its requests are in `fake`. */
  sweepOverlap: boolean;
  /** performance.now() in the bench process when the cycle's log line arrived. */
  doneAt: number;
  /** Since the previous cycle's line (or since the daemon started, for the first). */
  sincePreviousMs: number;
  /** Daemon CPU (user + system) used since the previous cycle's line, ms. */
  daemonCpuMs: number;
  /** CPU used by the bench process (the fakes) over the same span, ms. */
  fakesCpuMs: number;
  rssMB: number;
  /** Bytes the daemon read (rchar: its sockets, mostly the portal's answers) over the same span. */
  readBytes: number;
  /** What the fake portal received over the same span. */
  fake: FakePortalCounts;
  /** "state saved" lines (any writer: poller or delivery) over the same span. */
  stateSaved: number;
  /** db.json's inode, mtime or size differ from the previous cycle's. */
  dbChanged: boolean;
  /** Portal round trips the daemon logged over the same span, ms. */
  requestMs: number[];
}

export interface SweepRecord extends SweepLine {
  /** performance.now() in the bench process at "sweep started" and "sweep done". */
  startedAt: number;
  doneAt: number;
  /** Daemon CPU over the sweep, ms (the cycles that ran meanwhile included). */
  daemonCpuMs: number;
}

export interface CycleTracker {
  readonly cycles: readonly CycleRecord[];
  readonly sweeps: readonly SweepRecord[];
  /** When the sweep running now started (bench clock); undefined when none runs. */
  sweepActiveSince(): number | undefined;
  /** "poll cycle done" lines whose fields did not match CycleStats (should stay empty). */
  readonly malformed: readonly string[];
  /** The path each credential last settled on, from the daemon's "reading cases through" lines. */
  readonly paths: ReadonlyMap<string, string>;
  /** Every such line, in order (a path change after the first settle is worth a look). */
  readonly pathChanges: readonly { credentialId: string; path: string; previous: string }[];
  /** Resolves with the first record matching `predicate` (looking at past ones too). */
  waitForCycle(
    predicate: (c: CycleRecord) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<CycleRecord>;
}

function dbStamp(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.mtimeMs}:${s.size}`;
}

function countRequests(portal: FakePortal): FakePortalCounts {
  const perUser = new Map<string, number>();
  const counts: FakePortalCounts = {
    total: 0,
    token: 0,
    filter: 0,
    case: 0,
    comments: 0,
    graphql: 0,
    v3Case: 0,
    v3Comments: 0,
    v3Attachments: 0,
    v3Filter: 0,
    other: 0,
    maxPerUser: 0,
    users: 0,
    failed: 0,
  };
  for (const r of portal.requests) {
    counts.total++;
    if (r.status !== 200) counts.failed++;
    if (r.endpoint === 'token') counts.token++;
    else if (r.endpoint === 'filter') counts.filter++;
    else if (r.endpoint === 'case') counts.case++;
    else if (r.endpoint === 'comments') counts.comments++;
    else if (r.endpoint === 'graphql') counts.graphql++;
    else if (r.endpoint === 'v3-case') counts.v3Case++;
    else if (r.endpoint === 'v3-comments') counts.v3Comments++;
    else if (r.endpoint === 'v3-attachments') counts.v3Attachments++;
    else if (r.endpoint === 'v3-filter') counts.v3Filter++;
    else counts.other++;
    if (r.endpoint !== 'token' && r.user !== undefined) {
      perUser.set(r.user, (perUser.get(r.user) ?? 0) + 1);
    }
  }
  counts.users = perUser.size;
  counts.maxPerUser = Math.max(0, ...perUser.values());
  return counts;
}

/** "2 graphql, 10 v3-comments": the non-zero endpoint counts, token exchanges left out. */
export function describeEndpoints(counts: FakePortalCounts): string {
  const parts: [string, number][] = [
    ['graphql', counts.graphql],
    ['v3-case', counts.v3Case],
    ['v3-comments', counts.v3Comments],
    ['v3-attachments', counts.v3Attachments],
    ['v3-filter', counts.v3Filter],
    ['filter', counts.filter],
    ['case', counts.case],
    ['comments', counts.comments],
    ['other', counts.other],
  ];
  const text = parts
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n.toLocaleString('en-US')} ${name}`)
    .join(', ');
  return text === '' ? 'none' : text;
}

export function trackCycles(deps: {
  daemon: DaemonProcess;
  portal: FakePortal;
  dbPath: string;
}): CycleTracker {
  const { daemon, portal } = deps;
  const cycles: CycleRecord[] = [];
  const sweeps: SweepRecord[] = [];
  const malformed: string[] = [];
  const paths = new Map<string, string>();
  const pathChanges: { credentialId: string; path: string; previous: string }[] = [];
  let sweepStart: { at: number; cpu: number } | undefined;
  let sweepSincePrevious = false;
  // The fake's counts start with this daemon: requests a previous daemon made after its last
  // cycle line (a cycle abandoned at its SIGTERM) are not this daemon's first cycle's.
  portal.resetCounters();
  let previousAt = performance.now();
  let previousCpu = cpuTimeMs(daemon.pid);
  let previousRead = readBytes(daemon.pid);
  let previousFakesCpu = fakesCpuMs();
  let previousStamp = dbStamp(deps.dbPath);
  let stateSaved = 0;
  let requestMs: number[] = [];

  daemon.onLine((line: LogLine, at: number) => {
    if (line.msg.startsWith(PATH_LINE_PREFIX)) {
      const parsed = pathLineSchema.safeParse(line);
      if (!parsed.success) malformed.push(JSON.stringify(line));
      else {
        const { credentialId = 'unknown', path, previous } = parsed.data;
        paths.set(credentialId, path);
        pathChanges.push({ credentialId, path, previous });
      }
      return;
    }
    if (line.msg === 'state saved') {
      stateSaved++;
      return;
    }
    if (line.msg === 'portal request') {
      const parsed = portalRequestLineSchema.safeParse(line);
      if (parsed.success) requestMs.push(parsed.data.durationMs);
      return;
    }
    if (line.msg === 'sweep started') {
      sweepStart = { at, cpu: cpuTimeMs(daemon.pid) };
      sweepSincePrevious = true;
      return;
    }
    if (line.msg === SWEEP_DONE_MSG) {
      const sweep = sweepLineSchema.safeParse(line);
      if (!sweep.success) malformed.push(JSON.stringify(line));
      else {
        const { msg: _msg, startedAt: _startedAt, ...stats } = sweep.data;
        sweeps.push({
          ...stats,
          startedAt: sweepStart?.at ?? at - stats.durationMs,
          doneAt: at,
          daemonCpuMs: sweepStart ? cpuTimeMs(daemon.pid) - sweepStart.cpu : Number.NaN,
        });
      }
      sweepStart = undefined;
      // Its last requests are in the fake's counts until the next cycle's line.
      sweepSincePrevious = true;
      return;
    }
    if (line.msg !== CYCLE_DONE_MSG) return;
    const parsed = cycleLineSchema.safeParse(line);
    if (!parsed.success) {
      // The line changed shape: the run goes on, and the report says its figures are missing.
      malformed.push(JSON.stringify(line));
      return;
    }
    const cpu = cpuTimeMs(daemon.pid);
    const read = readBytes(daemon.pid);
    const fakesCpu = fakesCpuMs();
    const stamp = dbStamp(deps.dbPath);
    const { msg: _msg, ...stats } = parsed.data;
    cycles.push({
      ...stats,
      sweepOverlap: sweepSincePrevious || sweepStart !== undefined,
      doneAt: at,
      sincePreviousMs: at - previousAt,
      daemonCpuMs: cpu - previousCpu,
      readBytes: read - previousRead,
      fakesCpuMs: fakesCpu - previousFakesCpu,
      rssMB: memoryMB(daemon.pid).rss,
      fake: countRequests(portal),
      stateSaved,
      dbChanged: stamp !== previousStamp,
      requestMs,
    });
    // The fake's request log is per cycle from here on: memory stays flat over long runs.
    portal.resetCounters();
    previousAt = at;
    previousCpu = cpu;
    previousRead = read;
    previousFakesCpu = fakesCpu;
    previousStamp = stamp;
    stateSaved = 0;
    requestMs = [];
    sweepSincePrevious = false;
  });

  return {
    cycles,
    sweeps,
    sweepActiveSince: () => sweepStart?.at,
    malformed,
    paths,
    pathChanges,
    async waitForCycle(predicate, timeoutMs, what) {
      return waitFor(() => cycles.find(predicate), { timeoutMs, what, daemon });
    },
  };
}

function fakesCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

// ---- Telegram sends ----

export interface Arrival {
  at: number;
  chatId: number;
}

export interface SendWatcher {
  /** Every accepted sendMessage carrying `token`, in order. */
  arrivals(token: string): readonly Arrival[];
  /** sendMessage answers other than 200, by status, since the watcher started. */
  readonly failures: ReadonlyMap<number, number>;
  /** Accepted sendMessage calls carrying no benchmark token (an old comment resent, …). */
  readonly unexpected: readonly { chatId: number; text: string }[];
  stop(): void;
}

/** Tokens look like BENCH-L00042 (latency) or BENCH-B00042 (burst). */
export const TOKEN_PATTERN = /BENCH-[LB]\d{5}/g;

export function benchToken(kind: 'L' | 'B', n: number): string {
  return `BENCH-${kind}${String(n).padStart(5, '0')}`;
}

export function watchSends(telegram: FakeTelegram): SendWatcher {
  const seen = new Map<string, Arrival[]>();
  const failures = new Map<number, number>();
  const unexpected: { chatId: number; text: string }[] = [];
  let next = telegram.calls.length;
  const scan = (): void => {
    const at = performance.now();
    for (; next < telegram.calls.length; next++) {
      const call = telegram.calls[next];
      if (call?.method !== 'sendMessage') continue;
      if (call.status !== 200) {
        failures.set(call.status, (failures.get(call.status) ?? 0) + 1);
        continue;
      }
      const text = call.params.text;
      if (typeof text !== 'string') continue;
      const chatId = Number(call.params.chat_id);
      const tokens = new Set(text.match(TOKEN_PATTERN) ?? []);
      if (tokens.size === 0)
        unexpected.push({ chatId, text: text.slice(0, UNEXPECTED_TEXT_CHARS) });
      for (const token of tokens) {
        const list = seen.get(token) ?? [];
        list.push({ at, chatId });
        seen.set(token, list);
      }
    }
  };
  const timer = setInterval(scan, SEND_WATCH_INTERVAL_MS);
  return {
    arrivals: (token) => seen.get(token) ?? [],
    failures,
    unexpected,
    stop: () => clearInterval(timer),
  };
}
