// The fake Bot API is only useful if it behaves like the real one where a client depends on it:
// these tests pin that behaviour, with plain fetch and with telegraf itself.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Telegraf, Telegram, TelegramError } from 'telegraf';
import { z } from 'zod';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';
import { callBotApi } from '../_helpers/fake-telegram-client.js';

const TOKEN = '123456789:AAE-fake-secret-token_for-tests';
const USER = 5550001;
const GROUP = -1001234567890;

async function start(t: TestContext, botUsername?: string): Promise<FakeTelegram> {
  const fake = await startFakeTelegram({ token: TOKEN, botUsername });
  t.after(() => fake.close());
  return fake;
}

const messageSchema = z.looseObject({
  message_id: z.number(),
  text: z.string(),
  chat: z.looseObject({ id: z.number(), type: z.string() }),
  from: z.looseObject({ id: z.number(), is_bot: z.boolean() }).optional(),
  entities: z
    .array(z.looseObject({ type: z.string(), offset: z.number(), length: z.number() }))
    .optional(),
  reply_markup: z.unknown().optional(),
});
const updateSchema = z.looseObject({
  update_id: z.number(),
  message: messageSchema.optional(),
  callback_query: z
    .looseObject({ id: z.string(), data: z.string(), message: messageSchema })
    .optional(),
});
const updatesSchema = z.array(updateSchema);

const api = callBotApi;

async function sendText(fake: FakeTelegram, chatId: number, text: string, extra = {}) {
  const answer = await api(fake, 'sendMessage', { chat_id: chatId, text, ...extra });
  assert.equal(answer.ok, true, answer.description);
  return messageSchema.parse(answer.result);
}

describe('fake Telegram Bot API: the basics', () => {
  it('answers getMe with the bot id taken from the token and the configured username', async (t) => {
    const fake = await start(t, 'my_pushbot');
    const answer = await api(fake, 'getMe');
    assert.equal(answer.status, 200);
    assert.deepEqual(
      z
        .looseObject({ id: z.number(), is_bot: z.boolean(), username: z.string() })
        .parse(answer.result),
      {
        id: 123456789,
        is_bot: true,
        username: 'my_pushbot',
        first_name: 'PushBot Test',
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
      },
    );
    assert.equal(fake.botId, 123456789);
  });

  it('defaults the username to pushbot_test_bot', async (t) => {
    const fake = await start(t);
    assert.equal(fake.botUsername, 'pushbot_test_bot');
  });

  it('answers 401 Unauthorized to every method when the token is wrong', async (t) => {
    const fake = await start(t);
    for (const method of ['getMe', 'sendMessage', 'getUpdates', 'noSuchMethod']) {
      const answer = await api(
        fake,
        method,
        { chat_id: USER, text: 'x' },
        { token: '123456789:wrong' },
      );
      assert.equal(answer.status, 401);
      assert.deepEqual(answer, {
        status: 401,
        ok: false,
        error_code: 401,
        description: 'Unauthorized',
      });
    }
    assert.equal(fake.messages().length, 0);
    assert.deepEqual(
      fake.calls.map((c) => c.status),
      [401, 401, 401, 401],
    );
  });

  it('answers 404 Not Found to an unknown method', async (t) => {
    const fake = await start(t);
    const answer = await api(fake, 'sendHologram', { chat_id: USER });
    assert.equal(answer.status, 404);
    assert.equal(answer.description, 'Not Found');
  });

  it('reads parameters from JSON, urlencoded, multipart and query strings alike', async (t) => {
    const fake = await start(t);
    const keyboard = { inline_keyboard: [[{ text: 'Go', callback_data: 'latest:1' }]] };
    for (const encoding of ['json', 'form', 'multipart', 'query'] as const) {
      const answer = await api(
        fake,
        'sendMessage',
        {
          chat_id: USER,
          text: `<b>via ${encoding}</b>`,
          parse_mode: 'HTML',
          reply_markup: keyboard,
          disable_notification: true,
        },
        { encoding },
      );
      assert.equal(answer.status, 200, `${encoding}: ${answer.description}`);
    }
    assert.deepEqual(
      fake.messages(USER).map((m) => [m.text, m.html, m.replyMarkup, m.disableNotification]),
      ['json', 'form', 'multipart', 'query'].map((e) => [
        `via ${e}`,
        `<b>via ${e}</b>`,
        keyboard,
        true,
      ]),
    );
  });

  it('numbers messages per chat, shared with the messages users send', async (t) => {
    const fake = await start(t);
    const first = await sendText(fake, USER, 'one');
    const { messageId } = fake.sendUserMessage({ chatId: USER, text: 'hello' });
    const second = await sendText(fake, USER, 'two');
    const elsewhere = await sendText(fake, GROUP, 'group');
    assert.deepEqual(
      [first.message_id, messageId, second.message_id, elsewhere.message_id],
      [1, 2, 3, 1],
    );
    assert.deepEqual(first.from, {
      id: 123456789,
      is_bot: true,
      first_name: 'PushBot Test',
      username: 'pushbot_test_bot',
    });
    assert.equal(elsewhere.chat.type, 'supergroup');
  });
});

