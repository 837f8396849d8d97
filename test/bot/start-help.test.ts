import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BOT_COMMANDS, createBot, registerCommands } from '../../src/bot/create-bot.js';
import { createLogger } from '../../src/logger.js';
import { createSecretScrubber } from '../../src/secrets.js';
import {
  GROUP,
  MEMBER,
  OFFLINE_TOKEN,
  USER,
  assertClean,
  connect,
  startHarness,
} from './harness.js';

describe('/start', () => {
  it('greets, says what the bot does and gives the first steps', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/start');
    const text = h.lastText(USER);
    assert.match(text, /new comments on your Red Hat support cases/);
    assert.match(text, /1\. \/setup/);
    assert.match(text, /2\. \/add 01234567/);
    assert.match(text, /\/help/);
    assert.ok(text.length < 500, 'short enough for a phone screen');
    assert.deepEqual(h.store.read().chats, {}, '/start alone stores nothing');
    assertClean(h);
  });

  it('adapts the first steps once the chat is connected', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.say(USER, '/start');
    assert.match(h.lastText(USER), /You are connected\. Now follow a case/);
  });

  it('explains the group flow in a group', async (t) => {
    const h = await startHarness(t);
    await h.say(GROUP, '/start', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /An admin sends \/setup/);
  });

  it('re-activates a chat that had blocked the bot and tells the engine', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.store.update((d) => {
      const chat = d.chats[String(USER)];
      if (chat) {
        chat.active = false;
        chat.inactiveSince = new Date(h.clock.now()).toISOString();
      }
    });
    await h.say(USER, '/start');
    assert.equal(h.store.read().chats[String(USER)]?.active, true);
    assert.equal(h.store.read().chats[String(USER)]?.inactiveSince, undefined);
    assert.equal(h.reactivations.count, 1);
    await h.say(USER, '/start');
    assert.equal(h.reactivations.count, 1, 'an active chat is not re-activated again');
  });

  it('re-activates on the unblock itself (my_chat_member)', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.store.update((d) => {
      const chat = d.chats[String(USER)];
      if (chat) chat.active = false;
    });
    const { updateId } = h.fake.myChatMember({
      chatId: USER,
      status: 'member',
      oldStatus: 'kicked',
    });
    await h.deliver(updateId);
    assert.equal(h.store.read().chats[String(USER)]?.active, true);
    assert.equal(h.reactivations.count, 1);
  });
});

describe('/help', () => {
  it('lists every command with an example', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/help');
    const text = h.lastText(USER);
    for (const c of BOT_COMMANDS) {
      assert.ok(text.includes(`/${c.command}:`), `/${c.command} is listed`);
      assert.ok(text.includes(c.example), `example for /${c.command}`);
    }
    assert.match(text, /\/notification = \/notify/);
    assertClean(h);
  });
});

describe('the command menu', () => {
  it('registers every command with setMyCommands', async (t) => {
    const h = await startHarness(t);
    assert.equal(await registerCommands(h.bot, loggerInto(h.logLines)), true);
    assert.deepEqual(
      h.fake.commands?.map((c) => c.command),
      BOT_COMMANDS.map((c) => c.command),
    );
  });

  it('logs a failure and carries on', async (t) => {
    const h = await startHarness(t);
    h.fake.failNext({
      method: 'setMyCommands',
      errorCode: 500,
      description: 'Internal Server Error',
    });
    assert.equal(await registerCommands(h.bot, loggerInto(h.logLines)), false);
    assert.ok(h.logLines.some((l) => l.includes('could not register the command menu')));
  });

  it('createBot itself makes no network call', async (t) => {
    const h = await startHarness(t);
    createBot({
      config: h.config,
      store: h.store,
      vault: h.vault,
      links: h.links,
      logger: loggerInto([]),
      clock: h.clock,
    });
    assert.deepEqual(h.fake.calls, []);
  });
});

describe('anything else', () => {
  it('points unknown commands and free text to /help in a private chat', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/frobnicate now');
    assert.match(h.lastText(USER), /I don't know \/frobnicate\. Send \/help/);
    await h.say(USER, 'hello bot');
    assert.match(h.lastText(USER), /Send \/help/);
    assertClean(h);
  });

  it('stays quiet in a group, unless a command is addressed to it by name', async (t) => {
    const h = await startHarness(t);
    await h.say(GROUP, 'hello everyone', { fromId: MEMBER });
    await h.say(GROUP, '/frobnicate', { fromId: MEMBER });
    await h.say(GROUP, '/help@some_other_bot', { fromId: MEMBER });
    assert.equal(h.sent(GROUP).length, 0);
    await h.say(GROUP, '/frobnicate@cases_test_bot', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /I don't know \/frobnicate/);
    assertClean(h);
  });

  it('deletes a token pasted outside /setup and explains', async (t) => {
    const h = await startHarness(t);
    const { messageId } = await h.say(USER, `here: ${OFFLINE_TOKEN}`);
    assert.deepEqual(h.fake.deleted, [{ chatId: USER, messageId }]);
    assert.match(h.lastText(USER), /looked like a token, so I deleted it/);
    assert.equal(h.portal.count(), 0);
    assert.ok(!h.everything().includes(OFFLINE_TOKEN));
  });
});

function loggerInto(lines: string[]) {
  return createLogger({
    level: 'debug',
    scrubber: createSecretScrubber(),
    destination: { write: (line: string) => lines.push(line) },
  });
}
