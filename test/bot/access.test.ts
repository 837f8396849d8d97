import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ADMIN,
  GROUP,
  OFFLINE_TOKEN,
  OTHER_USER,
  USER,
  assertClean,
  startHarness,
} from './harness.js';

describe('the allowlist (telegram.allowedChatIds)', () => {
  it('refuses another chat once, politely, with its chat id, and stores nothing', async (t) => {
    const h = await startHarness(t, { allowedChatIds: [USER] });
    await h.say(OTHER_USER, '/start', { firstName: 'Mallory' });
    const refusal = h.sent(OTHER_USER);
    assert.equal(refusal.length, 1);
    assert.match(refusal[0]?.text ?? '', /this bot is private/);
    assert.match(refusal[0]?.text ?? '', new RegExp(String(OTHER_USER)));

    await h.say(OTHER_USER, '/setup');
    await h.say(OTHER_USER, '/notify both');
    await h.say(OTHER_USER, '/add 01234567');
    assert.equal(h.sent(OTHER_USER).length, 1, 'one refusal per process run');
    assert.deepEqual(h.store.read().chats, {});
    assert.equal(h.portal.count(), 0);
    // The log knows the id, nothing else about the chat.
    const lines = h.logLines.filter((l) => l.includes(String(OTHER_USER)));
    assert.equal(lines.length, 1);
    assert.ok(!h.logLines.some((l) => l.includes('Mallory')));
    assertClean(h);
  });

  it('answers button presses from other chats', async (t) => {
    const h = await startHarness(t, { allowedChatIds: [USER] });
    const { callbackQueryId } = await h.press(OTHER_USER, 1, 'forget:yes');
    assert.equal(
      h.fake.callbackAnswers.find((a) => a.id === callbackQueryId)?.text,
      'This bot is private.',
    );
    assertClean(h);
  });

  it('serves the chats on the list', async (t) => {
    const h = await startHarness(t, { allowedChatIds: [USER] });
    await h.say(USER, '/start');
    assert.match(h.lastText(USER), /Hi!/);
  });

  it('lets an admin set up an allowed group from a private chat that is not on the list', async (t) => {
    const h = await startHarness(t, { allowedChatIds: [GROUP] });
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(ADMIN, `/start setup-n${Math.abs(GROUP)}`);
    await h.say(ADMIN, OFFLINE_TOKEN);
    assert.match(h.lastText(ADMIN), /is connected to Red Hat/);
    assert.ok(h.store.read().chats[String(GROUP)]?.credentialId);
    assert.equal(h.store.read().chats[String(ADMIN)], undefined);
    // Anything else from that private chat is still refused.
    await h.say(ADMIN, '/notify both');
    assert.match(h.lastText(ADMIN), /this bot is private/);
    assertClean(h);
  });

  it('does not open the wizard for a group that is not on the list', async (t) => {
    const h = await startHarness(t, { allowedChatIds: [USER] });
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    await h.say(ADMIN, `/start setup-n${Math.abs(GROUP)}`);
    assert.match(h.lastText(ADMIN), /this bot is private/);
    await h.say(ADMIN, OFFLINE_TOKEN);
    assert.equal(h.portal.count(), 0);
  });

  it('does not store a credential for a group off the list, even from an allowed private chat', async (t) => {
    const h = await startHarness(t, { allowedChatIds: [ADMIN] });
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(ADMIN, `/start setup-n${Math.abs(GROUP)}`);
    assert.match(h.lastText(ADMIN), /That group may not use this bot/);
    await h.say(ADMIN, OFFLINE_TOKEN);
    assert.equal(h.portal.count('verify'), 0);
    assert.deepEqual(h.store.read().credentials, {});
  });
});
