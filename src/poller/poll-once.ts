// One poll cycle: ask the portal what changed, fetch only that, diff it against the store, and
// enqueue the notifications (delivery.ts sends them).
//
// Cost for the vendor, per credential and cycle:
//   - normal cycle: ONE changedCases(since) request, then getCase only for the followed cases
//     it names, and listComments only when such a case's lastModifiedAt moved since we last
//     read its comments. A quiet cycle is one request per credential, whatever the number of
//     cases, and writes nothing to the store.
//   - full sweep (first cycle after start, every poll.fullSweepEvery cycles, and for a credential
//     seen for the first time): getCase + listComments for every followed case, as a safety net
//     against anything the date filter could miss.
//   - filter fallback (changedCases failed: endpoint missing, broken, down): getCase for every
//     followed case, and listComments only when the case's lastModifiedAt moved since the last
//     fetch. The filter is tried again after FILTER_RETRY_AFTER_MS.
// Chats sharing a credential share every fetch: one request per case per cycle, not per chat.
//
// `since` is the start of the previous successful check of that credential minus
// SINCE_SAFETY_MARGIN_MS (clock skew between us and the portal, the portal indexing late). It
// lives in memory: after a restart the first cycle is a full sweep anyway.
//
// State: nothing is written unless something changed (checked on store.read() first). Writes
// are store.update transactions that re-apply the portal's answers to the state as it is
// inside the transaction, so a /add, /remove or /forget that happened while the portal
// answered is never overwritten (a removed case is not re-created, an added one is kept).
// Credentials finishing while a write is in flight share the next one (group commit).
import pLimit, { type LimitFunction } from 'p-limit';
import type { Config } from '../config.js';
import type { CredentialVault } from '../credentials.js';
import type { Case, CaseNumber, Clock, Comment } from '../domain.js';
import type { Logger } from '../logger.js';
import { destinationsOf, entryId } from '../notify/delivery.js';
import type { AdminReporter, Destination } from '../notify/notifier.js';
import { isPortalError, type PortalClient } from '../portal/types.js';
import type { ChatState, OutboxEntry, State, SubscriptionState } from '../store/schema.js';
import type { DeepReadonly, StateStore } from '../store/store.js';
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

export interface CycleStats {
  cycle: number;
  fullSweep: boolean;
  startedAt: string;
  durationMs: number;
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
}

type CaseResult =
  | { kind: 'ok'; kase: Case; comments: readonly Comment[]; commentsFetched: boolean }
  | { kind: 'not-visible' }
  | { kind: 'failed' };

