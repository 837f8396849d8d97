// A loopback fake of the Telegram Bot API: a real node:http server on 127.0.0.1 that speaks the
// wire protocol telegraf (or plain fetch) speaks, for the methods this bot uses. It keeps a
// model (chats, messages, updates, callback queries, admins) that tests drive and inspect, and
// it answers the way the real server does, including the errors and faults a bot must survive:
// HTML that does not parse, 4096-character limit, bad buttons, 429 with retry_after, 403 when
// blocked, 400 with migrate_to_chat_id, 409 on concurrent long polling, 401 for a wrong token.
//
// Deliberate simplifications: no files/media, no inline mode, no webhooks beyond a flag,
// `parse_mode` HTML only (validated by ./telegram-html.ts, which is stricter than Telegram), and
// getUpdates' `timeout` may be fractional (seconds) so tests can use short polls.
//
// Long polling follows the real server: a new getUpdates request takes over, and the request it
// replaces is answered 409 "Conflict: terminated by other getUpdates request". So when a second
// poller starts, the FIRST one gets the 409.
import http from 'node:http';
import { z } from 'zod';
import { hasLoneSurrogate, parseTelegramHtml } from './telegram-html.js';
import { listenOnLoopback } from './loopback.js';
import { waitUntil } from './wait.js';

// ---- public types ----

export interface FakeTelegramOptions {
  /** "<digits>:<secret>"; the digits are the bot's user id, as on Telegram. */
  token: string;
  botUsername?: string;
  botFirstName?: string;
  /**
   * When true, methods on a chat the fake has never heard of (no user message, button, update,
   * admin list) fail "chat not found" like the real server. Default false: any chat id is
   * accepted, so notification tests need no setup.
   */
  strictChats?: boolean;
}

export interface WireButton {
  text: string;
  callback_data?: string;
  url?: string;
  [key: string]: unknown;
}

export interface ReplyMarkup {
  inline_keyboard?: WireButton[][];
  [key: string]: unknown;
}

export interface SentMessage {
  chatId: number;
  messageId: number;
  /** The rendered plain text (tags removed, entities decoded). */
  text: string;
  /** The raw text as sent, when parse_mode was HTML. */
  html?: string;
  parseMode?: string;
  entities?: unknown[];
  replyMarkup?: ReplyMarkup;
  disableNotification?: boolean;
  linkPreviewDisabled?: boolean;
  replyToMessageId?: number;
  /** Unix seconds. */
  date: number;
  /** Unix seconds of the last edit. */
  editDate?: number;
  /** Set when the bot deleted it later; the message stays in the log. */
  deleted: boolean;
}

export interface UserMessage {
  chatId: number;
  messageId: number;
  fromId: number;
  text: string;
  deleted: boolean;
}

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  /** HTTP status answered; 499 when the client went away before the answer (aborted poll). */
  status: number;
}

export interface CallbackAnswer {
  id: string;
  text?: string;
  showAlert?: boolean;
  url?: string;
}

export interface BotCommand {
  command: string;
  description: string;
}

export interface FailNextOptions {
  method: string;
  /** How many calls fail; default 1. */
  times?: number;
  /** Only calls for this chat fail; default any chat. */
  chatId?: number;
  errorCode: number;
  description: string;
  /** Seconds, sent as parameters.retry_after. */
  retryAfter?: number;
  migrateToChatId?: number;
}

export interface RateLimitOptions {
  /** Default 'sendMessage'. */
  method?: string;
  /** Only this chat is limited; default every chat shares one budget per chat. */
  chatId?: number;
  /** Calls allowed per window. */
  max: number;
  windowMs: number;
  /** Seconds to announce in retry_after; default: until the window frees a slot (≥ 1). */
  retryAfter?: number;
}

export interface SendUserMessageOptions {
  chatId: number;
  text: string;
  fromId?: number;
  chatType?: 'private' | 'group' | 'supergroup';
  chatTitle?: string;
  firstName?: string;
  username?: string;
}

export interface PressButtonOptions {
  chatId: number;
  messageId: number;
  data: string;
  fromId?: number;
}

export interface MyChatMemberOptions {
  chatId: number;
  /** The bot's new status: 'kicked' in a private chat means the user blocked the bot. */
  status: 'member' | 'administrator' | 'left' | 'kicked';
  oldStatus?: 'member' | 'administrator' | 'left' | 'kicked';
  fromId?: number;
}

type Update = Record<string, unknown> & { update_id: number };
type Params = Record<string, unknown>;

// ---- constants ----

