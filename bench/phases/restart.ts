// Phase 6, restart: the daemon again, on the db.json its clean stop left. Its first cycle should
// ask the filter from the checkpoints the stop saved instead of reading every case; its memory
// is read a few cycles later.
import { memoryMB } from '../_daemon-process.js';
import { describeEndpoints, trackCycles } from '../_meters.js';
import { fmt } from '../report.js';
import { compact, launchDaemon, startupTimeoutMs, type Bench } from '../session.js';

/** Cycles watched after a restart before its memory is read. */
const RESTART_CYCLES = 3;

export async function measureRestart(bench: Bench): Promise<void> {
  const { portal, dbPath, configPath, subscriptions, rows, figures, say } = bench;
  say('restarting the daemon on the same db.json');
  const daemon = launchDaemon(bench, configPath, 'restarted daemon');
  const tracker = trackCycles({ daemon, portal, dbPath });
  const first = await tracker.waitForCycle(
    (c) => c.cycle === 1,
    startupTimeoutMs(subscriptions),
    'the first cycle after the restart',
  );
  await tracker.waitForCycle(
    (c) => c.cycle === 1 + RESTART_CYCLES,
    startupTimeoutMs(subscriptions),
    'the cycles after the restart',
  );
  const memory = memoryMB(daemon.pid);
  const exit = await daemon.stop('SIGTERM');
  rows.add('restart', {
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
}
