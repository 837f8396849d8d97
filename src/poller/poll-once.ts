// Polling: the cycle (every poll interval) asks the portal what changed, fetches only that,
// diffs it against the store and enqueues the notifications (src/outbox/; the delivery worker
// sends them); the sweep (every poll.fullSweepEvery cycles) reads every followed case directly,
// as a safety net.
//
// Cost for the vendor, per credential:
//   - cycle: ONE changedCases(since) request, then readCase only for the followed cases it
//     names, and listComments only when such a case's lastModifiedAt moved since we last read
//     its comments (or its answer embeds a comment the chats have not seen). A quiet cycle is one
//     request per credential, whatever the number of cases, and writes nothing to the store.
//   - first check of a credential (first cycle after start, a credential seen for the first
//     time): readCase + listComments for every followed case, inside the cycle.
//   - sweep: readCase for every followed case (one request per case; the case answer embeds its
//     comments), and listComments only when that shows something moved. The sweep is a
//     background pass beside the cycles, never inside one: its requests wait behind the
//     cycle's (lower priority) and take at most half of poll.concurrency, so a sweep over
//     10,000 cases does not hold a new comment back.
//   - filter fallback (changedCases failed: endpoint missing, broken, down): readCase for every
//     followed case, listComments as above. The filter is tried again after FILTER_RETRY_AFTER_MS.
// Chats sharing a credential share every fetch: one request per case per pass, not per chat.
//
// `since` is the start of the previous successful check of that credential minus
// SINCE_SAFETY_MARGIN_MS (clock skew between us and the portal, the portal indexing late). It
// lives in memory, and is saved only when the daemon stops cleanly (checkpoint()): the first
// cycle after such a restart asks the filter what changed meanwhile. After a crash there is no
// newer checkpoint than the previous clean stop's; an older `since` only widens the question,
// and a credential without one is read in full.
//
// State: nothing is written unless something changed (checked on store.read() first). Writes
// are store.update transactions that re-apply the portal's answers to the state as it is
// inside the transaction, so a /add, /remove or /forget that happened while the portal
// answered is never overwritten (a removed case is not re-created, an added one is kept), and
// a sweep's read that is older than what a cycle already applied cannot turn a case's status
// back. Credentials finishing while a write is in flight share the next one (group commit).
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import type { Config } from '../config.js';
import type { CredentialVault } from '../credentials.js';
import type { AdminReporter, Case, CaseNumber, Clock, Comment } from '../domain.js';
import type { Logger } from '../logger.js';
import {
  caseSnapshot,
  commentSnapshot,
  destinationsOf,
  enqueuer,
  entryId,
  PendingComments,
  type Destination,
  type Enqueuer,
} from '../outbox/index.js';
import {
  isPortalError,
  type CaseRead,
  type PortalClient,
  type PortalError,
} from '../portal/types.js';
import type { ChatState, OutboxEntry, State, SubscriptionState } from '../store/schema.js';
import { holds, markSeen } from '../store/seen.js';
import type { DeepReadonly, StateStore } from '../store/store.js';
import { readBatches, readEachCase } from './batch-cycle.js';
import { diffSubscription, isQuiet, type SubscriptionDiff } from './diff.js';
import { caseNotVisibleNotice, credentialRejectedNotice } from './notices.js';

/** `since` = previous successful check start minus this: covers clock skew and late indexing. */
export const SINCE_SAFETY_MARGIN_MS = 2 * 60_000;
/**
 * A case whose fetch failed waits one poll interval before the next try, doubling per failure
 * up to this cap.
 */
export const CASE_BACKOFF_MAX_MS = 30 * 60_000;
/** A 429 without Retry-After pauses the credential this long. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;
/**
 * After the changedCases filter failed in a way that will not heal by itself (the endpoint is
 * missing, its answer unreadable), per-case polling lasts this long before it is tried again.
 * A transient failure (5xx, timeout) only costs the cycle it happened in.
 */
export const FILTER_RETRY_AFTER_MS = 60 * 60_000;

export interface PollTiming {
  sinceSafetyMarginMs: number;
  /** First wait after a case failed; default one poll interval. */
  caseBackoffBaseMs: number;
  caseBackoffMaxMs: number;
  defaultRateLimitPauseMs: number;
  filterRetryAfterMs: number;
}

const DEFAULT_TIMING: Omit<PollTiming, 'caseBackoffBaseMs'> = {
  sinceSafetyMarginMs: SINCE_SAFETY_MARGIN_MS,
  caseBackoffMaxMs: CASE_BACKOFF_MAX_MS,
  defaultRateLimitPauseMs: DEFAULT_RATE_LIMIT_PAUSE_MS,
  filterRetryAfterMs: FILTER_RETRY_AFTER_MS,
};

/** What one pass (a cycle or a sweep) cost and did. */
export interface PassCounters {
  /** Credentials that had followed cases and were not paused. */
  credentials: number;
  portalRequests: number;
  casesFetched: number;
  /** Portal failures this cycle (any kind). */
  portalFailures: number;
  /** Store transactions this cycle committed (0 in a quiet cycle). */
  storeWrites: number;
  /** Outbox entries this cycle added. */
  enqueued: number;
  /** Cases whose comments were read (listComments); the others had not moved. */
  commentReads: number;
}