const DEFAULT_BOT_USERNAME = 'pushbot_test_bot';
const DEFAULT_BOT_FIRST_NAME = 'PushBot Test';
const DEFAULT_GROUP_USER_ID = 424_242;
const FIRST_UPDATE_ID = 100;
const MESSAGE_TEXT_LIMIT = 4096;
/** How long a replaced poll waits for its connection's close before it is answered 409. */
const ABANDONED_POLL_GRACE_MS = 100;
const CALLBACK_DATA_MAX_BYTES = 64;
const CALLBACK_ANSWER_TEXT_LIMIT = 200;
const MAX_COMMANDS = 100;
const GET_UPDATES_MAX_LIMIT = 100;
// Telegram holds a poll for at most 50 s whatever the client asks.
const MAX_POLL_TIMEOUT_S = 50;
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const WAIT_FOR_POLL_MS = 15;
const DEFAULT_WAIT_FOR_TIMEOUT_MS = 5000;
// Update types Telegram leaves out unless allowed_updates names them.
const OPT_IN_UPDATE_TYPES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

const CONFLICT_TERMINATED =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const CONFLICT_WEBHOOK =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const QUERY_TOO_OLD =
  'Bad Request: query is too old and response timeout expired or query ID is invalid';
const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const INLINE_BUTTON_ACTIONS = [
  'callback_data',
  'url',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
];

// ---- wire schemas for the JSON-ish parameters ----

const wireButtonSchema = z.looseObject({
  text: z.string(),
  callback_data: z.string().optional(),
  url: z.string().optional(),
});
const replyMarkupSchema = z.looseObject({
  inline_keyboard: z.array(z.array(wireButtonSchema)).optional(),
});
const commandsSchema = z.array(z.object({ command: z.string(), description: z.string() }));
const linkPreviewSchema = z.looseObject({ is_disabled: z.boolean().optional() });
const replyParametersSchema = z.looseObject({
  message_id: z.number().int(),
  chat_id: z.union([z.number(), z.string()]).optional(),
  allow_sending_without_reply: z.boolean().optional(),
});
const allowedUpdatesSchema = z.array(z.string());
const jsonObjectSchema = z.record(z.string(), z.unknown());
const updateSchema = z.looseObject({ update_id: z.number().int().optional() });

/** The API said no: becomes `{ok:false, error_code, description, parameters?}`. */
export class BotApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(`${code}: ${description}`);
    this.name = 'BotApiError';
  }
}

const badRequest = (detail: string) => new BotApiError(400, `Bad Request: ${detail}`);

// ---- model ----

interface ChatState {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  firstName?: string;
  username?: string;
  nextMessageId: number;
  blocked: boolean;
  kicked: boolean;
  left: boolean;
  migratedTo?: number;
  /** user id → 'creator' | 'administrator' */
  admins: Map<number, 'creator' | 'administrator'>;
}

interface StoredMessage {
  chatId: number;
  messageId: number;
  fromBot: boolean;
  sent?: SentMessage;
  user?: UserMessage;
  wire: Record<string, unknown>;
}

interface PollOutcome {
  kind: 'updates' | 'conflict' | 'aborted' | 'closing';
  updates?: Update[];
}

interface PollWaiter {
  limit: number;
  resolve(outcome: PollOutcome): void;
}

interface Fault extends FailNextOptions {
  remaining: number;
}

interface HandlerContext {
  res: http.ServerResponse;
}

