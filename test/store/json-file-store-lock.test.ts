// Who may take a lock that is already there: the JSON file store against lock folders and owner
// files as a crashed, rebooted, restarted or still running holder leaves them. A holder proven
// gone is replaced at once; a running one is refused at once; one that cannot be checked from
// here (another host) is waited for until its lock goes stale.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { StoreError, type StateStore } from '../../src/store/store.js';
import { collectLogs, makeChat, tempDir, waitFor, type LogCollector } from './_fixtures.js';

/** The shortest stale time proper-lockfile accepts: keeps the waiting tests short. */
const SHORT_STALE_MS = 2_000;
/** "At once": far below the default stale time (10 s) that the old code made a restart wait. */
const AT_ONCE_MS = 3_000;
const ON_LINUX = process.platform === 'linux';
const NEEDS_PROC = !ON_LINUX && 'needs /proc (Linux)';

/** What /proc says about a pid: the facts the owner file records on Linux. */
async function startTimeOf(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
  const field = text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  assert.ok(field, `no start time in /proc/${pid}/stat`);
  return field;
}

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
}

async function pidNamespace(): Promise<string> {
  return readlink('/proc/self/ns/pid');
}

function messages(logs: LogCollector): { level: string; msg: string }[] {
  return logs.lines.map((l) => JSON.parse(l) as { level: string; msg: string });
}