export interface CycleStats extends PassCounters {
  cycle: number;
  /** Some credential was read in full in this cycle (its first check since start). */
  fullSweep: boolean;
  /** A background sweep was running when this cycle started. */
  sweepRunning: boolean;
  startedAt: string;
  durationMs: number;
}

export interface SweepStats extends PassCounters {
  sweep: number;
  startedAt: string;
  durationMs: number;
  /** Stopped before the end (shutdown). */
  aborted: boolean;
}

export interface PollerDeps {
  config: Pick<Config, 'poll'>;
  store: StateStore;
  vault: Pick<CredentialVault, 'clientFor'>;
  logger: Logger;
  clock: Clock;
  reporter: AdminReporter;
  /** Destinations with a notifier: each new notification gets one outbox entry per destination. */
  destinations: readonly Destination[];
  /** Called after a transaction enqueued something (wakes the delivery worker). */
  onEnqueued?: () => void;
  timing?: Partial<PollTiming>;
}

export interface Poller {
  runCycle(): Promise<CycleStats>;
  /**
   * Saves each credential's last complete check (credentials.*.checkedAt), so that the next
   * start asks the portal what changed since then instead of reading every case. Called once,
   * when the daemon stops; nothing is written when nothing changed.
   */
  checkpoint(): Promise<void>;
  /**
   * One pass over every followed case of the credentials a cycle has already checked, beside
   * the cycles (never blocking one). Resolves when done, or soon after `signal` aborts.
   */
  runSweep(signal?: AbortSignal): Promise<SweepStats>;
}

/** A request not sent because its credential was halted earlier in the cycle. */
class HaltedError extends Error {
  constructor() {
    super('not sent: the credential was halted earlier in this cycle');
    this.name = 'HaltedError';
  }
}

interface CredentialRuntime {
  /** Start of the last complete check; undefined → the next check is a full sweep. */
  lastCheckStart: number | undefined;
  /** The portal answered 429: no request before this time. */
  pausedUntil: number;
  /** Set while changedCases is considered broken: per-case polling until then. */
  filterRetryAt: number | undefined;
  /** The fallback was logged (once per credential, until the filter works again). */
  filterWarned: boolean;
  /** The vault could not open the credential (logged once). */
  clientWarned: boolean;
  /**
   * Per case: its lastModifiedAt when its comments were last read, and when (our clock) that
   * read started. Lets a case that has not moved cost getCase alone.
   */
  modified: Map<CaseNumber, { lastModifiedAt: string; readAt: number }>;
  /** Cases whose last fetch failed: not fetched before `until`, then fetched directly until one works. */
  backoff: Map<CaseNumber, { failures: number; until: number }>;
  /**
   * Per case: the newest lastModifiedAt (ms) whose case fields were applied to the store. A
   * read older than that (a sweep's, overtaken by a cycle's) must not set them back.
   */
  applied: Map<CaseNumber, number>;
  /**
   * Consecutive portal failures per case ('*' for the credential's own requests: the filter, a
   * batch). The third in a row is reported to the admins (the reporter sends one message an
   * hour per kind of failure, with a repeat count), so a changed API is noticed in minutes.
   */
  failures: Map<string, number>;
  /** The admins were told this credential's API looks switched off (until a read works). */
  goneReported: boolean;
}

/** Failures in a row, of one case or one credential, before the admins hear of it. */
export const REPORT_AFTER_FAILURES = 3;

type CaseResult =
  | {
      kind: 'ok';
      /** Absent when this read brought comments only (REST v3 alone reads no case fields). */
      kase: Case | undefined;
      comments: readonly Comment[];
      commentsFetched: boolean;
      /** When (our clock) the read of this case started. */
      readAt: number;
    }
  | { kind: 'not-visible' }
  | { kind: 'failed' };

interface CredentialOutcome {
  credentialId: string;
  /** The credential's runtime `applied` map (read and updated inside the transaction). */
  applied: Map<CaseNumber, number>;
  results: Map<CaseNumber, CaseResult>;
  /** The portal rejected the credential. */
  rejected: boolean;
  /** The check did not cover every case it meant to (429, auth): `since` must not advance. */
  incomplete: boolean;
}

function isPollable(sub: DeepReadonly<SubscriptionState>, keepClosedCases: boolean): boolean {
  return sub.notVisibleAt === undefined && (!sub.closed || keepClosedCases);
}

/** Active chats using this credential: the only chats a credential's results may touch. */
function chatsUsing<C extends DeepReadonly<ChatState>>(
  chats: Readonly<Record<string, C>>,
  credentialId: string,
): C[] {
  return Object.values(chats).filter((c) => c.active && c.credentialId === credentialId);
}

/** Those chats whose subscription to `caseNumber` is polled. */
function followers<C extends DeepReadonly<ChatState>>(
  chats: readonly C[],
  caseNumber: CaseNumber,
  keepClosedCases: boolean,
): C[] {
  return chats.filter((chat) => {
    const sub = chat.subscriptions[caseNumber];
    return sub !== undefined && isPollable(sub, keepClosedCases);
  });
}

/**
 * The case as the diff should see it: the read itself, or, when a newer read of the case was
 * already applied (a sweep overtaken by a cycle), the subscription's own fields, so that only
 * the read's comments count. Comments are safe to apply from any read: they are new or not by
 * id, and `seen` only grows.
 */
