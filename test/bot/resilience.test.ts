// The bot keeps serving whatever goes wrong in one update: a failing store, a Telegram error,
// an unknown button. And it runs under real long polling, in order per chat.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StateStore } from '../../src/store/store.js';
import { OFFLINE_TOKEN, TOKEN, USER, assertClean, startHarness } from './harness.js';

/** A store whose next update() fails, as a full disk would. */
function failingOnce(): { wrap: (s: StateStore) => StateStore; arm: () => void } {
  let armed = false;
  return {
    arm: () => {
      armed = true;
    },
    wrap: (inner) => ({
      read: () => inner.read(),
      update: (fn) => {
        if (armed) {
          armed = false;
          return Promise.reject(new Error('ENOSPC: no space left on device'));
        }
        return inner.update(fn);
      },
      get writeCount() {
        return inner.writeCount;
      },
      close: () => inner.close(),
    }),
  };
}

describe('bot.catch', () => {
  it('logs a failing handler with its stack, apologises, and handles the next update', async (t) => {
    const failing = failingOnce();
    const h = await startHarness(t, { wrapStore: failing.wrap });
    failing.arm();
    await h.say(USER, '/notify both');
    assert.match(h.lastText(USER), /Something went wrong on my side/);
    const line = h.logLines.find((l) => l.includes('update handler failed'));
    assert.ok(line);
    assert.match(line, /ENOSPC/);
    assert.match(line, /"stack"/);
    await h.say(USER, '/notify both');
    assert.equal(h.store.read().chats[String(USER)]?.audience, 'both');
  });

  it('answers the callback even when its handler throws', async (t) => {
    const failing = failingOnce();
    const h = await startHarness(t, { wrapStore: failing.wrap });
    await h.say(USER, '/notify');
    failing.arm();
    const message = h.sent(USER).at(-1);
    await h.press(USER, message?.messageId ?? 0, 'audience:customer');
    assert.deepEqual(h.fake.unansweredCallbacks(), []);
    assert.match(h.lastText(USER), /Something went wrong/);
  });

  it('survives Telegram refusing to send, and never logs the bot token', async (t) => {
    const h = await startHarness(t);
    h.fake.blockChat(USER);
    await h.say(USER, '/help');
    assert.ok(h.logLines.some((l) => l.includes('update handler failed') && l.includes('403')));
    assert.ok(h.logLines.some((l) => l.includes('could not send the apology')));
    assert.ok(!h.logLines.some((l) => l.includes(TOKEN.split(':')[1] ?? TOKEN)));
    h.fake.unblockChat(USER);
    await h.say(USER, '/help');
    assert.match(h.lastText(USER), /Commands/);
  });
});

describe('callback queries', () => {
  it('answers unknown or stale buttons', async (t) => {
    const h = await startHarness(t);
    for (const data of ['nonsense', 'latest:abc', 'audience:nobody', 'remove:']) {
      await h.press(USER, 1, data);
    }
    assert.equal(h.fake.callbackAnswers.length, 4);
    assert.ok(
      h.fake.callbackAnswers.every((a) => a.text === 'This button no longer works. Send /help.'),
    );
    assertClean(h);
  });

  it('answers every press of every bot button exactly once', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(USER, '/setup');
    await h.say(USER, OFFLINE_TOKEN);
    h.portal.addCase({ number: '01234567' });
    h.portal.addComment('01234567');
    await h.say(USER, '/add 01234567');
    await h.say(USER, '/list');
    await h.say(USER, '/notify');
    await h.say(USER, '/forget');
    const buttons = h.fake
      .messages(USER)
      .flatMap((m) =>
        (m.replyMarkup?.inline_keyboard ?? [])
          .flat()
          .map((b) => ({ messageId: m.messageId, data: b.callback_data })),
      )
      .filter((b): b is { messageId: number; data: string } => b.data !== undefined);
    assert.ok(buttons.length >= 8, `found ${buttons.length} buttons`);
    for (const b of buttons) await h.press(USER, b.messageId, b.data);
    assert.equal(h.fake.callbackAnswers.length, buttons.length);
    assertClean(h);
  });
});

describe('long polling', () => {
  it('serves real getUpdates polling, in order per chat, and stops cleanly', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    h.portal.addCase({ number: '01234567', summary: 'Polled case' });
    // Queued before polling starts: one getUpdates batch holds both, and the token must still
    // be read as the answer to /setup.
    h.fake.sendUserMessage({ chatId: USER, text: '/setup' });
    h.fake.sendUserMessage({ chatId: USER, text: OFFLINE_TOKEN });

    const polling = h.bot.launch({
      allowedUpdates: ['message', 'callback_query', 'my_chat_member'],
    });
    await h.fake.waitFor(() =>
      h.fake.messages(USER).some((m) => /Connected to Red Hat/.test(m.text)),
    );
    h.fake.sendUserMessage({ chatId: USER, text: '/add 01234567' });
    await h.fake.waitFor(() => h.fake.messages(USER).some((m) => /01234567 added/.test(m.text)));
    const list = h.fake.sendUserMessage({ chatId: USER, text: '/list' });
    await h.fake.waitFor(() => h.fake.messages(USER).some((m) => /1 case followed/.test(m.text)));
    const listMessage = h.fake.messages(USER).at(-1);
    assert.ok(list.updateId > 0 && listMessage);
    h.fake.pressButton({ chatId: USER, messageId: listMessage.messageId, data: 'remove:01234567' });
    await h.fake.waitFor(() => h.fake.messages(USER).some((m) => /Stopped following/.test(m.text)));

    h.bot.stop('test done');
    await polling;
    assert.ok(h.fake.callsTo('getUpdates').length >= 2);
    assert.deepEqual(h.store.read().chats[String(USER)]?.subscriptions, {});
    assertClean(h, [{ method: 'getUpdates', status: 499 }]);
  });
});
