// Forums in the fake Bot API: the behaviour a bot that posts per topic depends on, pinned
// against the real server's rules and error texts (see test/_helpers/fake-telegram-forum.ts).
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Telegram, TelegramError } from 'telegraf';
import { z } from 'zod';
import {
  FORUM_TOPIC_ICON_COLORS,
  startFakeTelegram,
  type FakeTelegram,
} from '../_helpers/fake-telegram.js';
import { callBotApi as api } from '../_helpers/fake-telegram-client.js';

const TOKEN = '123456789:AAE-fake-secret-token_for-tests';
const BOT_ID = 123456789;
const USER = 5550001;
const FORUM = -1001234567890;
const OTHER_FORUM = -1005555555555;
const PLAIN_SUPERGROUP = -1009876543210;
const BASIC_GROUP = -4242;

const NOT_A_FORUM = 'Bad Request: the chat is not a forum';
const NO_RIGHT_TO_CREATE = 'Bad Request: not enough rights to create a topic';
const THREAD_NOT_FOUND = 'Bad Request: message thread not found';

async function start(t: TestContext): Promise<FakeTelegram> {
  const fake = await startFakeTelegram({ token: TOKEN });
  t.after(() => fake.close());
  return fake;
}

/** A fake with one forum in which the bot may (or may not) manage topics. */
async function forum(t: TestContext, botCanManageTopics = true): Promise<FakeTelegram> {
  const fake = await start(t);
  fake.makeForum(FORUM, { title: 'Support cases', botCanManageTopics });
  return fake;
}

const topicSchema = z.object({
  message_thread_id: z.number(),
  name: z.string(),
  icon_color: z.number(),
  icon_custom_emoji_id: z.string().optional(),
});
const chatSchema = z.looseObject({
  id: z.number(),
  type: z.string(),
  is_forum: z.boolean().optional(),
});
const messageSchema = z.looseObject({
  message_id: z.number(),
  chat: chatSchema,
  message_thread_id: z.number().optional(),
  is_topic_message: z.boolean().optional(),
  reply_to_message: z
    .looseObject({
      message_id: z.number(),
      forum_topic_created: z.looseObject({ name: z.string(), icon_color: z.number() }).optional(),
    })
    .optional(),
});
const memberSchema = z.looseObject({
  status: z.string(),
  can_manage_topics: z.boolean().optional(),
});

async function createTopic(fake: FakeTelegram, name: string, extra = {}) {
  const answer = await api(fake, 'createForumTopic', { chat_id: FORUM, name, ...extra });
  assert.equal(answer.status, 200, answer.description);
  return topicSchema.parse(answer.result);
}

async function send(fake: FakeTelegram, chatId: number, extra: Record<string, unknown> = {}) {
  return api(fake, 'sendMessage', { chat_id: chatId, text: 'Case 01234567 updated', ...extra });
}

async function refusal(answer: Promise<{ status: number; description?: string }>) {
  const { status, description } = await answer;
  return [status, description];
}

