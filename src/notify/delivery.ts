// Durable delivery of notifications: the outbox in the state store, and the worker that empties it.
//
// SEMANTICS: AT-LEAST-ONCE, NOTHING LOST.
// 1. Enqueue: the poller records every new notification in `state.outbox` (one store.update
//    that also updates the subscription) BEFORE anything is sent. From then on the notification
//    survives restarts and crashes: it is in db.json.
// 2. Send: the worker sends the oldest entry of each (destination, chat) queue.
// 3. Commit: when the destination accepted it, ONE store.update settles the entry: it leaves the
//    outbox, and its comment becomes seen once no destination still holds it (the seen rule,
//    src/outbox/index.ts). The poller never enqueues a comment that is seen or pending.
// Where a duplicate can appear: only between 2 and 3. If the process dies (or the store refuses
// the write) after the destination accepted the message and before the commit, the entry is
// still pending and is sent again after the restart. The worker sends one message per chat at a
// time, so after a crash at most the message in flight per chat is sent twice. Within one
// process a failed commit is retried without sending again (see `uncommitted`).
// Why nothing is lost: an entry leaves the outbox only when its destination accepted it, or when
// it refused it for good (a 400 Telegram will never accept: reported to admins, logged, settled
// like a delivered one so it is not enqueued again), or when the user dropped it (/forget,
// /remove, /slack off).
//
// Order: entries of one (destination, chat) go out strictly in enqueue order. A chat waiting on
// a 429 or a backoff holds its later messages back; other chats are not held.
// Outcomes: 429 → wait retry_after, same message again; 5xx/network → capped exponential
// backoff; 403 → chat inactive (entries and data kept, polling paused) until /start sets it
// active and kicks the worker; group migrated → the chat's data and entries move to the new id
// and are sent there; rejected → dropped as above; disabled (Slack webhook gone) → that
// destination is disabled for the chat and its entries dropped.
// Learned facts: a Telegram send may learn something about its chat (a forum topic it created,
// or that it may not create one); the outcome carries it and the same commit stores it
// (telegram/topics.ts). A crash before that commit costs, besides the duplicate message, a
// second topic for the case; never a lost message.
// Pending entries are sent first after start: the worker starts before the first poll cycle and
// new entries are appended behind them.
// Time: the worker reads the time and waits (idle rescans, retry times, the stop deadline) only
// through the injected clock, so tests drive it on a manual clock.
import type { AdminReporter, Clock, Sleeper } from '../domain.js';
import { createGroupCommit, writeTogetherOrAlone } from '../lib/group-commit.js';
import type { Logger } from '../logger.js';
import { dropUndeliverable, isUndeliverable, type Destination } from '../outbox/index.js';
import type { ChatState, OutboxEntry, State } from '../store/schema.js';
import type { DeepReadonly, StateStore } from '../store/store.js';
import {
  applyOutcome,
  reportOutcome,
  type DeliveryStats,
  type RetryTiming,
} from './delivery-outcome.js';
import type { Notifier, SendOutcome } from './notifier.js';

/** First retry after a 5xx or network failure; doubles per attempt. */
export const RETRY_BASE_MS = 5_000;
/** Backoff cap: an outage of hours costs one attempt per chat every 15 min. */
export const RETRY_MAX_MS = 15 * 60_000;
/**
 * With nothing due the worker still looks at the outbox this often, to pick up changes it was
 * not told about (a chat set active again by /start without a kick).
 */
export const IDLE_RESCAN_MS = 60_000;
/**
 * Chats sent to in parallel; pacing (telegram/pacing.ts) keeps the rate within Telegram's
 * limits. A lane holds its chat while the chat's queue drains at one message per second, so
 * fewer lanes than the bot-wide rate × the per-chat interval (30/s × 1 s) would cap a burst
 * spread over many chats below Telegram's pace (16 lanes: 13.8 msg/s in bench/bench.ts; 32:
 * 25.6 msg/s).
 */