function effectiveCase(
  applied: ReadonlyMap<CaseNumber, number>,
  sub: DeepReadonly<SubscriptionState>,
  kase: Case | undefined,
): Case | undefined {
  if (kase === undefined) return undefined;
  const newest = applied.get(sub.caseNumber);
  const version = Date.parse(kase.lastModifiedAt);
  if (newest === undefined || Number.isNaN(version) || version >= newest) return kase;
  const { summary, status, severity, product, closed } = sub;
  return { ...kase, summary, status, severity, product, closed };
}

function diffFor(
  pending: PendingComments,
  chat: DeepReadonly<ChatState>,
  sub: DeepReadonly<SubscriptionState>,
  result: Extract<CaseResult, { kind: 'ok' }>,
  applied: ReadonlyMap<CaseNumber, number>,
): SubscriptionDiff {
  return diffSubscription({
    subscription: sub,
    kase: effectiveCase(applied, sub, result.kase),
    comments: result.comments,
    audience:
      chat.audience === 'customer' || chat.audience === 'both' ? chat.audience : 'associate',
    pendingCommentIds: pending.of(chat.id, sub.caseNumber),
  });
}

/** The case as the subscription last stored it, for a read that brought comments only. */
function storedCase(sub: DeepReadonly<SubscriptionState>): Case {
  return {
    number: sub.caseNumber,
    summary: sub.summary,
    status: sub.status,
    severity: sub.severity,
    product: sub.product,
    closed: sub.closed,
    lastModifiedAt: sub.addedAt,
  };
}

/** Would applying this credential's outcome change the store? (Checked before any update.) */
function needsWrite(
  state: DeepReadonly<State>,
  o: CredentialOutcome,
  pending: PendingComments,
  keepClosedCases: boolean,
): boolean {
  if (o.rejected) {
    const cred = state.credentials[o.credentialId];
    if (cred && cred.rejectedAt === undefined) return true;
  }
  const chats = chatsUsing(state.chats, o.credentialId);
  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    for (const chat of followers(chats, caseNumber, keepClosedCases)) {
      const sub = chat.subscriptions[caseNumber];
      if (!sub) continue;
      if (result.kind === 'not-visible') return true;
      if (!isQuiet(diffFor(pending, chat, sub, result, o.applied))) return true;
    }
  }
  return false;
}

/** The transaction: applies one credential's outcome to a fresh draft. Returns entries added. */
function applyOutcome(
  draft: State,
  o: CredentialOutcome,
  context: {
    now: number;
    keepClosedCases: boolean;
    destinations: readonly Destination[];
    /** Built once per transaction, shared by the outcomes it writes. */
    enqueue: Enqueuer;
  },
): number {
  const nowIso = new Date(context.now).toISOString();
  const { pending } = context.enqueue;
  let added = 0;
  const push = (entry: OutboxEntry): void => {
    if (context.enqueue.add(entry)) added++;
  };
  const base = (chatId: number, destination: Destination) =>
    ({ chatId, destination, createdAt: nowIso, attempts: 0 }) as const;
  const canTell = context.destinations.includes('telegram');
  const chats = chatsUsing(draft.chats, o.credentialId);

  for (const [caseNumber, result] of o.results) {
    if (result.kind === 'failed') continue;
    for (const chat of followers(chats, caseNumber, context.keepClosedCases)) {
      const sub = chat.subscriptions[caseNumber];
      if (!sub) continue;
      if (result.kind === 'not-visible') {
        sub.notVisibleAt = nowIso;
        if (canTell) {
          push({
            ...base(chat.id, 'telegram'),
            id: entryId('telegram', chat.id, caseNumber, `not-visible:${context.now}`),
            kind: 'notice',
            text: caseNotVisibleNotice(caseNumber, sub.summary),
          });
        }
        continue;
      }
      const kase = effectiveCase(o.applied, sub, result.kase);
      const diff = diffFor(pending, chat, sub, result, o.applied);
      if (isQuiet(diff)) continue;
      if (kase !== undefined && kase === result.kase) {
        const version = Date.parse(kase.lastModifiedAt);
        if (!Number.isNaN(version)) o.applied.set(caseNumber, version);
      }
      const snapshot = caseSnapshot(caseNumber, kase ?? storedCase(sub));
      const destinations = destinationsOf(chat, context.destinations);
      for (const comment of diff.comments) {
        for (const d of destinations) {
          push({
            ...base(chat.id, d),
            id: entryId(d, chat.id, caseNumber, comment.id),
            kind: 'comment',
            case: snapshot,
            comment: commentSnapshot(caseNumber, comment),
          });
        }
      }
      for (const comment of diff.seenSilently) markSeen(sub, comment);
      if (diff.statusChange) {
        for (const d of destinations) {
          push({
            ...base(chat.id, d),
            id: entryId(d, chat.id, caseNumber, `status:${context.now}`),
            kind: 'status',
            case: snapshot,
            text: diff.statusChange.previous,
          });
        }
      }
      if (diff.closed) {
        // The subscription ends when this message is delivered (outbox/settle.ts),
        // unless poll.keepClosedCases; meanwhile `closed` stops its polling.
        for (const d of destinations) {
          push({
            ...base(chat.id, d),
            id: entryId(d, chat.id, caseNumber, `closed:${context.now}`),
            kind: 'closed',
            case: snapshot,
          });
        }
      }
      Object.assign(sub, diff.patch);
    }
  }

  if (o.rejected) {
    const cred = draft.credentials[o.credentialId];
    if (cred) {
      cred.rejectedAt ??= nowIso;
      const rejectedAt = Date.parse(cred.rejectedAt);
      for (const chat of chats) {
        // Told once per rejection: a chat told about an earlier rejection hears of a new one.
        const told = chat.credentialRejectedNotifiedAt;
        if (told !== undefined && Date.parse(told) >= rejectedAt) continue;
        chat.credentialRejectedNotifiedAt = nowIso;
        if (canTell) {
          push({
            ...base(chat.id, 'telegram'),
            id: entryId('telegram', chat.id, undefined, `credential-rejected:${context.now}`),
            kind: 'notice',
            text: credentialRejectedNotice(cred.label),
          });
        }
      }
    }
  }
  return added;
}

