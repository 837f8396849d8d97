// A loopback fake of the Telegram Bot API: a real node:http server on 127.0.0.1 that speaks the
// wire protocol telegraf (or plain fetch) speaks, for the methods this bot uses. It keeps a
// model (chats, forum topics, messages, updates, callback queries, admins) that tests drive and
// inspect, and it answers the way the real server does, including the errors and faults a bot
// must survive: HTML that does not parse, 4096-character limit, bad buttons, 429 with
// retry_after, 403 when blocked, 400 with migrate_to_chat_id, 409 on concurrent long polling,
// 401 for a wrong token, topics that are missing, closed or not allowed.
//
// Deliberate simplifications: no files/media, no inline mode, no webhooks beyond a flag,
// `parse_mode` HTML only (validated by ./telegram-html.ts, which is stricter than Telegram), and
// getUpdates' `timeout` may be fractional (seconds) so tests can use short polls.
//
// Layout: this file is the server and the test-facing class; the pieces behind it are
//   fake-telegram-types.ts    public types, BotApiError
//   fake-telegram-wire.ts     request parsing, typed parameters, answers
//   fake-telegram-content.ts  text, keyboard and command validation
//   fake-telegram-model.ts    the world: bot, chats, admins, messages, wire objects
//   fake-telegram-forum.ts    forums: topic methods, which topic a send lands in
//   fake-telegram-methods.ts  the other Bot API methods
//   fake-telegram-updates.ts  update queue, long polling, webhook flag
//   fake-telegram-users.ts    what people do: write, press buttons, block the bot
//   fake-telegram-faults.ts   scripted errors, delays, rate limits
import http from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { waitUntil } from './wait.js';
import { FaultInjector } from './fake-telegram-faults.js';
import { Forums } from './fake-telegram-forum.js';
import { buildHandlers } from './fake-telegram-methods.js';
import { TelegramWorld } from './fake-telegram-model.js';
import {
  BotApiError,
  type AddForumTopicOptions,
  type ApiCall,
  type BotCommand,
  type FailNextOptions,
  type FakeTelegramOptions,
  type ForumTopicInfo,
  type MakeForumOptions,
  type MyChatMemberOptions,
  type PressButtonOptions,
  type RateLimitOptions,
  type SendUserMessageOptions,
  type SentMessage,
  type Update,
  type UserMessage,
} from './fake-telegram-types.js';
import { UpdateQueue } from './fake-telegram-updates.js';
import { Users } from './fake-telegram-users.js';
import { answerError, readParams, send, type Handler, type Params } from './fake-telegram-wire.js';

export { BotApiError } from './fake-telegram-types.js';
export { FORUM_TOPIC_ICON_COLORS } from './fake-telegram-forum.js';
export type {
  AddForumTopicOptions,
  ApiCall,
  BotCommand,
  CallbackAnswer,
  FailNextOptions,
  FakeTelegramOptions,
  ForumTopicInfo,
  MakeForumOptions,
  MyChatMemberOptions,
  PressButtonOptions,
  RateLimitOptions,
  ReplyMarkup,
  SendUserMessageOptions,
  SentMessage,
  UserMessage,
  WireButton,
} from './fake-telegram-types.js';

const WAIT_FOR_POLL_MS = 15;
const DEFAULT_WAIT_FOR_TIMEOUT_MS = 5000;
/** What the fake answers to a request for a method it does not serve (as Telegram does). */
const UNKNOWN_METHOD_STATUS = 404;
/** Recorded for a call whose client went away before the answer (an aborted poll). */
const CLIENT_GONE_STATUS = 499;

export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const fake = new FakeTelegram(options);
  await fake.listen();
  return fake;
}

export class FakeTelegram {
  readonly token: string;
  readonly botId: number;
  readonly botUsername: string;
  readonly botFirstName: string;

  /** Every API call that reached a method, failures included, in answer order. */
  readonly calls: ApiCall[] = [];
  readonly deleted: { chatId: number; messageId: number }[];
  readonly callbackAnswers: TelegramWorld['callbackAnswers'];
  readonly edits: TelegramWorld['edits'];
  /** Unexpected exceptions inside the fake (bugs in the fake, answered 500). */
  readonly internalErrors: unknown[] = [];

  private readonly server: http.Server;
  private readonly world: TelegramWorld;
  private readonly updates = new UpdateQueue();
  private readonly faults = new FaultInjector();
  private readonly forums: Forums;
  private readonly users: Users;
  /** lower-cased method name → [canonical name, handler]: Telegram ignores the case. */
  private readonly handlers: Map<string, [string, Handler]>;
  private closed = false;

