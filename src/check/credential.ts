// Where `check` gets the Red Hat credential it tests: the environment, a hidden prompt, or the
// credential a chat stored in db.json (--chat). Never the command line: argv is visible to
// every user of the machine (ps) and lands in shell history.
//
// --chat reads db.json as a reader only: no lock, no write, no temp file, no key file created.
// A daemon may be running beside it; its writes are atomic renames, so a read sees the whole
// old file or the whole new one.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Config, Env } from '../config.js';
import { AUDIENCES, DEFAULT_AUDIENCE, type Audience } from '../domain.js';
import type { PortalCredential } from '../portal/types.js';
import { readSecretKey, SecretKeyError } from '../secret-key.js';
import { createSecretBox, SecretBoxError } from '../secrets.js';
import { parseState, StateFormatError, type State } from '../store/schema.js';
import { looksLikeToken, readHidden, type PromptIo } from './prompt.js';

export const ENV_TOKEN = 'PUSHBOT_CHECK_TOKEN';
export const ENV_USER = 'PUSHBOT_CHECK_USER';
export const ENV_PASSWORD = 'PUSHBOT_CHECK_PASSWORD';

/** A credential, where it came from (for the report), and what must never be printed. */
export interface FoundCredential {
  credential: PortalCredential;
  from: string;
  /** Every secret value involved (the token or password, key material). */
  secrets: string[];
}

/** A chat's stored credential with what the report says about the chat. */
export interface ChatCredential extends FoundCredential {
  chatId: number;
  audience: Audience;
  /** The credential's safe label ("offline token …1a2b", a username). */
  label: string;
  /** When the daemon marked the credential rejected, if it did. */
  rejectedAt: string | undefined;
  active: boolean;
  /** The cases this chat follows. */
  followed: number;
  /** Distinct cases followed by every chat sharing this credential (what one cycle reads). */
  followedByCredential: number;
  /** The key file is readable by other users. */
  keyWarning: string | undefined;
}

/** A reason `check` cannot go on; exit 2 is a setup problem, 1 a failed check. */
export interface CredentialProblem {
  exitCode: 1 | 2;
  message: string;
}

export const NO_CREDENTIAL_HELP = `No Red Hat credential to check. Set ${ENV_TOKEN} (an offline token), or ${ENV_USER} and ${ENV_PASSWORD}; or run check in a terminal to be asked; or use --chat <id> to check the credential a chat stored.`;

const nonEmpty = (value: string | undefined): string | undefined =>
  value !== undefined && value.trim() !== '' ? value.trim() : undefined;

function describe(credential: PortalCredential): string {
  return credential.kind === 'basic'
    ? `username ${credential.username} + password`
    : `offline token …${credential.offlineToken.slice(-4)}`;
}

/**
 * The credential from the environment or, on a terminal, from a prompt. Undefined with a
 * problem when there is none to be had.
 */
export async function credentialFromUser(
  env: Env,
  io: PromptIo,
): Promise<FoundCredential | CredentialProblem> {
  const token = nonEmpty(env[ENV_TOKEN]);
  const username = nonEmpty(env[ENV_USER]);
  const password =
    env[ENV_PASSWORD] !== undefined && env[ENV_PASSWORD] !== '' ? env[ENV_PASSWORD] : undefined;
  if (token !== undefined && (username !== undefined || password !== undefined)) {
    return {
      exitCode: 2,
      message: `Set either ${ENV_TOKEN} or ${ENV_USER} + ${ENV_PASSWORD}, not both.`,
    };
  }
  if (token !== undefined) {
    const credential: PortalCredential = { kind: 'offline-token', offlineToken: token };
    return { credential, from: `${describe(credential)} from ${ENV_TOKEN}`, secrets: [token] };
  }
  if (password !== undefined && username === undefined) {
    return { exitCode: 2, message: `${ENV_PASSWORD} is set but ${ENV_USER} is not.` };
  }
  const tty = io.stdin.isTTY;
  if (username !== undefined) {
    const given =
      password ?? (tty ? await readHidden(io, `Red Hat password for ${username}: `) : undefined);
    if (given === undefined || given === '') {
      return {
        exitCode: 2,
        message: `${ENV_USER} is set but ${ENV_PASSWORD} is not (and there is no terminal to ask on).`,
      };
    }
    const credential: PortalCredential = { kind: 'basic', username, password: given };
    return {
      credential,
      from: `${describe(credential)} from ${password !== undefined ? 'the environment' : ENV_USER + ' and the prompt'}`,
      secrets: [given],
    };
  }
  if (!tty) return { exitCode: 2, message: NO_CREDENTIAL_HELP };
  return promptCredential(io);
}

