// Forums in the fake Bot API: supergroups with topics, the topic methods (createForumTopic,
// closeForumTopic, reopenForumTopic, deleteForumTopic), which topic a sendMessage lands in,
// and the test-side switches (make a chat a forum, give the bot can_manage_topics, add, close
// or delete a topic as a person would).
//
// The rules and texts come from the server's source (tdlib/telegram-bot-api Client.cpp at
// 01a3679, tdlib/td ForumTopicManager.cpp at 022d602, both 2026): TDLib's "The chat is not a forum" reaches the client as
// "Bad Request: the chat is not a forum" (the server lower-cases the first letter and adds the
// prefix; UPPER_CASE server errors such as TOPIC_CLOSED pass through as they are).
// Not modelled: topics in private chats with bots, editForumTopic, the General topic's own
// methods, members (non-admins) allowed to create topics by the group's permissions.
import {
  badRequest,
  type AddForumTopicOptions,
  type ForumTopicInfo,
} from './fake-telegram-types.js';
import {
  nowSeconds,
  type ChatState,
  type TelegramWorld,
  type TopicState,
} from './fake-telegram-model.js';
import {
  lenientId,
  optionalInt,
  optionalString,
  type Handler,
  type Params,
} from './fake-telegram-wire.js';

/** The colours Telegram allows for a topic icon (RGB), in the Bot API's documented order. */
export const FORUM_TOPIC_ICON_COLORS = [
  0x6fb9f0, 0xffd67e, 0xcb86db, 0x8eee98, 0xff93b2, 0xfb6f5f,
] as const;
/** Topic names are 1..128 characters; TDLib cuts longer ones to 128 instead of refusing them. */
const MAX_TOPIC_NAME_CHARS = 128;
/** message_thread_id of a forum's General topic; sends to it must leave the id out. */
const GENERAL_TOPIC_ID = 1;

const NOT_A_FORUM = 'the chat is not a forum';
const NO_RIGHT_TO_CREATE = 'not enough rights to create a topic';
const NO_RIGHT_TO_CLOSE = 'not enough rights to close or open the topic';
const NO_RIGHT_TO_DELETE = 'not enough rights to delete the topic';
const NAME_EMPTY = 'name must be non-empty';
const BAD_ICON_COLOR = 'invalid icon color specified';
const THREAD_NOT_FOUND = 'message thread not found';
const BAD_TOPIC_ID = 'invalid forum topic identifier specified';
// Server (MTProto) errors: reported verbatim by bots in the wild for a send to a closed topic
// and for closeForumTopic/deleteForumTopic on a topic that is gone.
const TOPIC_CLOSED = 'TOPIC_CLOSED';
const TOPIC_ID_INVALID = 'TOPIC_ID_INVALID';

export class Forums {
  constructor(private readonly world: TelegramWorld) {}

  handlers(): [string, Handler][] {
    return [
      ['createForumTopic', (p) => this.createForumTopic(p)],
      ['closeForumTopic', (p) => this.setClosed(p, true)],
      ['reopenForumTopic', (p) => this.setClosed(p, false)],
      ['deleteForumTopic', (p) => this.deleteForumTopic(p)],
    ];
  }

  /**
   * The topic a send goes to; undefined for the General topic or a chat that is not a forum.
   * As the real server: no id (or 0, a negative or a non-number) means General; in a basic
   * group or a supergroup without topics the id is ignored; in a forum the General topic's id
   * (1), an unknown and a deleted topic are "message thread not found"; a closed topic takes
   * only the bot's own posts or those of a bot that may manage topics.
   */
  resolveThread(chat: ChatState, params: Params): number | undefined {
    const threadId = lenientId(params, 'message_thread_id');
    if (threadId === 0) return undefined;
    // A private chat is checked for topics too, and a bot without topics mode has none.
    if (chat.type === 'private') throw badRequest(THREAD_NOT_FOUND);
    if (!this.world.isForum(chat)) return undefined;
    if (threadId === GENERAL_TOPIC_ID) throw badRequest(THREAD_NOT_FOUND);
    const topic = this.world.liveTopic(chat, threadId);
    if (!topic) throw badRequest(THREAD_NOT_FOUND);
    if (topic.closed && !topic.createdByBot && !this.world.botCanManageTopics(chat)) {
      throw badRequest(TOPIC_CLOSED);
    }
    return threadId;
  }

