// The fake Bot API's update queue and long polling (getUpdates), webhook flag included.
//
// Long polling follows the real server: a new getUpdates request takes over, and the request it
// replaces is answered 409 "Conflict: terminated by other getUpdates request". So when a second
// poller starts, the FIRST one gets the 409. getUpdates' `timeout` may be fractional (seconds)
// so tests can use short polls.
import { z } from 'zod';
import { BotApiError, type Update } from './fake-telegram-types.js';
import {
  jsonParam,
  optionalInt,
  optionalNumber,
  type HandlerContext,
  type Params,
} from './fake-telegram-wire.js';

const FIRST_UPDATE_ID = 100;
const GET_UPDATES_MAX_LIMIT = 100;
// Telegram holds a poll for at most 50 s whatever the client asks.
const MAX_POLL_TIMEOUT_S = 50;
/** How long a replaced poll waits for its connection's close before it is answered 409. */
const ABANDONED_POLL_GRACE_MS = 100;
// Update types Telegram leaves out unless allowed_updates names them.
const OPT_IN_UPDATE_TYPES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

const CONFLICT_TERMINATED =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const CONFLICT_WEBHOOK =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

const allowedUpdatesSchema = z.array(z.string());
const updateSchema = z.looseObject({ update_id: z.number().int().optional() });

interface PollOutcome {
  kind: 'updates' | 'conflict' | 'aborted' | 'closing';
  updates?: Update[];
}

interface PollWaiter {
  limit: number;
  resolve(outcome: PollOutcome): void;
}

export class UpdateQueue {
  webhookUrl = '';
  private queue: Update[] = [];
  private nextUpdateId = FIRST_UPDATE_ID;
  private allowedUpdates: Set<string> | undefined;
  private waiter: PollWaiter | undefined;
  private closed = false;

  /** True while a long-polling getUpdates is held open waiting for updates. */
  get pollPending(): boolean {
    return this.waiter !== undefined;
  }

  /** Updates queued and not yet confirmed by a getUpdates offset. */
  pending(): Update[] {
    return [...this.queue];
  }

  get size(): number {
    return this.queue.length;
  }

  dropAll(): void {
    this.queue = [];
  }

  /** Queues an update built by the fake; returns its update_id. */
  enqueue(payload: Record<string, unknown>): number {
    const updateId = this.nextUpdateId++;
    this.queue.push({ update_id: updateId, ...payload });
    this.wakePoller();
    return updateId;
  }

  /** Queues a raw update from a test (update_id assigned when missing). */
  add(update: object): number {
    const parsed = updateSchema.parse(update);
    if (parsed.update_id === undefined) return this.enqueue(parsed);
    this.nextUpdateId = Math.max(this.nextUpdateId, parsed.update_id + 1);
    this.queue.push({ ...parsed, update_id: parsed.update_id });
    this.queue.sort((a, b) => a.update_id - b.update_id);
    this.wakePoller();
    return parsed.update_id;
  }

  /** Answers a pending long poll with no updates; later polls return at once. */
  close(): void {
    this.closed = true;
    this.waiter?.resolve({ kind: 'closing' });
  }

  async getUpdates(params: Params, ctx: HandlerContext): Promise<Update[]> {
    if (this.webhookUrl !== '') throw new BotApiError(409, CONFLICT_WEBHOOK);
    const offset = optionalInt(params, 'offset') ?? 0;
    const limit = clamp(
      optionalInt(params, 'limit') ?? GET_UPDATES_MAX_LIMIT,
      1,
      GET_UPDATES_MAX_LIMIT,
    );
    const timeoutS = clamp(optionalNumber(params, 'timeout') ?? 0, 0, MAX_POLL_TIMEOUT_S);
    const allowed = jsonParam(params, 'allowed_updates', allowedUpdatesSchema);
    if (allowed !== undefined) {
      this.allowedUpdates = allowed.length > 0 ? new Set(allowed) : undefined;
    }
    // Offset confirms every update before it; a negative offset keeps only the last -offset.
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queue = this.queue.slice(offset);

    // The newest poller wins; the one it replaces learns it was terminated.
    this.waiter?.resolve({ kind: 'conflict' });

    const ready = this.deliverable(limit);
    if (ready.length > 0 || timeoutS === 0 || this.closed) return ready;

    const outcome = await new Promise<PollOutcome>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'updates', updates: [] }), timeoutS * 1000);
      const onClose = () => finish({ kind: 'aborted' });
      const waiter: PollWaiter = {
        limit,
        resolve: (o) => {
          if (o.kind !== 'conflict') return finish(o);
          // A client that aborts its poll and asks again at once (telegraf's stop confirms the
          // offset with one more getUpdates) may reach us before the old connection's close
          // does: that poll was abandoned, not in conflict. Its close wins if it comes soon.
          setTimeout(() => finish(o), ABANDONED_POLL_GRACE_MS);
        },
      };
      const finish = (o: PollOutcome) => {
        clearTimeout(timer);
        ctx.res.off('close', onClose);
        if (this.waiter === waiter) this.waiter = undefined;
        resolve(o);
      };
      ctx.res.on('close', onClose);
      this.waiter = waiter;
    });
    if (outcome.kind === 'conflict') throw new BotApiError(409, CONFLICT_TERMINATED);
    return outcome.updates ?? [];
  }

  private deliverable(limit: number): Update[] {
    return this.queue.filter((u) => this.isAllowed(u)).slice(0, limit);
  }

  private isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((k) => k !== 'update_id') ?? '';
    return this.allowedUpdates ? this.allowedUpdates.has(type) : !OPT_IN_UPDATE_TYPES.has(type);
  }

  private wakePoller(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const updates = this.deliverable(waiter.limit);
    if (updates.length > 0) waiter.resolve({ kind: 'updates', updates });
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
