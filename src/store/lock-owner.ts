// Who holds the db lock, and whether that holder is provably gone: the proof that lets a start
// after kill -9 / OOM kill / power loss take the lock at once instead of waiting for it to go
// stale (a supervisor's Restart=on-failure would otherwise loop on a refusal).
//
// <db>.owner.json records the holder. pid, hostname and startedAt (when it took the lock) were
// always there; on Linux three more facts turn "that pid is not running" into a proof:
//   bootId        /proc/sys/kernel/random/boot_id, new at every boot. The same value means the
//                 same machine (not just the same hostname: cloned VMs, shared volumes); another
//                 value means this machine rebooted since, so every process of the record is gone.
//   pidNamespace  readlink /proc/self/ns/pid. A pid means something only inside its namespace;
//                 each container start gets a new one.
//   pidStartTime  field 22 of /proc/<pid>/stat (clock ticks after boot). A running pid with
//                 another start time is another process that reused the number.
// They are optional: owner files of earlier versions (and of systems without /proc) still
// parse, and earlier versions read ours (zod drops keys it does not know).
//
// judgeLockOwner() is pure; readHostFacts() and inspectProcess() gather what it needs.
import { readFile, readlink } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { z } from 'zod';
import { errorCode } from '../lib/error-facts.js';

export const ownerSchema = z.object({
  // Positive: process.kill(0 or -1, 0) would address a process group or every process.
  pid: z.number().int().positive(),
  hostname: z.string(),
  startedAt: z.string(),
  bootId: z.string().min(1).optional(),
  pidNamespace: z.string().min(1).optional(),
  pidStartTime: z.string().regex(/^\d+$/).optional(),
});
export type Owner = z.infer<typeof ownerSchema>;

/** This process and this machine, as an owner file would record them, plus two instants. */
export interface HostFacts {
  pid: number;
  hostname: string;
  bootId: string | undefined;
  pidNamespace: string | undefined;
  pidStartTime: string | undefined;
  /** Wall-clock ms when this process started. */
  processStartedAtMs: number;
  /** Wall-clock ms when this machine booted. */
  bootedAtMs: number;
}

/** The recorded pid as seen from here, now. */
export interface ProcessFacts {
  /** kill(pid, 0) succeeded or failed with EPERM (it runs under another user); not a zombie. */
  running: boolean;
  /** Its pidStartTime, when /proc tells. */
  startTime: string | undefined;
}

export type LockVerdict =
  /** Provably no longer running: take the lock at once. */
  | { kind: 'gone'; reason: string }
  /** Provably running on this machine: refuse at once. */
  | { kind: 'alive'; reason: string }
  /** Cannot be told from here: wait for the lock to go stale. */
  | { kind: 'unknown'; reason: string };

export interface LockEvidence {
  /** The owner file; undefined when missing, unreadable or invalid. */
  owner: Owner | undefined;
  here: HostFacts;
  /** The recorded pid as seen from here; only consulted on the same machine and namespace. */
  holder: ProcessFacts;
  /** The lock folder's mtime: its holder's last refresh. */
  lockMtimeMs: number;
}

/** Builds the owner file of this process. */
export function ownerRecord(here: HostFacts, startedAt: Date): Owner {
  return {
    pid: here.pid,
    hostname: here.hostname,
    startedAt: startedAt.toISOString(),
    ...(here.bootId !== undefined ? { bootId: here.bootId } : {}),
    ...(here.pidNamespace !== undefined ? { pidNamespace: here.pidNamespace } : {}),
    ...(here.pidStartTime !== undefined ? { pidStartTime: here.pidStartTime } : {}),
  };
}

export function describeOwner(owner: Owner): string {
  return `pid ${owner.pid} on host ${owner.hostname}, started ${owner.startedAt}`;
}

/**
 * Whether the holder recorded in the owner file is provably gone, provably running, or
 * cannot be told from here. Every "gone" needs the same host: the same hostname, and the same
 * boot id when both sides know one (a hostname alone may be shared by two machines).
 */