  // ---- test side ----

  makeForum(chatId: number, opts: { title?: string; botCanManageTopics?: boolean }): void {
    const chat = this.world.chat(chatId, { create: true });
    if (chat.type !== 'supergroup') {
      throw new Error(
        `makeForum: only a supergroup can be a forum; chat ${chatId} is a ${chat.type} ` +
          '(supergroup ids start with -100)',
      );
    }
    chat.isForum = true;
    // Message 1 of a forum is where its General topic begins (thread id 1): no topic gets it.
    chat.nextMessageId = Math.max(chat.nextMessageId, GENERAL_TOPIC_ID + 1);
    if (opts.title !== undefined) chat.title = opts.title;
    if (opts.botCanManageTopics !== undefined) {
      this.setBotCanManageTopics(chatId, opts.botCanManageTopics);
    }
  }

  /** Makes the bot an administrator of the chat with (or without) can_manage_topics. */
  setBotCanManageTopics(chatId: number, canManageTopics: boolean): void {
    const chat = this.world.chat(chatId, { create: true });
    chat.admins.set(this.world.botId, { status: 'administrator', canManageTopics });
  }

  /** A topic made by a person in the Telegram app; no update is queued for it. */
  addTopic(chatId: number, name: string, opts: AddForumTopicOptions): ForumTopicInfo {
    const chat = this.forumChat(chatId, 'addForumTopic');
    const topic = this.add(chat, name, {
      iconColor: opts.iconColor ?? this.defaultColor(chat),
      iconCustomEmojiId: opts.iconCustomEmojiId,
      createdByBot: false,
    });
    topic.closed = opts.closed ?? false;
    return publicTopic(topic);
  }

  topics(chatId: number): ForumTopicInfo[] {
    return [...(this.world.chats.get(chatId)?.topics.values() ?? [])].map(publicTopic);
  }

  /** Deletes or closes (reopens) a topic as an admin in the app would. */
  changeTopic(chatId: number, threadId: number, change: 'delete' | 'close' | 'reopen'): void {
    const chat = this.forumChat(chatId, `${change}ForumTopic`);
    const topic = this.world.liveTopic(chat, threadId);
    if (!topic) throw new Error(`${change}ForumTopic: chat ${chatId} has no topic ${threadId}`);
    if (change === 'delete') topic.deleted = true;
    else topic.closed = change === 'close';
  }

  // ---- Bot API methods ----

  private createForumTopic(params: Params): Record<string, unknown> {
    const chat = this.world.targetChat(params, 'send');
    if (!this.world.isForum(chat)) throw badRequest(NOT_A_FORUM);
    if (!this.world.botCanManageTopics(chat)) throw badRequest(NO_RIGHT_TO_CREATE);
    const name = cleanTopicName(optionalString(params, 'name') ?? '');
    if (name === '') throw badRequest(NAME_EMPTY);
    // No colour (0, the server's default) lets Telegram pick one.
    const iconColor = optionalInt(params, 'icon_color') || this.defaultColor(chat);
    // TDLib refuses colours outside 0..0xFFFFFF with this text. What the server does with an
    // in-range colour outside the documented six is not documented: the fake refuses it too.
    if (!(FORUM_TOPIC_ICON_COLORS as readonly number[]).includes(iconColor)) {
      throw badRequest(BAD_ICON_COLOR);
    }
    // telegram-bot-api reads the emoji id as an integer; anything else means "no emoji".
    const emoji = optionalString(params, 'icon_custom_emoji_id');
    const topic = this.add(chat, name, {
      iconColor,
      iconCustomEmojiId: emoji !== undefined && /^[1-9]\d*$/.test(emoji) ? emoji : undefined,
      createdByBot: true,
    });
    const wire: Record<string, unknown> = {
      message_thread_id: topic.threadId,
      name: topic.name,
      icon_color: topic.iconColor,
    };
    if (topic.iconCustomEmojiId !== undefined) {
      wire.icon_custom_emoji_id = topic.iconCustomEmojiId;
    }
    return wire;
  }