type Handler = (params: Params, ctx: HandlerContext) => unknown;

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
  readonly deleted: { chatId: number; messageId: number }[] = [];
  readonly callbackAnswers: CallbackAnswer[] = [];
  readonly edits: { chatId: number; messageId: number; text: string; html?: string }[] = [];
  /** Unexpected exceptions inside the fake (bugs in the fake, answered 500). */
  readonly internalErrors: unknown[] = [];

  private readonly server: http.Server;
  private readonly strictChats: boolean;
  private readonly chats = new Map<number, ChatState>();
  private readonly sent: SentMessage[] = [];
  private readonly userMsgs: UserMessage[] = [];
  private readonly store = new Map<string, StoredMessage>();
  private readonly users = new Map<number, { firstName: string; username?: string }>();
  private readonly callbacks = new Map<string, { answered: boolean }>();
  private readonly commandsByScope = new Map<string, BotCommand[]>();
  private lastCommands: BotCommand[] | undefined;
  private queue: Update[] = [];
  private nextUpdateId = FIRST_UPDATE_ID;
  private callbackSeq = 0;
  private allowedUpdates: Set<string> | undefined;
  private waiter: PollWaiter | undefined;
  private webhookUrl = '';
  private readonly faults: Fault[] = [];
  private readonly delays: { method: string; ms: number; remaining: number }[] = [];
  private readonly rateLimits: (RateLimitOptions & { hits: Map<string, number[]> })[] = [];
  private readonly timers = new Set<{ timer: NodeJS.Timeout; release(): void }>();
  private closed = false;
  private readonly handlers: Map<string, Handler>;

  constructor(options: FakeTelegramOptions) {
    const m = /^(\d+):\S+$/.exec(options.token);
    if (!m?.[1]) throw new Error('fake telegram: token must look like "<digits>:<secret>"');
    this.token = options.token;
    this.botId = Number(m[1]);
    this.botUsername = options.botUsername ?? DEFAULT_BOT_USERNAME;
    this.botFirstName = options.botFirstName ?? DEFAULT_BOT_FIRST_NAME;
    this.strictChats = options.strictChats ?? false;
    this.handlers = this.buildHandlers();
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
    this.waiter?.resolve({ kind: 'closing' });
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.release();
    }
    this.timers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closing;
  }

  // ---- what the bot sent ----

  /** Messages the bot sent (accepted ones only), oldest first; edits are applied in place. */
  messages(chatId?: number): SentMessage[] {
    return this.sent.filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** Messages users sent through sendUserMessage(). */
  userMessages(chatId?: number): UserMessage[] {
    return this.userMsgs.filter((m) => chatId === undefined || m.chatId === chatId);
  }

  /** The command list of the last successful setMyCommands (any scope). */
  get commands(): BotCommand[] | undefined {
    return this.lastCommands;
  }

  /** Callback query ids pressed but not answered yet. */
  unansweredCallbacks(): string[] {
    return [...this.callbacks].filter(([, c]) => !c.answered).map(([id]) => id);
  }

  /** True while a long-polling getUpdates is held open waiting for updates. */
  get pollPending(): boolean {
    return this.waiter !== undefined;
  }

  /** Updates queued and not yet confirmed by a getUpdates offset. */
  pendingUpdates(): Update[] {
    return [...this.queue];
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  // ---- what users do ----

  sendUserMessage(opts: SendUserMessageOptions): { updateId: number; messageId: number } {
    const chatType = opts.chatType ?? defaultChatType(opts.chatId);
    const fromId = opts.fromId ?? (chatType === 'private' ? opts.chatId : DEFAULT_GROUP_USER_ID);
    const firstName = opts.firstName ?? this.users.get(fromId)?.firstName ?? `User ${fromId}`;
    this.users.set(fromId, {
      firstName,
      username: opts.username ?? this.users.get(fromId)?.username,
    });
    const chat = this.chat(opts.chatId, { create: true, type: chatType });
    if (chatType === 'private') {
      chat.firstName = firstName;
      chat.username = opts.username;
    } else if (opts.chatTitle !== undefined) {
      chat.title = opts.chatTitle;
    }
    const messageId = chat.nextMessageId++;
    const wire: Record<string, unknown> = {
      message_id: messageId,
      from: this.userWire(fromId),
      chat: chatWire(chat),
      date: nowSeconds(),
      text: opts.text,
    };
    const command = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?/.exec(opts.text);
    if (command) wire.entities = [{ type: 'bot_command', offset: 0, length: command[0].length }];
    const user: UserMessage = {
      chatId: opts.chatId,
      messageId,
      fromId,
      text: opts.text,
      deleted: false,
    };
    this.userMsgs.push(user);
    this.store.set(key(opts.chatId, messageId), {
      chatId: opts.chatId,
      messageId,
      fromBot: false,
      user,
      wire,
    });
    const updateId = this.enqueue({ message: wire });
    return { updateId, messageId };
  }

  pressButton(opts: PressButtonOptions): { updateId: number; callbackQueryId: string } {
    const bytes = Buffer.byteLength(opts.data, 'utf8');
    if (bytes < 1 || bytes > CALLBACK_DATA_MAX_BYTES) {
      throw new Error(`pressButton: callback data must be 1..64 bytes, got ${bytes}`);
    }
    const chat = this.chat(opts.chatId, { create: true });
    const fromId = opts.fromId ?? (chat.type === 'private' ? opts.chatId : DEFAULT_GROUP_USER_ID);
    const stored = this.store.get(key(opts.chatId, opts.messageId));
    const message = stored?.wire ?? {
      message_id: opts.messageId,
      chat: chatWire(chat),
      date: 0,
    };
    const callbackQueryId = `${this.botId}${String(++this.callbackSeq).padStart(6, '0')}`;
    this.callbacks.set(callbackQueryId, { answered: false });
    const updateId = this.enqueue({
      callback_query: {
        id: callbackQueryId,
        from: this.userWire(fromId),
        message,
        chat_instance: String(opts.chatId),
        data: opts.data,
      },
    });
    return { updateId, callbackQueryId };
  }

  /** Queues a raw update (update_id assigned when missing). */
  addUpdate(update: object): { updateId: number } {
    const parsed = updateSchema.parse(update);
    if (parsed.update_id !== undefined) {
      this.nextUpdateId = Math.max(this.nextUpdateId, parsed.update_id + 1);
      this.queue.push({ ...parsed, update_id: parsed.update_id });
      this.queue.sort((a, b) => a.update_id - b.update_id);
      this.wakePoller();
      return { updateId: parsed.update_id };
    }
    return { updateId: this.enqueue(parsed) };
  }

  /**
   * Queues a my_chat_member update about the bot and applies it: in a private chat 'kicked'
   * means the user blocked the bot (sends then fail 403) and 'member' that they unblocked it.
   */
  myChatMember(opts: MyChatMemberOptions): { updateId: number } {
    const chat = this.chat(opts.chatId, { create: true });
    const fromId = opts.fromId ?? (chat.type === 'private' ? opts.chatId : DEFAULT_GROUP_USER_ID);
    if (chat.type === 'private') chat.blocked = opts.status === 'kicked';
    else {
      chat.kicked = opts.status === 'kicked';
      chat.left = opts.status === 'left';
    }
    const botMember = (status: string) => ({ status, user: this.botWire() });
    const updateId = this.enqueue({
      my_chat_member: {
        chat: chatWire(chat),
        from: this.userWire(fromId),
        date: nowSeconds(),
        old_chat_member: botMember(
          opts.oldStatus ?? (opts.status === 'member' ? 'kicked' : 'member'),
        ),
        new_chat_member: botMember(opts.status),
      },
    });
    return { updateId };
  }

  // ---- the world ----

  /** Users listed are admins of the chat (getChatMember); `creatorId` is the owner. */
  setChatAdmins(chatId: number, userIds: number[], opts: { creatorId?: number } = {}): void {
    const chat = this.chat(chatId, { create: true });
    chat.admins.clear();
    for (const id of userIds) chat.admins.set(id, 'administrator');
    if (opts.creatorId !== undefined) chat.admins.set(opts.creatorId, 'creator');
  }

  blockChat(chatId: number): void {
    this.chat(chatId, { create: true }).blocked = true;
  }

  unblockChat(chatId: number): void {
    this.chat(chatId, { create: true }).blocked = false;
  }

  /** The bot was removed from a group: sends fail 403 "bot was kicked from the group chat". */
  kickFromChat(chatId: number): void {
    this.chat(chatId, { create: true }).kicked = true;
  }

  hasLeft(chatId: number): boolean {
    return this.chats.get(chatId)?.left ?? false;
  }

  /** A group became a supergroup: every call on `oldId` fails 400 with migrate_to_chat_id. */
  migrateChat(oldId: number, newId: number): void {
    const old = this.chat(oldId, { create: true });
    old.migratedTo = newId;
    const fresh = this.chat(newId, { create: true, type: 'supergroup' });
    fresh.title = old.title;
    for (const [id, status] of old.admins) fresh.admins.set(id, status);
  }

  /** Pretends a webhook is set: getUpdates then fails 409 until deleteWebhook. */
  setWebhookActive(url: string): void {
    this.webhookUrl = url;
  }

  // ---- faults ----

  failNext(opts: FailNextOptions): void {
    this.faults.push({ ...opts, remaining: opts.times ?? 1 });
  }

  /** The next `times` calls of `method` are answered after `ms` milliseconds. */
  delayNext(method: string, ms: number, times = 1): void {
    this.delays.push({ method, ms, remaining: times });
  }

  rateLimit(opts: RateLimitOptions): void {
    this.rateLimits.push({ ...opts, hits: new Map() });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.delays.length = 0;
    this.rateLimits.length = 0;
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
    const record = (status: number) => this.calls.push({ method, params, status });
    if (decodeURIComponent(route[1]) !== this.token) {
      record(401);
      return answerError(res, new BotApiError(401, 'Unauthorized'));
    }
    const canonical = METHOD_NAMES.get(method.toLowerCase());
    const handler = canonical ? this.handlers.get(canonical) : undefined;
    if (!canonical || !handler) {
      record(404);
      return answerError(res, new BotApiError(404, 'Not Found'));
    }
    const recordAs = (status: number) => this.calls.push({ method: canonical, params, status });

    const delay = this.takeDelay(canonical);
    if (delay > 0) await this.sleep(delay);
    try {
      const fault = this.takeFault(canonical, params);
      if (fault) throw fault;
      this.checkRateLimit(canonical, params);
      const result: unknown = await handler(params, { res });
      if (res.destroyed || res.writableEnded) {
        recordAs(499);
        return;
      }
      recordAs(200);
      send(res, 200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      recordAs(error.code);
      answerError(res, error);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        release: resolve,
      };
      this.timers.add(entry);
    });
  }

  private takeDelay(method: string): number {
    const delay = this.delays.find((d) => d.method === method && d.remaining > 0);
    if (!delay) return 0;
    delay.remaining--;
    return delay.ms;
  }

  private takeFault(method: string, params: Params): BotApiError | undefined {
    const chatId = peekChatId(params);
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 && f.method === method && (f.chatId === undefined || f.chatId === chatId),
    );
    if (!fault) return undefined;
    fault.remaining--;
    const parameters: { retry_after?: number; migrate_to_chat_id?: number } = {};
    if (fault.retryAfter !== undefined) parameters.retry_after = fault.retryAfter;
    if (fault.migrateToChatId !== undefined) parameters.migrate_to_chat_id = fault.migrateToChatId;
    return new BotApiError(
      fault.errorCode,
      fault.description,
      Object.keys(parameters).length > 0 ? parameters : undefined,
    );
  }

  private checkRateLimit(method: string, params: Params): void {
    const chatId = peekChatId(params);
    const now = Date.now();
    for (const limit of this.rateLimits) {
      if ((limit.method ?? 'sendMessage') !== method) continue;
      if (limit.chatId !== undefined && limit.chatId !== chatId) continue;
      const bucket = String(chatId ?? 'none');
      const hits = (limit.hits.get(bucket) ?? []).filter((t) => t > now - limit.windowMs);
      if (hits.length >= limit.max) {
        const oldest = hits[0] ?? now;
        const retryAfter =
          limit.retryAfter ?? Math.max(1, Math.ceil((oldest + limit.windowMs - now) / 1000));
        limit.hits.set(bucket, hits);
        throw new BotApiError(429, `Too Many Requests: retry after ${retryAfter}`, {
          retry_after: retryAfter,
        });
      }
      hits.push(now);
      limit.hits.set(bucket, hits);
    }
  }

  // ---- model helpers ----

  private chat(id: number, opts: { create?: boolean; type?: ChatState['type'] } = {}): ChatState {
    let chat = this.chats.get(id);
    if (!chat) {
      if (!opts.create) throw badRequest('chat not found');
      chat = {
        id,
        type: opts.type ?? defaultChatType(id),
        nextMessageId: 1,
        blocked: false,
        kicked: false,
        left: false,
        admins: new Map(),
      };
      if (chat.type !== 'private') chat.title = `Group ${id}`;
      this.chats.set(id, chat);
    } else if (opts.type) {
      chat.type = opts.type;
    }
    return chat;
  }

  /** The chat a method addresses, checking migration and (for sends) membership. */
  private targetChat(params: Params, purpose: 'send' | 'read'): ChatState {
    const chatId = requireChatId(params);
    const chat = this.chat(chatId, { create: !this.strictChats });
    if (chat.migratedTo !== undefined) {
      throw new BotApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: chat.migratedTo,
      });
    }
    if (purpose === 'send') {
      if (chat.blocked) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
      if (chat.kicked) {
        throw new BotApiError(403, `Forbidden: bot was kicked from the ${chat.type} chat`);
      }
      if (chat.left) {
        throw new BotApiError(403, `Forbidden: bot is not a member of the ${chat.type} chat`);
      }
    }
    return chat;
  }

  private enqueue(payload: Record<string, unknown>): number {
    const updateId = this.nextUpdateId++;
    this.queue.push({ update_id: updateId, ...payload });
    this.wakePoller();
    return updateId;
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

  private botWire(): Record<string, unknown> {
    return {
      id: this.botId,
      is_bot: true,
      first_name: this.botFirstName,
      username: this.botUsername,
    };
  }

  private userWire(id: number): Record<string, unknown> {
    const user = this.users.get(id);
    const wire: Record<string, unknown> = {
      id,
      is_bot: false,
      first_name: user?.firstName ?? `User ${id}`,
      language_code: 'en',
    };
    if (user?.username) wire.username = user.username;
    return wire;
  }

  private messageWire(sent: SentMessage, chat: ChatState): Record<string, unknown> {
    const wire: Record<string, unknown> = {
      message_id: sent.messageId,
      from: this.botWire(),
      chat: chatWire(chat),
      date: sent.date,
      text: sent.text,
    };
    if (sent.editDate !== undefined) wire.edit_date = sent.editDate;
    if (sent.replyMarkup) wire.reply_markup = sent.replyMarkup;
    return wire;
  }

  // ---- methods ----

  private buildHandlers(): Map<string, Handler> {
    const h = new Map<string, Handler>();
    h.set('getMe', () => ({
      ...this.botWire(),
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    }));
    h.set('getUpdates', (p, ctx) => this.getUpdates(p, ctx));
    h.set('deleteWebhook', (p) => {
      this.webhookUrl = '';
      if (optionalBool(p, 'drop_pending_updates')) this.queue = [];
      return true;
    });
    h.set('setWebhook', (p) => {
      this.webhookUrl = requireString(p, 'url', 'url is empty');
      return true;
    });
    h.set('getWebhookInfo', () => ({
      url: this.webhookUrl,
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
    }));
    h.set('setMyCommands', (p) => this.setMyCommands(p));
    h.set('getMyCommands', (p) => this.commandsByScope.get(scopeKey(p)) ?? []);
    h.set('deleteMyCommands', (p) => {
      this.commandsByScope.delete(scopeKey(p));
      return true;
    });
    h.set('sendMessage', (p) => this.sendMessage(p));
    h.set('editMessageText', (p) => this.editMessage(p, 'text'));
    h.set('editMessageReplyMarkup', (p) => this.editMessage(p, 'markup'));
    h.set('deleteMessage', (p) => this.deleteMessage(p));
    h.set('answerCallbackQuery', (p) => this.answerCallbackQuery(p));
    h.set('getChatMember', (p) => this.getChatMember(p));
    h.set('getChat', (p) => {
      const chat = this.targetChat(p, 'read');
      return chatWire(chat);
    });
    h.set('sendChatAction', (p) => {
      this.targetChat(p, 'send');
      const action = optionalString(p, 'action');
      if (!action || !CHAT_ACTIONS.has(action)) {
        throw badRequest('wrong parameter action in request');
      }
      return true;
    });
    h.set('leaveChat', (p) => {
      const chat = this.targetChat(p, 'read');
      if (chat.type === 'private')
        throw badRequest("chat member status can't be changed in private chats");
      chat.left = true;
      return true;
    });
    return h;
  }

  private async getUpdates(params: Params, ctx: HandlerContext): Promise<Update[]> {
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

  private setMyCommands(params: Params): true {
    const commands = jsonParam(params, 'commands', commandsSchema);
    if (commands === undefined) throw badRequest('parameter "commands" is required');
    if (commands.length > MAX_COMMANDS) throw badRequest('too many commands specified');
    for (const c of commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
      if (c.description.trim().length < 1 || c.description.length > 256) {
        throw badRequest('command description must be 1-256 characters long');
      }
    }
    this.commandsByScope.set(scopeKey(params), commands);
    this.lastCommands = commands;
    return true;
  }

  private sendMessage(params: Params): Record<string, unknown> {
    const chat = this.targetChat(params, 'send');
    const content = validateText(params);
    const replyMarkup = validateReplyMarkup(params);
    const replyTo = this.replyTarget(params, chat);
    const sent: SentMessage = {
      chatId: chat.id,
      messageId: chat.nextMessageId++,
      text: content.plain,
      date: nowSeconds(),
      deleted: false,
      ...content.extra,
    };
    if (replyMarkup) sent.replyMarkup = replyMarkup;
    const silent = optionalBool(params, 'disable_notification');
    if (silent !== undefined) sent.disableNotification = silent;
    const noPreview = linkPreviewDisabled(params);
    if (noPreview !== undefined) sent.linkPreviewDisabled = noPreview;
    if (replyTo !== undefined) sent.replyToMessageId = replyTo;
    this.sent.push(sent);
    const wire = this.messageWire(sent, chat);
    this.store.set(key(chat.id, sent.messageId), {
      chatId: chat.id,
      messageId: sent.messageId,
      fromBot: true,
      sent,
      wire,
    });
    return wire;
  }

  private replyTarget(params: Params, chat: ChatState): number | undefined {
    const replyParameters = jsonParam(params, 'reply_parameters', replyParametersSchema);
    const legacy = optionalInt(params, 'reply_to_message_id');
    const messageId = replyParameters?.message_id ?? legacy;
    if (messageId === undefined) return undefined;
    const allowWithout =
      replyParameters?.allow_sending_without_reply ??
      optionalBool(params, 'allow_sending_without_reply') ??
      false;
    const target = this.store.get(key(chat.id, messageId));
    const exists = target !== undefined && !(target.sent?.deleted ?? target.user?.deleted ?? false);
    if (!exists && !allowWithout) throw badRequest('message to be replied not found');
    return messageId;
  }

  private editMessage(params: Params, what: 'text' | 'markup'): Record<string, unknown> {
    if (params.inline_message_id !== undefined) {
      throw badRequest('inline messages are not supported by the fake');
    }
    const chat = this.targetChat(params, 'send');
    const messageId = requireInt(params, 'message_id', 'message identifier is not specified');
    const stored = this.store.get(key(chat.id, messageId));
    const isDeleted = stored?.sent?.deleted ?? stored?.user?.deleted ?? false;
    if (!stored || isDeleted) throw badRequest('message to edit not found');
    const sent = stored.sent;
    if (!stored.fromBot || !sent) throw badRequest("message can't be edited");
    const replyMarkup = validateReplyMarkup(params);
    const content = what === 'text' ? validateText(params) : undefined;
    const sameText =
      !content ||
      (content.plain === sent.text &&
        content.extra.html === sent.html &&
        content.extra.parseMode === sent.parseMode);
    const sameMarkup = JSON.stringify(replyMarkup) === JSON.stringify(sent.replyMarkup);
    if (sameText && sameMarkup) throw new BotApiError(400, NOT_MODIFIED);
    if (content) {
      sent.text = content.plain;
      sent.html = content.extra.html;
      sent.parseMode = content.extra.parseMode;
      sent.entities = content.extra.entities;
      const noPreview = linkPreviewDisabled(params);
      if (noPreview !== undefined) sent.linkPreviewDisabled = noPreview;
      this.edits.push({ chatId: chat.id, messageId, text: sent.text, html: sent.html });
    }
    // Like Telegram: an edit without reply_markup removes the inline keyboard.
    sent.replyMarkup = replyMarkup;
    sent.editDate = nowSeconds();
    stored.wire = this.messageWire(sent, chat);
    return stored.wire;
  }

  private deleteMessage(params: Params): true {
    const chat = this.targetChat(params, 'read');
    const messageId = requireInt(params, 'message_id', 'message identifier is not specified');
    const stored = this.store.get(key(chat.id, messageId));
    const target = stored?.sent ?? stored?.user;
    if (!stored || !target || target.deleted) throw badRequest('message to delete not found');
    // In groups, only an admin bot may delete other people's messages.
    const botIsAdmin = chat.admins.has(this.botId);
    if (!stored.fromBot && chat.type !== 'private' && !botIsAdmin) {
      throw badRequest("message can't be deleted");
    }
    target.deleted = true;
    this.deleted.push({ chatId: chat.id, messageId });
    return true;
  }

  private answerCallbackQuery(params: Params): true {
    const id = optionalString(params, 'callback_query_id');
    const query = id === undefined ? undefined : this.callbacks.get(id);
    if (id === undefined || !query || query.answered) throw new BotApiError(400, QUERY_TOO_OLD);
    const text = optionalString(params, 'text');
    if (text !== undefined && text.length > CALLBACK_ANSWER_TEXT_LIMIT) {
      throw badRequest('MESSAGE_TOO_LONG');
    }
    query.answered = true;
    const answer: CallbackAnswer = { id };
    if (text !== undefined) answer.text = text;
    const showAlert = optionalBool(params, 'show_alert');
    if (showAlert !== undefined) answer.showAlert = showAlert;
    const url = optionalString(params, 'url');
    if (url !== undefined) answer.url = url;
    this.callbackAnswers.push(answer);
    return true;
  }

  private getChatMember(params: Params): Record<string, unknown> {
    const chat = this.targetChat(params, 'read');
    const userId = requireInt(params, 'user_id', 'user not found');
    const admin = chat.admins.get(userId);
    const user = userId === this.botId ? this.botWire() : this.userWire(userId);
    if (admin === 'creator') return { status: 'creator', user, is_anonymous: false };
    if (admin === 'administrator') {
      return {
        status: 'administrator',
        user,
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: true,
        can_manage_video_chats: false,
        can_restrict_members: true,
        can_promote_members: false,
        can_change_info: true,
        can_invite_users: true,
        can_post_stories: false,
        can_edit_stories: false,
        can_delete_stories: false,
      };
    }
    return { status: 'member', user };
  }
}

// ---- parameter parsing ----

const METHOD_NAMES = new Map(
  [
    'getMe',
    'getUpdates',
    'deleteWebhook',
    'setWebhook',
    'getWebhookInfo',
    'setMyCommands',
    'getMyCommands',
    'deleteMyCommands',
    'sendMessage',
    'editMessageText',
    'editMessageReplyMarkup',
    'deleteMessage',
    'answerCallbackQuery',
    'getChatMember',
    'getChat',
    'sendChatAction',
    'leaveChat',
  ].map((name) => [name.toLowerCase(), name]),
);

async function readParams(req: http.IncomingMessage, url: URL): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BotApiError(413, 'Request Entity Too Large');
    chunks.push(buf);
  }
  const body = Buffer.concat(chunks);
  if (body.length === 0) return params;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // The client sent broken JSON: that is the answer, not a fake bug.
      throw badRequest("can't parse JSON");
    }
    const object = jsonObjectSchema.safeParse(parsed);
    if (!object.success) throw badRequest('JSON body must be an object');
    return { ...params, ...object.data };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  }
  if (type.startsWith('multipart/form-data')) {
    const header = req.headers['content-type'] ?? '';
    const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(header);
    const boundary = m?.[1] ?? m?.[2];
    if (!boundary) throw badRequest('multipart boundary is missing');
    return { ...params, ...parseMultipart(body, boundary) };
  }
  return params;
}