describe('fake Telegram Bot API: updates and long polling', () => {
  it('returns a held getUpdates as soon as an update arrives', async (t) => {
    const fake = await start(t);
    const began = Date.now();
    const poll = api(fake, 'getUpdates', { timeout: 10 });
    await fake.waitFor(() => fake.pollPending);
    fake.sendUserMessage({ chatId: USER, text: 'hi' });
    const answer = await poll;
    const updates = updatesSchema.parse(answer.result);
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.message?.text, 'hi');
    assert.ok(Date.now() - began < 2000, 'the poll waited for its timeout instead');
  });

  it('answers an empty list when the timeout passes without updates', async (t) => {
    const fake = await start(t);
    const began = Date.now();
    const answer = await api(fake, 'getUpdates', { timeout: 1 });
    const elapsed = Date.now() - began;
    assert.deepEqual(answer.result, []);
    assert.ok(elapsed >= 900 && elapsed < 3000, `held ${elapsed} ms for a 1 s timeout`);
  });

  it('returns at once without a timeout, and repeats updates until an offset confirms them', async (t) => {
    const fake = await start(t);
    const a = fake.sendUserMessage({ chatId: USER, text: 'a' });
    const b = fake.sendUserMessage({ chatId: USER, text: 'b' });
    const ids = async (params: Record<string, unknown>) =>
      updatesSchema.parse((await api(fake, 'getUpdates', params)).result).map((u) => u.update_id);
    assert.deepEqual(await ids({}), [a.updateId, b.updateId]);
    assert.deepEqual(await ids({}), [a.updateId, b.updateId], 'unconfirmed updates come again');
    assert.deepEqual(await ids({ offset: a.updateId + 1 }), [b.updateId]);
    assert.deepEqual(await ids({ offset: b.updateId + 1 }), []);
    assert.deepEqual(fake.pendingUpdates(), []);
  });

  it('honours limit and allowed_updates', async (t) => {
    const fake = await start(t);
    fake.sendUserMessage({ chatId: USER, text: 'a' });
    fake.sendUserMessage({ chatId: USER, text: 'b' });
    const sent = await sendText(fake, USER, 'with button', {
      reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'x:1' }]] },
    });
    fake.pressButton({ chatId: USER, messageId: sent.message_id, data: 'x:1' });
    const limited = updatesSchema.parse((await api(fake, 'getUpdates', { limit: 1 })).result);
    assert.equal(limited.length, 1);
    const onlyCallbacks = updatesSchema.parse(
      (await api(fake, 'getUpdates', { allowed_updates: ['callback_query'] })).result,
    );
    assert.deepEqual(
      onlyCallbacks.map((u) => u.callback_query?.data),
      ['x:1'],
    );
  });

  it('terminates the older of two concurrent polls with 409 Conflict', async (t) => {
    const fake = await start(t);
    const first = api(fake, 'getUpdates', { timeout: 10 });
    await fake.waitFor(() => fake.pollPending);
    const second = api(fake, 'getUpdates', { timeout: 10 });
    const conflict = await first;
    assert.equal(conflict.status, 409);
    assert.match(conflict.description ?? '', /^Conflict: terminated by other getUpdates request/);
    await fake.waitFor(() => fake.pollPending);
    fake.sendUserMessage({ chatId: USER, text: 'for the survivor' });
    const survivor = updatesSchema.parse((await second).result);
    assert.equal(survivor[0]?.message?.text, 'for the survivor');
  });

  it('forgets a poll whose client went away', async (t) => {
    const fake = await start(t);
    const controller = new AbortController();
    const poll = api(fake, 'getUpdates', { timeout: 10 }, { signal: controller.signal });
    await fake.waitFor(() => fake.pollPending);
    controller.abort();
    await assert.rejects(poll);
    await fake.waitFor(() => !fake.pollPending);
    await fake.waitFor(() => fake.callsTo('getUpdates').some((c) => c.status === 499));
  });

  it('answers getUpdates 409 while a webhook is set, until deleteWebhook', async (t) => {
    const fake = await start(t);
    fake.setWebhookActive('https://example.invalid/hook');
    assert.equal((await api(fake, 'getUpdates')).status, 409);
    assert.equal((await api(fake, 'deleteWebhook')).status, 200);
    assert.equal((await api(fake, 'getUpdates')).status, 200);
  });

  it('marks a leading /command as a bot_command entity, @username included', async (t) => {
    const fake = await start(t);
    fake.sendUserMessage({ chatId: USER, text: '/follow 01234567' });
    fake.sendUserMessage({
      chatId: GROUP,
      text: '/follow@pushbot_test_bot 01234567',
      fromId: 77,
      chatTitle: 'Ops',
    });
    fake.sendUserMessage({ chatId: USER, text: 'no command here' });
    const [privateMsg, groupMsg, plain] = updatesSchema
      .parse((await api(fake, 'getUpdates')).result)
      .map((u) => u.message);
    assert.deepEqual(privateMsg?.entities, [{ type: 'bot_command', offset: 0, length: 7 }]);
    assert.equal(privateMsg?.from?.id, USER, 'a private chat id is the user id');
    assert.deepEqual(groupMsg?.entities, [{ type: 'bot_command', offset: 0, length: 24 }]);
    assert.deepEqual(groupMsg?.chat, { id: GROUP, type: 'supergroup', title: 'Ops' });
    assert.equal(groupMsg?.from?.id, 77);
    assert.equal(plain?.entities, undefined);
  });

  it('closes promptly while a poll is held', async (t) => {
    const fake = await startFakeTelegram({ token: TOKEN });
    t.after(() => fake.close());
    const poll = api(fake, 'getUpdates', { timeout: 30 }).catch((error: unknown) => error);
    await fake.waitFor(() => fake.pollPending);
    const began = Date.now();
    await fake.close();
    await poll;
    assert.ok(Date.now() - began < 1000);
  });
});