async function promptCredential(io: PromptIo): Promise<FoundCredential | CredentialProblem> {
  const first = (
    await readHidden(io, 'Red Hat offline token (or username for a password login), not shown: ')
  )?.trim();
  if (first === undefined || first === '') {
    return { exitCode: 2, message: 'No credential given.' };
  }
  if (looksLikeToken(first)) {
    const credential: PortalCredential = { kind: 'offline-token', offlineToken: first };
    return { credential, from: `${describe(credential)} from the prompt`, secrets: [first] };
  }
  // The answer is not repeated anywhere: if it was a token after all, it stays unseen.
  const password = await readHidden(io, 'Red Hat password, not shown: ');
  if (password === undefined || password === '') {
    return { exitCode: 2, message: 'No password given.' };
  }
  const credential: PortalCredential = { kind: 'basic', username: first, password };
  return { credential, from: 'username + password from the prompt', secrets: [password] };
}

const basicSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

async function readState(dbPath: string): Promise<State | CredentialProblem> {
  let text: string;
  try {
    text = await readFile(dbPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      exitCode: 2,
      message:
        code === 'ENOENT'
          ? `--chat: there is no database at ${dbPath} (dbPath in the config, or PUSHBOT_DB_PATH): point check at the daemon's db.json.`
          : `--chat: cannot read ${dbPath} (${code}).`,
    };
  }
  try {
    return parseState(JSON.parse(text));
  } catch (err) {
    if (err instanceof SyntaxError) {
      return { exitCode: 2, message: `--chat: ${dbPath} is not valid JSON.` };
    }
    if (err instanceof StateFormatError) {
      return {
        exitCode: 2,
        message: `--chat: ${dbPath} is not a database this version reads: ${err.message}`,
      };
    }
    throw err;
  }
}

/** The key that seals db.json's secrets: the operator's, else the key file; never creates one. */
function secretKey(config: Config): { material: string; warning?: string } | CredentialProblem {
  if (config.secretKey !== undefined) return { material: config.secretKey };
  try {
    const loaded = readSecretKey(config.secretKeyPath);
    if (loaded !== undefined) return loaded;
  } catch (err) {
    if (err instanceof SecretKeyError) return { exitCode: 1, message: err.message };
    throw err;
  }
  return {
    exitCode: 1,
    message: `No secret key to open the stored credentials: PUSHBOT_SECRET_KEY (or _FILE) is not set and there is no key file at ${config.secretKeyPath}. Run check with the same key settings as the daemon.`,
  };
}

/** The credential chat `chatId` stored, opened with the daemon's secret key. */
export async function credentialFromChat(
  config: Config,
  chatId: number,
): Promise<ChatCredential | CredentialProblem> {
  const state = await readState(config.dbPath);
  if ('exitCode' in state) return state;
  const chat = state.chats[String(chatId)];
  if (chat === undefined) {
    return {
      exitCode: 1,
      message: `There is no chat ${chatId} in ${config.dbPath}. Send /whoami in the chat to see its id.`,
    };
  }
  const stored = chat.credentialId !== undefined ? state.credentials[chat.credentialId] : undefined;
  if (stored === undefined) {
    return {
      exitCode: 1,
      message: `Chat ${chatId} has no Red Hat credential stored. Send /setup in that chat.`,
    };
  }
  const key = secretKey(config);
  if ('exitCode' in key) return key;
  let plain: string;
  try {
    plain = createSecretBox(key.material).decrypt(stored.secret);
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    return {
      exitCode: 1,
      message: `The secret key does not open chat ${chatId}'s credential: run check with the key the daemon uses (PUSHBOT_SECRET_KEY, or the secret.key file beside ${config.dbPath}).`,
    };
  }
  let credential: PortalCredential;
  const secrets = [key.material];
  if (stored.kind === 'offline-token') {
    credential = { kind: 'offline-token', offlineToken: plain };
    secrets.push(plain);
  } else {
    let parsed: z.infer<typeof basicSecretSchema> | undefined;
    try {
      const result = basicSecretSchema.safeParse(JSON.parse(plain));
      parsed = result.success ? result.data : undefined;
    } catch (err) {
      void err; // not JSON: reported below without its content
    }
    if (parsed === undefined) {
      return {
        exitCode: 1,
        message: `Chat ${chatId}'s stored login cannot be read (it is not a username and password). Send /setup in that chat.`,
      };
    }
    credential = { kind: 'basic', ...parsed };
    secrets.push(parsed.password);
  }
  const sharing = Object.values(state.chats).filter((c) => c.credentialId === stored.id);
  const cases = new Set(sharing.flatMap((c) => Object.keys(c.subscriptions)));
  return {
    credential,
    from: `${stored.label} stored by chat ${chatId}${stored.account !== undefined ? ` (account ${stored.account})` : ''}`,
    secrets,
    chatId,
    audience: AUDIENCES.find((a) => a === chat.audience) ?? DEFAULT_AUDIENCE,
    label: stored.label,
    rejectedAt: stored.rejectedAt,
    active: chat.active,
    followed: Object.keys(chat.subscriptions).length,
    followedByCredential: cases.size,
    keyWarning: key.warning,
  };
}
