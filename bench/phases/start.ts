// Phase 1, start: the daemon starts on the pre-written state and runs its first cycle, a full
// read (every case and its comments, one token exchange per credential). Every comment there
// was seen before the start, so that cycle must enqueue nothing.
import { describeEndpoints, trackCycles, watchSends, type CycleRecord } from '../_meters.js';
import { fmt } from '../report.js';
import { compact, launchDaemon, startupTimeoutMs, type Bench, type Session } from '../session.js';

export interface Started {
  session: Session;
  first: CycleRecord;
  /** From spawn to the end of the first cycle, ms. */
  startupMs: number;
}

export async function startDaemon(bench: Bench): Promise<Started> {
  const { telegram, portal, dbPath, configPath, subscriptions, rows, figures, say } = bench;
  // Watching before the spawn: a message the first cycle sends is an old comment resent.
  const watcher = watchSends(telegram);
  bench.cleanup.add('stop watching Telegram', async () => watcher.stop());
  const startedAt = performance.now();
  const daemon = launchDaemon(bench, configPath, 'daemon');
  const tracker = trackCycles({ daemon, portal, dbPath });
  say(`daemon pid ${daemon.pid} started; waiting for its first cycle (every case read)`);
  const first = await tracker.waitForCycle(
    (c) => c.cycle === 1,
    startupTimeoutMs(subscriptions),
    'the first poll cycle',
  );
  const startupMs = first.doneAt - startedAt;

  rows.add('start', {
    measure: 'Start: first cycle (every case and its comments + token exchanges)',
    value:
      `${fmt(first.fake.total)} requests (${first.fake.token} token, ${describeEndpoints(first.fake)}), ` +
      `${fmt(first.durationMs)} ms; ${fmt(startupMs)} ms from spawn to its end; ` +
      `${first.storeWrites} store writes, ${first.enqueued} messages enqueued`,
    target: '0 enqueued',
    pass: first.enqueued === 0,
  });
  figures.startup = { startupMs, first: compact(first) };
  return { session: { ...bench, daemon, tracker, watcher }, first, startupMs };
}