describe('fake Telegram Bot API: sendMessage validation', () => {
  it("rejects HTML Telegram cannot parse with 400 can't parse entities", async (t) => {
    const fake = await start(t);
    const cases: [string, string][] = [
      [
        '<b>unclosed',
        `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`,
      ],
      [
        'hello <div>x</div>',
        `Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 6`,
      ],
      ['a & b', `Bad Request: can't parse entities: Unsupported entity "&" at byte offset 2`],
    ];
    for (const [text, description] of cases) {
      const answer = await api(fake, 'sendMessage', { chat_id: USER, text, parse_mode: 'HTML' });
      assert.deepEqual([answer.status, answer.description], [400, description]);
    }
    assert.equal(fake.messages().length, 0, 'refused messages are not recorded as sent');
    assert.equal(fake.callsTo('sendMessage').length, 3, 'but every call is');
  });

  it('counts the 4096 limit on the rendered text, not on the HTML', async (t) => {
    const fake = await start(t);
    const fits = await api(fake, 'sendMessage', {
      chat_id: USER,
      text: '&amp;'.repeat(4096),
      parse_mode: 'HTML',
    });
    assert.equal(fits.status, 200);
    assert.equal(fake.messages(USER)[0]?.text.length, 4096);
    const tooLong = await api(fake, 'sendMessage', { chat_id: USER, text: 'x'.repeat(4097) });
    assert.deepEqual(
      [tooLong.status, tooLong.description],
      [400, 'Bad Request: message is too long'],
    );
  });

  it('rejects empty and whitespace-only text', async (t) => {
    const fake = await start(t);
    for (const text of ['', '   \n', '<b> </b>']) {
      const answer = await api(fake, 'sendMessage', { chat_id: USER, text, parse_mode: 'HTML' });
      assert.deepEqual(
        [answer.status, answer.description],
        [400, 'Bad Request: message text is empty'],
      );
    }
  });

  it('rejects callback data over 64 bytes or empty, and accepts exactly 64', async (t) => {
    const fake = await start(t);
    const send = (button: Record<string, unknown>) =>
      api(fake, 'sendMessage', {
        chat_id: USER,
        text: 'pick',
        reply_markup: { inline_keyboard: [[{ text: 'b', ...button }]] },
      });
    for (const data of ['é'.repeat(33), '']) {
      const answer = await send({ callback_data: data });
      assert.deepEqual(
        [answer.status, answer.description],
        [400, 'Bad Request: BUTTON_DATA_INVALID'],
      );
    }
    assert.equal((await send({ callback_data: 'x'.repeat(64) })).status, 200);
  });

  it('rejects button URLs that are not http(s) or tg', async (t) => {
    const fake = await start(t);
    for (const url of ['javascript:alert(1)', 'not a url', 'ftp://example.com/']) {
      const answer = await api(fake, 'sendMessage', {
        chat_id: USER,
        text: 'open',
        reply_markup: { inline_keyboard: [[{ text: 'Open', url }]] },
      });
      assert.deepEqual(
        [answer.status, answer.description],
        [400, 'Bad Request: wrong HTTP URL'],
        url,
      );
    }
    const ok = await api(fake, 'sendMessage', {
      chat_id: USER,
      text: 'open',
      reply_markup: {
        inline_keyboard: [
          [{ text: 'Open', url: 'https://access.redhat.com/support/cases/#/case/01234567' }],
        ],
      },
    });
    assert.equal(ok.status, 200);
  });

  it('records the options a notification is sent with', async (t) => {
    const fake = await start(t);
    await sendText(fake, USER, '<i>quiet</i>', {
      parse_mode: 'HTML',
      disable_notification: true,
      link_preview_options: { is_disabled: true },
    });
    const [sent] = fake.messages(USER);
    assert.equal(sent?.text, 'quiet');
    assert.equal(sent?.html, '<i>quiet</i>');
    assert.equal(sent?.parseMode, 'HTML');
    assert.equal(sent?.disableNotification, true);
    assert.equal(sent?.silent, true);
    assert.equal(sent?.threadId, undefined, 'a private chat has no topics');
    assert.equal(sent?.linkPreviewDisabled, true);
    assert.ok(Math.abs((sent?.date ?? 0) - Date.now() / 1000) < 5);
  });
});

