// The Slack adapter of the Notifier port: opens the chat's sealed webhook, formats the outbox
// entry with format.ts, posts it under a pace of about one message per second per webhook,
// and turns Slack's answer into a SendOutcome (webhook.ts). Like the Telegram adapter it
// decides nothing about retries: delivery does.
//
// Pacing: Slack allows about 1 message per second per incoming webhook, with short bursts, and
// answers 429 with Retry-After beyond that. One lane of the keyed pacer (lib/keyed-pacer.ts,
// p-queue) per webhook, keyed by a hash of the URL so two chats mirroring into the same channel
// share one pace: one request at a time, each starting at least minIntervalMs after the previous
// one started. After a 429 the webhook is paused for Retry-After: other chats sharing it are
// answered "retry" at once instead of earning a 429 of their own.
//
// Secrets: the webhook URL is opened only here, added to the scrubber before any use, and never
// appears in a log line, an outcome reason or an error (reasons come from status codes only).
import type { Config, Env } from '../../config.js';
import { systemClock, type Clock } from '../../domain.js';
import { errorName } from '../../lib/error-facts.js';
import type { Links } from '../../links.js';
import type { Logger } from '../../logger.js';
import type { SecretBox, SecretScrubber } from '../../secrets.js';
import type { ChatState } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import type { Notifier, SendOptions, SendOutcome } from '../notifier.js';
import { createKeyedPacer } from '../../lib/keyed-pacer.js';
import { formatSlackEntry } from './format.js';
import {
  createWebhookPoster,
  outcomeOfAnswer,
  validateWebhookUrl,
  webhookKey,
  webhookSecrets,
  type WebhookPoster,
} from './webhook.js';

/** About 1 message per second per webhook (Slack's documented rate for incoming webhooks). */
export const SLACK_MIN_INTERVAL_MS = 1_000;

export interface SlackNotifierDeps {
  secretBox: Pick<SecretBox, 'decrypt'>;
  scrubber: SecretScrubber;
  logger: Logger;
  /** Builds the "Open case" and "Read the comment" links. */
  links: Links;
  config: Pick<Config, 'notify' | 'poll' | 'slack'>;
  clock?: Clock;
  /** Proxy variables for the webhook calls (HTTPS_PROXY, NO_PROXY); default none. */
  env?: Env;
  /** Per-call timeout; default SLACK_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Tests shorten the pace; default SLACK_MIN_INTERVAL_MS. */
  minIntervalMs?: number;
  /** Replaces the HTTP client (the default posts with axios). */
  poster?: WebhookPoster;
}

export interface SlackNotifier extends Notifier {
  /** Drops sends waiting for their pace (they answer "retry"); running ones finish. Idempotent. */
  close(): Promise<void>;
}

export function createSlackNotifier(deps: SlackNotifierDeps): SlackNotifier {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ component: 'slack-notifier' });
  const poster =
    deps.poster ??
    createWebhookPoster({
      clock,
      ...(deps.env ? { env: deps.env } : {}),
      ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    });
  const minIntervalMs = deps.minIntervalMs ?? SLACK_MIN_INTERVAL_MS;
  // No bot-wide rate: Slack's limit is per webhook.
  const pacer = createKeyedPacer();
  /** webhook key → epoch ms before which Slack asked us not to post (429 Retry-After). */
  const pausedUntil = new Map<string, number>();
  let closing: Promise<void> | undefined;

  const openWebhook = (chat: DeepReadonly<ChatState>): { url: string } | SendOutcome => {
    const slack = chat.slack;
    if (!slack) return { kind: 'disabled', reason: 'Slack is not set up for this chat' };
    if (slack.disabledAt !== undefined) {
      return {
        kind: 'disabled',
        reason: slack.disabledReason ?? 'Slack is disabled for this chat',
      };
    }
    let url: string;
    try {
      url = deps.secretBox.decrypt(slack.webhook);
    } catch (err) {
      log.error(
        { chatId: chat.id, err: { name: errorName(err) } },
        'cannot open the stored Slack webhook',
      );
      return {
        kind: 'disabled',
        reason: 'cannot open the stored Slack webhook (the secret key changed?)',
      };
    }
    for (const secret of webhookSecrets(url)) deps.scrubber.add(secret);
    // Checked again at every send: the operator may have narrowed slack.allowedWebhookHosts.
    const valid = validateWebhookUrl(url, deps.config.slack.allowedWebhookHosts);
    if (!valid.ok)
      return { kind: 'disabled', reason: 'the stored Slack webhook is no longer allowed' };
    return { url: valid.url };
  };

  return {
    destination: 'slack',
    async send(entry, chat, options: SendOptions = {}): Promise<SendOutcome> {
      if (entry.destination !== 'slack') {
        return {
          kind: 'rejected',
          reason: `a ${entry.destination} entry given to the Slack notifier`,
        };
      }
      const opened = openWebhook(chat);
      if (!('url' in opened)) return opened;
      const { url } = opened;

      const number = entry.case?.number;
      const payload = formatSlackEntry(entry, {
        maxCommentChars: chat.maxCommentChars ?? deps.config.notify.maxCommentChars,
        caseUrl: number !== undefined ? deps.links.caseUrl(number) : '',
        commentUrl:
          number !== undefined && entry.comment
            ? deps.links.commentUrl(number, entry.comment.id)
            : '',
        unfollowedWhenClosed: !deps.config.poll.keepClosedCases,
      });
      if (typeof payload === 'string') return { kind: 'rejected', reason: payload };

      const key = webhookKey(url);
      const waitMs = (pausedUntil.get(key) ?? 0) - clock.now();
      if (waitMs > 0) {
        return { kind: 'retry', reason: 'Slack 429 (webhook paused)', retryAfterMs: waitMs };
      }
      if (closing)
        return { kind: 'retry', reason: 'Slack notifier stopped: the daemon is shutting down' };

      let outcome: SendOutcome;
      try {
        const answer = await pacer.schedule(key, minIntervalMs, () =>
          poster.post(url, payload, options.signal),
        );
        outcome = outcomeOfAnswer(answer);
      } catch (err) {
        // Only the pacer throws here (PacingStoppedError: close() came first); poster.post never
        // does.
        const name = err instanceof Error ? err.name : 'Error';
        outcome = { kind: 'retry', reason: `Slack send not started (${name})` };
      }
      if (outcome.kind === 'retry' && outcome.retryAfterMs !== undefined) {
        pausedUntil.set(key, clock.now() + outcome.retryAfterMs);
      } else if (outcome.kind === 'ok') {
        pausedUntil.delete(key);
      }
      if (outcome.kind !== 'ok') {
        log.warn(
          {
            chatId: chat.id,
            entryId: entry.id,
            webhookId: key,
            outcome: outcome.kind,
            reason: reasonOf(outcome),
          },
          'Slack did not take a message',
        );
      }
      return outcome;
    },
    close() {
      closing ??= pacer.stop();
      return closing;
    },
  };
}

function reasonOf(outcome: SendOutcome): string | undefined {
  return 'reason' in outcome ? outcome.reason : undefined;
}
