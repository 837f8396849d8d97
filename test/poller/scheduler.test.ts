import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHeartbeat, heartbeatPathFrom } from '../../src/healthcheck.js';
import { createScheduler, jitteredIntervalMs, writeHeartbeat } from '../../src/poller/scheduler.js';
import { systemClock } from '../../src/domain.js';
import { collectLogs, recordingReporter, tempDir, waitFor } from './_support.js';

const HEALTHCHECK = fileURLToPath(new URL('../../src/healthcheck.ts', import.meta.url));

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

  it('never overlaps cycles, even when a cycle outlasts the interval', async () => {
    let running = 0;
    let maxRunning = 0;
    let cycles = 0;
    const scheduler = createScheduler({
      intervalMs: 5,
      runCycle: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 25));
        running--;
        cycles++;
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock: systemClock,
    });
    scheduler.start();
    scheduler.start(); // a second start is ignored
    await waitFor(() => cycles >= 4);
    await scheduler.stop();
    assert.equal(maxRunning, 1);
  });

  it('runs one cycle per interval', async () => {
    const starts: number[] = [];
    const scheduler = createScheduler({
      intervalMs: 60,
      runCycle: async () => {
        starts.push(Date.now());
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock: systemClock,
      random: () => 0.5,
    });
    scheduler.start();
    await waitFor(() => starts.length >= 3);
    await scheduler.stop();
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const g of gaps) assert.ok(g >= 55 && g < 400, `gap ${g} ms`);
  });

  it('wakes from its sleep at once on stop', async () => {
    let cycles = 0;
    const scheduler = createScheduler({
      intervalMs: 60_000,
      runCycle: async () => {
        cycles++;
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock: systemClock,
    });
    scheduler.start();
    await waitFor(() => cycles === 1);
    const started = Date.now();
    await scheduler.stop();
    assert.ok(Date.now() - started < 200);
    assert.equal(cycles, 1);
  });

  it('lets the cycle in progress finish on stop, then runs no other', async () => {
    let release: (() => void) | undefined;
    let finished = 0;
    const scheduler = createScheduler({
      intervalMs: 1,
      runCycle: async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        finished++;
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock: systemClock,
    });
    scheduler.start();
    await waitFor(() => release);
    const stopping = scheduler.stop();
    release!();
    await stopping;
    assert.equal(finished, 1);
  });

  it('survives a failing cycle: logs it, reports it, and runs the next', async () => {
    let cycles = 0;
    const logs = collectLogs('warn');
    const reporter = recordingReporter();
    const scheduler = createScheduler({
      intervalMs: 1,
      runCycle: async () => {
        cycles++;
        if (cycles === 1) throw new Error('portal exploded');
      },
      logger: logs.logger,
      reporter,
      clock: systemClock,
    });
    scheduler.start();
    await waitFor(() => cycles >= 3);
    await scheduler.stop();
    assert.equal(reporter.reports.length, 1);
    assert.equal(reporter.reports[0]!.component, 'poller');
    assert.equal(logs.count(/poll cycle failed/), 1);
  });

  it('writes the heartbeat after each cycle, failed ones included', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const path = join(dir.path, 'data', 'heartbeat');
    let cycles = 0;
    const scheduler = createScheduler({
      intervalMs: 30_000,
      runCycle: async () => {
        cycles++;
        throw new Error('fails, but the loop is alive');
      },
      logger: collectLogs('warn').logger,
      reporter: recordingReporter(),
      clock: { now: () => Date.parse('2026-03-01T12:00:00Z') },
      heartbeatPath: path,
    });
    scheduler.start();
    await waitFor(() => existsSync(path), 2000);
    await scheduler.stop();
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), {
      at: '2026-03-01T12:00:00.000Z',
      intervalSeconds: 30,
    });
    assert.deepEqual(await readdir(join(dir.path, 'data')), ['heartbeat'], 'no temp file left');
    assert.equal(cycles, 1);
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
