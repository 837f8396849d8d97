// The Bot API methods the fake serves, one handler each, answering the way the real server
// does (forum topic methods live in ./fake-telegram-forum.ts). A handler returns the `result`
// or throws BotApiError; the server in ./fake-telegram.ts turns either into the HTTP answer.
import { z } from 'zod';
import {
  BotApiError,
  badRequest,
  type CallbackAnswer,
  type SentMessage,
} from './fake-telegram-types.js';
import {
  linkPreviewDisabled,
  scopeKey,
  validateReplyMarkup,
  validateText,
} from './fake-telegram-content.js';
import type { Forums } from './fake-telegram-forum.js';
import { key, nowSeconds, type ChatState, type TelegramWorld } from './fake-telegram-model.js';
import type { UpdateQueue } from './fake-telegram-updates.js';
import {
  jsonParam,
  optionalBool,
  optionalInt,
  optionalString,
  requireInt,
  requireString,
  type Handler,
  type Params,
} from './fake-telegram-wire.js';

const CALLBACK_ANSWER_TEXT_LIMIT = 200;
const MAX_COMMANDS = 100;
const COMMAND_DESCRIPTION_MAX_CHARS = 256;
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

const commandsSchema = z.array(z.object({ command: z.string(), description: z.string() }));
const replyParametersSchema = z.looseObject({
  message_id: z.number().int(),
  chat_id: z.union([z.number(), z.string()]).optional(),
  allow_sending_without_reply: z.boolean().optional(),
});

/** Every method the fake serves, by its canonical (Bot API) name. */
export function buildHandlers(
  world: TelegramWorld,
  updates: UpdateQueue,
  forums: Forums,
): Map<string, Handler> {
  const m = new Methods(world, forums);
  const h = new Map<string, Handler>();
  h.set('getMe', () => ({
    ...world.botWire(),
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  }));
  h.set('getUpdates', (p, ctx) => updates.getUpdates(p, ctx));
  h.set('deleteWebhook', (p) => {
    updates.webhookUrl = '';
    if (optionalBool(p, 'drop_pending_updates')) updates.dropAll();
    return true;
  });
  h.set('setWebhook', (p) => {
    updates.webhookUrl = requireString(p, 'url', 'url is empty');
    return true;
  });
  h.set('getWebhookInfo', () => ({
    url: updates.webhookUrl,
    has_custom_certificate: false,
    pending_update_count: updates.size,
  }));
  h.set('setMyCommands', (p) => m.setMyCommands(p));
  h.set('getMyCommands', (p) => world.commandsByScope.get(scopeKey(p)) ?? []);
  h.set('deleteMyCommands', (p) => {
    world.commandsByScope.delete(scopeKey(p));
    return true;
  });
  h.set('sendMessage', (p) => m.sendMessage(p));
  h.set('editMessageText', (p) => m.editMessage(p, 'text'));
  h.set('editMessageReplyMarkup', (p) => m.editMessage(p, 'markup'));
  h.set('deleteMessage', (p) => m.deleteMessage(p));
  h.set('answerCallbackQuery', (p) => m.answerCallbackQuery(p));
  h.set('getChatMember', (p) => m.getChatMember(p));
  h.set('getChat', (p) => world.chatWire(world.targetChat(p, 'read')));
  h.set('sendChatAction', (p) => {
    // message_thread_id is accepted and not checked: the server passes it on without a lookup.
    world.targetChat(p, 'send');
    const action = optionalString(p, 'action');
    if (!action || !CHAT_ACTIONS.has(action)) {
      throw badRequest('wrong parameter action in request');
    }
    return true;
  });
  h.set('leaveChat', (p) => {
    const chat = world.targetChat(p, 'read');
    if (chat.type === 'private')
      throw badRequest("chat member status can't be changed in private chats");
    chat.left = true;
    return true;
  });
  for (const [name, handler] of forums.handlers()) h.set(name, handler);
  return h;
}

class Methods {
  constructor(
    private readonly world: TelegramWorld,
    private readonly forums: Forums,
  ) {}

  setMyCommands(params: Params): true {
    const commands = jsonParam(params, 'commands', commandsSchema);
    if (commands === undefined) throw badRequest('parameter "commands" is required');
    if (commands.length > MAX_COMMANDS) throw badRequest('too many commands specified');
    for (const c of commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
      const length = c.description.length;
      if (c.description.trim().length < 1 || length > COMMAND_DESCRIPTION_MAX_CHARS) {
        throw badRequest('command description must be 1-256 characters long');
      }
    }
    this.world.commandsByScope.set(scopeKey(params), commands);
    this.world.lastCommands = commands;
    return true;
  }

