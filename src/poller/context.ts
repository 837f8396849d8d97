// What the poller's helpers share, passed explicitly: the poller's own parts (PollerEnv, built
// once), one pass (a cycle or a sweep), and one credential within a pass (CredentialRun, whose
// flags its reads set and read).
import type { CredentialVault } from '../credentials.js';
import type { AdminReporter, CaseNumber, Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import type { Destination, PendingComments } from '../outbox/index.js';
import type { PortalClient } from '../portal/types.js';
import type { ChatState, State } from '../store/schema.js';
import type { DeepReadonly, StateStore } from '../store/store.js';
import type { CredentialRuntime, Runtimes } from './credential-runtime.js';
import type { CaseResult, CredentialOutcome } from './outcome.js';
import type { PassCounters } from './stats.js';
import type { PollTiming } from './timing.js';

export interface PollerEnv {
  store: StateStore;
  vault: Pick<CredentialVault, 'clientFor'>;
  clock: Clock;
  reporter: AdminReporter;
  /** The poller's logger (component "poller"). */
  log: Logger;
  timing: PollTiming;
  keepClosedCases: boolean;
  /** config rules.maxCasesPerRule: a follow rule brings in no more cases than this. */
  maxCasesPerRule: number;
  /** Destinations with a notifier: each new notification gets one outbox entry per destination. */
  destinations: readonly Destination[];
  /** Called after a transaction enqueued something (wakes the delivery worker). */
  onEnqueued: (() => void) | undefined;
  runtimes: Runtimes;
}

/** How a pass (a cycle or a sweep) asks, counts and records. */
export interface Pass<S extends PassCounters> {
  kind: 'cycle' | 'sweep';
  start: number;
  stats: S;
  /** Runs one portal request within the pass's share of poll.concurrency. */
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  signal?: AbortSignal | undefined;
}

/** One credential within one pass. */
export interface CredentialRun {
  env: PollerEnv;
  pass: Pass<PassCounters>;
  credentialId: string;
  rt: CredentialRuntime;
  portal: PortalClient;
  /** The poller's logger, naming the credential. */
  log: Logger;
  outcome: CredentialOutcome;
  /** When this check began (our clock): which cases are due, and the filter retry, count from it. */
  checkStart: number;
  /** For embedsUnseen: the state as it is now (a hint; transactions re-read the state). */
  state: DeepReadonly<State>;
  chats: readonly DeepReadonly<ChatState>[];
  /** Built only when a case answer embeds a comment that is not in `seen`. */
  pending: PendingComments | undefined;
  /** Stops the credential's remaining requests (auth, 429, shutdown). */
  halted: boolean;
  /** The 429 pause was logged (once per credential and pass). */
  rateLimitLogged: boolean;
  /** Called with each case read that worked (reads the files of a case that moved). */
  onRead: (caseNumber: CaseNumber, result: Extract<CaseResult, { kind: 'ok' }>) => void;
}
