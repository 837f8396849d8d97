// The fake Bot API's test-facing types and its one error type. Everything here is re-exported by
// ./fake-telegram.ts; tests import from there.

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
  /** `disable_notification` as the bot sent it; undefined when the bot left it out. */
  disableNotification?: boolean;
  /** True when the message was sent silently (`disable_notification: true`). */
  silent: boolean;
  /**
   * The forum topic the message went to (`message_thread_id`). Undefined for the General topic
   * of a forum and for every chat that is not a forum (Telegram ignores the parameter there).
   */
  threadId?: number;
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
  /** The forum topic the user wrote in; undefined for the General topic or a non-forum chat. */
  threadId?: number;
  deleted: boolean;
}

/** A forum topic as the fake knows it; deleted topics stay listed with `deleted: true`. */
export interface ForumTopicInfo {
  chatId: number;
  /** `message_thread_id`: the id of the topic's first (service) message in the chat. */
  threadId: number;
  name: string;
  /** RGB, one of FORUM_TOPIC_ICON_COLORS. */
  iconColor: number;
  iconCustomEmojiId?: string;
  /** True when the bot created it through createForumTopic, false when a test (a user) did. */
  createdByBot: boolean;
  closed: boolean;
  deleted: boolean;
}

export interface AddForumTopicOptions {
  /** Default: the next colour of FORUM_TOPIC_ICON_COLORS. */
  iconColor?: number;
  iconCustomEmojiId?: string;
  closed?: boolean;
}

export interface MakeForumOptions {
  title?: string;
  /**
   * Makes the bot an administrator of the chat with this `can_manage_topics` right. Default:
   * leave the bot's membership as it is (a plain member unless setChatAdmins said otherwise).
   */
  botCanManageTopics?: boolean;
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
  /** Writes in this forum topic (it must exist); default the General topic. */
  threadId?: number;
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

export type Update = Record<string, unknown> & { update_id: number };

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

export const badRequest = (detail: string) => new BotApiError(400, `Bad Request: ${detail}`);