describe('fake Telegram Bot API: messages, buttons and chats', () => {
  it('deletes a message once, and only in its own chat', async (t) => {
    const fake = await start(t);
    const sent = await sendText(fake, USER, 'bye');
    const wrongChat = await api(fake, 'deleteMessage', {
      chat_id: USER + 1,
      message_id: sent.message_id,
    });
    assert.deepEqual(
      [wrongChat.status, wrongChat.description],
      [400, 'Bad Request: message to delete not found'],
    );
    assert.equal(
      (await api(fake, 'deleteMessage', { chat_id: USER, message_id: sent.message_id })).status,
      200,
    );
    const again = await api(fake, 'deleteMessage', { chat_id: USER, message_id: sent.message_id });
    assert.deepEqual(
      [again.status, again.description],
      [400, 'Bad Request: message to delete not found'],
    );
    assert.deepEqual(fake.deleted, [{ chatId: USER, messageId: sent.message_id }]);
    assert.equal(fake.messages(USER)[0]?.deleted, true);
  });

  it("deletes a user's message in a private chat, but in a group only as an admin", async (t) => {
    const fake = await start(t);
    const privateMsg = fake.sendUserMessage({ chatId: USER, text: 'my token is 123' });
    assert.equal(
      (await api(fake, 'deleteMessage', { chat_id: USER, message_id: privateMsg.messageId }))
        .status,
      200,
    );
    const groupMsg = fake.sendUserMessage({ chatId: GROUP, text: 'my token is 456', fromId: 77 });
    const refused = await api(fake, 'deleteMessage', {
      chat_id: GROUP,
      message_id: groupMsg.messageId,
    });
    assert.deepEqual(
      [refused.status, refused.description],
      [400, "Bad Request: message can't be deleted"],
    );
    fake.setChatAdmins(GROUP, [fake.botId]);
    assert.equal(
      (await api(fake, 'deleteMessage', { chat_id: GROUP, message_id: groupMsg.messageId })).status,
      200,
    );
  });

  it('edits a message in place and refuses an edit that changes nothing', async (t) => {
    const fake = await start(t);
    const keyboard = { inline_keyboard: [[{ text: 'Latest', callback_data: 'latest:1' }]] };
    const sent = await sendText(fake, USER, 'v1', { reply_markup: keyboard });
    const edit = (params: Record<string, unknown>) =>
      api(fake, 'editMessageText', { chat_id: USER, message_id: sent.message_id, ...params });
    assert.equal(
      (await edit({ text: '<b>v2</b>', parse_mode: 'HTML', reply_markup: keyboard })).status,
      200,
    );
    const same = await edit({ text: '<b>v2</b>', parse_mode: 'HTML', reply_markup: keyboard });
    assert.equal(same.status, 400);
    assert.match(same.description ?? '', /^Bad Request: message is not modified/);
    assert.equal((await edit({ text: 'v3' })).status, 200);
    const [message] = fake.messages(USER);
    assert.equal(message?.text, 'v3');
    assert.equal(
      message?.replyMarkup,
      undefined,
      'an edit without reply_markup drops the keyboard',
    );
    const missing = await api(fake, 'editMessageText', {
      chat_id: USER,
      message_id: 999,
      text: 'x',
    });
    assert.equal(missing.description, 'Bad Request: message to edit not found');
    const markup = await api(fake, 'editMessageReplyMarkup', {
      chat_id: USER,
      message_id: sent.message_id,
      reply_markup: keyboard,
    });
    assert.equal(markup.status, 200);
    assert.deepEqual(fake.messages(USER)[0]?.replyMarkup, keyboard);
  });

  it('delivers a button press and accepts exactly one answer to it', async (t) => {
    const fake = await start(t);
    const sent = await sendText(fake, USER, 'pick', {
      reply_markup: { inline_keyboard: [[{ text: 'Latest', callback_data: 'latest:01234567' }]] },
    });
    const { callbackQueryId } = fake.pressButton({
      chatId: USER,
      messageId: sent.message_id,
      data: 'latest:01234567',
    });
    const [update] = updatesSchema.parse((await api(fake, 'getUpdates')).result);
    assert.equal(update?.callback_query?.id, callbackQueryId);
    assert.equal(update?.callback_query?.message.text, 'pick');
    assert.deepEqual(fake.unansweredCallbacks(), [callbackQueryId]);
    const first = await api(fake, 'answerCallbackQuery', {
      callback_query_id: callbackQueryId,
      text: 'Done',
    });
    assert.equal(first.status, 200);
    const second = await api(fake, 'answerCallbackQuery', { callback_query_id: callbackQueryId });
    assert.deepEqual(
      [second.status, second.description],
      [400, 'Bad Request: query is too old and response timeout expired or query ID is invalid'],
    );
    const unknown = await api(fake, 'answerCallbackQuery', { callback_query_id: 'nope' });
    assert.equal(unknown.status, 400);
    assert.deepEqual(fake.callbackAnswers, [{ id: callbackQueryId, text: 'Done' }]);
    assert.deepEqual(fake.unansweredCallbacks(), []);
  });

  it('answers getChatMember from the admin model the test sets', async (t) => {
    const fake = await start(t);
    fake.setChatAdmins(GROUP, [77], { creatorId: 78 });
    const status = async (userId: number) =>
      z
        .object({ status: z.string() })
        .loose()
        .parse((await api(fake, 'getChatMember', { chat_id: GROUP, user_id: userId })).result)
        .status;
    assert.deepEqual(
      [await status(77), await status(78), await status(79)],
      ['administrator', 'creator', 'member'],
    );
  });

  it('validates setMyCommands like Telegram and serves them back', async (t) => {
    const fake = await start(t);
    const commands = [
      { command: 'follow', description: 'Follow a case' },
      { command: 'latest_comment', description: 'Show the latest comment' },
    ];
    assert.equal((await api(fake, 'setMyCommands', { commands })).status, 200);
    assert.deepEqual((await api(fake, 'getMyCommands')).result, commands);
    assert.deepEqual(fake.commands, commands);
    const bad = [
      [{ command: 'Follow', description: 'caps' }],
      [{ command: 'x'.repeat(33), description: 'long name' }],
      [{ command: 'follow', description: '' }],
      [{ command: 'follow', description: 'd'.repeat(257) }],
      Array.from({ length: 101 }, (_, i) => ({ command: `c${i}`, description: 'd' })),
    ];
    for (const list of bad)
      assert.equal((await api(fake, 'setMyCommands', { commands: list })).status, 400);
    assert.deepEqual(fake.commands, commands, 'a refused list changes nothing');
  });

  it('serves getChat, sendChatAction and leaveChat', async (t) => {
    const fake = await start(t);
    fake.sendUserMessage({ chatId: GROUP, text: 'hi', chatTitle: 'Ops' });
    assert.deepEqual((await api(fake, 'getChat', { chat_id: GROUP })).result, {
      id: GROUP,
      type: 'supergroup',
      title: 'Ops',
    });
    assert.equal(
      (await api(fake, 'sendChatAction', { chat_id: GROUP, action: 'typing' })).status,
      200,
    );
    assert.equal(
      (await api(fake, 'sendChatAction', { chat_id: GROUP, action: 'dancing' })).status,
      400,
    );
    assert.equal((await api(fake, 'leaveChat', { chat_id: GROUP })).status, 200);
    assert.equal(fake.hasLeft(GROUP), true);
    const after = await api(fake, 'sendMessage', { chat_id: GROUP, text: 'still here?' });
    assert.deepEqual(
      [after.status, after.description],
      [403, 'Forbidden: bot is not a member of the supergroup chat'],
    );
  });
});