  sendMessage(params: Params): Record<string, unknown> {
    const world = this.world;
    const chat = world.targetChat(params, 'send');
    const content = validateText(params);
    const replyMarkup = validateReplyMarkup(params);
    const threadId = this.forums.resolveThread(chat, params);
    const replyTo = this.replyTarget(params, chat);
    const silent = optionalBool(params, 'disable_notification');
    const sent: SentMessage = {
      chatId: chat.id,
      messageId: chat.nextMessageId++,
      text: content.plain,
      date: nowSeconds(),
      deleted: false,
      silent: silent === true,
      ...content.extra,
    };
    if (replyMarkup) sent.replyMarkup = replyMarkup;
    if (silent !== undefined) sent.disableNotification = silent;
    if (threadId !== undefined) sent.threadId = threadId;
    const noPreview = linkPreviewDisabled(params);
    if (noPreview !== undefined) sent.linkPreviewDisabled = noPreview;
    if (replyTo !== undefined) sent.replyToMessageId = replyTo;
    world.sent.push(sent);
    const wire = world.messageWire(sent, chat);
    world.store.set(key(chat.id, sent.messageId), {
      chatId: chat.id,
      messageId: sent.messageId,
      fromBot: true,
      sent,
      wire,
    });
    return wire;
  }

  editMessage(params: Params, what: 'text' | 'markup'): Record<string, unknown> {
    if (params.inline_message_id !== undefined) {
      throw badRequest('inline messages are not supported by the fake');
    }
    const world = this.world;
    const chat = world.targetChat(params, 'send');
    const messageId = requireInt(params, 'message_id', 'message identifier is not specified');
    const stored = world.store.get(key(chat.id, messageId));
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
      world.edits.push({ chatId: chat.id, messageId, text: sent.text, html: sent.html });
    }
    // Like Telegram: an edit without reply_markup removes the inline keyboard.
    sent.replyMarkup = replyMarkup;
    sent.editDate = nowSeconds();
    stored.wire = world.messageWire(sent, chat);
    return stored.wire;
  }

  deleteMessage(params: Params): true {
    const world = this.world;
    const chat = world.targetChat(params, 'read');
    const messageId = requireInt(params, 'message_id', 'message identifier is not specified');
    const stored = world.store.get(key(chat.id, messageId));
    const target = stored?.sent ?? stored?.user;
    if (!stored || !target || target.deleted) throw badRequest('message to delete not found');
    // In groups, only an admin bot may delete other people's messages.
    const botIsAdmin = chat.admins.has(world.botId);
    if (!stored.fromBot && chat.type !== 'private' && !botIsAdmin) {
      throw badRequest("message can't be deleted");
    }
    target.deleted = true;
    world.deleted.push({ chatId: chat.id, messageId });
    return true;
  }

  answerCallbackQuery(params: Params): true {
    const id = optionalString(params, 'callback_query_id');
    const query = id === undefined ? undefined : this.world.callbacks.get(id);
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
    this.world.callbackAnswers.push(answer);
    return true;
  }

  getChatMember(params: Params): Record<string, unknown> {
    const world = this.world;
    const chat = world.targetChat(params, 'read');
    const userId = requireInt(params, 'user_id', 'user not found');
    const admin = chat.admins.get(userId);
    const user = userId === world.botId ? world.botWire() : world.userWire(userId);
    if (admin?.status === 'creator') return { status: 'creator', user, is_anonymous: false };
    if (admin?.status !== 'administrator') return { status: 'member', user };
    // The rights the real server lists for this chat type (Client::json_store_administrator_rights).
    const rights: Record<string, unknown> = {
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
    if (chat.type !== 'private') rights.can_pin_messages = true;
    if (chat.type === 'supergroup') rights.can_manage_topics = admin.canManageTopics;
    return rights;
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
    const target = this.world.store.get(key(chat.id, messageId));
    const exists = target !== undefined && !(target.sent?.deleted ?? target.user?.deleted ?? false);
    if (!exists && !allowWithout) throw badRequest('message to be replied not found');
    return messageId;
  }
}
