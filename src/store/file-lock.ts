// The lock that makes one daemon per db.json, and its owner file: acquiring it (taking over
// from a holder that is provably gone, refusing a live one, waiting out an unknown one), and the
// paths and small file helpers the JSON file store shares with it. See json-file-store.ts for
// the rules; lock-owner.ts judges a holder.
import { dirname, resolve } from 'node:path';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock } from 'proper-lockfile';
import { errorCode, errorMessage } from '../lib/error-facts.js';
import type { Logger } from '../logger.js';
import {
  describeOwner,
  inspectProcess,
  judgeLockOwner,
  ownerSchema,
  readHostFacts,
  type HostFacts,
  type Owner,
  type ProcessFacts,
} from './lock-owner.js';
import { StoreError } from './store.js';

export const DEFAULT_LOCK_STALE_MS = 10_000;
/** How often a held lock is looked at again while waiting for it to go stale. */
export const LOCK_POLL_MS = 250;
/**
 * How much longer than lockStaleMs a wait may last: proper-lockfile may round a lock's mtime
 * up to the next second, and polling adds up to LOCK_POLL_MS.
 */
export const LOCK_WAIT_MARGIN_MS = 2_000;
/**
 * Attempts in a row without pausing: a takeover lost to another start, or a lock released
 * between two looks. Beyond this, the next attempts wait as for an unknown holder.
 */
export const MAX_QUICK_LOCK_ATTEMPTS = 3;

export interface StorePaths {
  db: string;
  dir: string;
  bak: string;
  bakTmp: string;
  tmp: string;
  lock: string;
  owner: string;
}