/**
 * True when a case's comments need not be read again: its lastModifiedAt is the one seen at the
 * last read, and that read started well after the modification. Portal dates have one-second
 * resolution and the portal's clock is not ours, so a read soon after a modification may have
 * missed a comment written in the same second: such a case is read again until the margin has
 * passed.
 */
function unchangedSinceRead(
  last: { lastModifiedAt: string; readAt: number } | undefined,
  lastModifiedAt: string,
  marginMs: number,
): boolean {
  if (last === undefined || last.lastModifiedAt !== lastModifiedAt) return false;
  const modifiedAt = Date.parse(lastModifiedAt);
  return !Number.isNaN(modifiedAt) && last.readAt - modifiedAt >= marginMs;
}

/** Cycle requests go first; a sweep's wait behind them (p-queue: higher number = sooner). */
const CYCLE_PRIORITY = 1;
const SWEEP_PRIORITY = 0;

/** How a pass (a cycle or a sweep) asks, counts and records. */
interface Pass<S extends PassCounters> {
  kind: 'cycle' | 'sweep';
  start: number;
  stats: S;
  /** Runs one portal request within the pass's share of poll.concurrency. */
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  signal?: AbortSignal | undefined;
}

export function createPoller(deps: PollerDeps): Poller {
  const timing: PollTiming = {
    ...DEFAULT_TIMING,
    caseBackoffBaseMs: deps.config.poll.intervalSeconds * 1000,
    ...deps.timing,
  };
  const log = deps.logger.child({ component: 'poller' });
  const runtimes = new Map<string, CredentialRuntime>();
  let cycle = 0;
  let sweeps = 0;
  let sweepRunning = false;
  let checkpointsLoaded = false;
  const keepClosedCases = deps.config.poll.keepClosedCases;

  // One limiter for every portal request of this poller, so cycles and a sweep together never
  // exceed poll.concurrency; a queued cycle request starts before any queued sweep request.
  // (p-queue, not Bottleneck: Bottleneck dispatches each job through a timer, about 2 ms per
  // job, which made a 500-credential quiet cycle over a second longer.)
  const limiter = new PQueue({ concurrency: deps.config.poll.concurrency });
  // The sweep never holds more than half the slots (at least one): a slow or hanging portal
  // answer to a sweep request leaves room for the cycle's.
  const sweepSlots = Math.max(1, Math.floor(deps.config.poll.concurrency / 2));

  const runtimeOf = (credentialId: string): CredentialRuntime => {
    let rt = runtimes.get(credentialId);
    if (!rt) {
      rt = {
        lastCheckStart: undefined,
        pausedUntil: 0,
        filterRetryAt: undefined,
        filterWarned: false,
        clientWarned: false,
        modified: new Map(),
        backoff: new Map(),
        applied: new Map(),
        failures: new Map(),
        goneReported: false,
      };
      runtimes.set(credentialId, rt);
    }
    return rt;
  };

  /** Followed, pollable cases per usable credential (active chats, credential not rejected). */
  const plan = (state: DeepReadonly<State>): Map<string, CaseNumber[]> => {
    const byCredential = new Map<string, Set<CaseNumber>>();
    for (const chat of Object.values(state.chats)) {
      if (!chat.active || chat.credentialId === undefined) continue;
      const cred = state.credentials[chat.credentialId];
      if (!cred || cred.rejectedAt !== undefined) continue;
      const cases = byCredential.get(cred.id) ?? new Set<CaseNumber>();
      byCredential.set(cred.id, cases);
      for (const sub of Object.values(chat.subscriptions)) {
        if (isPollable(sub, keepClosedCases)) cases.add(sub.caseNumber);
      }
    }
    return new Map([...byCredential].map(([id, cases]) => [id, [...cases].sort()]));
  };

  /** Counts a failure in a row; the REPORT_AFTER_FAILURES-th and later go to the admins. */
  const noteFailure = (
    rt: CredentialRuntime,
    caseNumber: CaseNumber | undefined,
    err: PortalError,
    credentialId: string,
  ): void => {
    // Kinds with their own handling: the chats are told (auth), polling stops (not-visible),
    // or the admins already heard (gone).
    if (err.kind === 'auth' || err.kind === 'not-visible' || err.kind === 'gone') return;
    const key = caseNumber ?? '*';
    const count = (rt.failures.get(key) ?? 0) + 1;
    rt.failures.set(key, count);
    if (count < REPORT_AFTER_FAILURES) return;
    deps.reporter.report({
      component: 'portal',
      error: err,
      context: {
        credentialId,
        ...(caseNumber !== undefined ? { caseNumber } : {}),
        failuresInARow: count,
        endpoint: err.endpoint,
        status: err.status,
      },
    });
  };
  const resetFailures = (rt: CredentialRuntime, caseNumber: CaseNumber | undefined): void => {
    rt.failures.delete(caseNumber ?? '*');
    rt.goneReported = false;
  };

  const backoffCase = (rt: CredentialRuntime, caseNumber: CaseNumber, now: number): number => {
    const failures = (rt.backoff.get(caseNumber)?.failures ?? 0) + 1;
    const wait = Math.min(
      timing.caseBackoffMaxMs,
      timing.caseBackoffBaseMs * 2 ** Math.min(failures - 1, 30),
    );
    rt.backoff.set(caseNumber, { failures, until: now + wait });
    return wait;
  };

  /**
   * True when a case answer embeds a public comment that some chat following the case with
   * this credential has neither seen nor waiting in its outbox: the answer shows something new,
   * whatever lastModifiedAt says. `pending` is built only when a comment is not in `seen`.
   */
  const embedsUnseen = (
    state: DeepReadonly<State>,
    chats: readonly DeepReadonly<ChatState>[],
    caseNumber: CaseNumber,
    embedded: readonly Comment[],
    pending: { of?: PendingComments },
  ): boolean => {
    const visible = embedded.filter((c) => c.isPublic && !c.isDraft);
    if (visible.length === 0) return false;
    return followers(chats, caseNumber, keepClosedCases).some((chat) => {
      const sub = chat.subscriptions[caseNumber];
      const seen = new Set(sub?.seen ?? []);
      const upTo = sub?.seenUpTo !== undefined ? Date.parse(sub.seenUpTo) : Number.NaN;
      // Known by id or print, or handled under another API's ids (diff.ts).
      const unseen = visible.filter(
        (c) =>
          !holds(seen, c) && !((c.idSpace ?? 'v1') !== sub?.via && Date.parse(c.createdAt) <= upTo),
      );
      if (unseen.length === 0) return false;
      pending.of ??= new PendingComments(state.outbox);
      const waiting = pending.of.of(chat.id, caseNumber);
      return unseen.some((c) => !holds(waiting, c));
    });
  };

  const pollCredential = async <S extends PassCounters>(
    credentialId: string,
    cases: readonly CaseNumber[],
    pass: Pass<S>,
  ): Promise<CredentialOutcome | undefined> => {
    const { stats } = pass;
    const rt = runtimeOf(credentialId);
    const clog = log.child({ credentialId });
    // Forget what is no longer followed, so memory follows the subscriptions.
    const followed = new Set(cases);
    for (const map of [rt.modified, rt.backoff, rt.applied, rt.failures]) {
      for (const n of map.keys()) if (n !== '*' && !followed.has(n)) map.delete(n);
    }
    const outcome: CredentialOutcome = {
      credentialId,
      applied: rt.applied,
      results: new Map(),
      rejected: false,
      incomplete: false,
    };
    if (cases.length === 0) {
      // Nothing followed: nothing to ask. A case added later was read by /add itself.
      if (pass.kind === 'cycle') rt.lastCheckStart = pass.start;
      return undefined;
    }
    if (rt.pausedUntil > deps.clock.now()) return undefined;

    let client: PortalClient | undefined;
    try {
      client = deps.vault.clientFor(credentialId);
    } catch (err) {
      if (!rt.clientWarned) {
        rt.clientWarned = true;
        clog.error({ err }, 'cannot open a stored credential; its cases are not polled');
        deps.reporter.report({ component: 'poller', error: err, context: { credentialId } });
      }
      return undefined;
    }
    if (!client) return undefined;
    const portal = client;
    stats.credentials++;
    // For embedsUnseen: the chats as they are now (a hint; transactions re-read the state).
    const state = deps.store.read();
    const chats = chatsUsing(state.chats, credentialId);
    const pending: { of?: PendingComments } = {};

    /** Stops the credential's remaining requests (auth, 429, shutdown). */
    let halted = false;
    let rateLimitLogged = false;
    const request = <T>(fn: () => Promise<T>): Promise<T> =>
      pass.schedule(async () => {
        // Requests already queued when the portal said 429 (or rejected the credential) are
        // not sent: it asked us to stop. `halted` is set here, before the limiter starts the
        // next queued request. A 429 met by another pass pauses this one too.
        if (halted || pass.signal?.aborted || rt.pausedUntil > deps.clock.now()) {
          throw new HaltedError();
        }
        stats.portalRequests++;
        try {
          return await fn();
        } catch (err) {
          if (isPortalError(err) && (err.kind === 'auth' || err.kind === 'rate-limited')) {
            halted = true;
          }
          throw err;
        }
      });
    const failed = (caseNumber: CaseNumber | undefined, err: unknown): CaseResult | undefined => {
      if (err instanceof HaltedError) {
        outcome.incomplete = true;
        return undefined;
      }
      stats.portalFailures++;
      const kind = isPortalError(err) ? err.kind : 'unexpected';
      const now = deps.clock.now();
      if (isPortalError(err)) noteFailure(rt, caseNumber, err, credentialId);
      if (kind === 'auth') {
        if (!outcome.rejected) {
          clog.warn(
            { err },
            'the portal rejected the credential: pausing it and telling its chats',
          );
        }
        halted = true;
        outcome.rejected = true;
        outcome.incomplete = true;
        return undefined;
      }
      if (kind === 'rate-limited') {
        const wait =
          (isPortalError(err) ? err.retryAfterMs : undefined) ?? timing.defaultRateLimitPauseMs;
        if (!rateLimitLogged) {
          rateLimitLogged = true;
          clog.warn(
            { retryAfterMs: wait },
            'the portal asked to slow down: pausing this credential',
          );
        }
        rt.pausedUntil = Math.max(rt.pausedUntil, now + wait);
        halted = true;
        outcome.incomplete = true;
        return undefined;
      }
      if (kind === 'not-visible' && caseNumber !== undefined) {
        clog.info(
          { caseNumber },
          'the credential cannot see the case any more: stopping its polling',
        );
        return { kind: 'not-visible' };
      }
      if (kind === 'gone' && isPortalError(err) && !rt.goneReported) {
        // The API is missing, not the case: polling goes on (backed off), chats hear nothing,
        // the operator hears once until a read works again.
        rt.goneReported = true;
        clog.error({ err }, 'the portal API answers as if it were switched off');
        deps.reporter.report({
          component: 'portal',
          error: err,
          context: {
            credentialId,
            endpoint: err.endpoint,
            status: err.status,
            hint: 'run "tickets-pushbot check" to see which Red Hat API works',
          },
        });
      }
      const wait = caseNumber !== undefined ? backoffCase(rt, caseNumber, now) : 0;
      clog.warn(
        { err, caseNumber, retryInMs: wait },
        'portal request failed; the case is retried later',
      );
      if (kind === 'bad-payload' || kind === 'unexpected') {
        deps.reporter.report({
          component: 'poller',
          error: err,
          context: { credentialId, caseNumber },
        });
      }
      return { kind: 'failed' };
    };

    /**
     * readCase, then listComments unless the case has not moved since its comments were last
     * read (well after its last modification) and its answer embeds nothing unseen. A
     * credential's first check reads every case's comments: nothing is known of them yet.
     */
    const fetchCase = async (caseNumber: CaseNumber): Promise<void> => {
      if (halted) return;
      const readAt = deps.clock.now();
      let read: CaseRead;
      try {
        read = await request(() => portal.readCase(caseNumber));
      } catch (err) {
        const r = failed(caseNumber, err);
        if (r) outcome.results.set(caseNumber, r);
        return;
      }
      const { kase } = read;
      stats.casesFetched++;
      const unchanged =
        unchangedSinceRead(
          rt.modified.get(caseNumber),
          kase.lastModifiedAt,
          timing.sinceSafetyMarginMs,
        ) && !embedsUnseen(state, chats, caseNumber, read.comments, pending);
      if (unchanged) {
        outcome.results.set(caseNumber, {
          kind: 'ok',
          kase,
          comments: [],
          commentsFetched: false,
          readAt,
        });
        return;
      }
      if (halted) return;
      try {
        const comments = await request(() => portal.listComments(caseNumber));
        stats.commentReads++;
        outcome.results.set(caseNumber, {
          kind: 'ok',
          kase,
          comments,
          commentsFetched: true,
          readAt,
        });
      } catch (err) {
        const r = failed(caseNumber, err);
        if (r) outcome.results.set(caseNumber, r);
      }
    };

    const now = deps.clock.now();
    const due = (n: CaseNumber) => (rt.backoff.get(n)?.until ?? 0) <= now;
    const mode = portal.readMode();
    const ok = (
      caseNumber: CaseNumber,
      kase: Case | undefined,
      comments: readonly Comment[] | undefined,
      readAt: number,
    ): void => {
      outcome.results.set(caseNumber, {
        kind: 'ok',
        kase,
        comments: comments ?? [],
        commentsFetched: comments !== undefined,
        readAt,
      });
    };
    const fail = (caseNumber: CaseNumber, err: unknown): void => {
      const r = failed(caseNumber, err);
      if (r) outcome.results.set(caseNumber, r);
    };
    /** Comments of a case, recorded as the case's result (with its fields when known). */
    const readComments = async (
      caseNumber: CaseNumber,
      kase: Case | undefined,
      readAt: number,
    ): Promise<void> => {
      if (halted) return;
      try {
        const comments = await request(() => portal.listComments(caseNumber));
        stats.commentReads++;
        ok(caseNumber, kase, comments, readAt);
      } catch (err) {
        fail(caseNumber, err);
      }
    };
    const changedSinceRead = (caseNumber: CaseNumber, kase: Case, embedded: readonly Comment[]) =>
      !unchangedSinceRead(
        rt.modified.get(caseNumber),
        kase.lastModifiedAt,
        timing.sinceSafetyMarginMs,
      ) || embedsUnseen(state, chats, caseNumber, embedded, pending);

    if (mode.kind === 'batch' && pass.kind === 'sweep' && mode.withComments) {
      // Every cycle already reads every case with its newest comments: nothing to sweep.
      return undefined;
    }
    if (mode.kind === 'batch' && pass.kind === 'cycle') {
      const stepDown = await readBatches({
        cases: cases.filter(due),
        mode,
        portal,
        request,
        stats,
        now: () => deps.clock.now(),
        halted: () => halted,
        onBatchOk: () => resetFailures(rt, undefined),
        fail,
        notVisible: (n) => outcome.results.set(n, { kind: 'not-visible' }),
        ok,
        readComments,
        needsComments: (n, kase, returned) =>
          returned === undefined
            ? changedSinceRead(n, kase, [])
            : embedsUnseen(state, chats, n, returned, pending),
      });
      if (stepDown.length > 0) {
        clog.info(
          { cases: stepDown.length },
          'no batch path works for this credential now: reading its cases one by one',
        );
        await Promise.all(stepDown.map((n) => fetchCase(n)));
      }
      return outcome;
    }
    if (mode.kind === 'per-case' && pass.kind === 'cycle' && rt.lastCheckStart !== undefined) {
      // REST v3 alone: every case's comment list, every cycle (a comment need not move the
      // case's lastModifiedDate); the case fields come with the sweep.
      await readEachCase(cases.filter(due), (n) => readComments(n, undefined, deps.clock.now()));
      return outcome;
    }

    let toFetch: CaseNumber[];
    if (
      mode.kind !== 'filter' ||
      pass.kind === 'sweep' ||
      rt.lastCheckStart === undefined ||
      (rt.filterRetryAt !== undefined && now < rt.filterRetryAt)
    ) {
      toFetch = cases.filter(due);
    } else {
      const since = new Date(rt.lastCheckStart - timing.sinceSafetyMarginMs);
      let changed: Set<CaseNumber> | undefined;
      try {
        changed = new Set(await request(() => portal.changedCases(since)));
        resetFailures(rt, undefined);
        if (rt.filterRetryAt !== undefined) {
          clog.info('the changed-cases filter works again: back to one request per cycle');
        }
        rt.filterRetryAt = undefined;
        rt.filterWarned = false;
      } catch (err) {
        const kind = isPortalError(err) ? err.kind : 'unexpected';
        if (err instanceof HaltedError || kind === 'auth' || kind === 'rate-limited') {
          failed(undefined, err);
        } else {
          stats.portalFailures++;
          if (isPortalError(err)) noteFailure(rt, undefined, err, credentialId);
          // Broken or missing (a 404, an answer we cannot read): poll case by case for a while.
          // Transient (5xx, timeout): case by case for this cycle only; the filter next cycle.
          const retryInMs = kind === 'transient' ? 0 : timing.filterRetryAfterMs;
          rt.filterRetryAt = now + retryInMs;
          if (!rt.filterWarned) {
            rt.filterWarned = true;
            clog.warn(
              { err, retryFilterInMs: retryInMs },
              'the changed-cases filter failed: polling each followed case directly for now',
            );
          }
        }
      }
      // What the filter names, plus cases whose earlier failure is due for a retry; every
      // case when the filter failed.
      toFetch = halted
        ? []
        : cases.filter((n) => due(n) && (!changed || changed.has(n) || rt.backoff.has(n)));
    }

    await Promise.all(toFetch.map((n) => fetchCase(n)));
    return outcome;
  };

  /**
   * Writes credentials' outcomes (those that change anything) in ONE transaction. Returns
   * whether they are recorded. A batch that fails is retried one outcome at a time, so one
   * bad outcome cannot hold the others back.
   */
  const writeBatch = async (
    batch: CredentialOutcome[],
    stats: PassCounters,
  ): Promise<boolean[]> => {
    const state = deps.store.read();
    const pendingNow = new PendingComments(state.outbox);
    const writing = batch.filter((o) => needsWrite(state, o, pendingNow, keepClosedCases));
    if (writing.length === 0) return batch.map(() => true);
    const write = async (outcomes: CredentialOutcome[]): Promise<boolean> => {
      try {
        const added = await deps.store.update((draft) => {
          const context = {
            now: deps.clock.now(),
            keepClosedCases,
            destinations: deps.destinations,
            enqueue: enqueuer(draft),
          };
          return outcomes.reduce((sum, o) => sum + applyOutcome(draft, o, context), 0);
        });
        stats.storeWrites++;
        stats.enqueued += added;
        // Wake the delivery worker now, not at the end of the cycle: latency matters.
        if (added > 0) deps.onEnqueued?.();
        return true;
      } catch (err) {
        const credentialIds = outcomes.map((o) => o.credentialId);
        log.error(
          { err, credentialIds },
          'could not record what the portal returned; it is fetched again next cycle',
        );
        deps.reporter.report({ component: 'store', error: err, context: { credentialIds } });
        return false;
      }
    };
    const recorded = new Set<CredentialOutcome>();
    if (await write(writing)) writing.forEach((o) => recorded.add(o));
    else if (writing.length > 1) {
      for (const o of writing) if (await write([o])) recorded.add(o);
    }
    return batch.map((o) => !writing.includes(o) || recorded.has(o));
  };

  /** Settles a credential's runtime once its outcome is recorded (or not). */
  const settle = (o: CredentialOutcome, recorded: boolean, pass: Pass<PassCounters>): void => {
    if (!recorded) return;
    const rt = runtimeOf(o.credentialId);
    for (const [caseNumber, result] of o.results) {
      if (result.kind === 'failed') continue;
      rt.backoff.delete(caseNumber);
      resetFailures(rt, caseNumber);
      if (result.kind === 'ok' && result.commentsFetched && result.kase !== undefined) {
        // A cycle and a sweep may both have read the case: keep the later read.
        const previous = rt.modified.get(caseNumber);
        if (previous === undefined || previous.readAt <= result.readAt) {
          rt.modified.set(caseNumber, {
            lastModifiedAt: result.kase.lastModifiedAt,
            readAt: result.readAt,
          });
        }
      }
    }
    if (o.rejected) {
      // When the credential comes back (/setup), start over with a full read.
      runtimes.delete(o.credentialId);
    } else if (pass.kind === 'cycle' && !o.incomplete) {
      rt.lastCheckStart = pass.start;
    }
  };

  /**
   * Group commit: the first finished credential is written at once; outcomes finishing while
   * a write is in flight are written together by the next one. Latency stays low when few
   * credentials change, and a pass where hundreds change costs a handful of writes, not
   * hundreds (each write rewrites the whole db.json).
   */
  const createCommitter = (pass: Pass<PassCounters>) => {
    let waiting: { o: CredentialOutcome; done: () => void }[] = [];
    let running = false;
    const drain = async (): Promise<void> => {
      running = true;
      while (waiting.length > 0) {
        const batch = waiting;
        waiting = [];
        const recorded = await writeBatch(
          batch.map((b) => b.o),
          pass.stats,
        );
        batch.forEach((b, i) => {
          settle(b.o, recorded[i] ?? false, pass);
          b.done();
        });
      }
      running = false;
    };
    return (o: CredentialOutcome): Promise<void> =>
      new Promise<void>((resolve) => {
        waiting.push({ o, done: resolve });
        if (!running) void drain();
      });
  };

  const counters = (): PassCounters => ({
    credentials: 0,
    portalRequests: 0,
    casesFetched: 0,
    portalFailures: 0,
    storeWrites: 0,
    enqueued: 0,
    commentReads: 0,
  });

  return {
    async runCycle() {
      cycle++;
      const start = deps.clock.now();
      const state = deps.store.read();
      if (!checkpointsLoaded) {
        checkpointsLoaded = true;
        for (const cred of Object.values(state.credentials)) {
          const at = cred.checkedAt !== undefined ? Date.parse(cred.checkedAt) : Number.NaN;
          // A checkpoint from the future (a clock set back) is no checkpoint.
          if (!Number.isNaN(at) && at <= start) runtimeOf(cred.id).lastCheckStart = at;
        }
      }
      for (const id of runtimes.keys()) {
        if (state.credentials[id] === undefined) runtimes.delete(id);
      }
      const planned = plan(state);
      const stats: CycleStats = {
        cycle,
        fullSweep: [...planned.keys()].some((id) => runtimes.get(id)?.lastCheckStart === undefined),
        sweepRunning,
        startedAt: new Date(start).toISOString(),
        durationMs: 0,
        ...counters(),
      };
      const pass: Pass<CycleStats> = {
        kind: 'cycle',
        start,
        stats,
        schedule: (fn) => limiter.add(fn, { priority: CYCLE_PRIORITY }),
      };
      const commit = createCommitter(pass);
      await Promise.all(
        [...planned].map(async ([credentialId, cases]) => {
          const o = await pollCredential(credentialId, cases, pass);
          if (o) await commit(o);
        }),
      );
      stats.durationMs = deps.clock.now() - start;
      log.debug(stats, 'poll cycle done');
      return stats;
    },

    async checkpoint() {
      const checked = [...runtimes].filter(([, rt]) => rt.lastCheckStart !== undefined);
      if (checked.length === 0) return;
      await deps.store.update((draft) => {
        for (const [id, rt] of checked) {
          const cred = draft.credentials[id];
          if (cred && rt.lastCheckStart !== undefined) {
            cred.checkedAt = new Date(rt.lastCheckStart).toISOString();
          }
        }
      });
      log.info({ credentials: checked.length }, 'saved where each credential was checked up to');
    },

    async runSweep(signal) {
      sweeps++;
      const start = deps.clock.now();
      const stats: SweepStats = {
        sweep: sweeps,
        startedAt: new Date(start).toISOString(),
        durationMs: 0,
        aborted: false,
        ...counters(),
      };
      const slots = pLimit(sweepSlots);
      const pass: Pass<SweepStats> = {
        kind: 'sweep',
        start,
        stats,
        schedule: (fn) => slots(() => limiter.add(fn, { priority: SWEEP_PRIORITY })),
        signal,
      };
      const commit = createCommitter(pass);
      // Credentials a cycle has not checked yet get their full read there.
      const planned = [...plan(deps.store.read())].filter(
        ([id]) => runtimes.get(id)?.lastCheckStart !== undefined,
      );
      // A few credentials at a time: the outcomes held in memory stay small at any size.
      const credentials = pLimit(sweepSlots);
      sweepRunning = true;
      log.debug({ sweep: sweeps, credentials: planned.length }, 'sweep started');
      try {
        await Promise.all(
          planned.map(([credentialId, cases]) =>
            credentials(async () => {
              if (signal?.aborted) return;
              const o = await pollCredential(credentialId, cases, pass);
              if (o) await commit(o);
            }),
          ),
        );
      } finally {
        sweepRunning = false;
      }
      stats.aborted = signal?.aborted ?? false;
      stats.durationMs = deps.clock.now() - start;
      log.debug(stats, 'sweep done');
      return stats;
    },
  };
}
