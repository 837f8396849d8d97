// The Telegram adapter of the Notifier port: formats an outbox entry (messages.ts), picks its
// forum topic (forum.ts) and whether it rings (loudness.ts), sends it with telegraf's Telegram
// client under the pacing of pacing.ts, and turns Telegram's answer into a SendOutcome
// (errors.ts). It decides nothing about retries itself except three, so none costs a comment: a
// message Telegram cannot parse ("can't parse entities") is sent again at once as plain text; a
// message whose topic a person deleted is sent again into a new topic; one whose topic is closed
// to the bot goes to General.
import { Telegram } from 'telegraf';
import type { Config } from '../../config.js';
import { systemClock, type Clock } from '../../domain.js';
import type { Links } from '../../links.js';
import type { Logger } from '../../logger.js';
import type { ChatState, OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import type { ChatLearned, Notifier, SendOptions, SendOutcome } from '../notifier.js';
import { isParseError, isThreadGone, isTopicClosed, outcomeOfError } from './errors.js';
import { createTopicRouter, type TopicRouter } from './forum.js';
import type { InlineButton, OutgoingMessage } from './html.js';
import { loudnessOf } from './loudness.js';
import { messageFor } from './messages.js';
import { createPacer, type Pacer, type PacingOptions } from './pacing.js';

/**
 * telegraf waits up to 500 s for an answer; a send stuck that long would hold the chat's queue.
 * After this the send counts as a network failure and is retried (the message may then arrive
 * twice, which at-least-once delivery accepts).
 */
export const SEND_TIMEOUT_MS = 30_000;

export interface TelegramNotifierOptions {
  config: Pick<Config, 'telegram' | 'notify' | 'poll'>;
  /** Builds the "Open case" and "Read the whole comment" links. */
  links: Links;
  logger: Logger;
  /** Quiet hours are judged at send time by this clock; default the system clock. */
  clock?: Clock;
  /** Tests shorten the pacing; production uses the defaults of pacing.ts. */
  pacing?: Partial<PacingOptions>;
  sendTimeoutMs?: number;
}

export interface TelegramNotifier extends Notifier {
  /** Drops sends waiting for their pace; running ones finish. */
  close(): Promise<void>;
}

/** The send found its topic deleted: route again. */
const THREAD_GONE = Symbol('thread gone');
/** The topic is closed to the bot: send to General instead. */
const TOPIC_CLOSED = Symbol('topic closed');

export function createTelegramNotifier(options: TelegramNotifierOptions): TelegramNotifier {
  const telegram = new Telegram(options.config.telegram.token, {
    apiRoot: options.config.telegram.apiRoot,
  });
  const pacer: Pacer = createPacer(options.pacing);
  const log = options.logger.child({ component: 'telegram-notifier' });
  const timeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS;
  const clock = options.clock ?? systemClock;

  /** One Bot API call on the chat's pace, ended by the timeout or the caller's signal. */
  const paced = <T>(
    chat: DeepReadonly<ChatState>,
    signal: AbortSignal | undefined,
    fn: (callOptions: TelegramCallOptions) => Promise<T>,
  ): Promise<T> =>
    pacer.schedule(chat, () => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      // telegraf types its signal with the old abort-controller polyfill; node-fetch (underneath)
      // accepts Node's own AbortSignal, which is what we have. Only the type differs.
      return fn({ signal: combined } as unknown as TelegramCallOptions);
    });

  const topics: TopicRouter = createTopicRouter({
    logger: options.logger,
    async createTopic(chat, name, signal) {
      const topic = await paced(chat, signal, (o) =>
        telegram.callApi('createForumTopic', { chat_id: chat.id, name }, o),
      );
      if (!Number.isSafeInteger(topic.message_thread_id)) {
        throw new Error('createForumTopic answered without a message_thread_id');
      }
      return topic.message_thread_id;
    },
  });

  /** Sends once, and once more as plain text when Telegram cannot parse our HTML. */
  const deliver = async (
    entry: DeepReadonly<OutboxEntry>,
    chat: DeepReadonly<ChatState>,
    message: OutgoingMessage,
    extra: PayloadExtra,
    signal: AbortSignal | undefined,
  ): Promise<SendOutcome | typeof THREAD_GONE | typeof TOPIC_CLOSED> => {
    const call = (html: boolean) =>
      paced(chat, signal, (o) =>
        telegram.callApi('sendMessage', toPayload(chat.id, message, html, extra), o),
      );
    try {
      await call(true);
      return { kind: 'ok' };
    } catch (err) {
      if (extra.threadId !== undefined && isThreadGone(err)) return THREAD_GONE;
      if (extra.threadId !== undefined && isTopicClosed(err)) return TOPIC_CLOSED;
      const outcome = outcomeOfError(err);
      if (outcome.kind !== 'rejected' || !isParseError(err)) return outcome;
      // Our HTML should always parse (format.ts escapes everything), but if it ever does not,
      // the reader still gets the comment: same text without markup, same buttons.
      log.warn(
        { chatId: chat.id, entryId: entry.id, reason: outcome.reason },
        'Telegram could not parse the HTML of a message: sending it again as plain text',
      );
      try {
        await call(false);
        return { kind: 'ok' };
      } catch (plainErr) {
        if (extra.threadId !== undefined && isThreadGone(plainErr)) return THREAD_GONE;
        if (extra.threadId !== undefined && isTopicClosed(plainErr)) return TOPIC_CLOSED;
        const plain = outcomeOfError(plainErr);
        return plain.kind === 'rejected'
          ? { kind: 'rejected', reason: `${outcome.reason}; as plain text: ${plain.reason}` }
          : plain;
      }
    }
  };

  /** Routes to the case's topic and sends; a deleted topic is replaced once, a closed one skipped. */
  const routeAndSend = async (
    entry: DeepReadonly<OutboxEntry>,
    chat: DeepReadonly<ChatState>,
    message: OutgoingMessage,
    silent: boolean,
    learned: ChatLearned,
    signal: AbortSignal | undefined,
  ): Promise<SendOutcome> => {
    for (let attempt = 1; ; attempt++) {
      const route = await topics.route(entry, chat, learned, signal);
      if ('outcome' in route) return route.outcome;
      const sent = await deliver(
        entry,
        chat,
        message,
        { threadId: route.threadId, silent },
        signal,
      );
      if (sent === TOPIC_CLOSED) {
        // Closed on purpose by a person: leave it closed, and keep it for when it reopens.
        log.info(
          { chatId: chat.id, caseNumber: entry.case?.number, threadId: route.threadId },
          "the case's topic is closed to the bot: posting in General",
        );
        const general = await deliver(
          entry,
          chat,
          message,
          { threadId: undefined, silent },
          signal,
        );
        // Only sends to a topic come back as THREAD_GONE or TOPIC_CLOSED.
        return typeof general === 'symbol' ? { kind: 'retry', reason: 'topic closed' } : general;
      }
      if (sent !== THREAD_GONE) return sent;
      const caseNumber = entry.case?.number;
      // A new topic that is gone at once is not ours to fight: wait and try again later.
      if (caseNumber === undefined || attempt > 1) {
        return { kind: 'retry', reason: 'Telegram 400: message thread not found' };
      }
      log.info(
        { chatId: chat.id, caseNumber, threadId: route.threadId },
        "the case's topic was deleted: creating a new one",
      );
      topics.forget(chat.id, caseNumber, learned);
    }
  };

  return {
    destination: 'telegram',
    async send(
      entry: DeepReadonly<OutboxEntry>,
      chat: DeepReadonly<ChatState>,
      sendOptions: SendOptions = {},
    ): Promise<SendOutcome> {
      const message = messageFor(entry, chat, options);
      if (typeof message === 'string') return { kind: 'rejected', reason: message };
      const silent = loudnessOf(entry, chat, clock.now()) === 'silent';
      const learned: ChatLearned = {};
      const outcome = await routeAndSend(entry, chat, message, silent, learned, sendOptions.signal);
      return learned.topic || learned.topicsRefused ? { ...outcome, learned } : outcome;
    },
    close: () => pacer.stop(),
  };
}

type TelegramCallOptions = NonNullable<Parameters<Telegram['callApi']>[2]>;

interface PayloadExtra {
  /** The forum topic; undefined: General (or a chat without topics). */
  threadId: number | undefined;
  silent: boolean;
}

interface SendPayload {
  chat_id: number;
  message_thread_id?: number;
  disable_notification?: boolean;
  text: string;
  parse_mode?: 'HTML';
  link_preview_options: { is_disabled: boolean };
  reply_markup?: {
    inline_keyboard: ({ text: string; url: string } | { text: string; callback_data: string })[][];
  };
}

function toPayload(
  chatId: number,
  message: OutgoingMessage,
  html: boolean,
  extra: PayloadExtra,
): SendPayload {
  const payload: SendPayload = {
    chat_id: chatId,
    text: html ? message.text : htmlToPlainText(message.text),
    link_preview_options: { is_disabled: message.disablePreview },
  };
  // Both left out unless needed: Telegram's defaults are General and a normal notification.
  if (extra.threadId !== undefined) payload.message_thread_id = extra.threadId;
  if (extra.silent) payload.disable_notification = true;
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