describe('fake Telegram Bot API: fault injection', () => {
  it('fails the next call with 429 and retry_after, then recovers', async (t) => {
    const fake = await start(t);
    fake.failNext({
      method: 'sendMessage',
      errorCode: 429,
      description: 'Too Many Requests: retry after 3',
      retryAfter: 3,
    });
    const limited = await api(fake, 'sendMessage', { chat_id: USER, text: 'x' });
    assert.deepEqual(limited, {
      status: 429,
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    });
    assert.equal((await api(fake, 'sendMessage', { chat_id: USER, text: 'x' })).status, 200);
  });

  it('limits a fault to one chat and to a number of calls', async (t) => {
    const fake = await start(t);
    fake.failNext({
      method: 'sendMessage',
      chatId: GROUP,
      times: 2,
      errorCode: 500,
      description: 'Internal Server Error',
    });
    assert.equal((await api(fake, 'sendMessage', { chat_id: USER, text: 'x' })).status, 200);
    assert.equal((await api(fake, 'sendMessage', { chat_id: GROUP, text: 'x' })).status, 500);
    assert.equal((await api(fake, 'sendMessage', { chat_id: GROUP, text: 'x' })).status, 500);
    assert.equal((await api(fake, 'sendMessage', { chat_id: GROUP, text: 'x' })).status, 200);
  });

  it('answers 403 for a chat that blocked the bot until it is unblocked', async (t) => {
    const fake = await start(t);
    fake.blockChat(USER);
    const blocked = await api(fake, 'sendMessage', { chat_id: USER, text: 'x' });
    assert.deepEqual(
      [blocked.status, blocked.description],
      [403, 'Forbidden: bot was blocked by the user'],
    );
    fake.unblockChat(USER);
    assert.equal((await api(fake, 'sendMessage', { chat_id: USER, text: 'x' })).status, 200);
  });

  it('queues my_chat_member and blocks the private chat when the user blocks the bot', async (t) => {
    const fake = await start(t);
    fake.myChatMember({ chatId: USER, status: 'kicked' });
    const [update] = z
      .array(
        z.looseObject({
          my_chat_member: z.looseObject({ new_chat_member: z.looseObject({ status: z.string() }) }),
        }),
      )
      .parse((await api(fake, 'getUpdates')).result);
    assert.equal(update?.my_chat_member.new_chat_member.status, 'kicked');
    assert.equal((await api(fake, 'sendMessage', { chat_id: USER, text: 'x' })).status, 403);
  });

  it('answers 400 with migrate_to_chat_id for a group that became a supergroup', async (t) => {
    const fake = await start(t);
    fake.migrateChat(-4242, -1004242);
    const old = await api(fake, 'sendMessage', { chat_id: -4242, text: 'x' });
    assert.deepEqual(old, {
      status: 400,
      ok: false,
      error_code: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: -1004242 },
    });
    assert.equal((await api(fake, 'sendMessage', { chat_id: -1004242, text: 'x' })).status, 200);
  });

  it('delays an answer on request', async (t) => {
    const fake = await start(t);
    fake.delayNext('getMe', 300);
    const began = Date.now();
    assert.equal((await api(fake, 'getMe')).status, 200);
    assert.ok(Date.now() - began >= 280, 'the answer came early');
    const fast = Date.now();
    await api(fake, 'getMe');
    assert.ok(Date.now() - fast < 280, 'the delay applied twice');
  });

  it('rate-limits a method per chat with 429 and a retry_after', async (t) => {
    const fake = await start(t);
    fake.rateLimit({ max: 2, windowMs: 60_000 });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await api(fake, 'sendMessage', { chat_id: USER, text: 'x' })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const limited = await api(fake, 'sendMessage', { chat_id: USER, text: 'x' });
    assert.ok((limited.parameters?.retry_after ?? 0) >= 1);
    assert.equal(
      (await api(fake, 'sendMessage', { chat_id: GROUP, text: 'x' })).status,
      200,
      'other chats have their own budget',
    );
  });
});