describe('fake Telegram Bot API: forum chats and the bot rights in them', () => {
  it('marks a forum with is_forum in getChat and in update chats, and nothing else', async (t) => {
    const fake = await forum(t);
    fake.sendUserMessage({ chatId: PLAIN_SUPERGROUP, text: 'hi' });
    assert.deepEqual((await api(fake, 'getChat', { chat_id: FORUM })).result, {
      id: FORUM,
      type: 'supergroup',
      title: 'Support cases',
      is_forum: true,
    });
    const plain = chatSchema.parse(
      (await api(fake, 'getChat', { chat_id: PLAIN_SUPERGROUP })).result,
    );
    assert.equal('is_forum' in plain, false, 'the real server leaves the field out');

    fake.sendUserMessage({ chatId: FORUM, text: '/start', fromId: 77 });
    const updates = z
      .array(z.looseObject({ message: messageSchema }))
      .parse((await api(fake, 'getUpdates', { offset: 0 })).result);
    assert.deepEqual(
      updates.map((u) => [u.message.chat.id, u.message.chat.is_forum]),
      [
        [PLAIN_SUPERGROUP, undefined],
        [FORUM, true],
      ],
    );
  });

  it('refuses to make a basic group or a private chat a forum', async (t) => {
    const fake = await start(t);
    assert.throws(() => fake.makeForum(BASIC_GROUP), /only a supergroup can be a forum/);
    assert.throws(() => fake.makeForum(USER), /only a supergroup can be a forum/);
  });

  it('answers getChatMember for the bot with its can_manage_topics as the test set it', async (t) => {
    const fake = await forum(t, false);
    const bot = async (chatId: number) =>
      memberSchema.parse(
        (await api(fake, 'getChatMember', { chat_id: chatId, user_id: BOT_ID })).result,
      );
    assert.deepEqual(
      [(await bot(FORUM)).status, (await bot(FORUM)).can_manage_topics],
      ['administrator', false],
    );
    fake.setBotCanManageTopics(FORUM, true);
    assert.equal((await bot(FORUM)).can_manage_topics, true);
    const member = await bot(PLAIN_SUPERGROUP);
    assert.deepEqual([member.status, member.can_manage_topics], ['member', undefined]);
    fake.setChatAdmins(BASIC_GROUP, [BOT_ID]);
    assert.equal(
      (await bot(BASIC_GROUP)).can_manage_topics,
      undefined,
      'the right exists in supergroups only',
    );
  });
});

describe('fake Telegram Bot API: createForumTopic', () => {
  it('creates a topic whose thread id is the message id of its service message', async (t) => {
    const fake = await forum(t);
    const before = await send(fake, FORUM);
    const topic = await createTopic(fake, 'Case 01234567');
    assert.deepEqual(topic, {
      message_thread_id: 3,
      name: 'Case 01234567',
      icon_color: FORUM_TOPIC_ICON_COLORS[0],
    });
    const after = messageSchema.parse((await send(fake, FORUM)).result);
    assert.equal(messageSchema.parse(before.result).message_id, 2, 'message 1 begins General');
    assert.equal(after.message_id, 4, 'the topic took a message id');
    assert.deepEqual(fake.forumTopics(FORUM), [
      {
        chatId: FORUM,
        threadId: 3,
        name: 'Case 01234567',
        iconColor: FORUM_TOPIC_ICON_COLORS[0],
        createdByBot: true,
        closed: false,
        deleted: false,
      },
    ]);
  });

  it('keeps the icon the bot picks and echoes a custom emoji id', async (t) => {
    const fake = await forum(t);
    const topic = await createTopic(fake, 'Case 7', {
      icon_color: 0xff93b2,
      icon_custom_emoji_id: '5312536423851630001',
    });
    assert.equal(topic.icon_color, 0xff93b2);
    assert.equal(topic.icon_custom_emoji_id, '5312536423851630001');
    const bad = await api(fake, 'createForumTopic', {
      chat_id: FORUM,
      name: 'x',
      icon_color: 0x123456,
    });
    assert.deepEqual(
      [bad.status, bad.description],
      [400, 'Bad Request: invalid icon color specified'],
    );
  });

  it('refuses a chat that is not a forum, whatever the bot may do there', async (t) => {
    const fake = await forum(t);
    fake.setChatAdmins(PLAIN_SUPERGROUP, [BOT_ID]);
    for (const chatId of [PLAIN_SUPERGROUP, BASIC_GROUP, USER]) {
      assert.deepEqual(
        await refusal(api(fake, 'createForumTopic', { chat_id: chatId, name: 'Case 1' })),
        [400, NOT_A_FORUM],
        String(chatId),
      );
    }
  });

  it('refuses a bot that is not an admin, or an admin without can_manage_topics', async (t) => {
    const fake = await start(t);
    fake.makeForum(FORUM);
    const create = () => api(fake, 'createForumTopic', { chat_id: FORUM, name: 'Case 1' });
    assert.deepEqual(await refusal(create()), [400, NO_RIGHT_TO_CREATE], 'member');
    fake.setBotCanManageTopics(FORUM, false);
    assert.deepEqual(await refusal(create()), [400, NO_RIGHT_TO_CREATE], 'admin without right');
    fake.setChatAdmins(FORUM, [BOT_ID]);
    assert.equal((await create()).status, 200, 'an admin promoted with default rights may');
    assert.equal(fake.forumTopics(FORUM).length, 1, 'refused calls create nothing');
  });

  it('refuses an empty name and cuts a long one to 128 characters, as TDLib does', async (t) => {
    const fake = await forum(t);
    for (const name of ['', '   ', '\u200b\u200b']) {
      assert.deepEqual(
        await refusal(api(fake, 'createForumTopic', { chat_id: FORUM, name })),
        [400, 'Bad Request: name must be non-empty'],
        JSON.stringify(name),
      );
    }
    assert.deepEqual(
      await refusal(api(fake, 'createForumTopic', { chat_id: FORUM })),
      [400, 'Bad Request: name must be non-empty'],
      'no name at all',
    );
    const long = await createTopic(fake, `  ${'é'.repeat(130)}  `);
    assert.equal(long.name, 'é'.repeat(128));
    const spaced = await createTopic(fake, 'Case\n\n 01234567   Kernel');
    assert.equal(spaced.name, 'Case 01234567 Kernel');
  });

  it('is covered by the fault injection keyed by method, per chat', async (t) => {
    const fake = await forum(t);
    fake.makeForum(OTHER_FORUM, { botCanManageTopics: true });
    fake.failNext({
      method: 'createForumTopic',
      chatId: FORUM,
      errorCode: 429,
      description: 'Too Many Requests: retry after 4',
      retryAfter: 4,
    });
    const other = await api(fake, 'createForumTopic', { chat_id: OTHER_FORUM, name: 'a' });
    assert.equal(other.status, 200, 'another chat is not affected');
    const limited = await api(fake, 'createforumtopic', { chat_id: FORUM, name: 'a' });
    assert.deepEqual(
      [limited.status, limited.description, limited.parameters],
      [429, 'Too Many Requests: retry after 4', { retry_after: 4 }],
    );
    assert.equal((await api(fake, 'createForumTopic', { chat_id: FORUM, name: 'a' })).status, 200);
    assert.deepEqual(
      fake.callsTo('createForumTopic').map((c) => c.status),
      [200, 429, 200],
      'calls are recorded under the canonical name, whatever the case',
    );
    assert.equal(fake.forumTopics(FORUM).length, 1);
  });
});

