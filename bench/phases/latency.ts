// Phase 3, latency: `--comments` comments added one at a time at random moments (a random
// pause of up to one interval after each delivery), over random chats and cases. Latency =
// from addComment at the fake portal to the fake Telegram accepting the sendMessage, both timed
// in the bench process. Comments whose wait overlapped a sweep are also reported apart.
import { setTimeout as sleep } from 'node:timers/promises';
import { SINCE_SAFETY_MARGIN_MS } from '../../src/poller/timing.js';
import { benchToken, type CycleTracker } from '../_meters.js';
import { max, median, percentile, seededRandom, waitFor } from '../_stats.js';
import type { BenchChat } from '../_world.js';
import type { BenchPath } from '../options.js';
import { fmt, seconds } from '../report.js';
import { syncPortalClock, type Session } from '../session.js';

/** Latency target: the poll interval plus this. */
const TARGET_LATENCY_SLACK_MS = 1_000;
/** How long one comment may take to arrive, on top of two intervals and two longest cycles. */
const COMMENT_TIMEOUT_MS = 30_000;
const MS_PER_MIN = 60_000;

export interface LatencySample {
  token: string;
  chatId: number;
  caseNumber: string;
  /** performance.now() when the comment was added at the portal. */
  addedAt: number;
  latencyMs: number | undefined;
  /** A full-sweep cycle ran while this comment waited. */
  duringSweep: boolean;
}

/** A sweep (or the first cycle's full read) ran at some moment between `from` and `to`. */
function overlapsSweep(tracker: CycleTracker, from: number, to: number): boolean {
  const since = tracker.sweepActiveSince();
  const running = since !== undefined ? [{ startedAt: since, doneAt: Infinity }] : [];
  return [...tracker.sweeps, ...running].some((w) => w.startedAt < to && w.doneAt > from);
}

/** Why a cycle costs more requests while comments arrive, per path. */
const BUSY_NOTE: Record<BenchPath, string> = {
  hydra: `a changed case stays in the filter's answer for ${fmt(SINCE_SAFETY_MARGIN_MS / MS_PER_MIN)} min and is read again each cycle meanwhile`,
  graphql: 'the batch carries the new comments',
  'graphql+rest': `a moved case's comments are read again each cycle for ${fmt(SINCE_SAFETY_MARGIN_MS / MS_PER_MIN)} min`,
  rest: 'every case is read every cycle anyway',
};

export async function measureLatency(
  session: Session,
  longestCycleMs: number,
): Promise<LatencySample[]> {
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
  const busyRequests = latencyCycles
    .filter((c) => !c.fullSweep && !c.sweepOverlap)
    .map((c) => c.fake.total - c.fake.token);
  rows.add(
    'latency',
    {
      measure: `Latency portal → Telegram (${options.comments} comments)`,
      value: `median ${seconds(median(delivered))}, p90 ${seconds(percentile(delivered, 0.9))}, max ${seconds(max(delivered))}; lost ${latencyLost}`,
      target: `max ≤ ${seconds(latencyTarget, 1)} (interval + 1 s)`,
      pass: latencyLost === 0 && max(delivered) <= latencyTarget,
    },
    {
      measure: '  … comments that met a sweep',
      value:
        inSweeps.length === 0
          ? 'none'
          : `${inSweeps.length}: median ${seconds(median(inSweeps))}, max ${seconds(max(inSweeps))}; the other ${outsideSweeps.length}: median ${seconds(median(outsideSweeps))}, max ${seconds(max(outsideSweeps))}`,
      target: '',
      pass: undefined,
    },
    {
      measure: 'Portal requests per cycle while comments arrive (no sweep)',
      value: `median ${fmt(median(busyRequests))}, max ${fmt(max(busyRequests))} (${BUSY_NOTE[options.path]})`,
      target: '',
      pass: undefined,
    },
  );
  figures.latency = samples;
  return samples;
}
