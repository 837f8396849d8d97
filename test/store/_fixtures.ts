// Shared pieces of the store tests: sample state, child processes, and the suite's temp folders
// and log collector (test/_helpers/), re-exported here.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  ChatState,
  CredentialState,
  State,
  SubscriptionState,
} from '../../src/store/schema.js';
import { waitUntil } from '../_helpers/wait.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHILD_SCRIPT = fileURLToPath(new URL('./_open-store-child.ts', import.meta.url));

export { collectLogs, type LogCollector } from '../_helpers/logs.js';
export { tempDir } from '../_helpers/temp-dir.js';

const CREATED_AT = '2024-05-01T10:00:00.000Z';

export function makeSubscription(caseNumber: string, seen: string[] = []): SubscriptionState {
  return {
    caseNumber,
    addedAt: CREATED_AT,
    seen,
    summary: 'Cluster upgrade stuck at 87%',
    status: 'Waiting on Red Hat',
    severity: '3 (Normal)',
    product: 'OpenShift Container Platform',
    closed: false,
  };
}

export function makeChat(id: number, subscriptions: SubscriptionState[] = []): ChatState {
  return {
    id,
    type: 'private',
    active: true,
    audience: 'associate',
    subscriptions: Object.fromEntries(subscriptions.map((s) => [s.caseNumber, s])),
    createdAt: CREATED_AT,
  };
}

export function makeCredential(id: string, sealedSecret: string): CredentialState {
  return {
    id,
    kind: 'offline-token',
    secret: sealedSecret,
    label: 'offline token …1a2b',
    createdAt: CREATED_AT,
  };
}

/** Where the write-loop child counts its committed writes: one seen id per write. */
export const COUNTER_CHAT = '1';
export const COUNTER_CASE = '00000001';

export function counter(state: State): string[] {
  const subscription = state.chats[COUNTER_CHAT]?.subscriptions[COUNTER_CASE];
  if (!subscription) throw new Error('the counter subscription is missing');
  return subscription.seen;
}

/** Polls `condition` every `intervalMs` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<void> {
  await waitUntil(condition, { timeoutMs, intervalMs, what });
}

export interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts test/store/_open-store-child.ts with the given arguments. */
export function startChild(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close' (not 'exit'): every byte the child wrote to its pipes has been read by then.
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, stdout: () => out, stderr: () => err, exited };
}
