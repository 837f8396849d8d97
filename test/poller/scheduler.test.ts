import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHeartbeat, heartbeatPathFrom } from '../../src/healthcheck.js';
import { createScheduler, jitteredIntervalMs, writeHeartbeat } from '../../src/poller/scheduler.js';
import { collectLogs, manualClock, recordingReporter, tempDir } from './_support.js';

const HEALTHCHECK = fileURLToPath(new URL('../../src/healthcheck.ts', import.meta.url));
const T0 = Date.parse('2026-03-01T12:00:00Z');
const MINUTE_MS = 60_000;

describe('scheduler', () => {
  it('jitters the interval by at most ±10 %', () => {
    assert.equal(
      jitteredIntervalMs(60_000, () => 0),
      54_000,
    );
    assert.equal(
      jitteredIntervalMs(60_000, () => 0.5),
      60_000,
    );
    assert.ok(jitteredIntervalMs(60_000, () => 0.999_999) <= 66_000);
    assert.ok(jitteredIntervalMs(60_000, () => 0.999_999) > 65_990);
  });

  it('never overlaps cycles: one that outlasts the interval is followed at once, not joined', async () => {
    const clock = manualClock(T0);
    let running = 0;
    let maxRunning = 0;
    const starts: number[] = [];
    const scheduler = createScheduler({
      intervalMs: MINUTE_MS,
      runCycle: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        starts.push(clock.now());
        // Each cycle takes a minute and a half: longer than the interval.
        await clock.sleep(90_000);
        running--;
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock,
      random: () => 0.5,
    });
    scheduler.start();
    scheduler.start(); // a second start is ignored
    await clock.flush();
    await clock.advance(MINUTE_MS);
    assert.deepEqual(starts, [T0], 'no second cycle while the first runs');
    await clock.advance(30_000);
    await clock.advance(90_000);
    assert.deepEqual(starts, [T0, T0 + 90_000, T0 + 180_000], 'each starts when the last ended');
    const stopping = scheduler.stop();
    await clock.advance(90_000);
    await stopping;
    assert.deepEqual(starts, [T0, T0 + 90_000, T0 + 180_000]);
    assert.equal(maxRunning, 1);
  });

  it('runs one cycle per jittered interval, measured start to start', async () => {
    const clock = manualClock(T0);
    const starts: number[] = [];
    // 0.5 keeps the interval as it is; 0 shortens it by the full 10 %.
    const randoms = [0.5, 0, 0.5];
    const scheduler = createScheduler({
      intervalMs: MINUTE_MS,
      runCycle: async () => {
        starts.push(clock.now());
        await clock.sleep(10_000); // the cycle's own duration counts into the interval
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock,
      random: () => randoms.shift() ?? 0.5,
    });
    scheduler.start();
    await clock.advance(10_000);
    assert.deepEqual(
      clock.pending(),
      [T0 + MINUTE_MS],
      'sleeps until one interval after the start',
    );
    await clock.advance(MINUTE_MS - 10_000 - 1);
    assert.deepEqual(starts, [T0]);
    await clock.advance(1);
    assert.deepEqual(starts, [T0, T0 + MINUTE_MS]);
    await clock.advance(MINUTE_MS);
    assert.deepEqual(starts, [T0, T0 + MINUTE_MS, T0 + MINUTE_MS + 54_000]);
    const stopping = scheduler.stop();
    await clock.advance(10_000);
    await stopping;
  });

  it('wakes from its sleep at once on stop', async () => {
    const clock = manualClock(T0);
    let cycles = 0;
    const scheduler = createScheduler({
      intervalMs: MINUTE_MS,
      runCycle: async () => {
        cycles++;
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock,
    });
    scheduler.start();
    await clock.sleeping();
    let stopped = false;
    void scheduler.stop().then(() => {
      stopped = true;
    });
    await clock.flush();
    assert.equal(stopped, true, 'stop() waited for the sleep to end');
    assert.deepEqual(clock.pending(), [], 'the sleep was ended, not left behind');
    assert.equal(clock.now(), T0);
    await clock.advance(10 * MINUTE_MS);
    assert.equal(cycles, 1);
  });

  it('lets the cycle in progress finish on stop, then runs no other', async () => {
    const clock = manualClock(T0);
    let release: (() => void) | undefined;
    let started = 0;
    let finished = 0;
    const scheduler = createScheduler({
      intervalMs: MINUTE_MS,
      runCycle: async () => {
        started++;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        finished++;
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock,
    });
    scheduler.start();
    await clock.flush();
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await clock.flush();
    assert.equal(stopped, false, 'stop() waits for the cycle in progress');
    release!();
    await stopping;
    assert.equal(finished, 1);
    await clock.advance(10 * MINUTE_MS);
    assert.equal(started, 1);
    assert.deepEqual(clock.pending(), []);
  });

  it('survives a failing cycle: logs it, reports it, and runs the next on time', async () => {
    const clock = manualClock(T0);
    const starts: number[] = [];
    const logs = collectLogs('warn');
    const reporter = recordingReporter();
    const scheduler = createScheduler({
      intervalMs: MINUTE_MS,
      runCycle: async () => {
        starts.push(clock.now());
        if (starts.length === 1) throw new Error('portal exploded');
      },
      logger: logs.logger,
      reporter,
      clock,
      random: () => 0.5,
    });
    after(() => scheduler.stop());
    scheduler.start();
    await clock.advance(2 * MINUTE_MS);
    assert.deepEqual(starts, [T0, T0 + MINUTE_MS, T0 + 2 * MINUTE_MS]);
    assert.equal(reporter.reports.length, 1);
    assert.equal(reporter.reports[0]!.component, 'poller');
    assert.equal(logs.count(/poll cycle failed/), 1);
  });

  it('writes the heartbeat after each cycle, failed ones included', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const path = join(dir.path, 'data', 'heartbeat');
    const clock = manualClock(Date.parse('2026-03-01T12:00:00Z'));
    let cycles = 0;
    const scheduler = createScheduler({
      intervalMs: 30_000,
      runCycle: async () => {
        cycles++;
        throw new Error('fails, but the loop is alive');
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock,
      heartbeatPath: path,
      random: () => 0.5,
    });
    after(() => scheduler.stop());
    const heartbeat = async () => JSON.parse(await readFile(path, 'utf8')) as unknown;
    scheduler.start();
    // The loop sleeps only once the heartbeat is written (a real file: its I/O is awaited).
    await clock.sleeping();
    assert.deepEqual(await heartbeat(), { at: '2026-03-01T12:00:00.000Z', intervalSeconds: 30 });
    await clock.advance(30_000);
    await clock.sleeping();
    assert.deepEqual(await heartbeat(), { at: '2026-03-01T12:00:30.000Z', intervalSeconds: 30 });
    await scheduler.stop();
    assert.deepEqual(await readdir(join(dir.path, 'data')), ['heartbeat'], 'no temp file left');
    assert.equal(cycles, 2);
  });
});

describe('health check', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const beat = (agoMs: number, intervalSeconds = 60) =>
    JSON.stringify({ at: new Date(now - agoMs).toISOString(), intervalSeconds });

  it('is healthy while the heartbeat is younger than 3 intervals + 60 s', () => {
    assert.equal(checkHeartbeat(beat(0), now).healthy, true);
    assert.equal(checkHeartbeat(beat(240_000), now).healthy, true);
    assert.equal(checkHeartbeat(beat(240_001), now).healthy, false);
    assert.equal(checkHeartbeat(beat(100_000, 10), now).healthy, false);
    assert.match(checkHeartbeat(beat(600_000), now).reason, /stuck/);
  });

  it('is unhealthy on a heartbeat it cannot read', () => {
    assert.equal(checkHeartbeat('{', now).healthy, false);
    assert.equal(checkHeartbeat('{"at":"yesterday","intervalSeconds":60}', now).healthy, false);
  });

  it('finds the heartbeat from its argument, then beside PUSHBOT_DB_PATH, then ./data', () => {
    assert.equal(heartbeatPathFrom(['/x/hb'], { PUSHBOT_DB_PATH: '/y/db.json' }), '/x/hb');
    assert.equal(heartbeatPathFrom([], { PUSHBOT_DB_PATH: '/y/db.json' }), '/y/heartbeat');
    assert.equal(heartbeatPathFrom([], {}), join(process.cwd(), 'data', 'heartbeat'));
  });

  it('exits 0 for a fresh heartbeat and 1 for a missing one, as a process', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const path = join(dir.path, 'heartbeat');
    await writeHeartbeat(path, { at: new Date().toISOString(), intervalSeconds: 60 });
    const run = (p: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', HEALTHCHECK, p], {
        encoding: 'utf8',
        timeout: 20_000,
      });
    const healthy = run(path);
    assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
    assert.match(healthy.stdout, /^healthy/);
    const missing = run(join(dir.path, 'nope'));
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /no heartbeat/);
    await writeFile(path, JSON.stringify({ at: '2020-01-01T00:00:00Z', intervalSeconds: 60 }));
    assert.equal(run(path).status, 1);
  });
});
