// The JSON file adapter of StateStore: db.json on a local disk, one process at a time.
//
// Crash safety, step by step (see writeAtomically):
//   1. the new text goes to <db>.tmp-<pid> (mode 0600), written and fsynced;
//   2. the current db.json is hard-linked to <db>.bak.tmp, which is renamed over <db>.bak, so
//      the previous good version is kept and db.json itself never stops existing;
//   3. the temp file is renamed over db.json (the commit point), then the folder is fsynced.
// A crash at any moment leaves db.json as either the old or the new complete file. A temp file
// left by a killed process is removed by the next start.
//
// A file that is not valid JSON, or does not match the schema, is never replaced or reset: the
// daemon refuses to start and tells the operator how to recover from <db>.bak.
//
// One daemon per db: a proper-lockfile lock (<db>.lock, a directory whose mtime is refreshed)
// held for the process lifetime; <db>.owner.json says who holds it (lock-owner.ts). A start
// that finds the lock held (acquireLock in file-lock.ts):
//   - takes it at once when its holder is provably gone (same machine and its pid no longer
//     runs or is another process now, the machine rebooted, or the recorded pid is our own from
//     an earlier process: a restarted container). kill -9 + restart must not crash-loop.
//   - refuses at once when its holder provably runs on this machine: two live daemons on one
//     db.json are impossible, and a second one exits instead of hanging.
//   - otherwise (another host on a shared folder, no owner file, a pid that cannot be checked)
//     waits until proper-lockfile counts the lock stale (lockStaleMs after its last refresh),
//     and takes it; a live holder refreshes it every lockUpdateMs, which ends the wait with a
//     refusal, and so does a lock that is not stale by lockStaleMs + a margin.
import { basename, resolve } from 'node:path';
import { chmod, link, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { errorCode, errorMessage } from '../lib/error-facts.js';
import type { Logger } from '../logger.js';
import {
  DEFAULT_LOCK_STALE_MS,
  acquireLock,
  exists,
  storePaths,
  writeOwnerFile,
  type StorePaths,
} from './file-lock.js';
import { ownerRecord } from './lock-owner.js';
import { STATE_VERSION, StateFormatError, emptyState, parseState, type State } from './schema.js';
import { createStateTextWriter } from './state-text.js';
import { StoreError, type DeepReadonly, type StateStore } from './store.js';
import { freezeState, runTransaction } from './transaction.js';

export interface JsonFileStoreOptions {
  /** db.json; its folder is created (mode 0700) if absent. */
  path: string;
  logger: Logger;
  /**
   * A lock whose mtime was not refreshed for this long belongs to a dead process and is taken
   * over. Default 10 s; proper-lockfile enforces at least 2 s.
   */
  lockStaleMs?: number;
  /** How often the lock mtime is refreshed. Default lockStaleMs / 2; at least 1 s, at most stale / 2. */
  lockUpdateMs?: number;
  /**
   * Ends a wait for a lock whose holder cannot be checked from here (the open then rejects).
   * Without one, SIGTERM during that wait ends the process the default way: main.ts installs
   * its handlers only once the store is open, and the wait holds nothing to clean up.
   */
  signal?: AbortSignal;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const PERMISSION_BITS = 0o777;
/** Problems listed in an error message; parseState already caps the list. */
const MAX_PROBLEMS_SHOWN = 10;

export async function openJsonFileStore(options: JsonFileStoreOptions): Promise<StateStore> {
  const log = options.logger.child({ component: 'store' });
  const paths = storePaths(options.path);
  const staleMs = options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS;
  const updateMs = options.lockUpdateMs ?? Math.floor(staleMs / 2);

  await ensureFolder(paths.dir);

  // Set from a proper-lockfile timer when the lock was lost (deleted, or not refreshable in
  // time): from then on another process may own the db, so this one must not write again.
  let lockLost: Error | undefined;
  const onCompromised = (err: Error): void => {
    // Runs inside a timer callback: throwing here would crash the daemon. Record and log only.
    lockLost = err;
    log.error(
      { err, lock: paths.lock },
      `lost the lock on ${paths.db}; every later change will be refused. Restart tickets-pushbot once no other instance uses this file.`,
    );
  };

  const { release, here } = await acquireLock(paths, log, {
    staleMs,
    updateMs,
    onCompromised,
    signal: options.signal,
  });

  let loaded: { state: State; onDisk: boolean };
  try {
    await writeOwnerFile(paths.owner, ownerRecord(here, new Date()));
    await removeLeftoverTempFiles(paths, log);
    loaded = await loadState(paths, log);
  } catch (err) {
    await rm(paths.owner, { force: true }).catch((rmErr: unknown) =>
      log.warn({ err: rmErr }, `could not remove ${paths.owner}`),
    );
    await release().catch((unlockErr: unknown) =>
      log.warn({ err: unlockErr }, `could not release the lock ${paths.lock}`),
    );
    throw err;
  }

  // Frozen, and shared with the next committed state wherever a transaction left it alone.
  let committed: DeepReadonly<State> = freezeState(loaded.state);
  // The on-disk text is compact JSON (JSON.stringify's), ~30% smaller than an indented one;
  // `jq . db.json` shows it readably.
  const textWriter = createStateTextWriter();
  // False until db.json exists: the first write has no previous version to keep as .bak.
  let onDisk = loaded.onDisk;
  let writes = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  log.info(
    { path: paths.db, chats: Object.keys(committed.chats).length, existed: onDisk },
    onDisk ? 'state loaded' : 'no state file yet; starting empty',
  );

  const runUpdate = async <T>(fn: (draft: State) => T): Promise<T> => {
    if (lockLost) {
      throw new StoreError(`lost the lock on ${paths.db}; refusing to write`, { cause: lockLost });
    }
    // fn gets a copy-on-write draft; only what it changed is validated (transaction.ts). Most
    // updates (a poll that found nothing new) change nothing and cost next to nothing.
    const { result, next } = runTransaction(committed, fn);
    if (next === undefined) return result;
    const bytes = textWriter.encode(next);
    await writeAtomically(paths, bytes, onDisk, log);
    log.debug({ bytes: bytes.length }, 'state saved');
    committed = next;
    onDisk = true;
    writes++;
    return result;
  };

  return {
    read: (): DeepReadonly<State> => committed,
    update<T>(fn: (draft: State) => T): Promise<T> {
      if (closing) {
        return Promise.reject(new StoreError(`the store ${paths.db} is closed; refusing to write`));
      }
      const p = queue.then(() => runUpdate(fn));
      // The caller gets the rejection through `p`; the queue itself must go on with later updates.
      queue = p.catch(() => undefined);
      return p;
    },
    get writeCount() {
      return writes;
    },
    close() {
      closing ??= (async () => {
        await queue;
        if (lockLost) {
          // Another process may hold the lock and have written its own owner file now.
          log.warn(`closing ${paths.db} without releasing a lock this process no longer holds`);
          return;
        }
        await rm(paths.owner, { force: true }).catch((err: unknown) =>
          log.warn({ err }, `could not remove ${paths.owner}`),
        );
        await release().catch((err: unknown) =>
          log.warn({ err }, `could not release the lock ${paths.lock}`),
        );
        log.info({ path: paths.db, writes }, 'state store closed');
      })();
      return closing;
    },
  };
}

async function ensureFolder(dir: string): Promise<void> {
  try {
    // recursive: no error if it exists; the mode applies only to folders created here.
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw new StoreError(
      `Cannot create the data folder ${dir}: ${errorMessage(err)}. Check that the path is right and writable by this user.`,
      { cause: err },
    );
  }
}

async function removeLeftoverTempFiles(paths: StorePaths, log: Logger): Promise<void> {
  const base = basename(paths.db);
  const leftover = new RegExp(
    `^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp-\\d+|bak\\.tmp)$`,
  );
  for (const name of await readdir(paths.dir)) {
    if (!leftover.test(name)) continue;
    // We hold the lock: no other process is writing these. They are from a killed process
    // and never the committed state (db.json is renamed into place only when complete).
    log.warn({ file: name }, 'removing a temporary file left by an interrupted write');
    await rm(resolve(paths.dir, name), { force: true });
  }
}

async function loadState(
  paths: StorePaths,
  log: Logger,
): Promise<{ state: State; onDisk: boolean }> {
  let text: string;
  try {
    text = await readFile(paths.db, 'utf8');
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') {
      throw new StoreError(`Cannot read the state file ${paths.db}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (await exists(paths.bak)) {
      throw new StoreError(
        [
          `The state file ${paths.db} is missing, but its backup ${paths.bak} exists.`,
          'Refusing to start with an empty state: that would forget every chat and subscription.',
          `To restore the last saved state: cp ${paths.bak} ${paths.db}`,
          `To really start from scratch: delete ${paths.bak} as well.`,
        ].join('\n'),
      );
    }
    return { state: emptyState(), onDisk: false };
  }

  const hasBackup = await exists(paths.bak);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StoreError(
      refusal(paths, hasBackup, [describeJsonError(text, err)]),
      // The cause is not attached: V8's JSON message quotes the file's content.
    );
  }
  let state: State;
  try {
    state = parseState(raw);
  } catch (err) {
    if (!(err instanceof StateFormatError)) throw err;
    const version = typeof raw === 'object' && raw !== null && 'version' in raw ? raw.version : 0;
    if (typeof version === 'number' && version > STATE_VERSION) {
      throw new StoreError(
        [
          `Cannot load the state file ${paths.db}: it was ${err.problems[0] ?? 'written by a newer version'}.`,
          'The file was left untouched.',
          'Run the newer tickets-pushbot again (downgrading is not supported).',
        ].join('\n'),
      );
    }
    throw new StoreError(
      refusal(paths, hasBackup, [
        'it does not match the expected format:',
        ...err.problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `  - ${p}`),
      ]),
    );
  }

  await tightenMode(paths.db, log);
  if (hasBackup) await tightenMode(paths.bak, log);
  return { state, onDisk: true };
}

function refusal(paths: StorePaths, hasBackup: boolean, problem: readonly string[]): string {
  const [first = 'it cannot be read', ...rest] = problem;
  const lines = [`Cannot load the state file ${paths.db}: ${first}`, ...rest];
  lines.push('The file was left untouched; tickets-pushbot will not start until it is fixed.');
  if (hasBackup) {
    lines.push(
      `The previous good version is in ${paths.bak}. Inspect both files, then either fix ${paths.db} by hand or copy the backup over it: cp ${paths.bak} ${paths.db}`,
    );
  } else {
    lines.push(
      `There is no backup. Fix ${paths.db} by hand, or move it away to start empty (every chat and subscription would be forgotten).`,
    );
  }
  return lines.join('\n');
}

/** The JSON.parse problem with a line and column, without V8's quote of the file content. */
function describeJsonError(text: string, err: unknown): string {
  if (text.trim() === '') return 'the file is empty (not valid JSON).';
  const raw = errorMessage(err);
  const message = raw
    // V8 quotes the text around the error ("Unexpected token 'x', ...\"…\" is not valid JSON").
    .replace(/, (?:\.\.\.)?".*$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '');
  const reported = /at position (\d+)/.exec(raw)?.[1];
  const position = reported !== undefined ? Number(reported) : findSyntaxError(text);
  if (position === undefined) return `it is not valid JSON (${message}).`;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `it is not valid JSON (${message} at line ${line}, column ${column}).`;
}

/**
 * Where parsing goes wrong, for the V8 messages that give no position ("Unexpected token 'x'"):
 * the shortest prefix that fails for a reason other than ending too early, by bisection
 * (about 25 parses of a prefix; only on this error path).
 */
function findSyntaxError(text: string): number | undefined {
  const broken = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return false;
    } catch (err) {
      const message = errorMessage(err);
      if (message.startsWith('Unexpected end of JSON input')) return false;
      const at = /at position (\d+)/.exec(message)?.[1];
      return at === undefined || Number(at) < length;
    }
  };
  if (!broken(text.length)) return undefined;
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (broken(middle)) bad = middle;
    else good = middle;
  }
  return bad - 1;
}

async function tightenMode(path: string, log: Logger): Promise<void> {
  const mode = (await stat(path)).mode & PERMISSION_BITS;
  if (mode === FILE_MODE) return;
  // It holds chat ids and sealed credentials: owner only.
  log.warn({ file: path, mode: mode.toString(8) }, 'setting the state file mode to 600');
  await chmod(path, FILE_MODE);
}

// ---------------------------------------------------------------------------------------------
// Write

async function writeAtomically(
  paths: StorePaths,
  bytes: Uint8Array,
  dbExists: boolean,
  log: Logger,
): Promise<void> {
  try {
    const fh = await open(paths.tmp, 'w', FILE_MODE);
    try {
      // The mode argument only applies to a new file and is narrowed by the umask.
      await fh.chmod(FILE_MODE);
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (dbExists) await keepBackup(paths, log);
    // The commit point: after this rename db.json is the new version.
    await rename(paths.tmp, paths.db);
  } catch (err) {
    await rm(paths.tmp, { force: true }).catch((rmErr: unknown) =>
      log.warn({ err: rmErr }, `could not remove ${paths.tmp}`),
    );
    throw new StoreError(
      `Could not save the state to ${paths.db}: ${errorMessage(err)}. Nothing was changed.`,
      { cause: err },
    );
  }
  try {
    // Makes the renames durable across a power loss. The new version is already in place,
    // so a failure here is reported but does not undo the (visible) change.
    await syncFolder(paths.dir);
  } catch (err) {
    log.warn({ err }, `could not fsync the folder ${paths.dir}`);
  }
}

async function keepBackup(paths: StorePaths, log: Logger): Promise<void> {
  try {
    await link(paths.db, paths.bakTmp);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      // db.json was removed while we run: write it again, without a previous version to keep.
      log.warn(`${paths.db} disappeared while running; writing it again`);
      return;
    }
    if (code !== 'EEXIST') throw err;
    // A leftover from an interrupted write of this process.
    await rm(paths.bakTmp, { force: true });
    await link(paths.db, paths.bakTmp);
  }
  await rename(paths.bakTmp, paths.bak);
}

async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