interface CredentialOutcome {
  credentialId: string;
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
 * Comment ids pending in the outbox per (chat, case), built once per transaction: scanning the
 * outbox for every subscription would cost outbox × subscriptions in a busy cycle.
 */
class PendingComments {
  private readonly byKey = new Map<string, Set<string>>();
  constructor(outbox: readonly DeepReadonly<OutboxEntry>[]) {
    for (const e of outbox) this.add(e);
  }
  add(e: DeepReadonly<OutboxEntry>): void {
    if (e.kind !== 'comment' || !e.comment) return;
    const key = `${e.chatId}:${e.comment.caseNumber}`;
    let ids = this.byKey.get(key);
    if (!ids) this.byKey.set(key, (ids = new Set()));
    ids.add(e.comment.id);
  }
  of(chatId: number, caseNumber: CaseNumber): ReadonlySet<string> {
    return this.byKey.get(`${chatId}:${caseNumber}`) ?? NONE;
  }
}
const NONE: ReadonlySet<string> = new Set();

function diffFor(
  pending: PendingComments,
  chat: DeepReadonly<ChatState>,
  sub: DeepReadonly<SubscriptionState>,
  result: Extract<CaseResult, { kind: 'ok' }>,
): SubscriptionDiff {
  return diffSubscription({
    subscription: sub,
    kase: result.kase,
    comments: result.comments,
    audience:
      chat.audience === 'customer' || chat.audience === 'both' ? chat.audience : 'associate',
    pendingCommentIds: pending.of(chat.id, sub.caseNumber),
  });
}

// Snapshots carry the case number we asked for (the subscription's key), whatever the portal
// echoed: the entry must always validate and settle against the right subscription.
function caseSnapshot(caseNumber: CaseNumber, k: Case): NonNullable<OutboxEntry['case']> {
  return {
    number: caseNumber,
    summary: k.summary,
    status: k.status,
    severity: k.severity,
    product: k.product,
    closed: k.closed,
    lastModifiedAt: k.lastModifiedAt,
    ...(k.group !== undefined ? { group: k.group } : {}),
  };
}

function commentSnapshot(caseNumber: CaseNumber, c: Comment): NonNullable<OutboxEntry['comment']> {
  return {
    id: c.id,
    caseNumber,
    author: c.author,
    authorType: c.authorType,
    body: c.body,
    createdAt: c.createdAt,
    isPublic: c.isPublic,
    isDraft: c.isDraft,
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
      if (!isQuiet(diffFor(pending, chat, sub, result))) return true;
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
    ids: Set<string>;
    pending: PendingComments;
  },
): number {
  const nowIso = new Date(context.now).toISOString();
  const { ids, pending } = context;
  let added = 0;
  const push = (entry: OutboxEntry): void => {
    if (ids.has(entry.id)) return;
    ids.add(entry.id);
    pending.add(entry);
    draft.outbox.push(entry);
    added++;
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
      const diff = diffFor(pending, chat, sub, result);
      if (isQuiet(diff)) continue;
      const snapshot = caseSnapshot(caseNumber, result.kase);
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
      for (const id of diff.seenSilently) if (!sub.seen.includes(id)) sub.seen.push(id);
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
        // The subscription ends when this message is delivered (delivery.ts settleEntry),
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

export function createPoller(deps: PollerDeps): Poller {
  const timing: PollTiming = {
    ...DEFAULT_TIMING,
    caseBackoffBaseMs: deps.config.poll.intervalSeconds * 1000,
    ...deps.timing,
  };
  const log = deps.logger.child({ component: 'poller' });
  const runtimes = new Map<string, CredentialRuntime>();
  let cycle = 0;

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
        if (isPollable(sub, deps.config.poll.keepClosedCases)) cases.add(sub.caseNumber);
      }
    }
    return new Map([...byCredential].map(([id, cases]) => [id, [...cases].sort()]));
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

  const pollCredential = async (
    credentialId: string,
    cases: readonly CaseNumber[],
    context: { cycleStart: number; fullSweep: boolean; limit: LimitFunction; stats: CycleStats },
  ): Promise<CredentialOutcome | undefined> => {
    const { stats } = context;
    const rt = runtimeOf(credentialId);
    const clog = log.child({ credentialId });
    // Forget what is no longer followed, so memory follows the subscriptions.
    const followed = new Set(cases);
    for (const n of rt.modified.keys()) if (!followed.has(n)) rt.modified.delete(n);
    for (const n of rt.backoff.keys()) if (!followed.has(n)) rt.backoff.delete(n);
    const outcome: CredentialOutcome = {
      credentialId,
      results: new Map(),
      rejected: false,
      incomplete: false,
    };
    if (cases.length === 0) {
      // Nothing followed: nothing to ask. A case added later was read by /add itself.
      rt.lastCheckStart = context.cycleStart;
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

    /** Stops the credential's remaining requests (auth, 429). */
    let halted = false;
    let rateLimitLogged = false;
    const request = <T>(fn: () => Promise<T>): Promise<T> =>
      context.limit(async () => {
        // Requests already queued when the portal said 429 (or rejected the credential) are
        // not sent: it asked us to stop. `halted` is set here, before the limiter starts the
        // next queued request.
        if (halted) throw new HaltedError();
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
      if (err instanceof HaltedError) return undefined;
      stats.portalFailures++;
      const kind = isPortalError(err) ? err.kind : 'unexpected';
      const now = deps.clock.now();
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

    const fetchCase = async (caseNumber: CaseNumber, onlyIfModified: boolean): Promise<void> => {
      if (halted) return;
      let kase: Case;
      try {
        kase = await request(() => portal.getCase(caseNumber));
      } catch (err) {
        const r = failed(caseNumber, err);
        if (r) outcome.results.set(caseNumber, r);
        return;
      }
      if (
        onlyIfModified &&
        unchangedSinceRead(
          rt.modified.get(caseNumber),
          kase.lastModifiedAt,
          timing.sinceSafetyMarginMs,
        )
      ) {
        stats.casesFetched++;
        outcome.results.set(caseNumber, { kind: 'ok', kase, comments: [], commentsFetched: false });
        return;
      }
      if (halted) return;
      try {
        const comments = await request(() => portal.listComments(caseNumber));
        stats.casesFetched++;
        outcome.results.set(caseNumber, { kind: 'ok', kase, comments, commentsFetched: true });
      } catch (err) {
        const r = failed(caseNumber, err);
        if (r) outcome.results.set(caseNumber, r);
      }
    };

    const now = deps.clock.now();
    const due = (n: CaseNumber) => (rt.backoff.get(n)?.until ?? 0) <= now;
    const sweep = context.fullSweep || rt.lastCheckStart === undefined;
    let toFetch: CaseNumber[];
    if (sweep || (rt.filterRetryAt !== undefined && now < rt.filterRetryAt)) {
      toFetch = cases.filter(due);
    } else {
      const since = new Date((rt.lastCheckStart ?? now) - timing.sinceSafetyMarginMs);
      let changed: Set<CaseNumber> | undefined;
      try {
        changed = new Set(await request(() => portal.changedCases(since)));
        if (rt.filterRetryAt !== undefined) {
          clog.info('the changed-cases filter works again: back to one request per cycle');
        }
        rt.filterRetryAt = undefined;
        rt.filterWarned = false;
      } catch (err) {
        const kind = isPortalError(err) ? err.kind : 'unexpected';
        if (kind === 'auth' || kind === 'rate-limited') {
          failed(undefined, err);
        } else {
          stats.portalFailures++;
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
    // Outside a sweep, a case whose lastModifiedAt has not moved since we last read its
    // comments (named by the filter only because of the safety margin, or polled in fallback)
    // costs getCase alone. Sweeps read everything: they are the safety net.
    const onlyIfModified = !sweep;

    await Promise.all(toFetch.map((n) => fetchCase(n, onlyIfModified)));
    return outcome;
  };

  /**
   * Writes credentials' outcomes (those that change anything) in ONE transaction. Returns
   * whether they are recorded. A batch that fails is retried one outcome at a time, so one
   * bad outcome cannot hold the others back.
   */
  const writeBatch = async (batch: CredentialOutcome[], stats: CycleStats): Promise<boolean[]> => {
    const keepClosedCases = deps.config.poll.keepClosedCases;
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
            ids: new Set(draft.outbox.map((e) => e.id)),
            pending: new PendingComments(draft.outbox),
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
  const settle = (o: CredentialOutcome, recorded: boolean, cycleStart: number): void => {
    if (!recorded) return;
    const rt = runtimeOf(o.credentialId);
    for (const [caseNumber, result] of o.results) {
      if (result.kind === 'failed') continue;
      rt.backoff.delete(caseNumber);
      if (result.kind === 'ok' && result.commentsFetched) {
        rt.modified.set(caseNumber, {
          lastModifiedAt: result.kase.lastModifiedAt,
          readAt: cycleStart,
        });
      }
    }
    if (o.rejected) {
      // When the credential comes back (/setup), start over with a full sweep.
      runtimes.delete(o.credentialId);
    } else if (!o.incomplete) {
      rt.lastCheckStart = cycleStart;
    }
  };

  /**
   * Group commit: the first finished credential is written at once; outcomes finishing while
   * a write is in flight are written together by the next one. Latency stays low when few
   * credentials change, and a cycle where hundreds change costs a handful of writes, not
   * hundreds (each write rewrites the whole db.json).
   */
  const createCommitter = (stats: CycleStats, cycleStart: number) => {
    let waiting: { o: CredentialOutcome; done: () => void }[] = [];
    let running = false;
    const drain = async (): Promise<void> => {
      running = true;
      while (waiting.length > 0) {
        const batch = waiting;
        waiting = [];
        const recorded = await writeBatch(
          batch.map((b) => b.o),
          stats,
        );
        batch.forEach((b, i) => {
          settle(b.o, recorded[i] ?? false, cycleStart);
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

  return {
    async runCycle() {
      cycle++;
      const cycleStart = deps.clock.now();
      const fullSweep = (cycle - 1) % Math.max(1, deps.config.poll.fullSweepEvery) === 0;
      const stats: CycleStats = {
        cycle,
        fullSweep,
        startedAt: new Date(cycleStart).toISOString(),
        durationMs: 0,
        credentials: 0,
        portalRequests: 0,
        casesFetched: 0,
        portalFailures: 0,
        storeWrites: 0,
        enqueued: 0,
      };
      const state = deps.store.read();
      for (const id of runtimes.keys()) {
        if (state.credentials[id] === undefined) runtimes.delete(id);
      }
      const limit = pLimit(deps.config.poll.concurrency);
      const commit = createCommitter(stats, cycleStart);
      await Promise.all(
        [...plan(state)].map(async ([credentialId, cases]) => {
          const o = await pollCredential(credentialId, cases, {
            cycleStart,
            fullSweep,
            limit,
            stats,
          });
          if (o) await commit(o);
        }),
      );
      stats.durationMs = deps.clock.now() - cycleStart;
      log.debug(stats, 'poll cycle done');
      return stats;
    },
  };
}
