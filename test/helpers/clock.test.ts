// The manual clock drives the scheduler and the delivery worker in their tests, so what those
// tests say about timing is only as true as these rules: they pin that it behaves like time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/domain.js';
import { manualClock } from '../_helpers/clock.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

describe('manual clock', () => {
  it('stands still until moved, and can be turned back', async () => {
    const clock = manualClock(T0);
    assert.equal(clock.now(), T0);
    await clock.advance(1500);
    assert.equal(clock.now(), T0 + 1500);
    await clock.set(T0 + 60_000);
    assert.equal(clock.now(), T0 + 60_000);
    await clock.advance(-60_000);
    assert.equal(clock.now(), T0);
  });

  it('wakes due sleeps in deadline order, each seeing its own deadline as now', async () => {
    const clock = manualClock(T0);
    const woke: [string, number][] = [];
    const nap = (name: string, ms: number) =>
      void clock.sleep(ms).then(() => woke.push([name, clock.now()]));
    nap('late', 300);
    nap('early', 100);
    nap('tie-first', 200);
    nap('tie-second', 200);
    nap('not due', 301);
    assert.deepEqual(clock.pending(), [T0 + 100, T0 + 200, T0 + 200, T0 + 300, T0 + 301]);
    await clock.advance(300);
    assert.deepEqual(woke, [
      ['early', T0 + 100],
      ['tie-first', T0 + 200],
      ['tie-second', T0 + 200],
      ['late', T0 + 300],
    ]);
    assert.deepEqual(clock.pending(), [T0 + 301]);
    assert.equal(clock.now(), T0 + 300);
  });

  it('wakes a sleep begun during the step when it falls due within it', async () => {
    const clock = manualClock(T0);
    const ticks: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1000);
        ticks.push(clock.now());
      }
    };
    void loop();
    await clock.advance(2500);
    assert.deepEqual(ticks, [T0 + 1000, T0 + 2000]);
    await clock.advance(500);
    assert.deepEqual(ticks, [T0 + 1000, T0 + 2000, T0 + 3000]);
  });

  it('lets what is runnable now run before time moves', async () => {
    const clock = manualClock(T0);
    const sleptAt: number[] = [];
    // The sleep begins only after a few awaits: advance() must not have moved time yet.
    void (async () => {
      await Promise.resolve();
      await new Promise<void>((resolve) => setImmediate(resolve));
      sleptAt.push(clock.now());
      await clock.sleep(1000);
      sleptAt.push(clock.now());
    })();
    await clock.advance(5000);
    assert.deepEqual(sleptAt, [T0, T0 + 1000]);
  });

  it('ends a sleep early when its signal aborts, and one already over at once', async () => {
    const clock = manualClock(T0);
    const abort = new AbortController();
    let ended = false;
    void clock.sleep(60_000, { signal: abort.signal }).then(() => {
      ended = true;
    });
    await clock.flush();
    assert.equal(ended, false);
    abort.abort();
    await clock.flush();
    assert.equal(ended, true);
    assert.deepEqual(clock.pending(), [], 'an aborted sleep is gone');
    assert.equal(clock.now(), T0, 'without moving time');
    await clock.sleep(10, { signal: abort.signal }); // already aborted: resolves at once
    await clock.sleep(0);
    assert.equal(clock.now(), T0);
  });

  it('tells when the code under test has reached a wait', async () => {
    const clock = manualClock(T0);
    let reached = false;
    void clock.sleeping(2).then(() => {
      reached = true;
    });
    void clock.sleep(10);
    await clock.flush();
    assert.equal(reached, false);
    void clock.sleep(20);
    await clock.flush();
    assert.equal(reached, true);
  });
});

describe('system clock', () => {
  it('sleeps for real, and ends early without an error when aborted', async () => {
    const started = Date.now();
    await systemClock.sleep(20);
    assert.ok(Date.now() - started >= 15, 'slept');
    const abort = new AbortController();
    const sleeping = systemClock.sleep(60_000, { signal: abort.signal, ref: false });
    abort.abort();
    await sleeping;
    await systemClock.sleep(60_000, { signal: abort.signal });
    assert.ok(Date.now() - started < 5_000, 'the aborted sleeps ended at once');
  });
});