export const MAX_PARALLEL_CHATS = 32;
/** On shutdown, sends in flight get this long to finish before they are abandoned. */
export const STOP_DEADLINE_MS = 10_000;
/** After a commit failed (store problem), wait this long before trying the commit again. */
const COMMIT_RETRY_MS = 5_000;

export interface DeliveryTiming extends RetryTiming {
  idleRescanMs: number;
  maxParallelChats: number;
  stopDeadlineMs: number;
  commitRetryMs: number;
}

const DEFAULT_TIMING: DeliveryTiming = {
  retryBaseMs: RETRY_BASE_MS,
  retryMaxMs: RETRY_MAX_MS,
  idleRescanMs: IDLE_RESCAN_MS,
  maxParallelChats: MAX_PARALLEL_CHATS,
  stopDeadlineMs: STOP_DEADLINE_MS,
  commitRetryMs: COMMIT_RETRY_MS,
};

export interface DeliveryDeps {
  store: StateStore;
  notifiers: readonly Notifier[];
  logger: Logger;
  clock: Clock & Sleeper;
  reporter: AdminReporter;
  /** config.poll.keepClosedCases: false → a subscription ends once its "closed" message is out. */
  keepClosedCases: boolean;
  timing?: Partial<DeliveryTiming>;
}

export interface Delivery {
  start(): void;
  /**
   * Finishes sends in flight, abandoning those still running after `deadlineMs` (default
   * timing.stopDeadlineMs): they stay in the outbox and go out after the restart.
   */
  stop(deadlineMs?: number): Promise<void>;
  /** Something was enqueued or a chat came back: look at the outbox now. */
  kick(): void;
  readonly stats: Readonly<DeliveryStats>;
}

// ---- the worker ----

/** A lane: the entries of one (destination, chat), sent one at a time in order. */
function queueKey(e: Pick<OutboxEntry, 'destination' | 'chatId'>): string {
  return `${e.destination}:${e.chatId}`;
}

type Eligibility =
  | {
      kind: 'send';
      entry: DeepReadonly<OutboxEntry>;
      chat: DeepReadonly<ChatState>;
      notifier: Notifier;
    }
  | { kind: 'wait'; until: number }
  | { kind: 'idle' };

