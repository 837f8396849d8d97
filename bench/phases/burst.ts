// Phase 4, burst: `--burst` comments added at once, spread round-robin over the chats. Time
// until Telegram accepted all of them, against the pace the daemon's Telegram pacing allows
// (GLOBAL_MIN_INTERVAL_MS between messages overall, PRIVATE_CHAT_MIN_INTERVAL_MS per private
// chat); none may be lost or duplicated, and the outbox in db.json must end empty.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GLOBAL_MIN_INTERVAL_MS,
  PRIVATE_CHAT_MIN_INTERVAL_MS,
} from '../../src/notify/telegram/pacing.js';
import { benchToken } from '../_meters.js';
import { sum, waitFor } from '../_stats.js';
import { fmt, seconds } from '../report.js';
import { compact, MS_PER_S, readOutboxLength, syncPortalClock, type Session } from '../session.js';

/** A burst drains "at Telegram's pace" when it reaches at least this share of the paced rate. */
const BURST_MIN_PACE_SHARE = 0.8;
/**
 * Gaps between two messages to one chat, as seen at the fake, may be this much shorter than the
 * pacing interval before they count as too close (network and event-loop jitter).
 */
const PACING_TOLERANCE = 0.9;
/** Scheduling slack allowed on top of the paced drain time, ms. */
const BURST_SLACK_MS = 1_000;
/** How long the burst may take: a base, a share per message, and two longest cycles. */
const BURST_TIMEOUT_MS = 60_000;
const BURST_TIMEOUT_PER_MESSAGE_MS = 200;
/** After the last burst message, cycles watched for late duplicates. */
const CYCLES_AFTER_BURST = 2;
/** A cycle may start this much later than its interval (jitter, event-loop delay). */
const INTERVAL_LATENESS = 1.2;
/** How often db.json is read while waiting for the outbox to empty. */
const OUTBOX_POLL_MS = 250;

export async function measureBurst(session: Session, longestCycleMs: number): Promise<void> {
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
      timeoutMs: CYCLES_AFTER_BURST * intervalMs * INTERVAL_LATENESS + burstTimeoutMs,
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
  const unexpected = watcher.unexpected.length;
  rows.add(
    'burst',
    {
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
    },
    {
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
    },
  );
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
