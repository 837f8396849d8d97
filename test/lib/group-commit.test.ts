import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGroupCommit, writeTogetherOrAlone } from '../../src/lib/group-commit.js';

/** A write that waits until the test lets it finish, and remembers every batch it was given. */
function heldWrites<T>() {
  const batches: T[][] = [];
  const pending: { finish: () => void; fail: (err: Error) => void }[] = [];
  const write = (batch: readonly T[]): Promise<string[]> => {
    batches.push([...batch]);
    return new Promise<string[]>((resolve, reject) => {
      pending.push({
        finish: () => resolve(batch.map((item) => `written ${String(item)}`)),
        fail: reject,
      });
    });
  };
  const next = () => {
    const p = pending.shift();
    assert.ok(p, 'a write is in flight');
    return p;
  };
  return { batches, write, next };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('writes the first item at once, alone', async () => {
    const w = heldWrites<string>();
    const commit = createGroupCommit(w.write);
    const a = commit('a');
    assert.deepEqual(w.batches, [['a']], 'the write started in the same tick');
    w.next().finish();
    assert.equal(await a, 'written a');
  });

  it('writes items that arrive while a write is in flight together, by the next write, in order', async () => {
    const w = heldWrites<string>();
    const commit = createGroupCommit(w.write);
    const all = ['a', 'b', 'c', 'd'].map((item) => commit(item));
    assert.deepEqual(w.batches, [['a']], 'b, c and d wait for the write of a');
    w.next().finish();
    await settle();
    assert.deepEqual(w.batches, [['a'], ['b', 'c', 'd']]);
    const e = commit('e');
    w.next().finish();
    await settle();
    assert.deepEqual(w.batches, [['a'], ['b', 'c', 'd'], ['e']]);
    w.next().finish();
    assert.deepEqual(await Promise.all([...all, e]), [
      'written a',
      'written b',
      'written c',
      'written d',
      'written e',
    ]);
  });

  it('never runs two writes at once', async () => {
    let inFlight = 0;
    let most = 0;
    const commit = createGroupCommit(async (batch: readonly number[]) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await settle();
      inFlight--;
      return batch.map((n) => n * 2);
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        for (let k = 0; k < i % 3; k++) await settle();
        return commit(i);
      }),
    );
    assert.equal(most, 1);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
  });

  it('gives each item its own result', async () => {
    const commit = createGroupCommit(async (batch: readonly string[]) =>
      batch.map((item) => item !== 'bad'),
    );
    assert.deepEqual(await Promise.all([commit('a'), commit('bad'), commit('c')]), [
      true,
      false,
      true,
    ]);
  });

  it('rejects the items of a failing write only, and writes the next batch as usual', async () => {
    const w = heldWrites<string>();
    const commit = createGroupCommit(w.write);
    const a = commit('a');
    const b = commit('b');
    const c = commit('c');
    w.next().finish();
    await settle();
    const d = commit('d');
    w.next().fail(new Error('disk full'));
    await assert.rejects(b, /disk full/);
    await assert.rejects(c, /disk full/);
    assert.equal(await a, 'written a');
    assert.deepEqual(w.batches, [['a'], ['b', 'c'], ['d']]);
    w.next().finish();
    assert.equal(await d, 'written d');
    // Idle again (once the drain loop has ended): the next item is written at once.
    await settle();
    const e = commit('e');
    assert.deepEqual(w.batches.at(-1), ['e']);
    w.next().finish();
    assert.equal(await e, 'written e');
  });

  it('rejects a batch whose write answers the wrong number of results (a bug), and goes on', async () => {
    let calls = 0;
    const commit = createGroupCommit(async (batch: readonly string[]) => {
      calls++;
      return calls === 1 ? [] : batch.map(() => 'ok');
    });
    await assert.rejects(commit('a'), /0 results for 1 items/);
    assert.equal(await commit('b'), 'ok');
  });
});

describe('write together or alone', () => {
  it('writes all items in one write when it succeeds', async () => {
    const writes: string[][] = [];
    const written = await writeTogetherOrAlone(['a', 'b', 'c'], async (items) => {
      writes.push([...items]);
      return true;
    });
    assert.deepEqual(written, [true, true, true]);
    assert.deepEqual(writes, [['a', 'b', 'c']]);
  });

  it('after a failed write of several, writes each alone so one bad item holds no other back', async () => {
    const writes: string[][] = [];
    const written = await writeTogetherOrAlone(['a', 'bad', 'c'], async (items) => {
      writes.push([...items]);
      return !items.includes('bad');
    });
    assert.deepEqual(written, [true, false, true]);
    assert.deepEqual(writes, [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('does not write a single item twice', async () => {
    let calls = 0;
    const written = await writeTogetherOrAlone(['bad'], async () => {
      calls++;
      return false;
    });
    assert.deepEqual(written, [false]);
    assert.equal(calls, 1);
  });
});
