// The Telegram adapter of the Notifier port: formats an outbox entry with format.ts, sends it
// with telegraf's Telegram client under the pacing of pacing.ts, and turns Telegram's answer into
// a SendOutcome. It decides nothing about retries itself except one: a message Telegram cannot
// parse ("can't parse entities") is sent again at once as plain text, so a formatting bug never
// costs a comment.
import { Telegram, TelegramError } from 'telegraf';
import type { Config } from '../../config.js';
import type { Case, Comment } from '../../domain.js';
import { errorMessage } from '../../lib/error-facts.js';
import { secondsToMs } from '../../lib/retry-after.js';
import type { Links } from '../../links.js';
import type { Logger } from '../../logger.js';
import type { ChatState, OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import type { Notifier, SendOptions, SendOutcome } from '../notifier.js';
import {
  formatCaseClosed,
  formatComment,
  formatStatusChange,
  type InlineButton,
  type OutgoingMessage,
} from './format.js';
import { createPacer, type Pacer, type PacingOptions } from './pacing.js';

/**
 * telegraf waits up to 500 s for an answer; a send stuck that long would hold the chat's queue.
 * After this the send counts as a network failure and is retried (the message may then arrive
 * twice, which at-least-once delivery accepts).
 */
export const SEND_TIMEOUT_MS = 30_000;
/** A 429 without retry_after (never seen, but possible): wait this long. */
const DEFAULT_RETRY_AFTER_S = 5;

// 400 answers that are about the chat, not the message: the bot cannot write there any more
// (group deleted, bot muted or removed). Pausing the chat keeps its data; dropping the message
// as "rejected" would lose it.
const CHAT_UNREACHABLE =
  /chat not found|not enough rights|have no rights|need administrator rights|bot was kicked|user is deactivated|CHAT_WRITE_FORBIDDEN|CHAT_RESTRICTED/i;
const CANT_PARSE = /can't parse entities|can't find end of the entity|unsupported start tag/i;

export interface TelegramNotifierOptions {
  config: Pick<Config, 'telegram' | 'notify' | 'poll'>;
  /** Builds the "Open case" and "Read the whole comment" links. */
  links: Links;
  logger: Logger;
  /** Tests shorten the pacing; production uses the defaults of pacing.ts. */
  pacing?: Partial<PacingOptions>;
  sendTimeoutMs?: number;
}

export interface TelegramNotifier extends Notifier {
  /** Drops sends waiting for their pace; running ones finish. */
  close(): Promise<void>;
}

export function createTelegramNotifier(options: TelegramNotifierOptions): TelegramNotifier {
  const telegram = new Telegram(options.config.telegram.token, {
    apiRoot: options.config.telegram.apiRoot,
  });
  const pacer: Pacer = createPacer(options.pacing);
  const log = options.logger.child({ component: 'telegram-notifier' });
  const timeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS;

  const call = (
    chat: DeepReadonly<ChatState>,
    payload: SendPayload,
    signal: AbortSignal | undefined,
  ) =>
    pacer.schedule(chat, async () => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      // telegraf types its signal with the old abort-controller polyfill; node-fetch (underneath)
      // accepts Node's own AbortSignal, which is what we have. Only the type differs.
      const callOptions = { signal: combined } as unknown as TelegramCallOptions;
      await telegram.callApi('sendMessage', payload, callOptions);
    });

  return {
    destination: 'telegram',
    async send(
      entry: DeepReadonly<OutboxEntry>,
      chat: DeepReadonly<ChatState>,
      sendOptions: SendOptions = {},
    ) {
      const message = messageFor(entry, chat, options);
      if (typeof message === 'string') return { kind: 'rejected', reason: message };
      const payload = toPayload(chat.id, message, true);
      try {
        await call(chat, payload, sendOptions.signal);
        return { kind: 'ok' };
      } catch (err) {
        const outcome = outcomeOfError(err);
        if (outcome.kind !== 'rejected' || !isParseError(err)) return outcome;
        // Our HTML should always parse (format.ts escapes everything), but if it ever does not,
        // the reader still gets the comment: same text without markup, same buttons.
        log.warn(
          { chatId: chat.id, entryId: entry.id, reason: outcome.reason },
          'Telegram could not parse the HTML of a message: sending it again as plain text',
        );
        try {
          await call(chat, toPayload(chat.id, message, false), sendOptions.signal);
          return { kind: 'ok' };
        } catch (plainErr) {
          const plain = outcomeOfError(plainErr);
          return plain.kind === 'rejected'
            ? { kind: 'rejected', reason: `${outcome.reason}; as plain text: ${plain.reason}` }
            : plain;
        }
      }
    },
    close: () => pacer.stop(),
  };
}

