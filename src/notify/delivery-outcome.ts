// What a send's outcome does: to the state (applyOutcome, inside the worker's commit) and to the
// log, the counters and the admins (reportOutcome). The worker (delivery.ts) decides when; the
// outbox (src/outbox/) decides what leaving the outbox means.
import type { AdminReporter } from '../domain.js';
import type { Logger } from '../logger.js';
import {
  dropForDestination,
  enqueueOne,
  entryId,
  migrateChat,
  settleEntry,
} from '../outbox/index.js';
import type { OutboxEntry, State } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import type { SendOutcome } from './notifier.js';
import { slackDisabledNotice } from './slack/webhook.js';
import { applyLearned } from './telegram/topics.js';

/** Backoff after a 5xx or network failure (defaults in delivery.ts). */
export interface RetryTiming {
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface DeliveryStats {
  sent: number;
  retried: number;
  rejected: number;
  blocked: number;
  migrated: number;
}

export function retryDelayMs(attempts: number, timing: RetryTiming): number {
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
    timing: RetryTiming;
  },
): void {
  const entry = draft.outbox.find((e) => e.id === id);
  // Removed meanwhile (/forget), or already moved: nothing left to do.
  if (!entry) return;
  const nowIso = new Date(context.now).toISOString();
  const chat = draft.chats[String(entry.chatId)];
  // First, whatever the outcome: a topic created before a failed send must not be created twice.
  if (outcome.learned) applyLearned(draft, entry.chatId, outcome.learned, context.now);
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
          enqueueOne(draft, {
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
      dropForDestination(draft, entry.chatId, entry.destination, context.keepClosedCases);
      return;
    }
  }
}

export function reportOutcome(
  entry: DeepReadonly<OutboxEntry>,
  outcome: SendOutcome,
  { log, stats, reporter }: { log: Logger; stats: DeliveryStats; reporter: AdminReporter },
): void {
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
      reporter.report({
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
}
