// Phase 5, stop: the last readings of the running daemon (memory, CPU, db.json's size), then
// SIGTERM: it must exit 0 and leave a valid db.json with an empty outbox, with no error in its
// log and no message sent twice or without a bench token during the whole run.
import { statSync } from 'node:fs';
import { cpuTimeMs, memoryMB } from '../_daemon-process.js';
import { fmt } from '../report.js';
import { compact, MS_PER_S, readOutboxLength, type Session } from '../session.js';
import type { LatencySample } from './latency.js';

/** Warning and error lines quoted in the health row (all of them are in the JSON figures). */
const NOTABLE_SHOWN = 3;

export interface Stopped {
  /** Memory just before the SIGTERM: VmHWM is the peak of the whole run. */
  endMemory: ReturnType<typeof memoryMB>;
}

export async function stopAndCheck(
  session: Session,
  context: { samples: readonly LatencySample[]; dbBytesAtStart: number },
): Promise<Stopped> {
  const { subscriptions, portal, dbPath, daemon, tracker, watcher, rows, figures, say } = session;
  const { samples, dbBytesAtStart } = context;
  const endMemory = memoryMB(daemon.pid);
  const daemonCpuTotal = cpuTimeMs(daemon.pid);
  const dbBytes = statSync(dbPath).size;
  const latencyDuplicated = samples.filter((s) => watcher.arrivals(s.token).length > 1).length;
  say('stopping the daemon (SIGTERM)');
  const stopStart = performance.now();
  const exit = await daemon.stop('SIGTERM');
  const stopMs = performance.now() - stopStart;
  // The fake's counts restart at every cycle line: these are the requests of a cycle (or sweep)
  // still in flight at the SIGTERM.
  const requestsAfterLastCycle = portal.requests.length;
  let finalState = 'valid';
  let finalOutbox = -1;
  try {
    finalOutbox = await readOutboxLength(dbPath);
  } catch (err) {
    finalState = `invalid: ${(err as Error).message}`;
  }
  const warnings = daemon.levels.get('warn') ?? 0;
  const errors = (daemon.levels.get('error') ?? 0) + (daemon.levels.get('fatal') ?? 0);
  rows.add(
    'stop',
    {
      measure: 'db.json size',
      value: `${fmt(dbBytesAtStart / 1024)} KiB at start, ${fmt(dbBytes / 1024)} KiB at the end (${fmt(dbBytes / subscriptions)} bytes per subscription)`,
      target: '',
      pass: undefined,
    },
    {
      measure: 'Daemon health',
      value:
        `SIGTERM → exit ${exit.code ?? exit.signal} in ${fmt(stopMs)} ms; db.json ${finalState}, outbox ${finalOutbox}; ` +
        `${fmt(requestsAfterLastCycle)} portal requests after the last cycle line; ` +
        `log: ${warnings} warnings, ${errors} errors${
          daemon.notable.length > 0
            ? ` (${daemon.notable.slice(0, NOTABLE_SHOWN).join('; ')}${daemon.notable.length > NOTABLE_SHOWN ? '; …' : ''})`
            : ''
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
    },
  );
  figures.db = { startBytes: dbBytesAtStart, endBytes: dbBytes };
  // Every cycle, without the per-request round trips (large at 10,000 subscriptions).
  figures.cycles = tracker.cycles.map(compact);
  figures.health = {
    exit,
    stopMs,
    requestsAfterLastCycle,
    finalState,
    finalOutbox,
    warnings,
    errors,
    notable: daemon.notable,
    latencyDuplicated,
  };
  return { endMemory };
}