describe('JSON file store: taking over a held lock', () => {
  let dir: string;
  let path: string;
  let removeDir: () => Promise<void>;
  const opened: StateStore[] = [];
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    ({ path: dir, remove: removeDir } = await tempDir('pushbot-store-'));
    path = join(dir, 'db.json');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await removeDir();
  });

  /** The lock folder and owner file a holder leaves; the lock's mtime is its last refresh. */
  async function leaveLock(owner: Record<string, unknown>, refreshedAt?: Date): Promise<void> {
    await mkdir(`${path}.lock`);
    if (refreshedAt) await utimes(`${path}.lock`, refreshedAt, refreshedAt);
    await writeFile(`${path}.owner.json`, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  }

  /** A process that runs, is not a daemon and never touches the lock. */
  async function startOtherProcess(): Promise<number> {
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    assert.ok(child.pid);
    return child.pid;
  }

  async function openTimed(
    logs: LogCollector,
    extra: { lockStaleMs?: number; signal?: AbortSignal } = {},
  ): Promise<{ store: StateStore; ms: number }> {
    const started = Date.now();
    const store = await openJsonFileStore({ path, logger: logs.logger, ...extra });
    opened.push(store);
    return { store, ms: Date.now() - started };
  }

  async function readOwner(): Promise<{ pid?: unknown; hostname?: unknown }> {
    return JSON.parse(await readFile(`${path}.owner.json`, 'utf8')) as {
      pid?: unknown;
      hostname?: unknown;
    };
  }

  async function assertOwnedByUs(store: StateStore): Promise<void> {
    assert.equal((await readOwner()).pid, process.pid);
    await store.update((draft) => {
      draft.chats['1'] = makeChat(1);
    });
  }

  describe('takes over at once when the holder is provably gone', () => {
    it('an owner file naming our own pid, written before this process started (a restart reused the pid)', async () => {
      // The format earlier versions wrote: nothing but pid, hostname and startedAt.
      await leaveLock(
        { pid: process.pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z' },
        new Date(),
      );
      const logs = collectLogs();
      const { store, ms } = await openTimed(logs);
      assert.ok(ms < AT_ONCE_MS, `took ${ms} ms`);
      const info = messages(logs).filter((m) => /taking over the lock/.test(m.msg));
      assert.equal(info.length, 1, logs.lines.join('\n'));
      assert.equal(info[0]?.level, 'info');
      assert.match(info[0]?.msg ?? '', /our own pid/);
      await assertOwnedByUs(store);
    });

    it(
      'our own pid recorded in an earlier PID namespace (a container restarted)',
      { skip: NEEDS_PROC },
      async () => {
        const thisProcessStarted = Date.now() - process.uptime() * 1000;
        const before = new Date(thisProcessStarted - 1_000);
        await leaveLock(
          {
            pid: process.pid,
            hostname: hostname(),
            startedAt: before.toISOString(),
            bootId: await bootId(),
            pidNamespace: 'pid:[4026500001]',
            pidStartTime: '1',
          },
          before,
        );
        const logs = collectLogs();
        // Long enough that the lock is fresh by its mtime: only the proof lets it be taken.
        const lockStaleMs = Math.ceil(process.uptime() * 1000) + 60_000;
        const { store, ms } = await openTimed(logs, { lockStaleMs });
        assert.ok(ms < AT_ONCE_MS, `took ${ms} ms`);
        assert.ok(
          messages(logs).some((m) => /taking over the lock.*PID namespace/.test(m.msg)),
          logs.lines.join('\n'),
        );
        await assertOwnedByUs(store);
      },
    );

    it(
      'a recorded pid that now belongs to another process (its start time differs)',
      { skip: NEEDS_PROC },
      async () => {
        const pid = await startOtherProcess();
        await leaveLock(
          {
            pid,
            hostname: hostname(),
            startedAt: new Date().toISOString(),
            bootId: await bootId(),
            pidNamespace: await pidNamespace(),
            pidStartTime: String(Number(await startTimeOf(pid)) - 1),
          },
          new Date(),
        );
        const logs = collectLogs();
        const { store, ms } = await openTimed(logs);
        assert.ok(ms < AT_ONCE_MS, `took ${ms} ms`);
        assert.ok(
          messages(logs).some((m) => /taking over the lock.*another process/.test(m.msg)),
          logs.lines.join('\n'),
        );
        await assertOwnedByUs(store);
      },
    );

    it(
      'a lock from before this machine booted (another boot id: power loss, reboot)',
      { skip: NEEDS_PROC },
      async () => {
        // Even a pid that runs now proves nothing once the machine rebooted.
        const pid = await startOtherProcess();
        const bootedAt = Date.now() - uptime() * 1000;
        const before = new Date(bootedAt - 60_000);
        await leaveLock(
          {
            pid,
            hostname: hostname(),
            startedAt: before.toISOString(),
            bootId: '00000000-0000-4000-8000-000000000000',
            pidNamespace: await pidNamespace(),
            pidStartTime: await startTimeOf(pid),
          },
          before,
        );
        const logs = collectLogs();
        const lockStaleMs = Math.ceil(uptime() * 1000) + 120_000;
        const { store, ms } = await openTimed(logs, { lockStaleMs });
        assert.ok(ms < AT_ONCE_MS, `took ${ms} ms`);
        assert.ok(
          messages(logs).some((m) => /taking over the lock.*rebooted/.test(m.msg)),
          logs.lines.join('\n'),
        );
        await assertOwnedByUs(store);
      },
    );
  });

  describe('refuses at once when the holder runs', () => {
    it('a running process with the recorded start time', { skip: NEEDS_PROC }, async () => {
      const pid = await startOtherProcess();
      await leaveLock(
        {
          pid,
          hostname: hostname(),
          startedAt: new Date().toISOString(),
          bootId: await bootId(),
          pidNamespace: await pidNamespace(),
          pidStartTime: await startTimeOf(pid),
        },
        new Date(),
      );
      const started = Date.now();
      await assert.rejects(
        openJsonFileStore({ path, logger: collectLogs().logger }),
        (err) =>
          err instanceof StoreError &&
          err.message.includes(`${path}.lock`) &&
          err.message.includes(`pid ${pid}`) &&
          /Stop the other instance first/.test(err.message),
      );
      assert.ok(Date.now() - started < AT_ONCE_MS);
      // Left as it was: the holder still owns it.
      assert.equal((await readOwner()).pid, pid, 'the owner file was left alone');
    });

    it('this very process, which already has the store open', async () => {
      const first = (await openTimed(collectLogs())).store;
      const started = Date.now();
      await assert.rejects(
        openJsonFileStore({ path, logger: collectLogs().logger }),
        (err) =>
          err instanceof StoreError &&
          err.message.includes(`pid ${process.pid}`) &&
          /already using/.test(err.message),
      );
      assert.ok(Date.now() - started < AT_ONCE_MS);
      await first.update((draft) => {
        draft.chats['1'] = makeChat(1);
      });
    });
  });

  describe('waits for the lock to go stale when the holder cannot be checked', () => {
    const otherHost = {
      pid: 4242,
      hostname: 'another-host.example',
      startedAt: '2024-05-01T10:00:00.000Z',
    };

    it('a lock taken on another host: logs once that it waits and why, then takes it once stale', async () => {
      await leaveLock(otherHost, new Date());
      const logs = collectLogs();
      const { store, ms } = await openTimed(logs, { lockStaleMs: SHORT_STALE_MS });
      assert.ok(ms >= SHORT_STALE_MS - 500, `took it after ${ms} ms, before it went stale`);
      assert.ok(ms < SHORT_STALE_MS + 3_000, `took ${ms} ms`);
      const waiting = messages(logs).filter((m) => /waiting for the lock/.test(m.msg));
      assert.equal(waiting.length, 1, logs.lines.join('\n'));
      assert.match(waiting[0]?.msg ?? '', /another-host\.example/);
      await assertOwnedByUs(store);
    });

    it('refuses when the lock is refreshed meanwhile: its holder is alive elsewhere', async () => {
      await leaveLock(otherHost, new Date(Date.now() - 500));
      const logs = collectLogs();
      const opening = openJsonFileStore({
        path,
        logger: logs.logger,
        lockStaleMs: SHORT_STALE_MS,
      }).then((store) => {
        opened.push(store);
        return store;
      });
      await waitFor('the wait to be logged', () =>
        logs.lines.some((l) => l.includes('waiting for the lock')),
      );
      // The holder on the other host refreshes its lock, as proper-lockfile does every stale / 2.
      const now = new Date();
      await utimes(`${path}.lock`, now, now);
      await assert.rejects(
        opening,
        (err) =>
          err instanceof StoreError &&
          /refreshed while/.test(err.message) &&
          err.message.includes('another-host.example'),
      );
      const mtimeMs = (await stat(`${path}.lock`)).mtimeMs;
      assert.ok(Math.abs(mtimeMs - now.getTime()) < 1, 'the lock was left alone');
    });

    it('stops waiting at once when aborted (SIGTERM during start-up)', async () => {
      await leaveLock(otherHost, new Date());
      const logs = collectLogs();
      const stop = new AbortController();
      const opening = openJsonFileStore({
        path,
        logger: logs.logger,
        lockStaleMs: 60_000,
        signal: stop.signal,
      }).then((store) => {
        opened.push(store);
        return store;
      });
      await waitFor('the wait to be logged', () =>
        logs.lines.some((l) => l.includes('waiting for the lock')),
      );
      const aborted = Date.now();
      stop.abort();
      await assert.rejects(
        opening,
        (err) =>
          err instanceof StoreError && /stopped while waiting for the lock/.test(err.message),
      );
      assert.ok(Date.now() - aborted < 1_000);
      assert.equal((await readOwner()).hostname, otherHost.hostname, 'the lock was left alone');
    });
  });
});
