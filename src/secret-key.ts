// The generated secret key file (secret.key beside db.json), used when PUSHBOT_SECRET_KEY is not
// set. It seals every stored credential and webhook: losing it means re-entering them, and
// overwriting it would make every stored secret unreadable, so an existing file is never
// replaced — not even when it is empty (that is an error for a person to look at).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import { errorCode, errorMessage } from './lib/error-facts.js';
import type { Logger } from './logger.js';
import {
  createSecretBox,
  generateKeyMaterial,
  SecretBoxError,
  type SecretBox,
  type SecretScrubber,
} from './secrets.js';
import type { StateStore } from './store/store.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Any permission for the group or others. */
const GROUP_OTHER_BITS = 0o077;

export class SecretKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretKeyError';
  }
}

export interface LoadedSecretKey {
  material: string;
  /** True when the file did not exist and was generated now. */
  created: boolean;
  /** Set when the file is accessible to other users: worth logging, not worth refusing to run. */
  warning?: string;
}

export function loadOrCreateSecretKey(path: string): LoadedSecretKey {
  const existing = readExisting(path);
  if (existing) return existing;

  const material = generateKeyMaterial();
  try {
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
    // 'wx': fail rather than overwrite if another process created the file meanwhile.
    writeFileSync(path, `${material}\n`, { mode: FILE_MODE, flag: 'wx' });
  } catch (err) {
    if (errorCode(err) === 'EEXIST') {
      const raced = readExisting(path);
      if (raced) return raced;
    }
    throw new SecretKeyError(
      `Cannot create the secret key file ${path}: ${errorMessage(err)}. Check that its folder is writable, or set PUSHBOT_SECRET_KEY.`,
      { cause: err },
    );
  }
  return { material, created: true };
}

/**
 * Reads an existing key file and never creates one (`check --chat` runs beside a daemon and
 * must not leave a key that does not open anything). Undefined when there is no file; throws
 * SecretKeyError for an unreadable or empty one.
 */
export function readSecretKey(path: string): LoadedSecretKey | undefined {
  return readExisting(path);
}

/** The key in an existing file, or undefined if there is no file. */
function readExisting(path: string): LoadedSecretKey | undefined {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw new SecretKeyError(`Cannot read the secret key file ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const material = text.trim();
  if (material === '') {
    throw new SecretKeyError(
      [
        `The secret key file ${path} is empty.`,
        'It was not replaced: stored credentials and Slack webhooks were sealed with the key it held.',
        'If you have a copy of that key, put it back in the file. Otherwise delete the file; a new key will be made, and every chat will have to run /setup (and /slack) again.',
      ].join('\n'),
    );
  }
  const loose = mode & GROUP_OTHER_BITS;
  if (loose === 0) return { material, created: false };
  return {
    material,
    created: false,
    warning: `The secret key file ${path} is accessible to other users (mode ${(mode & 0o777).toString(8)}). Anyone who can read it can decrypt the stored credentials: run chmod 600 ${path}`,
  };
}

/** The box that seals stored secrets: from the configured key, else from secret.key (made once). */
export function openSecretBox(
  config: Pick<Config, 'secretKey' | 'secretKeyPath'>,
  logger: Logger,
  scrubber: SecretScrubber,
): SecretBox {
  if (config.secretKey !== undefined) return createSecretBox(config.secretKey);
  const key = loadOrCreateSecretKey(config.secretKeyPath);
  scrubber.add(key.material);
  if (key.created) {
    logger.warn(
      { path: config.secretKeyPath },
      'generated a new secret key for stored credentials; back it up with db.json (or set PUSHBOT_SECRET_KEY)',
    );
  }
  if (key.warning !== undefined) logger.warn({ path: config.secretKeyPath }, key.warning);
  return createSecretBox(key.material);
}

/** Refuses to run with a key that cannot open the stored credentials (they would all look broken). */
export function checkKeyMatches(store: StateStore, box: SecretBox): void {
  const state = store.read();
  const first =
    Object.values(state.credentials)[0]?.secret ??
    Object.values(state.chats).find((c) => c.slack)?.slack?.webhook;
  if (first === undefined) return;
  try {
    box.decrypt(first);
  } catch (err) {
    if (err instanceof SecretBoxError) {
      throw new SecretBoxError(
        'the secret key does not open the credentials stored in the database: start with the key db.json was written with (PUSHBOT_SECRET_KEY or the secret.key file beside it)',
      );
    }
    throw err;
  }
}
