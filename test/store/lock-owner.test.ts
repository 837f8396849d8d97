// The proof behind taking a held lock at once: judgeLockOwner on recorded owners against facts
// about this host, rule by rule; and the facts as Linux /proc gives them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import {
  inspectProcess,
  judgeLockOwner,
  ownerRecord,
  ownerSchema,
  readHostFacts,
  type HostFacts,
  type LockEvidence,
  type Owner,
  type ProcessFacts,
} from '../../src/store/lock-owner.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const MINUTE = 60_000;

const here: HostFacts = {
  pid: 7,
  hostname: 'box',
  bootId: 'boot-now',
  pidNamespace: 'pid:[4026531836]',
  pidStartTime: '5000',
  processStartedAtMs: T0,
  bootedAtMs: T0 - 60 * MINUTE,
};

/** The owner file a live daemon on this machine, pid 4242, would have written. */
const neighbour: Owner = {
  pid: 4242,
  hostname: 'box',
  startedAt: new Date(T0 - 30 * MINUTE).toISOString(),
  bootId: 'boot-now',
  pidNamespace: 'pid:[4026531836]',
  pidStartTime: '1234',
};

const running = (startTime?: string): ProcessFacts => ({ running: true, startTime });
const notRunning: ProcessFacts = { running: false, startTime: undefined };

function judge(evidence: Partial<LockEvidence>): { kind: string; reason: string } {
  return judgeLockOwner({
    owner: neighbour,
    here,
    holder: running('1234'),
    lockMtimeMs: T0 + MINUTE,
    ...evidence,
  });
}

