// Durable delivery of notifications: the outbox in the state store, and the worker that empties it.
//
// SEMANTICS: AT-LEAST-ONCE, NOTHING LOST.
// 1. Enqueue: the poller records every new notification in `state.outbox` (one store.update
//    that also updates the subscription) BEFORE anything is sent. From then on the notification
//    survives restarts and crashes: it is in db.json.
// 2. Send: the worker sends the oldest entry of each (destination, chat) queue.
// 3. Commit: when the destination accepted it, ONE store.update removes the entry and, once no
//    entry for that comment remains for the chat (Telegram and, later, Slack), adds the comment id
//    to the subscription's `seen`. The poller never enqueues a comment that is seen or pending.
// Where a duplicate can appear: only between 2 and 3. If the process dies (or the store refuses
// the write) after the destination accepted the message and before the commit, the entry is
// still pending and is sent again after the restart. The worker sends one message per chat at a
// time, so after a crash at most the message in flight per chat is sent twice. Within one
// process a failed commit is retried without sending again (see `uncommitted`).
// Why nothing is lost: an entry leaves the outbox only when its destination accepted it, or when
// it refused it for good (a 400 Telegram will never accept: reported to admins, logged, dropped,
// the comment marked seen so it is not enqueued again), or when its chat was deleted by /forget.
//
// Order: entries of one (destination, chat) go out strictly in enqueue order. A chat waiting on
// a 429 or a backoff holds its later messages back; other chats are not held.
// Outcomes: 429 → wait retry_after, same message again; 5xx/network → capped exponential
// backoff; 403 → chat inactive (entries and data kept, polling paused) until /start sets it
// active and kicks the worker; group migrated → the chat's data and entries move to the new id
// and are sent there; rejected → dropped as above; disabled (Slack webhook gone) → that
// destination is disabled for the chat and its entries dropped.
// Pending entries are sent first after start: the worker starts before the first poll cycle and
// new entries are appended behind them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../domain.js';
import type { Logger } from '../logger.js';
import type { ChatState, OutboxEntry, State } from '../store/schema.js';
import { markSeen, mergeSeen } from '../store/seen.js';
import type { DeepReadonly, StateStore } from '../store/store.js';
import type { AdminReporter, Destination, Notifier, SendOutcome } from './notifier.js';
import { slackDisabledNotice } from './slack-webhook.js';

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
 * Chats sent to in parallel; pacing (pacing.ts) keeps the rate within Telegram's limits. A lane
 * holds its chat while the chat's queue drains at one message per second, so fewer lanes than
 * the bot-wide rate × the per-chat interval (30/s × 1 s) would cap a burst spread over many
 * chats below Telegram's pace (16 lanes: 13.8 msg/s in bench/bench.ts; 32: 25.6 msg/s).
 */
export const MAX_PARALLEL_CHATS = 32;
/** On shutdown, sends in flight get this long to finish before they are abandoned. */
export const STOP_DEADLINE_MS = 10_000;
/** After a commit failed (store problem), wait this long before trying the commit again. */
const COMMIT_RETRY_MS = 5_000;

export interface DeliveryTiming {
  retryBaseMs: number;
  retryMaxMs: number;
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
  clock: Clock;
  reporter: AdminReporter;
  /** config.poll.keepClosedCases: false → a subscription ends once its "closed" message is out. */
  keepClosedCases: boolean;
  timing?: Partial<DeliveryTiming>;
}

export interface DeliveryStats {
  sent: number;
  retried: number;
  rejected: number;
  blocked: number;
  migrated: number;
}

export interface Delivery {
  start(): void;
  /** Finishes (or, after the deadline, abandons) sends in flight; pending entries stay in the outbox. */
  /**
   * Finishes sends in flight, abandoning those still running after `deadlineMs` (default
   * timing.stopDeadlineMs): they stay in the outbox and go out after the restart.
   */
  stop(deadlineMs?: number): Promise<void>;
  /** Something was enqueued or a chat came back: look at the outbox now. */
  kick(): void;
  readonly stats: Readonly<DeliveryStats>;
}

// ---- the outbox as data: ids, destinations, and the mutations a commit makes ----

/** "<destination>:<chatId>:<case or ->:<event>": unique and stable (see outboxEntrySchema). */
export function entryId(
  destination: Destination,
  chatId: number,
  caseNumber: string | undefined,
  event: string,
): string {
  return `${destination}:${chatId}:${caseNumber ?? '-'}:${event}`;
}

/**
 * The destinations a chat's notifications fan out to, among those with a notifier. Telegram is
 * always one (the chat is a Telegram chat); Slack when the chat set a webhook that still works.
 */
export function destinationsOf(
  chat: DeepReadonly<ChatState>,
  available: readonly Destination[],
): Destination[] {
  return available.filter((d) =>
    d === 'telegram' ? true : chat.slack !== undefined && chat.slack.disabledAt === undefined,
  );
}

function queueKey(e: Pick<OutboxEntry, 'destination' | 'chatId'>): string {
  return `${e.destination}:${e.chatId}`;
}