export function judgeLockOwner({ owner, here, holder, lockMtimeMs }: LockEvidence): LockVerdict {
  if (!owner) return unknown('its owner file is missing or unreadable');
  const { pid } = owner;
  if (owner.hostname !== here.hostname) {
    return unknown(
      `it was taken on host ${owner.hostname} (a folder shared between machines?), whose processes cannot be checked from here`,
    );
  }
  if (owner.bootId !== undefined && here.bootId !== undefined && owner.bootId !== here.bootId) {
    // A lock of an earlier boot was last refreshed before this boot. One refreshed since is
    // held by another machine with the same hostname.
    if (lockMtimeMs < here.bootedAtMs) {
      return gone(
        `host ${here.hostname} has rebooted since pid ${pid} took it (its boot id changed)`,
      );
    }
    return unknown(
      `it records another boot id, yet was refreshed after this machine booted (another machine named ${owner.hostname}?)`,
    );
  }
  const sameNamespace =
    owner.pidNamespace === undefined ||
    here.pidNamespace === undefined ||
    owner.pidNamespace === here.pidNamespace;

  if (pid === here.pid) {
    if (!sameNamespace) {
      // A container restart: the daemon gets the same pid (1, or the one after --init) in a
      // new namespace. The old container was dead before this process started, so its last
      // refresh predates us; a lock refreshed since belongs to a live container that shares
      // the hostname and the volume.
      if (lockMtimeMs < here.processStartedAtMs) {
        return gone(
          `it records our own pid ${pid} in an earlier PID namespace (the container restarted)`,
        );
      }
      return unknown(
        `it records our own pid ${pid} in another PID namespace and was refreshed after this process started (another container with the same hostname?)`,
      );
    }
    const earlier =
      owner.pidStartTime !== undefined && here.pidStartTime !== undefined
        ? owner.pidStartTime !== here.pidStartTime
        : Date.parse(owner.startedAt) < here.processStartedAtMs;
    return earlier
      ? gone(`it records our own pid ${pid}, taken by an earlier process that had this pid`)
      : alive('this very process holds it (the store is already open)');
  }
  if (!sameNamespace) {
    return unknown(
      `pid ${pid} ran in another PID namespace (another container?) and cannot be checked from here`,
    );
  }
  if (!holder.running) return gone(`process ${pid} no longer runs`);
  if (owner.pidStartTime !== undefined && holder.startTime !== undefined) {
    return owner.pidStartTime === holder.startTime
      ? alive(`process ${pid} still runs`)
      : gone(`pid ${pid} now belongs to another process (its start time differs)`);
  }
  return unknown(
    `pid ${pid} runs, but nothing tells whether it is still the holder or a later process that reused the number`,
  );
}

function gone(reason: string): LockVerdict {
  return { kind: 'gone', reason };
}
function alive(reason: string): LockVerdict {
  return { kind: 'alive', reason };
}
function unknown(reason: string): LockVerdict {
  return { kind: 'unknown', reason };
}

// ---------------------------------------------------------------------------------------------
// Gathering the facts (Linux /proc; elsewhere each Linux-only fact is undefined)

const PROC_BOOT_ID = '/proc/sys/kernel/random/boot_id';
const PROC_PID_NAMESPACE = '/proc/self/ns/pid';
/** /proc/<pid>/stat fields after "pid (comm) ": state is field 3, starttime field 22. */
const STAT_STATE_INDEX = 0;
const STAT_START_TIME_INDEX = 19;

export async function readHostFacts(): Promise<HostFacts> {
  const now = Date.now();
  const [bootId, pidNamespace, self] = await Promise.all([
    readFile(PROC_BOOT_ID, 'utf8').then(
      (text) => text.trim() || undefined,
      () => undefined,
    ),
    readlink(PROC_PID_NAMESPACE).catch(() => undefined),
    readProcStat(process.pid),
  ]);
  return {
    pid: process.pid,
    hostname: hostname(),
    bootId,
    pidNamespace,
    pidStartTime: self?.startTime,
    processStartedAtMs: now - process.uptime() * 1000,
    bootedAtMs: now - uptime() * 1000,
  };
}

export async function inspectProcess(pid: number): Promise<ProcessFacts> {
  let running: boolean;
  try {
    // Signal 0 only checks existence.
    process.kill(pid, 0);
    running = true;
  } catch (err) {
    // EPERM: it exists, under another user. Anything but ESRCH counts as running.
    running = errorCode(err) !== 'ESRCH';
  }
  if (!running) return { running, startTime: undefined };
  const stat = await readProcStat(pid);
  // A zombie (killed, not yet reaped by its parent) answers signal 0 but runs no code.
  if (stat?.state === 'Z' || stat?.state === 'X') return { running: false, startTime: undefined };
  return { running, startTime: stat?.startTime };
}

async function readProcStat(
  pid: number,
): Promise<{ state: string | undefined; startTime: string | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // No /proc (not Linux), hidepid, or the process just ended: the fact is unknown.
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[STAT_START_TIME_INDEX];
  return {
    state: fields[STAT_STATE_INDEX],
    startTime: startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined,
  };
}
