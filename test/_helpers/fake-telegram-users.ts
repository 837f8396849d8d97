// What people do, as the fake Bot API shows it to the bot: a user writes (in a private chat, a
// group or a forum topic), presses an inline button, blocks or removes the bot. Each queues
// the update Telegram would send and changes the world the way Telegram would.
import type {
  MyChatMemberOptions,
  PressButtonOptions,
  SendUserMessageOptions,
  UserMessage,
} from './fake-telegram-types.js';
import { CALLBACK_DATA_MAX_BYTES } from './fake-telegram-content.js';
import {
  DEFAULT_GROUP_USER_ID,
  defaultChatType,
  key,
  nowSeconds,
  type TelegramWorld,
} from './fake-telegram-model.js';
import type { UpdateQueue } from './fake-telegram-updates.js';

/** A leading /command, with an optional @botname, is marked as a bot_command entity. */
const COMMAND_PATTERN = /^\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?/;

export class Users {
  private callbackSeq = 0;

  constructor(
    private readonly world: TelegramWorld,
    private readonly updates: UpdateQueue,
  ) {}

  sendUserMessage(opts: SendUserMessageOptions): { updateId: number; messageId: number } {
    const world = this.world;
    const chatType = opts.chatType ?? defaultChatType(opts.chatId);
    const fromId = opts.fromId ?? (chatType === 'private' ? opts.chatId : DEFAULT_GROUP_USER_ID);
    const firstName = opts.firstName ?? world.users.get(fromId)?.firstName ?? `User ${fromId}`;
    world.users.set(fromId, {
      firstName,
      username: opts.username ?? world.users.get(fromId)?.username,
    });
    const chat = world.chat(opts.chatId, { create: true, type: chatType });
    if (chatType === 'private') {
      chat.firstName = firstName;
      chat.username = opts.username;
    } else if (opts.chatTitle !== undefined) {
      chat.title = opts.chatTitle;
    }
    if (opts.threadId !== undefined && !world.liveTopic(chat, opts.threadId)) {
      throw new Error(`sendUserMessage: chat ${opts.chatId} has no topic ${opts.threadId}`);
    }
    const messageId = chat.nextMessageId++;
    const wire: Record<string, unknown> = {
      message_id: messageId,
      from: world.userWire(fromId),
      chat: world.chatWire(chat),
      date: nowSeconds(),
      ...world.topicFields(chat, opts.threadId),
      text: opts.text,
    };
    const command = COMMAND_PATTERN.exec(opts.text);
    if (command) wire.entities = [{ type: 'bot_command', offset: 0, length: command[0].length }];
    const user: UserMessage = {
      chatId: opts.chatId,
      messageId,
      fromId,
      text: opts.text,
      deleted: false,
    };
    if (opts.threadId !== undefined) user.threadId = opts.threadId;
    world.userMsgs.push(user);
    world.store.set(key(opts.chatId, messageId), {
      chatId: opts.chatId,
      messageId,
      fromBot: false,
      user,
      wire,
    });
    const updateId = this.updates.enqueue({ message: wire });
    return { updateId, messageId };
  }

  pressButton(opts: PressButtonOptions): { updateId: number; callbackQueryId: string } {
    const world = this.world;
    const bytes = Buffer.byteLength(opts.data, 'utf8');
    if (bytes < 1 || bytes > CALLBACK_DATA_MAX_BYTES) {
      throw new Error(`pressButton: callback data must be 1..64 bytes, got ${bytes}`);
    }
    const chat = world.chat(opts.chatId, { create: true });
    const fromId = opts.fromId ?? (chat.type === 'private' ? opts.chatId : DEFAULT_GROUP_USER_ID);
    const stored = world.store.get(key(opts.chatId, opts.messageId));
    const message = stored?.wire ?? {
      message_id: opts.messageId,
      chat: world.chatWire(chat),
      date: 0,
    };
    const callbackQueryId = `${world.botId}${String(++this.callbackSeq).padStart(6, '0')}`;
    world.callbacks.set(callbackQueryId, { answered: false });
    const updateId = this.updates.enqueue({
      callback_query: {
        id: callbackQueryId,
        from: world.userWire(fromId),
        message,
        chat_instance: String(opts.chatId),
        data: opts.data,
      },
    });
    return { updateId, callbackQueryId };
  }

  myChatMember(opts: MyChatMemberOptions): { updateId: number } {
    const world = this.world;
    const chat = world.chat(opts.chatId, { create: true });
    const fromId = opts.fromId ?? (chat.type === 'private' ? opts.chatId : DEFAULT_GROUP_USER_ID);
    if (chat.type === 'private') chat.blocked = opts.status === 'kicked';
    else {
      chat.kicked = opts.status === 'kicked';
      chat.left = opts.status === 'left';
    }
    const botMember = (status: string) => ({ status, user: world.botWire() });
    const updateId = this.updates.enqueue({
      my_chat_member: {
        chat: world.chatWire(chat),
        from: world.userWire(fromId),
        date: nowSeconds(),
        old_chat_member: botMember(
          opts.oldStatus ?? (opts.status === 'member' ? 'kicked' : 'member'),
        ),
        new_chat_member: botMember(opts.status),
      },
    });
    return { updateId };
  }
}