function isSameComment(a: DeepReadonly<OutboxEntry>, b: DeepReadonly<OutboxEntry>): boolean {
  return (
    a.kind === 'comment' &&
    b.kind === 'comment' &&
    a.chatId === b.chatId &&
    a.comment?.id === b.comment?.id &&
    a.comment?.caseNumber === b.comment?.caseNumber
  );
}

/**
 * Removes an entry that is done with (delivered, or refused for good) and settles what it stood
 * for: the comment becomes seen once no other destination still has it pending; the "closed"
 * message ends the subscription unless closed cases are kept.
 */
export function settleEntry(
  draft: State,
  id: string,
  keepClosedCases: boolean,
): OutboxEntry | undefined {
  const index = draft.outbox.findIndex((e) => e.id === id);
  if (index < 0) return undefined;
  const [entry] = draft.outbox.splice(index, 1);
  if (!entry) return undefined;
  const chat = draft.chats[String(entry.chatId)];
  if (entry.kind === 'comment' && entry.comment && chat) {
    const stillPending = draft.outbox.some((e) => isSameComment(e, entry));
    const sub = chat.subscriptions[entry.comment.caseNumber];
    if (!stillPending && sub) markSeen(sub, entry.comment);
  }
  if (entry.kind === 'closed' && entry.case && chat && !keepClosedCases) {
    const number = entry.case.number;
    const otherClosed = draft.outbox.some(
      (e) => e.kind === 'closed' && e.chatId === entry.chatId && e.case?.number === number,
    );
    const sub = chat.subscriptions[number];
    // Only if the case is still closed: a reopened case (or a fresh /add) keeps its subscription.
    if (!otherClosed && sub?.closed === true) delete chat.subscriptions[number];
  }
  return entry;
}

/**
 * A group became a supergroup: its subscriptions, settings and pending entries move to the new
 * id. If the new chat already exists (the bot saw it first), the old one is merged into it.
 */
export function migrateChat(draft: State, oldId: number, newId: number): void {
  const old = draft.chats[String(oldId)];
  if (old) {
    const existing = draft.chats[String(newId)];
    if (!existing) {
      draft.chats[String(newId)] = { ...old, id: newId, type: 'supergroup' };
    } else {
      for (const [number, sub] of Object.entries(old.subscriptions)) {
        const target = existing.subscriptions[number];
        if (!target) existing.subscriptions[number] = sub;
        else mergeSeen(target, sub);
      }
      existing.credentialId ??= old.credentialId;
      existing.maxCommentChars ??= old.maxCommentChars;
      existing.slack ??= old.slack;
      existing.title ??= old.title;
    }
    delete draft.chats[String(oldId)];
  }
  const taken = new Set(draft.outbox.map((e) => e.id));
  draft.outbox = draft.outbox.filter((e) => {
    if (e.chatId !== oldId) return true;
    const prefix = `${e.destination}:${oldId}:`;
    const rest = e.id.startsWith(prefix) ? e.id.slice(prefix.length) : e.id;
    const id = `${e.destination}:${newId}:${rest}`;
    // Already pending for the new chat (the bot migrated first): keep one.
    if (taken.has(id)) return false;
    taken.add(id);
    e.id = id;
    e.chatId = newId;
    delete e.notBefore;
    return true;
  });
}

export function retryDelayMs(
  attempts: number,
  timing: Pick<DeliveryTiming, 'retryBaseMs' | 'retryMaxMs'>,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** exponent);
}

/** The one transaction after a send: applies its outcome to the entry and its chat. */
export function applyOutcome(
  draft: State,
  id: string,
  outcome: SendOutcome,
  context: {
    now: number;
    keepClosedCases: boolean;
    timing: Pick<DeliveryTiming, 'retryBaseMs' | 'retryMaxMs'>;
  },
): void {
  const entry = draft.outbox.find((e) => e.id === id);
  // Removed meanwhile (/forget), or already moved: nothing left to do.
  if (!entry) return;
  const nowIso = new Date(context.now).toISOString();
  const chat = draft.chats[String(entry.chatId)];
  switch (outcome.kind) {
    case 'ok':
    case 'rejected':
      settleEntry(draft, id, context.keepClosedCases);
      return;
    case 'retry': {
      entry.attempts += 1;
      const wait = outcome.retryAfterMs ?? retryDelayMs(entry.attempts, context.timing);
      entry.notBefore = new Date(context.now + wait).toISOString();
      entry.lastError = outcome.reason;
      return;
    }
    case 'blocked':
      entry.lastError = outcome.reason;
      if (chat) {
        chat.active = false;
        chat.inactiveSince ??= nowIso;
      }
      return;
    case 'migrated':
      if (outcome.newChatId === entry.chatId) {
        // Nonsense from the destination; treat as a failure rather than loop.
        entry.attempts += 1;
        entry.notBefore = new Date(
          context.now + retryDelayMs(entry.attempts, context.timing),
        ).toISOString();
        entry.lastError = 'migrated to the same chat id';
        return;
      }
      migrateChat(draft, entry.chatId, outcome.newChatId);
      return;
    case 'disabled': {
      if (entry.destination === 'telegram') {
        // Telegram has no "destination gone" short of a blocked chat: keep the data.
        entry.lastError = outcome.reason;
        if (chat) {
          chat.active = false;
          chat.inactiveSince ??= nowIso;
        }
        return;
      }
      if (chat?.slack) {
        if (chat.slack.disabledAt === undefined && entry.destination === 'slack') {
          // Tell the chat once, on Telegram (its control plane), what happened and what to do.
          draft.outbox.push({
            id: entryId('telegram', entry.chatId, undefined, `slack-disabled-${context.now}`),
            chatId: entry.chatId,
            destination: 'telegram',
            kind: 'notice',
            text: slackDisabledNotice(outcome.reason),
            createdAt: nowIso,
            attempts: 0,
          });
        }
        chat.slack.disabledAt ??= nowIso;
        chat.slack.disabledReason = outcome.reason;
      }
      const ids = draft.outbox
        .filter((e) => e.chatId === entry.chatId && e.destination === entry.destination)
        .map((e) => e.id);
      for (const other of ids) settleEntry(draft, other, context.keepClosedCases);
      return;
    }
  }
}