  private setClosed(params: Params, closed: boolean): true {
    const { chat, topic } = this.existingTopic(params);
    if (!topic.createdByBot && !this.world.botCanManageTopics(chat)) {
      throw badRequest(NO_RIGHT_TO_CLOSE);
    }
    // Unverified: the server may answer TOPIC_NOT_MODIFIED when nothing changes; the fake agrees.
    topic.closed = closed;
    return true;
  }

  private deleteForumTopic(params: Params): true {
    const { chat, topic } = this.existingTopic(params);
    // Deleting needs can_delete_messages (every admin the fake models has it) or own topic.
    if (!topic.createdByBot && !chat.admins.has(this.world.botId)) {
      throw badRequest(NO_RIGHT_TO_DELETE);
    }
    topic.deleted = true;
    return true;
  }

  /** The topic a close/reopen/delete names, checked in TDLib's order. */
  private existingTopic(params: Params): { chat: ChatState; topic: TopicState } {
    const chat = this.world.targetChat(params, 'send');
    if (!this.world.isForum(chat)) throw badRequest(NOT_A_FORUM);
    const threadId = lenientId(params, 'message_thread_id');
    if (threadId === 0) throw badRequest(BAD_TOPIC_ID);
    // The General topic has its own methods (closeGeneralForumTopic…), which the fake lacks;
    // what closeForumTopic answers for id 1 is a guess.
    const topic = threadId === GENERAL_TOPIC_ID ? undefined : this.world.liveTopic(chat, threadId);
    if (!topic) throw badRequest(TOPIC_ID_INVALID);
    return { chat, topic };
  }

  // ---- model ----

  private forumChat(chatId: number, what: string): ChatState {
    const chat = this.world.chats.get(chatId);
    if (!chat || !this.world.isForum(chat)) {
      throw new Error(`${what}: chat ${chatId} is not a forum; call makeForum(${chatId}) first`);
    }
    return chat;
  }

  /** The topic's id is the message id of its service message, as on Telegram. */
  private add(
    chat: ChatState,
    name: string,
    opts: { iconColor: number; iconCustomEmojiId: string | undefined; createdByBot: boolean },
  ): TopicState {
    const topic: TopicState = {
      chatId: chat.id,
      threadId: chat.nextMessageId++,
      name,
      iconColor: opts.iconColor,
      createdByBot: opts.createdByBot,
      closed: false,
      deleted: false,
      date: nowSeconds(),
    };
    if (opts.iconCustomEmojiId !== undefined) topic.iconCustomEmojiId = opts.iconCustomEmojiId;
    chat.topics.set(topic.threadId, topic);
    return topic;
  }

  /** Telegram picks a colour when none is given; the fake goes round the six in order. */
  private defaultColor(chat: ChatState): number {
    return FORUM_TOPIC_ICON_COLORS[chat.topics.size % FORUM_TOPIC_ICON_COLORS.length] ?? 0;
  }
}

/**
 * TDLib's clean_name, near enough: odd spaces become spaces, the name is trimmed and cut to
 * 128 characters, runs of spaces and newlines become one space; a name of nothing but
 * invisible characters is empty.
 */
export function cleanTopicName(raw: string): string {
  const spaced = raw.replace(/[\u1680\u180e\u2000-\u200a\u202f\u205f\u2800\u3000\ufffc]/g, ' ');
  const cut = Array.from(spaced.trim()).slice(0, MAX_TOPIC_NAME_CHARS).join('').trim();
  if (/^[\s\u200b-\u200f\u202e\ufeff\u00a0]*$/.test(cut)) return '';
  return cut.replace(/[ \n\u00a0]+/g, ' ').trim();
}

/** A copy for tests, without the date (tests compare the rest). */
function publicTopic(topic: TopicState): ForumTopicInfo {
  const info: ForumTopicInfo = {
    chatId: topic.chatId,
    threadId: topic.threadId,
    name: topic.name,
    iconColor: topic.iconColor,
    createdByBot: topic.createdByBot,
    closed: topic.closed,
    deleted: topic.deleted,
  };
  if (topic.iconCustomEmojiId !== undefined) info.iconCustomEmojiId = topic.iconCustomEmojiId;
  return info;
}
