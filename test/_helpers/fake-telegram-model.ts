// The fake Bot API's world: the bot, the chats it is in (with admins, forum topics, blocks and
// migrations), every message sent either way, and the wire objects (User, Chat, Message)
// Telegram would show for them. Methods and test helpers read and change this one model.
import {
  BotApiError,
  badRequest,
  type BotCommand,
  type CallbackAnswer,
  type FakeTelegramOptions,
  type ForumTopicInfo,
  type SentMessage,
  type UserMessage,
} from './fake-telegram-types.js';
import { requireChatId, type Params } from './fake-telegram-wire.js';

const DEFAULT_BOT_USERNAME = 'pushbot_test_bot';
const DEFAULT_BOT_FIRST_NAME = 'PushBot Test';
/** Who writes in a group when a test does not say. */
export const DEFAULT_GROUP_USER_ID = 424_242;

export type ChatType = 'private' | 'group' | 'supergroup';

export interface AdminEntry {
  status: 'creator' | 'administrator';
  /** Only meaningful in supergroups; a creator may always manage topics. */
  canManageTopics: boolean;
}

export interface TopicState extends ForumTopicInfo {
  /** Unix seconds the topic was created (its service message's date). */
  date: number;
}

export interface ChatState {
  id: number;
  type: ChatType;
  title?: string;
  firstName?: string;
  username?: string;
  nextMessageId: number;
  blocked: boolean;
  kicked: boolean;
  left: boolean;
  migratedTo?: number;
  /** user id → admin status and rights; everyone else is a plain member. */
  admins: Map<number, AdminEntry>;
  /** A supergroup with topics enabled (only supergroups can be). */
  isForum: boolean;
  /** thread id → topic, deleted ones included. */
  topics: Map<number, TopicState>;
}

export interface StoredMessage {
  chatId: number;
  messageId: number;
  fromBot: boolean;
  sent?: SentMessage;
  user?: UserMessage;
  wire: Record<string, unknown>;
}

export class TelegramWorld {
  readonly botId: number;
  readonly botUsername: string;
  readonly botFirstName: string;
  readonly strictChats: boolean;

  readonly chats = new Map<number, ChatState>();
  /** Messages the bot sent, oldest first; edits are applied in place. */
  readonly sent: SentMessage[] = [];
  readonly userMsgs: UserMessage[] = [];
  /** "chatId:messageId" → message, for replies, edits, deletes and button presses. */
  readonly store = new Map<string, StoredMessage>();
  readonly users = new Map<number, { firstName: string; username?: string }>();
  readonly callbacks = new Map<string, { answered: boolean }>();
  readonly deleted: { chatId: number; messageId: number }[] = [];
  readonly callbackAnswers: CallbackAnswer[] = [];
  readonly edits: { chatId: number; messageId: number; text: string; html?: string }[] = [];
  readonly commandsByScope = new Map<string, BotCommand[]>();
  lastCommands: BotCommand[] | undefined;

  constructor(botId: number, options: FakeTelegramOptions) {
    this.botId = botId;
    this.botUsername = options.botUsername ?? DEFAULT_BOT_USERNAME;
    this.botFirstName = options.botFirstName ?? DEFAULT_BOT_FIRST_NAME;
    this.strictChats = options.strictChats ?? false;
  }

  chat(id: number, opts: { create?: boolean; type?: ChatType } = {}): ChatState {
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
        isForum: false,
        topics: new Map(),
      };
      if (chat.type !== 'private') chat.title = `Group ${id}`;
      this.chats.set(id, chat);
    } else if (opts.type) {
      chat.type = opts.type;
    }
    return chat;
  }

  /** The chat a method addresses, checking migration and (for sends) membership. */
  targetChat(params: Params, purpose: 'send' | 'read'): ChatState {
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

  /** Only supergroups can be forums; a chat whose type changed since stops being one. */
  isForum(chat: ChatState): boolean {
    return chat.isForum && chat.type === 'supergroup';
  }

  botCanManageTopics(chat: ChatState): boolean {
    const admin = chat.admins.get(this.botId);
    return admin?.status === 'creator' || admin?.canManageTopics === true;
  }

  /** A topic messages can go to: known to the chat and not deleted. */
  liveTopic(chat: ChatState, threadId: number): TopicState | undefined {
    const topic = chat.topics.get(threadId);
    return topic && !topic.deleted ? topic : undefined;
  }

  botWire(): Record<string, unknown> {
    return {
      id: this.botId,
      is_bot: true,
      first_name: this.botFirstName,
      username: this.botUsername,
    };
  }

  userWire(id: number): Record<string, unknown> {
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

  chatWire(chat: ChatState): Record<string, unknown> {
    if (chat.type === 'private') {
      const wire: Record<string, unknown> = {
        id: chat.id,
        type: 'private',
        first_name: chat.firstName ?? `User ${chat.id}`,
      };
      if (chat.username) wire.username = chat.username;
      return wire;
    }
    const wire: Record<string, unknown> = {
      id: chat.id,
      type: chat.type,
      title: chat.title ?? `Group ${chat.id}`,
    };
    // Like the real server: the field is present (true) on forums and absent elsewhere.
    if (this.isForum(chat)) wire.is_forum = true;
    return wire;
  }

  messageWire(sent: SentMessage, chat: ChatState): Record<string, unknown> {
    const wire: Record<string, unknown> = {
      message_id: sent.messageId,
      from: this.botWire(),
      chat: this.chatWire(chat),
      date: sent.date,
      ...this.topicFields(chat, sent.threadId),
      text: sent.text,
    };
    if (sent.editDate !== undefined) wire.edit_date = sent.editDate;
    if (sent.replyMarkup) wire.reply_markup = sent.replyMarkup;
    return wire;
  }

  /**
   * The fields a message in a forum topic carries: its thread id, is_topic_message, and (as an
   * implicit reply) the topic's service message. Nothing for the General topic or other chats.
   */
  topicFields(chat: ChatState, threadId: number | undefined): Record<string, unknown> {
    const topic = threadId === undefined ? undefined : chat.topics.get(threadId);
    if (!topic) return {};
    const created: Record<string, unknown> = { name: topic.name, icon_color: topic.iconColor };
    if (topic.iconCustomEmojiId !== undefined) {
      created.icon_custom_emoji_id = topic.iconCustomEmojiId;
    }
    return {
      message_thread_id: topic.threadId,
      is_topic_message: true,
      reply_to_message: {
        message_id: topic.threadId,
        chat: this.chatWire(chat),
        date: topic.date,
        message_thread_id: topic.threadId,
        is_topic_message: true,
        forum_topic_created: created,
      },
    };
  }
}

export function defaultChatType(chatId: number): ChatType {
  if (chatId > 0) return 'private';
  return String(chatId).startsWith('-100') ? 'supergroup' : 'group';
}

export function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