describe('fake Telegram Bot API: waitFor', () => {
  it('resolves with the first value the condition returns', async (t) => {
    const fake = await start(t);
    setTimeout(() => fake.sendUserMessage({ chatId: USER, text: 'later' }), 50);
    const update = await fake.waitFor(() => fake.pendingUpdates()[0]);
    assert.equal(update.update_id, 100);
  });

  it('rejects with a clear message on timeout', async (t) => {
    const fake = await start(t);
    await assert.rejects(
      fake.waitFor(() => false, 100),
      /condition not met within 100 ms/,
    );
  });
});

describe('fake Telegram Bot API: telegraf talks to it', () => {
  it('sends through telegraf and surfaces a 429 as a TelegramError with retry_after', async (t) => {
    const fake = await start(t);
    const telegram = new Telegram(fake.token, { apiRoot: fake.apiRoot });
    const sent = await telegram.sendMessage(USER, '<b>Case 01234567</b> &amp; more', {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      reply_markup: {
        inline_keyboard: [[{ text: 'Latest comment', callback_data: 'latest:01234567' }]],
      },
    });
    assert.equal(sent.text, 'Case 01234567 & more');
    assert.equal(fake.messages(USER)[0]?.linkPreviewDisabled, true);

    fake.failNext({
      method: 'sendMessage',
      errorCode: 429,
      description: 'Too Many Requests: retry after 7',
      retryAfter: 7,
    });
    const error = await telegram.sendMessage(USER, 'again').then(
      () => assert.fail('expected a 429'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TelegramError);
    assert.equal(error.code, 429);
    assert.equal(error.parameters?.retry_after, 7);
  });

  it('runs a telegraf bot: long polling, commands with @username, and callback answers', async (t) => {
    const fake = await start(t);
    const bot = new Telegraf(fake.token, { telegram: { apiRoot: fake.apiRoot } });
    bot.command('ping', (ctx) => ctx.reply(`pong ${ctx.payload}`));
    bot.action(/^latest:(\d+)$/, (ctx) => ctx.answerCbQuery(`latest ${ctx.match[1]}`));
    const handlerErrors: unknown[] = [];
    bot.catch((error) => {
      handlerErrors.push(error);
    });
    const running = bot.launch();
    await fake.waitFor(() => fake.pollPending);

    fake.sendUserMessage({ chatId: USER, text: '/ping one' });
    fake.sendUserMessage({ chatId: GROUP, text: '/ping@pushbot_test_bot two', fromId: 77 });
    fake.sendUserMessage({ chatId: GROUP, text: '/ping@another_bot three', fromId: 77 });
    await fake.waitFor(() => fake.messages().length >= 2);
    const sent = await telegram(fake).sendMessage(USER, 'pick', {
      reply_markup: { inline_keyboard: [[{ text: 'Latest', callback_data: 'latest:42' }]] },
    });
    fake.pressButton({ chatId: USER, messageId: sent.message_id, data: 'latest:42' });
    await fake.waitFor(() => fake.callbackAnswers.length === 1);

    bot.stop('test over');
    await running;
    assert.deepEqual(
      fake.messages().map((m) => [m.chatId, m.text]),
      [
        [USER, 'pong one'],
        [GROUP, 'pong two'],
        [USER, 'pick'],
      ],
    );
    assert.deepEqual(fake.callbackAnswers, [
      { id: fake.callbackAnswers[0]?.id, text: 'latest 42' },
    ]);
    assert.deepEqual(fake.pendingUpdates(), [], 'telegraf confirmed every update on stop');
    assert.deepEqual(handlerErrors, []);
  });
});

function telegram(fake: FakeTelegram): Telegram {
  return new Telegram(fake.token, { apiRoot: fake.apiRoot });
}