/** Text fields of a multipart/form-data body; file parts become `{ filename, size }`. */
function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  // latin1 keeps one char per byte, so slicing never breaks a UTF-8 sequence we decode later.
  const raw = body.toString('latin1');
  for (const part of raw.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const content = part.replace(/^\r\n/, '');
    const headerEnd = content.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = content.slice(0, headerEnd);
    const value = content.slice(headerEnd + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    params[name] =
      filename !== undefined
        ? { filename, size: value.length }
        : Buffer.from(value, 'latin1').toString('utf8');
  }
  return params;
}

function optionalString(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`parameter "${name}" must be a string`);
}

function requireString(p: Params, name: string, missing: string): string {
  const v = optionalString(p, name);
  if (v === undefined || v === '') throw badRequest(missing);
  return v;
}

function optionalNumber(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n)) throw badRequest(`parameter "${name}" must be a number`);
  return n;
}

function optionalInt(p: Params, name: string): number | undefined {
  const n = optionalNumber(p, name);
  if (n !== undefined && !Number.isSafeInteger(n)) {
    throw badRequest(`parameter "${name}" must be an integer`);
  }
  return n;
}

function requireInt(p: Params, name: string, missing: string): number {
  const n = optionalInt(p, name);
  if (n === undefined) throw badRequest(missing);
  return n;
}