describe('fake Telegram Bot API: sending into topics', () => {
  it('records the topic and the silence of each message, and shows them on the wire', async (t) => {
    const fake = await forum(t);
    const topic = await createTopic(fake, 'Case 01234567');
    const inTopic = await send(fake, FORUM, {
      message_thread_id: topic.message_thread_id,
      disable_notification: true,
    });
    const general = await send(fake, FORUM, { disable_notification: false });
    const wire = messageSchema.parse(inTopic.result);
    assert.equal(wire.message_thread_id, topic.message_thread_id);
    assert.equal(wire.is_topic_message, true);
    assert.deepEqual(wire.reply_to_message?.forum_topic_created, {
      name: 'Case 01234567',
      icon_color: topic.icon_color,
    });
    const generalWire = messageSchema.parse(general.result);
    assert.equal('message_thread_id' in generalWire, false, 'General messages carry no thread id');
    assert.deepEqual(
      fake.messages(FORUM).map((m) => [m.threadId, m.silent, m.disableNotification]),
      [
        [topic.message_thread_id, true, true],
        [undefined, false, false],
      ],
    );
  });

  it('takes the thread id in every encoding, as a number or as text', async (t) => {
    const fake = await forum(t);
    const { message_thread_id: threadId } = await createTopic(fake, 'Case 1');
    for (const encoding of ['json', 'form', 'multipart', 'query'] as const) {
      const answer = await api(
        fake,
        'sendMessage',
        { chat_id: FORUM, text: encoding, message_thread_id: threadId, disable_notification: true },
        { encoding },
      );
      assert.equal(answer.status, 200, `${encoding}: ${answer.description}`);
    }
    assert.deepEqual(
      fake.messages(FORUM).map((m) => [m.threadId, m.silent]),
      Array.from({ length: 4 }, () => [threadId, true]),
    );
  });

  it("answers 'message thread not found' for General's id, an unknown and a deleted topic", async (t) => {
    const fake = await forum(t);
    const byBot = await createTopic(fake, 'Case 1');
    const byUser = fake.addForumTopic(FORUM, 'Case 2');
    fake.deleteForumTopic(FORUM, byUser.threadId);
    const deleted = await api(fake, 'deleteForumTopic', {
      chat_id: FORUM,
      message_thread_id: byBot.message_thread_id,
    });
    assert.equal(deleted.status, 200, deleted.description);
    for (const threadId of [1, 999, byBot.message_thread_id, byUser.threadId]) {
      assert.deepEqual(
        await refusal(send(fake, FORUM, { message_thread_id: threadId })),
        [400, THREAD_NOT_FOUND],
        String(threadId),
      );
    }
    assert.equal(fake.messages(FORUM).length, 0);
    assert.deepEqual(
      fake.forumTopics(FORUM).map((topic) => [topic.name, topic.deleted]),
      [
        ['Case 1', true],
        ['Case 2', true],
      ],
    );
  });

  it('ignores a thread id outside forums, except in a private chat', async (t) => {
    const fake = await start(t);
    for (const chatId of [PLAIN_SUPERGROUP, BASIC_GROUP]) {
      const answer = await send(fake, chatId, { message_thread_id: 7 });
      assert.equal(answer.status, 200, answer.description);
      assert.equal('message_thread_id' in messageSchema.parse(answer.result), false);
    }
    assert.deepEqual(
      fake.messages().map((m) => m.threadId),
      [undefined, undefined],
    );
    assert.deepEqual(await refusal(send(fake, USER, { message_thread_id: 7 })), [
      400,
      THREAD_NOT_FOUND,
    ]);
    for (const none of [0, -5, '']) {
      assert.equal((await send(fake, USER, { message_thread_id: none })).status, 200, String(none));
    }
  });

  it('lets only its own posts or a topic manager into a closed topic', async (t) => {
    const fake = await forum(t, false);
    const theirs = fake.addForumTopic(FORUM, 'Announcements', { closed: true });
    assert.deepEqual(await refusal(send(fake, FORUM, { message_thread_id: theirs.threadId })), [
      400,
      'Bad Request: TOPIC_CLOSED',
    ]);
    fake.setBotCanManageTopics(FORUM, true);
    assert.equal((await send(fake, FORUM, { message_thread_id: theirs.threadId })).status, 200);
    const own = await createTopic(fake, 'Case 1');
    assert.equal(
      (
        await api(fake, 'closeForumTopic', {
          chat_id: FORUM,
          message_thread_id: own.message_thread_id,
        })
      ).status,
      200,
    );
    fake.setBotCanManageTopics(FORUM, false);
    assert.equal(
      (await send(fake, FORUM, { message_thread_id: own.message_thread_id })).status,
      200,
      'its own topic stays open to the bot',
    );
    fake.closeForumTopic(FORUM, theirs.threadId, false);
    assert.equal((await send(fake, FORUM, { message_thread_id: theirs.threadId })).status, 200);
  });

  it('puts a user message in its topic, and refuses a topic that does not exist', async (t) => {
    const fake = await forum(t);
    const topic = fake.addForumTopic(FORUM, 'Case 1');
    fake.sendUserMessage({ chatId: FORUM, text: '/follow 01234567', threadId: topic.threadId });
    const [update] = z
      .array(z.looseObject({ message: messageSchema }))
      .parse((await api(fake, 'getUpdates')).result);
    assert.equal(update?.message.message_thread_id, topic.threadId);
    assert.equal(update?.message.is_topic_message, true);
    assert.equal(fake.userMessages(FORUM)[0]?.threadId, topic.threadId);
    assert.throws(
      () => fake.sendUserMessage({ chatId: FORUM, text: 'x', threadId: 999 }),
      /has no topic 999/,
    );
  });
});