  constructor(options: FakeTelegramOptions) {
    const m = /^(\d+):\S+$/.exec(options.token);
    if (!m?.[1]) throw new Error('fake telegram: token must look like "<digits>:<secret>"');
    this.token = options.token;
    this.botId = Number(m[1]);
    this.world = new TelegramWorld(this.botId, options);
    this.botUsername = this.world.botUsername;
    this.botFirstName = this.world.botFirstName;
    this.deleted = this.world.deleted;
    this.callbackAnswers = this.world.callbackAnswers;
    this.edits = this.world.edits;
    this.forums = new Forums(this.world);
    this.users = new Users(this.world, this.updates);
    this.handlers = new Map(
      [...buildHandlers(this.world, this.updates, this.forums)].map(([name, handler]) => [
        name.toLowerCase(),
        [name, handler],
      ]),
    );
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.internalErrors.push(error);
        if (!res.headersSent)
          send(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
      });
    });
  }

  /** Starts listening on an ephemeral port; startFakeTelegram() does this for you. */
  async listen(): Promise<void> {
    await listenOnLoopback(this.server);
  }

  /** e.g. "http://127.0.0.1:41234" — pass as telegraf's `apiRoot`. */
  get apiRoot(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('fake telegram is not listening');
    }
    return `http://127.0.0.1:${address.port}`;
  }

  /** Answers a pending long poll with no updates, drops keep-alive connections, stops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.updates.close();
    this.faults.releaseAll();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closing;
  }

  // ---- what the bot sent ----

  /**
   * Messages the bot sent (accepted ones only), oldest first; edits are applied in place. Each
   * says where it went (`threadId`, undefined for a forum's General topic) and how (`silent`).
   */
  messages(chatId?: number): SentMessage[] {
    return this.world.sent.filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** Messages users sent through sendUserMessage(). */
  userMessages(chatId?: number): UserMessage[] {
    return this.world.userMsgs.filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** The command list of the last successful setMyCommands (any scope). */
  get commands(): BotCommand[] | undefined {
    return this.world.lastCommands;
  }

  /** Callback query ids pressed but not answered yet. */
  unansweredCallbacks(): string[] {
    return [...this.world.callbacks].filter(([, c]) => !c.answered).map(([id]) => id);
  }

  /** True while a long-polling getUpdates is held open waiting for updates. */
  get pollPending(): boolean {
    return this.updates.pollPending;
  }

  /** Updates queued and not yet confirmed by a getUpdates offset. */
  pendingUpdates(): Update[] {
    return this.updates.pending();
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  // ---- what users do ----

  /** A user writes; `threadId` puts the message in a forum topic. */
  sendUserMessage(opts: SendUserMessageOptions): { updateId: number; messageId: number } {
    return this.users.sendUserMessage(opts);
  }

  pressButton(opts: PressButtonOptions): { updateId: number; callbackQueryId: string } {
    return this.users.pressButton(opts);
  }

  /** Queues a raw update (update_id assigned when missing). */
  addUpdate(update: object): { updateId: number } {
    return { updateId: this.updates.add(update) };
  }

  /**
   * Queues a my_chat_member update about the bot and applies it: in a private chat 'kicked'
   * means the user blocked the bot (sends then fail 403) and 'member' that they unblocked it.
   */
  myChatMember(opts: MyChatMemberOptions): { updateId: number } {
    return this.users.myChatMember(opts);
  }

  // ---- the world ----

  /**
   * Users listed are admins of the chat (getChatMember); `creatorId` is the owner. Admins may
   * manage topics, as the Telegram app's default promotion allows; see setBotCanManageTopics.
   */
  setChatAdmins(chatId: number, userIds: number[], opts: { creatorId?: number } = {}): void {
    const chat = this.world.chat(chatId, { create: true });
    chat.admins.clear();
    for (const id of userIds)
      chat.admins.set(id, { status: 'administrator', canManageTopics: true });
    if (opts.creatorId !== undefined) {
      chat.admins.set(opts.creatorId, { status: 'creator', canManageTopics: true });
    }
  }

  blockChat(chatId: number): void {
    this.world.chat(chatId, { create: true }).blocked = true;
  }

  unblockChat(chatId: number): void {
    this.world.chat(chatId, { create: true }).blocked = false;
  }

  /** The bot was removed from a group: sends fail 403 "bot was kicked from the group chat". */
  kickFromChat(chatId: number): void {
    this.world.chat(chatId, { create: true }).kicked = true;
  }

  hasLeft(chatId: number): boolean {
    return this.world.chats.get(chatId)?.left ?? false;
  }

  /** A group became a supergroup: every call on `oldId` fails 400 with migrate_to_chat_id. */
  migrateChat(oldId: number, newId: number): void {
    const old = this.world.chat(oldId, { create: true });
    old.migratedTo = newId;
    const fresh = this.world.chat(newId, { create: true, type: 'supergroup' });
    fresh.title = old.title;
    for (const [id, admin] of old.admins) fresh.admins.set(id, { ...admin });
  }

  /** Pretends a webhook is set: getUpdates then fails 409 until deleteWebhook. */
  setWebhookActive(url: string): void {
    this.updates.webhookUrl = url;
  }

  // ---- forums ----

  /**
   * Turns topics on in a supergroup (ids starting -100): getChat and updates then carry
   * `is_forum: true`, sends may name a topic, and createForumTopic works if the bot may.
   */
  makeForum(chatId: number, opts: MakeForumOptions = {}): void {
    this.forums.makeForum(chatId, opts);
  }

  /** Makes the bot an administrator of the chat with (true) or without the right to manage topics. */
  setBotCanManageTopics(chatId: number, canManageTopics: boolean): void {
    this.forums.setBotCanManageTopics(chatId, canManageTopics);
  }

  /** A person creates a topic in the app (no update is queued); returns it with its threadId. */
  addForumTopic(chatId: number, name: string, opts: AddForumTopicOptions = {}): ForumTopicInfo {
    return this.forums.addTopic(chatId, name, opts);
  }

  /** The chat's topics, oldest first, closed and deleted ones included (see their flags). */
  forumTopics(chatId: number): ForumTopicInfo[] {
    return this.forums.topics(chatId);
  }

  /** A person deletes the topic: sends to it then fail 400 "message thread not found". */
  deleteForumTopic(chatId: number, threadId: number): void {
    this.forums.changeTopic(chatId, threadId, 'delete');
  }

  /** A person closes (or, with `closed` false, reopens) the topic. */
  closeForumTopic(chatId: number, threadId: number, closed = true): void {
    this.forums.changeTopic(chatId, threadId, closed ? 'close' : 'reopen');
  }

  // ---- faults ----

  /** The next `times` calls of `method` (optionally in one chat) fail as described. */
  failNext(opts: FailNextOptions): void {
    this.faults.failNext(opts);
  }

  /** The next `times` calls of `method` are answered after `ms` milliseconds. */
  delayNext(method: string, ms: number, times = 1): void {
    this.faults.delayNext(method, ms, times);
  }

  rateLimit(opts: RateLimitOptions): void {
    this.faults.rateLimit(opts);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ---- waiting ----

  /**
   * Polls `fn` every 15 ms until it returns something other than undefined/null/false, and
   * resolves with it. A throwing `fn` counts as "not yet" (so assertions can be polled); the
   * last error is in the timeout message.
   */
  async waitFor<T>(
    fn: () => T | undefined | null | false,
    timeoutMs = DEFAULT_WAIT_FOR_TIMEOUT_MS,
  ): Promise<T> {
    return waitUntil(fn, {
      timeoutMs,
      intervalMs: WAIT_FOR_POLL_MS,
      what: () =>
        `fake telegram; recent calls: ${
          this.calls
            .slice(-8)
            .map((c) => `${c.method}→${c.status}`)
            .join(', ') || 'none'
        }`,
    });
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = /^\/bot([^/]+)\/([A-Za-z_]+)\/?$/.exec(url.pathname);
    let params: Params;
    try {
      params = await readParams(req, url);
    } catch (error) {
      if (error instanceof BotApiError) return answerError(res, error);
      throw error;
    }
    if (!route?.[1] || !route[2]) {
      return answerError(res, new BotApiError(404, 'Not Found'));
    }
    const method = route[2];
    const record = (name: string, status: number) =>
      this.calls.push({ method: name, params, status });
    if (decodeURIComponent(route[1]) !== this.token) {
      record(method, 401);
      return answerError(res, new BotApiError(401, 'Unauthorized'));
    }
    const entry = this.handlers.get(method.toLowerCase());
    if (!entry) {
      record(method, UNKNOWN_METHOD_STATUS);
      return answerError(res, new BotApiError(UNKNOWN_METHOD_STATUS, 'Not Found'));
    }
    const [canonical, handler] = entry;
    await this.faults.delay(canonical);
    try {
      this.faults.check(canonical, params);
      const result: unknown = await handler(params, { res });
      if (res.destroyed || res.writableEnded) {
        record(canonical, CLIENT_GONE_STATUS);
        return;
      }
      record(canonical, 200);
      send(res, 200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      record(canonical, error.code);
      answerError(res, error);
    }
  }
}