function requireChatId(p: Params): number {
  const v = p.chat_id;
  if (v === undefined || v === null || v === '') throw badRequest('chat_id is empty');
  // "@channelusername" is valid on Telegram but this fake knows no public usernames.
  if (typeof v === 'string' && !/^-?\d+$/.test(v.trim())) throw badRequest('chat not found');
  return requireInt(p, 'chat_id', 'chat_id is empty');
}

function peekChatId(p: Params): number | undefined {
  const v = p.chat_id;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

function optionalBool(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true' || v === '1' || v === 1) return true;
  if (v === false || v === 'false' || v === '0' || v === 0) return false;
  throw badRequest(`parameter "${name}" must be a boolean`);
}

/** A parameter that is JSON: an object in a JSON body, a JSON string in a form body. */
function jsonParam<T>(p: Params, name: string, schema: z.ZodType<T>): T | undefined {
  let v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      // Telegram answers a malformed JSON parameter with 400; so do we.
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
  const parsed = schema.safeParse(v);
  if (!parsed.success) throw badRequest(`can't parse ${name} JSON object`);
  return parsed.data;
}

function validateText(params: Params): {
  plain: string;
  extra: Pick<SentMessage, 'html' | 'parseMode' | 'entities'>;
} {
  const text = optionalString(params, 'text') ?? '';
  if (text === '') throw badRequest('message text is empty');
  if (hasLoneSurrogate(text)) throw badRequest('strings must be encoded in UTF-8');
  const parseMode = optionalString(params, 'parse_mode') ?? '';
  const extra: Pick<SentMessage, 'html' | 'parseMode' | 'entities'> = {};
  let plain = text;
  if (parseMode.toLowerCase() === 'html') {
    const parsed = parseTelegramHtml(text);
    if (!parsed.ok) throw badRequest(`can't parse entities: ${parsed.error}`);
    plain = parsed.plainText;
    extra.html = text;
    extra.parseMode = parseMode;
  } else if (parseMode !== '') {
    throw badRequest('unsupported parse_mode (the fake speaks HTML only)');
  } else {
    const entities = jsonParam(params, 'entities', z.array(z.unknown()));
    if (entities) extra.entities = entities;
  }
  if (plain.trim() === '') throw badRequest('message text is empty');
  if (plain.length > MESSAGE_TEXT_LIMIT) throw badRequest('message is too long');
  return { plain, extra };
}

function validateReplyMarkup(params: Params): ReplyMarkup | undefined {
  const markup = jsonParam(params, 'reply_markup', replyMarkupSchema);
  if (!markup?.inline_keyboard) return markup;
  for (const row of markup.inline_keyboard) {
    for (const button of row) {
      if (button.text.trim() === '') throw badRequest('BUTTON_TEXT_INVALID');
      if (!INLINE_BUTTON_ACTIONS.some((a) => button[a] !== undefined)) {
        throw badRequest('text buttons are unallowed in the inline keyboard');
      }
      if (button.callback_data !== undefined) {
        const bytes = Buffer.byteLength(button.callback_data, 'utf8');
        if (bytes < 1 || bytes > CALLBACK_DATA_MAX_BYTES) throw badRequest('BUTTON_DATA_INVALID');
      }
      if (button.url !== undefined && !isButtonUrl(button.url)) throw badRequest('wrong HTTP URL');
    }
  }
  return markup;
}

function isButtonUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'tg:') return true;
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    // Not a URL at all.
    return false;
  }
}

