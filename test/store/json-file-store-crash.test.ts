// The JSON file store against real process deaths: kill -9 in the middle of writes, and the
// lock left behind by a killed process, taken over at once by the next start.
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { parseState, type State } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import {
  collectLogs,
  counter,
  makeChat,
  tempDir,
  startChild,
  waitFor,
  type Child,
} from './_fixtures.js';

const KILL_ITERATIONS = 25;
const KILL_DELAY_MIN_MS = 20;
const KILL_DELAY_MAX_MS = 150;
/** "At once": far below the default stale time (10 s) a killed holder's lock used to cost. */
const TAKEOVER_AT_ONCE_MS = 3_000;
/** Child start-up (tsx, imports) on a slow machine. */
const CHILD_READY_TIMEOUT_MS = 15_000;

async function readValidState(file: string): Promise<State> {
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${text.length} bytes): ${String(err)}`);
  }
  return parseState(raw);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function waitReady(child: Child): Promise<void> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  await waitFor(
    'the child to be ready',
    () => exited || child.stdout().includes('ready\n'),
    CHILD_READY_TIMEOUT_MS,
  );
  assert.ok(child.stdout().includes('ready\n'), `the child did not start: ${child.stderr()}`);
}

describe('JSON file store: crashes', () => {
  let dir: string;
  let path: string;
  let removeDir: () => Promise<void>;
  const opened: StateStore[] = [];
  const children: Child[] = [];

  beforeEach(async () => {
    ({ path: dir, remove: removeDir } = await tempDir('pushbot-store-'));
    path = join(dir, 'db.json');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGKILL');
      }
      await child.exited;
    }
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await removeDir();
  });

  it(`never leaves an unparsable or invalid db.json when killed -9 mid-write (${KILL_ITERATIONS} times)`, async () => {
    let onDisk = 0;
    let acknowledgedTotal = 0;
    const delays: number[] = [];
    for (let i = 0; i < KILL_ITERATIONS; i++) {
      const child = startChild([path, 'write-loop']);
      children.push(child);
      await waitReady(child);
      const delay =
        KILL_DELAY_MIN_MS + Math.floor(Math.random() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS + 1));
      delays.push(delay);
      // The random moment is the point of this test: no condition to wait for instead.
      await new Promise((r) => setTimeout(r, delay));
      child.process.kill('SIGKILL');
      const { signal } = await child.exited;
      const context = `iteration ${i}, kill after ${delay} ms; stderr: ${child.stderr()}`;
      assert.equal(signal, 'SIGKILL', `the child was still writing when killed (${context})`);

      const acknowledged = [...child.stdout().matchAll(/committed (\d+)\n/g)].map((m) =>
        Number(m[1]),
      );
      acknowledgedTotal += acknowledged.length;
      const lastAcknowledged = acknowledged.at(-1) ?? onDisk;

      const state = await readValidState(path);
      const list = counter(state);
      // Every acknowledged write is on disk; at most the one in flight went further.
      assert.ok(
        list.length === lastAcknowledged || list.length === lastAcknowledged + 1,
        `db.json has ${list.length} writes, the child acknowledged ${lastAcknowledged} (${context})`,
      );
      assert.deepEqual(
        list,
        Array.from({ length: list.length }, (_, k) => `n${k + 1}`),
        `no write lost or repeated (${context})`,
      );
      if (await exists(`${path}.bak`)) {
        const backup = counter(await readValidState(`${path}.bak`));
        assert.ok(backup.length <= list.length, `the backup is an older version (${context})`);
      }
      onDisk = list.length;
      // kill -9 left the child's lock behind: the next child takes it over at once (its pid no
      // longer runs), so every iteration also exercises that takeover.
    }
    assert.ok(
      acknowledgedTotal >= KILL_ITERATIONS,
      `the children wrote (${acknowledgedTotal} acknowledged writes; delays ${delays.join(', ')} ms)`,
    );

    // The next start cleans up whatever the last kill left half done.
    const store = await openJsonFileStore({ path, logger: collectLogs().logger });
    opened.push(store);
    assert.equal(counter(store.read() as State).length, onDisk);
    const leftovers = (await readdir(dir)).filter((name) => /tmp/.test(name));
    assert.deepEqual(leftovers, []);
  });

  it('takes over the lock of a process killed with -9 at once, well before it goes stale', async () => {
    const child = startChild([path, 'hold']);
    children.push(child);
    await waitReady(child);
    child.process.kill('SIGKILL');
    await child.exited;
    const deadPid = child.process.pid;

    // The default stale time (10 s): the old code refused every start until it had passed.
    const logs = collectLogs();
    const started = Date.now();
    const store = await openJsonFileStore({ path, logger: logs.logger });
    opened.push(store);
    const ms = Date.now() - started;
    assert.ok(ms < TAKEOVER_AT_ONCE_MS, `took ${ms} ms`);
    const why = logs.lines.filter((l) => l.includes('taking over the lock'));
    assert.equal(why.length, 1, logs.lines.join('\n'));
    assert.ok(why[0]?.includes(`pid ${deadPid}`), why[0]);
    assert.match(why[0] ?? '', /no longer runs/);
    assert.match(await readFile(`${path}.owner.json`, 'utf8'), new RegExp(`"pid":${process.pid},`));
    await store.update((draft) => {
      draft.chats['1'] = makeChat(1);
    });
    assert.ok((await readValidState(path)).chats['1']);
  });

  it('releases the lock when the process is stopped with SIGTERM', async () => {
    const child = startChild([path, 'hold']);
    children.push(child);
    await waitReady(child);
    assert.equal(await exists(`${path}.lock`), true);
    child.process.kill('SIGTERM');
    await child.exited;
    assert.equal(await exists(`${path}.lock`), false);
    const store = await openJsonFileStore({ path, logger: collectLogs().logger });
    opened.push(store);
  });
});