export function storePaths(path: string): StorePaths {
  const db = resolve(path);
  return {
    db,
    dir: dirname(db),
    bak: `${db}.bak`,
    bakTmp: `${db}.bak.tmp`,
    tmp: `${db}.tmp-${process.pid}`,
    // proper-lockfile's default lock path with realpath: false.
    lock: `${db}.lock`,
    owner: `${db}.owner.json`,
  };
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Lock and owner file

export interface LockSettings {
  staleMs: number;
  updateMs: number;
  onCompromised: (err: Error) => void;
  signal: AbortSignal | undefined;
}

/** The recorded pid is looked at only on the same host; elsewhere its number means nothing. */
export const NOT_INSPECTED: ProcessFacts = { running: true, startTime: undefined };

export async function acquireLock(
  paths: StorePaths,
  log: Logger,
  settings: LockSettings,
): Promise<{ release: () => Promise<void>; here: HostFacts }> {
  const here = await readHostFacts();
  let waiting: { sinceMs: number; mtimeMs: number; reason: string } | undefined;
  let quickAttempts = 0;
  for (;;) {
    const release = await tryLock(paths, settings);
    if (release) {
      if (waiting) {
        log.info(
          { lock: paths.lock, waitedMs: Date.now() - waiting.sinceMs },
          'took the lock after waiting for it',
        );
      }
      return { release, here };
    }
    const mtimeMs = await lockMtime(paths.lock);
    if (mtimeMs === undefined && ++quickAttempts <= MAX_QUICK_LOCK_ATTEMPTS) {
      continue; // released between the two looks: try again at once
    }
    const owner = await readOwnerFile(paths.owner);
    const holder =
      owner && owner.hostname === here.hostname ? await inspectProcess(owner.pid) : NOT_INSPECTED;
    const verdict =
      mtimeMs === undefined
        ? { kind: 'unknown' as const, reason: 'it keeps being released and taken again' }
        : judgeLockOwner({ owner, here, holder, lockMtimeMs: mtimeMs });

    if (verdict.kind === 'alive') {
      throw new StoreError(
        lockRefusal(paths, owner, [
          `It was not taken over: ${verdict.reason}.`,
          'Only one instance may use a state file. Stop the other instance first.',
        ]),
      );
    }
    if (
      verdict.kind === 'gone' &&
      mtimeMs !== undefined &&
      ++quickAttempts <= MAX_QUICK_LOCK_ATTEMPTS
    ) {
      log.info(
        { lock: paths.lock, owner },
        `taking over the lock of ${owner ? describeOwner(owner) : 'a gone process'}: ${verdict.reason}`,
      );
      await removeAbandonedLock(paths, mtimeMs);
      continue;
    }

    // Nothing proves the holder gone or alive from here: wait until proper-lockfile counts the
    // lock stale. A live holder refreshes it (mtime changes) well before then.
    if (!waiting) {
      waiting = { sinceMs: Date.now(), mtimeMs: mtimeMs ?? 0, reason: verdict.reason };
      log.warn(
        { lock: paths.lock, owner, staleMs: settings.staleMs },
        `waiting for the lock ${paths.lock} to go stale (${seconds(settings.staleMs)} s after its last refresh) before taking it over: ${verdict.reason}`,
      );
    } else if (mtimeMs !== undefined && mtimeMs !== waiting.mtimeMs) {
      throw new StoreError(
        lockRefusal(paths, owner, [
          `This instance waited for it to go stale (${waiting.reason}), but it was refreshed while waiting: its holder is running.`,
          'Only one instance may use a state file. Stop the other instance first.',
        ]),
      );
    } else if (Date.now() - waiting.sinceMs > settings.staleMs + LOCK_WAIT_MARGIN_MS) {
      throw new StoreError(
        lockRefusal(paths, owner, [
          `This instance waited ${seconds(Date.now() - waiting.sinceMs)} s for it to go stale (${waiting.reason}), but it never did (is the clock of the host holding it ahead?).`,
          `If no other instance uses this file, remove ${paths.lock} and start again.`,
        ]),
      );
    }
    try {
      await sleep(LOCK_POLL_MS, undefined, settings.signal ? { signal: settings.signal } : {});
    } catch (err) {
      throw new StoreError(`stopped while waiting for the lock ${paths.lock} of ${paths.db}`, {
        cause: err,
      });
    }
  }
}

/** The lock, or undefined when another process holds it (ELOCKED). */
export async function tryLock(
  paths: StorePaths,
  settings: LockSettings,
): Promise<(() => Promise<void>) | undefined> {
  try {
    // proper-lockfile itself takes a lock that is already stale.
    return await lock(paths.db, {
      realpath: false,
      stale: settings.staleMs,
      update: settings.updateMs,
      retries: 0,
      onCompromised: settings.onCompromised,
    });
  } catch (err) {
    if (errorCode(err) === 'ELOCKED') return undefined;
    throw new StoreError(
      `Cannot take the lock ${paths.lock} for ${paths.db}: ${errorMessage(err)}. Check that the folder ${paths.dir} is writable by this user.`,
      { cause: err },
    );
  }
}

export async function lockMtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Removes the lock of a holder proven gone, and its owner file first (a start looking in
 * between finds no owner file and waits instead of judging the dead holder again). Only the
 * lock that was judged goes: if its mtime moved, another start took it meanwhile. A start
 * racing inside this short window is caught by proper-lockfile: the loser's next refresh
 * finds an mtime not its own, and onCompromised stops its writes.
 */
export async function removeAbandonedLock(paths: StorePaths, judgedMtimeMs: number): Promise<void> {
  if ((await lockMtime(paths.lock)) !== judgedMtimeMs) return;
  try {
    await rm(paths.owner, { force: true });
    await rm(paths.lock, { recursive: true, force: true });
  } catch (err) {
    throw new StoreError(
      `Cannot remove the abandoned lock ${paths.lock} of ${paths.db}: ${errorMessage(err)}. Check that the folder ${paths.dir} is writable by this user.`,
      { cause: err },
    );
  }
}

export function lockRefusal(paths: StorePaths, owner: Owner | undefined, lines: string[]): string {
  const who = owner
    ? describeOwner(owner)
    : `another process (its details in ${paths.owner} are not available)`;
  return [
    `Another tickets-pushbot is already using ${paths.db}: the lock ${paths.lock} is held by ${who}.`,
    ...lines,
  ].join('\n');
}

export function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

export async function readOwnerFile(path: string): Promise<Owner | undefined> {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Missing, unreadable or half-written (the holder is starting): the caller waits.
    return undefined;
  }
}

/** The owner file is private, like db.json. */
const OWNER_FILE_MODE = 0o600;

export async function writeOwnerFile(path: string, owner: Owner): Promise<void> {
  const fh = await open(path, 'w', OWNER_FILE_MODE);
  try {
    await fh.chmod(OWNER_FILE_MODE);
    await fh.writeFile(`${JSON.stringify(owner)}\n`, 'utf8');
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Load