describe('lock owner: who may take a held lock', () => {
  describe('gone (taken at once)', () => {
    it('a pid that no longer runs on this machine', () => {
      const v = judge({ holder: notRunning });
      assert.equal(v.kind, 'gone');
      assert.match(v.reason, /process 4242 no longer runs/);
    });

    it('a pid that runs with another start time: reused by another process', () => {
      const v = judge({ holder: running('9999') });
      assert.equal(v.kind, 'gone');
      assert.match(v.reason, /another process/);
    });

    it('another boot id and a lock last refreshed before this boot: the machine rebooted', () => {
      const v = judge({
        owner: { ...neighbour, bootId: 'boot-before' },
        lockMtimeMs: here.bootedAtMs - MINUTE,
        holder: running('1234'),
      });
      assert.equal(v.kind, 'gone');
      assert.match(v.reason, /rebooted/);
    });

    it('our own pid in an earlier PID namespace, last refreshed before we started: a container restart', () => {
      const v = judge({
        owner: { ...neighbour, pid: here.pid, pidNamespace: 'pid:[4026532999]' },
        lockMtimeMs: here.processStartedAtMs - 2_000,
      });
      assert.equal(v.kind, 'gone');
      assert.match(v.reason, /our own pid 7 in an earlier PID namespace/);
    });

    it('our own pid in this namespace with another start time: an earlier process', () => {
      const v = judge({ owner: { ...neighbour, pid: here.pid, pidStartTime: '4000' } });
      assert.equal(v.kind, 'gone');
    });

    it('our own pid in an owner file of an earlier version, taken before this process started', () => {
      const v = judge({
        owner: { pid: here.pid, hostname: 'box', startedAt: new Date(T0 - MINUTE).toISOString() },
      });
      assert.equal(v.kind, 'gone');
    });

    it('an earlier version’s owner file whose pid no longer runs (the hostname rule alone)', () => {
      const v = judge({
        owner: { pid: 4242, hostname: 'box', startedAt: neighbour.startedAt },
        holder: notRunning,
      });
      assert.equal(v.kind, 'gone');
    });
  });

  describe('alive (refused at once)', () => {
    it('a pid that runs with the recorded start time', () => {
      const v = judge({});
      assert.equal(v.kind, 'alive');
      assert.match(v.reason, /process 4242 still runs/);
    });

    it('this very process (the store is open already)', () => {
      const v = judge({
        owner: { ...neighbour, pid: here.pid, pidStartTime: here.pidStartTime },
      });
      assert.equal(v.kind, 'alive');
      assert.match(v.reason, /this very process/);
    });

    it('our own pid in an earlier version’s owner file written after this process started', () => {
      const v = judge({
        owner: { pid: here.pid, hostname: 'box', startedAt: new Date(T0 + MINUTE).toISOString() },
      });
      assert.equal(v.kind, 'alive');
    });
  });

  describe('unknown (waited for until stale)', () => {
    it('no owner file', () => {
      assert.equal(judge({ owner: undefined }).kind, 'unknown');
    });

    it('another hostname, even if a process with that pid runs here', () => {
      const v = judge({ owner: { ...neighbour, hostname: 'elsewhere' }, holder: notRunning });
      assert.equal(v.kind, 'unknown');
      assert.match(v.reason, /host elsewhere/);
    });

    it('another boot id, but refreshed after this machine booted: another machine with our hostname', () => {
      const v = judge({ owner: { ...neighbour, bootId: 'boot-elsewhere' }, holder: notRunning });
      assert.equal(v.kind, 'unknown');
    });

    it('another PID namespace: its pid says nothing here, running or not', () => {
      for (const holder of [notRunning, running('1234')]) {
        const v = judge({ owner: { ...neighbour, pidNamespace: 'pid:[4026532999]' }, holder });
        assert.equal(v.kind, 'unknown');
        assert.match(v.reason, /another PID namespace/);
      }
    });

    it('our own pid in another namespace, refreshed after this process started: another container', () => {
      const v = judge({
        owner: { ...neighbour, pid: here.pid, pidNamespace: 'pid:[4026532999]' },
        lockMtimeMs: here.processStartedAtMs + 1_000,
      });
      assert.equal(v.kind, 'unknown');
    });

    it('a pid that runs when no start time tells whether it is still the holder', () => {
      const oldFormat = { pid: 4242, hostname: 'box', startedAt: neighbour.startedAt };
      assert.equal(judge({ owner: oldFormat }).kind, 'unknown');
      // Another user's process (EPERM) whose /proc entry is hidden: the same.
      assert.equal(judge({ holder: running(undefined) }).kind, 'unknown');
    });
  });

  describe('the owner file', () => {
    it('reads the format of earlier versions, and earlier versions read the new one', () => {
      const old = { pid: 12, hostname: 'box', startedAt: '2024-05-01T10:00:00.000Z' };
      assert.deepEqual(ownerSchema.parse(old), old);
      const legacy = ownerSchema.pick({ pid: true, hostname: true, startedAt: true });
      assert.deepEqual(legacy.parse(ownerRecord(here, new Date(T0))), {
        pid: 7,
        hostname: 'box',
        startedAt: '2024-05-01T10:00:00.000Z',
      });
    });

    it('rejects a pid that would address a process group (0, negative)', () => {
      for (const pid of [0, -1]) {
        assert.equal(ownerSchema.safeParse({ ...neighbour, pid }).success, false);
      }
    });

    it('records every fact this host knows, and leaves out the unknown ones', () => {
      assert.deepEqual(ownerRecord(here, new Date(T0)), {
        pid: 7,
        hostname: 'box',
        startedAt: '2024-05-01T10:00:00.000Z',
        bootId: 'boot-now',
        pidNamespace: 'pid:[4026531836]',
        pidStartTime: '5000',
      });
      const bare = ownerRecord(
        { ...here, bootId: undefined, pidNamespace: undefined, pidStartTime: undefined },
        new Date(T0),
      );
      assert.deepEqual(Object.keys(bare).sort(), ['hostname', 'pid', 'startedAt']);
    });
  });

  describe('facts from /proc', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
    it('describes this process and host', async () => {
      const facts = await readHostFacts();
      assert.equal(facts.pid, process.pid);
      assert.equal(facts.hostname, hostname());
      assert.match(facts.bootId ?? '', /^[0-9a-f-]{36}$/);
      assert.match(facts.pidNamespace ?? '', /^pid:\[\d+\]$/);
      assert.match(facts.pidStartTime ?? '', /^\d+$/);
      assert.ok(
        facts.processStartedAtMs <= Date.now() && facts.bootedAtMs < facts.processStartedAtMs,
      );
      const self = await inspectProcess(process.pid);
      assert.deepEqual(self, { running: true, startTime: facts.pidStartTime });
    });

    it('sees a process that ended (reaped) as not running', async () => {
      const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
      const pid = child.pid;
      assert.ok(pid);
      await new Promise((resolve) => child.once('exit', resolve));
      // 'exit' comes after the child was reaped: the pid is free (unless reused at once).
      const facts = await inspectProcess(pid);
      assert.equal(facts.running, false);
    });
  });
});