// ---- the worker ----

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

  // Group commit: outcomes that arrive while a write is in flight share the next write. Each
  // lane still waits for its own outcome to be recorded before sending again.
  type Waiting = {
    entry: DeepReadonly<OutboxEntry>;
    outcome: SendOutcome;
    done: (ok: boolean) => void;
  };
  let waiting: Waiting[] = [];
  let writing = false;
  const writeBatch = async (batch: Waiting[]): Promise<boolean> => {
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
  const drain = async (): Promise<void> => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      if (await writeBatch(batch)) {
        for (const b of batch) b.done(true);
        continue;
      }
      // One bad outcome must not hold the others back: record them one by one.
      for (const b of batch) b.done(batch.length > 1 ? await writeBatch([b]) : false);
    }
    writing = false;
  };
  const commit = (entry: DeepReadonly<OutboxEntry>, outcome: SendOutcome): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      waiting.push({ entry, outcome, done: resolve });
      if (!writing) void drain();
    });

  const report = (entry: DeepReadonly<OutboxEntry>, outcome: SendOutcome): void => {
    const context = {
      entryId: entry.id,
      chatId: entry.chatId,
      destination: entry.destination,
      kind: entry.kind,
    };
    switch (outcome.kind) {
      case 'ok':
        stats.sent++;
        log.debug(context, 'delivered');
        return;
      case 'retry':
        stats.retried++;
        log.warn(
          {
            ...context,
            attempts: entry.attempts + 1,
            reason: outcome.reason,
            retryAfterMs: outcome.retryAfterMs,
          },
          'delivery failed; will retry',
        );
        return;
      case 'blocked':
        stats.blocked++;
        log.info(
          { ...context, reason: outcome.reason },
          'the chat blocked the bot or removed it: pausing the chat until /start',
        );
        return;
      case 'migrated':
        stats.migrated++;
        log.info(
          { ...context, newChatId: outcome.newChatId },
          'the group became a supergroup: moving its data to the new id',
        );
        return;
      case 'rejected':
        stats.rejected++;
        log.error(
          { ...context, reason: outcome.reason },
          'the destination refused a message for good: dropped',
        );
        deps.reporter.report({
          component: 'delivery',
          error: new Error(`message refused: ${outcome.reason}`),
          context,
        });
        return;
      case 'disabled':
        log.warn(
          { ...context, reason: outcome.reason },
          'the destination is gone: disabled for this chat',
        );
        return;
    }
  };

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
      report(head, outcome);
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

  /**
   * Entries nobody can deliver any more: their chat was deleted (/forget raced with the poller),
   * or their destination was removed from the chat (/slack off). Dropped and settled, so the
   * comment counts as seen once the other destinations are done.
   */
  const isOrphan = (state: DeepReadonly<State>, e: DeepReadonly<OutboxEntry>): boolean => {
    const chat = state.chats[String(e.chatId)];
    return chat === undefined || destinationsOf(chat, [e.destination]).length === 0;
  };
  const dropOrphans = async (state: DeepReadonly<State>): Promise<void> => {
    if (!state.outbox.some((e) => isOrphan(state, e))) return;
    try {
      await deps.store.update((draft) => {
        for (const e of draft.outbox.filter((x) => isOrphan(draft, x))) {
          log.info({ entryId: e.id }, 'dropping a notification whose chat or destination is gone');
          settleEntry(draft, e.id, deps.keepClosedCases);
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
      await sleep(ms, undefined, { signal: ac.signal, ref: false });
    } catch (err) {
      if (!(err instanceof Error && err.name === 'AbortError')) throw err;
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
    const timedOut = sleep(deadlineMs, 'timeout' as const, {
      signal: deadline.signal,
    }).catch(() => 'done' as const);
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
