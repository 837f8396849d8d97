import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ADMIN,
  GROUP,
  MEMBER,
  USER,
  assertClean,
  buttonsOf,
  connect,
  connectGroup,
  startHarness,
} from './harness.js';

describe('/notify', () => {
  it('defaults to Red Hat staff and offers buttons without an argument', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/notify');
    const message = h.sent(USER).at(-1);
    assert.match(message?.text ?? '', /from Red Hat staff/);
    assert.deepEqual(
      buttonsOf(message).map((b) => [b.text, b.data]),
      [
        ['✅ Red Hat', 'audience:associate'],
        ['Customer', 'audience:customer'],
        ['Both', 'audience:both'],
      ],
    );
    assert.deepEqual(h.store.read().chats, {}, 'looking stores nothing');
    assertClean(h);
  });

  it('saves the choice from a button press and answers the callback', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/notify');
    const message = h.sent(USER).at(-1);
    const { callbackQueryId } = await h.press(USER, message?.messageId ?? 0, 'audience:both');
    assert.equal(h.store.read().chats[String(USER)]?.audience, 'both');
    assert.deepEqual(h.fake.callbackAnswers.find((a) => a.id === callbackQueryId)?.text, 'Saved');
    assert.match(h.lastText(USER), /everyone \(Red Hat and customer\)/);
    assertClean(h);
  });

  it('takes the audience as an argument, also through /notification', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/notify customer');
    assert.equal(h.store.read().chats[String(USER)]?.audience, 'customer');
    await h.say(USER, '/notification both');
    assert.equal(h.store.read().chats[String(USER)]?.audience, 'both');
    await h.say(USER, '/notify everybody');
    assert.match(h.lastText(USER), /Use \/notify associate/);
    assert.equal(h.store.read().chats[String(USER)]?.audience, 'both');
    assertClean(h);
  });

  it('in a group, is for admins only (command and buttons)', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await h.say(GROUP, '/notify both', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    await h.say(GROUP, '/notify', { fromId: MEMBER });
    const message = h.sent(GROUP).at(-1);
    const { callbackQueryId } = await h.press(
      GROUP,
      message?.messageId ?? 0,
      'audience:both',
      MEMBER,
    );
    const answer = h.fake.callbackAnswers.find((a) => a.id === callbackQueryId);
    assert.match(answer?.text ?? '', /Only group admins/);
    assert.equal(answer?.showAlert, true);
    assert.equal(h.store.read().chats[String(GROUP)]?.audience, 'associate');
    await h.say(GROUP, '/notify both', { fromId: ADMIN });
    assert.equal(h.store.read().chats[String(GROUP)]?.audience, 'both');
    assertClean(h);
  });
});

describe('/length', () => {
  it('explains the current value and privacy mode without an argument', async (t) => {
    const h = await startHarness(t, { maxCommentChars: 1200 });
    await h.say(USER, '/length');
    const text = h.lastText(USER);
    assert.match(text, /1200 characters \(the default\)/);
    assert.match(text, /\/length 0 = privacy mode/);
    assertClean(h);
  });

  it('/length 0 turns on privacy mode: comments come without their text', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: '01234567' });
    h.portal.addComment('01234567', { body: 'confidential details here' });
    await h.say(USER, '/length 0');
    assert.match(h.lastText(USER), /Privacy mode/);
    assert.equal(h.store.read().chats[String(USER)]?.maxCommentChars, 0);
    await h.say(USER, '/latest 01234567');
    assert.doesNotMatch(h.lastText(USER), /confidential details/);
    assert.match(h.lastText(USER), /privacy mode/);
    assertClean(h);
  });

  it('sets a value, refuses bad ones, and goes back to the default', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/length 500');
    assert.equal(h.store.read().chats[String(USER)]?.maxCommentChars, 500);
    for (const bad of ['3501', '-1', 'ten', '1.5']) {
      await h.say(USER, `/length ${bad}`);
      assert.match(h.lastText(USER), /whole number from 0 to 3500/, bad);
    }
    assert.equal(h.store.read().chats[String(USER)]?.maxCommentChars, 500);
    await h.say(USER, '/length default');
    assert.equal(h.store.read().chats[String(USER)]?.maxCommentChars, undefined);
    assertClean(h);
  });

  it('in a group, only admins change it', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    await h.say(GROUP, '/length 100', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(h.store.read().chats[String(GROUP)], undefined);
  });
});

describe('/whoami', () => {
  it('shows the chat id and the user id for allowlists', async (t) => {
    const h = await startHarness(t);
    await h.say(GROUP, '/whoami', { fromId: MEMBER });
    const text = h.lastText(GROUP);
    assert.match(text, new RegExp(`Chat id: ${GROUP}`));
    assert.match(text, new RegExp(`Your user id: ${MEMBER}`));
    assert.match(text, /allowedChatIds/);
    assertClean(h);
  });
});

describe('/forget', () => {
  it('asks first, and "No" keeps everything', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.say(USER, '/forget');
    const question = h.sent(USER).at(-1);
    assert.match(question?.text ?? '', /Delete this chat’s Red Hat login, its 0 followed cases/);
    assert.deepEqual(
      buttonsOf(question).map((b) => b.data),
      ['forget:yes', 'forget:no'],
    );
    await h.press(USER, question?.messageId ?? 0, 'forget:no');
    assert.match(h.lastText(USER), /Nothing was deleted/);
    assert.ok(h.store.read().chats[String(USER)]);
    assertClean(h);
  });

  it('deletes the chat, its queued messages and its now unused credential', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await connect(h, USER + 1);
    h.portal.addCase({ number: '01234567' });
    await h.say(USER, '/add 01234567');
    const now = new Date(h.clock.now()).toISOString();
    await h.store.update((d) => {
      for (const chatId of [USER, USER + 1]) {
        d.outbox.push({
          id: `telegram:${chatId}:01234567:notice`,
          chatId,
          destination: 'telegram',
          kind: 'notice',
          text: 'hello',
          createdAt: now,
          attempts: 0,
        });
      }
    });
    const credentialId = h.store.read().chats[String(USER)]?.credentialId ?? '';

    await h.say(USER, '/forget');
    await h.press(USER, h.sent(USER).at(-1)?.messageId ?? 0, 'forget:yes');
    let state = h.store.read();
    assert.equal(state.chats[String(USER)], undefined);
    assert.deepEqual(
      state.outbox.map((e) => e.chatId),
      [USER + 1],
    );
    assert.ok(state.credentials[credentialId], 'still used by the other chat');
    assert.match(h.lastText(USER), /nothing about this chat is stored/);

    await h.say(USER + 1, '/forget');
    await h.press(USER + 1, h.sent(USER + 1).at(-1)?.messageId ?? 0, 'forget:yes');
    state = h.store.read();
    assert.deepEqual(state.credentials, {}, 'the last user of the credential is gone');
    assert.deepEqual(state.outbox, []);
    assertClean(h);
  });

  it('says there is nothing to forget for an unknown chat', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/forget');
    assert.match(h.lastText(USER), /Nothing is stored/);
  });

  it('in a group, only admins can confirm', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await h.say(GROUP, '/forget', { fromId: ADMIN });
    const question = h.sent(GROUP).at(-1);
    await h.press(GROUP, question?.messageId ?? 0, 'forget:yes', MEMBER);
    assert.ok(h.store.read().chats[String(GROUP)], 'a member cannot confirm');
    await h.press(GROUP, question?.messageId ?? 0, 'forget:yes', ADMIN);
    assert.equal(h.store.read().chats[String(GROUP)], undefined);
    assertClean(h);
  });
});