function linkPreviewDisabled(params: Params): boolean | undefined {
  const options = jsonParam(params, 'link_preview_options', linkPreviewSchema);
  return options?.is_disabled ?? optionalBool(params, 'disable_web_page_preview');
}

function scopeKey(params: Params): string {
  const scope = jsonParam(params, 'scope', z.looseObject({ type: z.string() }));
  return `${JSON.stringify(scope ?? { type: 'default' })}|${optionalString(params, 'language_code') ?? ''}`;
}

// ---- small things ----

function answerError(res: http.ServerResponse, error: BotApiError): void {
  const body: Record<string, unknown> = {
    ok: false,
    error_code: error.code,
    description: error.description,
  };
  if (error.parameters) body.parameters = error.parameters;
  send(res, error.code, body);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

function chatWire(chat: ChatState): Record<string, unknown> {
  if (chat.type === 'private') {
    const wire: Record<string, unknown> = {
      id: chat.id,
      type: 'private',
      first_name: chat.firstName ?? `User ${chat.id}`,
    };
    if (chat.username) wire.username = chat.username;
    return wire;
  }
  return { id: chat.id, type: chat.type, title: chat.title ?? `Group ${chat.id}` };
}

function defaultChatType(chatId: number): ChatState['type'] {
  if (chatId > 0) return 'private';
  return String(chatId).startsWith('-100') ? 'supergroup' : 'group';
}

function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