describe('fake Telegram Bot API: closing and deleting topics', () => {
  it('checks the chat, the id and the rights before closing or deleting', async (t) => {
    const fake = await start(t);
    fake.makeForum(FORUM);
    const theirs = fake.addForumTopic(FORUM, 'Case 1');
    const call = (method: string, params: Record<string, unknown> = {}) =>
      refusal(api(fake, method, { chat_id: FORUM, message_thread_id: theirs.threadId, ...params }));
    assert.deepEqual(await call('closeForumTopic', { chat_id: PLAIN_SUPERGROUP }), [
      400,
      NOT_A_FORUM,
    ]);
    assert.deepEqual(await call('deleteForumTopic', { message_thread_id: undefined }), [
      400,
      'Bad Request: invalid forum topic identifier specified',
    ]);
    const cannotClose = [400, 'Bad Request: not enough rights to close or open the topic'];
    const cannotDelete = [400, 'Bad Request: not enough rights to delete the topic'];
    const ok = [200, undefined];
    // A plain member may touch only its own topics.
    assert.deepEqual(await call('closeForumTopic'), cannotClose);
    assert.deepEqual(await call('deleteForumTopic'), cannotDelete);
    // An admin without can_manage_topics still has can_delete_messages.
    fake.setBotCanManageTopics(FORUM, false);
    assert.deepEqual(await call('closeForumTopic'), cannotClose);
    assert.deepEqual(
      fake.forumTopics(FORUM).map((topic) => [topic.closed, topic.deleted]),
      [[false, false]],
    );
    fake.setBotCanManageTopics(FORUM, true);
    assert.deepEqual(await call('closeForumTopic'), ok);
    assert.deepEqual(fake.forumTopics(FORUM)[0]?.closed, true);
    assert.deepEqual(await call('reopenForumTopic'), ok);
    assert.deepEqual(fake.forumTopics(FORUM)[0]?.closed, false);
    fake.setBotCanManageTopics(FORUM, false);
    assert.deepEqual(await call('deleteForumTopic'), ok);
    for (const method of ['deleteForumTopic', 'closeForumTopic']) {
      assert.deepEqual(await call(method), [400, 'Bad Request: TOPIC_ID_INVALID'], method);
    }
  });

  it('lets a plain member close and delete the topics it created itself', async (t) => {
    const fake = await forum(t);
    const own = await createTopic(fake, 'Case 1');
    fake.setChatAdmins(FORUM, []);
    const call = (method: string) =>
      api(fake, method, { chat_id: FORUM, message_thread_id: own.message_thread_id });
    assert.equal((await call('closeForumTopic')).status, 200);
    assert.equal((await call('deleteForumTopic')).status, 200);
    assert.equal(fake.forumTopics(FORUM)[0]?.deleted, true);
  });

  it('refuses test-side topic changes on a chat that is not a forum or a topic it lacks', async (t) => {
    const fake = await forum(t);
    assert.throws(() => fake.addForumTopic(PLAIN_SUPERGROUP, 'x'), /is not a forum/);
    assert.throws(() => fake.deleteForumTopic(FORUM, 42), /has no topic 42/);
    assert.deepEqual(fake.forumTopics(PLAIN_SUPERGROUP), []);
  });
});

describe('fake Telegram Bot API: telegraf posts per topic', () => {
  it('creates a topic, posts silently into it, and sees the error once it is deleted', async (t) => {
    const fake = await forum(t);
    const telegram = new Telegram(fake.token, { apiRoot: fake.apiRoot });
    const topic = await telegram.createForumTopic(FORUM, 'Case 01234567 — kernel panic');
    const sent = await telegram.sendMessage(FORUM, '<b>New comment</b>', {
      parse_mode: 'HTML',
      message_thread_id: topic.message_thread_id,
      disable_notification: true,
    });
    assert.equal(sent.message_thread_id, topic.message_thread_id);
    assert.deepEqual(
      fake.messages(FORUM).map((m) => [m.text, m.threadId, m.silent]),
      [['New comment', topic.message_thread_id, true]],
    );
    await telegram.deleteForumTopic(FORUM, topic.message_thread_id);
    const error = await telegram
      .sendMessage(FORUM, 'again', { message_thread_id: topic.message_thread_id })
      .then(
        () => assert.fail('expected a 400'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof TelegramError);
    assert.equal(error.code, 400);
    assert.equal(error.description, THREAD_NOT_FOUND);
  });
});