/** The message for an entry, or the reason it cannot be built (a broken entry is rejected). */
export function messageFor(
  entry: DeepReadonly<OutboxEntry>,
  chat: Pick<DeepReadonly<ChatState>, 'maxCommentChars'>,
  options: Pick<TelegramNotifierOptions, 'config' | 'links'>,
): OutgoingMessage | string {
  const kase: Case | undefined = entry.case;
  switch (entry.kind) {
    case 'notice':
      if (entry.text === undefined || entry.text === '') return 'a notice without text';
      return { text: entry.text, parseMode: 'HTML', buttons: [], disablePreview: true };
    case 'comment': {
      const comment: Comment | undefined = entry.comment;
      if (!kase || !comment) return 'a comment entry without its case or comment';
      return formatComment({
        kase,
        comment,
        maxChars: chat.maxCommentChars ?? options.config.notify.maxCommentChars,
        caseUrl: options.links.caseUrl(kase.number),
        commentUrl: options.links.commentUrl(kase.number, comment.id),
      });
    }
    case 'status':
      if (!kase) return 'a status entry without its case';
      return formatStatusChange({
        kase,
        previousStatus: entry.text ?? '',
        caseUrl: options.links.caseUrl(kase.number),
      });
    case 'closed':
      if (!kase) return 'a closed entry without its case';
      return formatCaseClosed({
        kase,
        caseUrl: options.links.caseUrl(kase.number),
        unfollowed: !options.config.poll.keepClosedCases,
      });
  }
}

type TelegramCallOptions = NonNullable<Parameters<Telegram['callApi']>[2]>;

interface SendPayload {
  chat_id: number;
  text: string;
  parse_mode?: 'HTML';
  link_preview_options: { is_disabled: boolean };
  reply_markup?: {
    inline_keyboard: ({ text: string; url: string } | { text: string; callback_data: string })[][];
  };
}

function toPayload(chatId: number, message: OutgoingMessage, html: boolean): SendPayload {
  const payload: SendPayload = {
    chat_id: chatId,
    text: html ? message.text : htmlToPlainText(message.text),
    link_preview_options: { is_disabled: message.disablePreview },
  };
  if (html) payload.parse_mode = message.parseMode;
  if (message.buttons.length > 0) {
    payload.reply_markup = { inline_keyboard: message.buttons.map((row) => row.map(toButton)) };
  }
  return payload;
}

function toButton(
  b: InlineButton,
): { text: string; url: string } | { text: string; callback_data: string } {
  return 'url' in b
    ? { text: b.text, url: b.url }
    : { text: b.text, callback_data: b.callbackData };
}

/** What a person would read: tags dropped, entities decoded. */
export function htmlToPlainText(html: string): string {
  return (
    html
      // Only what looks like a tag: a bare "<" in broken markup is text the reader should see.
      .replace(/<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>/g, '')
      .replace(/&(#\d+|#x[0-9a-f]+|lt|gt|quot|amp);/gi, (whole, name: string) => {
        const lower = name.toLowerCase();
        if (lower === 'lt') return '<';
        if (lower === 'gt') return '>';
        if (lower === 'quot') return '"';
        if (lower === 'amp') return '&';
        const code = lower.startsWith('#x')
          ? parseInt(lower.slice(2), 16)
          : parseInt(lower.slice(1), 10);
        return Number.isInteger(code) && code >= 0 && code <= 0x10ffff
          ? String.fromCodePoint(code)
          : whole;
      })
  );
}

function isParseError(err: unknown): boolean {
  return err instanceof TelegramError && err.code === 400 && CANT_PARSE.test(err.description);
}

/** Telegram's answer (or a network failure) → what delivery should do. */
export function outcomeOfError(err: unknown): SendOutcome {
  if (err instanceof TelegramError) {
    const code = err.code;
    const description = typeof err.description === 'string' ? err.description : '';
    const reason = `Telegram ${code}: ${description}`;
    const migrateTo = err.parameters?.migrate_to_chat_id;
    if (typeof migrateTo === 'number' && Number.isSafeInteger(migrateTo) && migrateTo !== 0) {
      return { kind: 'migrated', newChatId: migrateTo };
    }
    if (code === 429) {
      const after = err.parameters?.retry_after;
      const seconds =
        typeof after === 'number' && Number.isFinite(after) && after >= 0
          ? after
          : DEFAULT_RETRY_AFTER_S;
      return { kind: 'retry', reason, retryAfterMs: secondsToMs(seconds) };
    }
    if (code === 403) return { kind: 'blocked', reason };
    if (code === 400 && CHAT_UNREACHABLE.test(description)) return { kind: 'blocked', reason };
    if (code === 400) return { kind: 'rejected', reason };
    // 5xx, and 401/404 (a wrong bot token: the operator must fix it, the messages must wait).
    return { kind: 'retry', reason };
  }
  // Network failures, timeouts, an answer that is not JSON: telegraf already removed the token
  // from the message, and the logger scrubs it again.
  const name = err instanceof Error ? err.name : 'Error';
  return { kind: 'retry', reason: `${name}: ${errorMessage(err)}` };
}