export function createDelivery(deps: DeliveryDeps): Delivery {
  const timing: DeliveryTiming = { ...DEFAULT_TIMING, ...deps.timing };
  const log = deps.logger.child({ component: 'delivery' });
  const notifiers = new Map<Destination, Notifier>(deps.notifiers.map((n) => [n.destination, n]));
  const stats: DeliveryStats = { sent: 0, retried: 0, rejected: 0, blocked: 0, migrated: 0 };
  /** Queues with a send running: one at a time per (destination, chat) keeps the order. */
  const lanes = new Map<string, Promise<void>>();
  /**
   * Sent, but the commit failed (store error): the outcome waits here and only the commit is
   * retried, so a failing store does not turn into a message sent again and again.
   */
  const uncommitted = new Map<string, SendOutcome>();
  /** Queues whose commit failed: not touched before this time. */
  const laneHoldUntil = new Map<string, number>();
  /** Aborted at the stop deadline: sends still in flight are abandoned. */
  const sendAbort = new AbortController();
  let stopping = false;
  let started = false;
  let loopDone: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | undefined;
  let kicked = false;
  let wake: (() => void) | undefined;

  const kick = (): void => {
    kicked = true;
    wake?.();
  };

  /** What the head entry of a queue needs now. */
  const eligibility = (
    state: DeepReadonly<State>,
    head: DeepReadonly<OutboxEntry>,
    now: number,
  ): Eligibility => {
    const notifier = notifiers.get(head.destination);
    const chat = state.chats[String(head.chatId)];
    // No adapter for this destination in this process, or a chat deleted while the entry waited
    // (handled by dropOrphans): nothing to send.
    if (!notifier || !chat) return { kind: 'idle' };
    // A chat that blocked the bot keeps its entries until /start.
    if (!chat.active) return { kind: 'idle' };
    if (
      head.destination !== 'telegram' &&
      (chat.slack === undefined || chat.slack.disabledAt !== undefined)
    ) {
      return { kind: 'idle' };
    }
    const hold = laneHoldUntil.get(queueKey(head)) ?? 0;
    const due = Math.max(hold, head.notBefore !== undefined ? Date.parse(head.notBefore) : 0);
    if (due > now) return { kind: 'wait', until: due };
    return { kind: 'send', entry: head, chat, notifier };
  };

  const headOf = (state: DeepReadonly<State>, key: string): DeepReadonly<OutboxEntry> | undefined =>
    state.outbox.find((e) => queueKey(e) === key);

  // Group commit (lib/group-commit.ts): outcomes that arrive while a write is in flight share
  // the next write. Each lane still waits for its own outcome to be recorded before sending again.
  type Settled = { entry: DeepReadonly<OutboxEntry>; outcome: SendOutcome };
  const writeOutcomes = async (batch: readonly Settled[]): Promise<boolean> => {
    try {
      await deps.store.update((draft) => {
        const context = { now: deps.clock.now(), keepClosedCases: deps.keepClosedCases, timing };
        for (const b of batch) applyOutcome(draft, b.entry.id, b.outcome, context);
      });
      for (const b of batch) {
        uncommitted.delete(b.entry.id);
        laneHoldUntil.delete(queueKey(b.entry));
      }
      return true;
    } catch (err) {
      for (const b of batch) {
        uncommitted.set(b.entry.id, b.outcome);
        laneHoldUntil.set(queueKey(b.entry), deps.clock.now() + timing.commitRetryMs);
      }
      log.error(
        { err, entryIds: batch.map((b) => b.entry.id) },
        'could not record delivery outcomes; will retry the commit',
      );
      deps.reporter.report({
        component: 'store',
        error: err,
        context: { entryIds: batch.map((b) => b.entry.id) },
      });
      return false;
    }
  };
  const commitSettled = createGroupCommit((batch: readonly Settled[]) =>
    writeTogetherOrAlone(batch, writeOutcomes),
  );
  const commit = (entry: DeepReadonly<OutboxEntry>, outcome: SendOutcome): Promise<boolean> =>
    commitSettled({ entry, outcome });

  const sendOne = async (
    entry: DeepReadonly<OutboxEntry>,
    chat: DeepReadonly<ChatState>,
    notifier: Notifier,
  ): Promise<SendOutcome> => {
    try {
      return await notifier.send(entry, chat, { signal: sendAbort.signal });
    } catch (err) {
      // A notifier must turn every answer into an outcome; a throw is a bug (a formatter crash).
      // Retry with backoff rather than drop: a comment is never lost to a bug, and admins hear.
      log.error({ err, entryId: entry.id }, 'the notifier failed unexpectedly');
      deps.reporter.report({
        component: 'delivery',
        error: err,
        context: { entryId: entry.id, chatId: entry.chatId },
      });
      return {
        kind: 'retry',
        reason: err instanceof Error ? `${err.name}: ${err.message}` : 'unexpected failure',
      };
    }
  };

  const runLane = async (key: string): Promise<void> => {
    while (!stopping) {
      const state = deps.store.read();
      const head = headOf(state, key);
      if (!head) return;
      const pendingOutcome = uncommitted.get(head.id);
      if (pendingOutcome) {
        if ((laneHoldUntil.get(key) ?? 0) > deps.clock.now()) return;
        if (!(await commit(head, pendingOutcome))) return;
        continue;
      }
      const next = eligibility(state, head, deps.clock.now());
      if (next.kind !== 'send') return;
      const outcome = await sendOne(next.entry, next.chat, next.notifier);
      reportOutcome(head, outcome, { log, stats, reporter: deps.reporter });
      if (!(await commit(head, outcome))) return;
      // Blocked or waiting: the next loop iteration sees it and leaves the lane.
    }
  };

  const startLane = (key: string): void => {
    const lane = runLane(key)
      .catch((err: unknown) => {
        log.error({ err, queue: key }, 'delivery lane failed');
        deps.reporter.report({ component: 'delivery', error: err, context: { queue: key } });
      })
      .finally(() => {
        lanes.delete(key);
        kick();
      });
    lanes.set(key, lane);
  };

  /** Entries whose chat or destination is gone (outbox/drop.ts): dropped before each scan. */
  const dropOrphans = async (state: DeepReadonly<State>): Promise<void> => {
    if (!state.outbox.some((e) => isUndeliverable(state, e))) return;
    try {
      await deps.store.update((draft) => {
        for (const e of dropUndeliverable(draft, deps.keepClosedCases)) {
          log.info({ entryId: e.id }, 'dropping a notification whose chat or destination is gone');
        }
      });
    } catch (err) {
      log.error({ err }, 'could not drop the notifications of deleted chats');
    }
  };

  /** Starts lanes for due queues; returns when the worker should look again. */
  const scan = async (): Promise<number> => {
    const now = deps.clock.now();
    const state = deps.store.read();
    await dropOrphans(state);
    let nextAt = now + timing.idleRescanMs;
    const seen = new Set<string>();
    for (const entry of state.outbox) {
      const key = queueKey(entry);
      if (seen.has(key)) continue;
      seen.add(key);
      if (lanes.has(key)) continue;
      const hold = laneHoldUntil.get(key);
      if (uncommitted.has(entry.id)) {
        if (hold !== undefined && hold > now) nextAt = Math.min(nextAt, hold);
        else if (lanes.size < timing.maxParallelChats) startLane(key);
        continue;
      }
      const next = eligibility(state, entry, now);
      if (next.kind === 'wait') nextAt = Math.min(nextAt, next.until);
      else if (next.kind === 'send' && lanes.size < timing.maxParallelChats) startLane(key);
    }
    return nextAt;
  };

  const waitUntil = async (at: number): Promise<void> => {
    if (kicked || stopping) {
      kicked = false;
      return;
    }
    const ms = Math.max(0, at - deps.clock.now());
    const ac = new AbortController();
    wake = () => ac.abort();
    try {
      // Unref'd: an idle worker alone does not keep the process alive. A kick ends it early.
      await deps.clock.sleep(ms, { signal: ac.signal, ref: false });
    } finally {
      wake = undefined;
      kicked = false;
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      try {
        const nextAt = await scan();
        await waitUntil(nextAt);
      } catch (err) {
        log.error({ err }, 'delivery scan failed');
        deps.reporter.report({ component: 'delivery', error: err });
        await waitUntil(deps.clock.now() + timing.commitRetryMs);
      }
    }
  };

  return {
    start() {
      if (started) return;
      started = true;
      loopDone = loop();
    },
    stop(deadlineMs) {
      stopped ??= stopWorker(deadlineMs ?? timing.stopDeadlineMs);
      return stopped;
    },
    kick,
    stats,
  };

  async function stopWorker(deadlineMs: number): Promise<void> {
    stopping = true;
    wake?.();
    await loopDone;
    const inFlight = Promise.allSettled([...lanes.values()]);
    const deadline = new AbortController();
    // Aborted (so it ends, and the timer goes) once the race is decided.
    const timedOut = deps.clock
      .sleep(deadlineMs, { signal: deadline.signal })
      .then(() => 'timeout' as const);
    const first = await Promise.race([inFlight.then(() => 'done' as const), timedOut]);
    deadline.abort();
    if (first === 'timeout') {
      log.warn(
        { inFlight: lanes.size },
        'sends still in flight at shutdown: abandoned (they stay pending and are sent after the restart)',
      );
      sendAbort.abort();
      await inFlight;
    }
  }
}
