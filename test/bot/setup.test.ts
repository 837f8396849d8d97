import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INPUT_TTL_MS } from '../../src/bot/support/pending.js';
import {
  ADMIN,
  GROUP,
  MEMBER,
  OFFLINE_TOKEN,
  PASSWORD,
  USER,
  assertClean,
  buttonsOf,
  connect,
  connectGroup,
  startHarness,
} from './harness.js';

describe('/setup in a private chat', () => {
  it('explains both ways and recommends a read-only service user', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/setup');
    const text = h.lastText(USER);
    assert.match(text, /offline token/);
    assert.match(text, /username password/);
    assert.match(text, /read-only service user/);
    assert.match(text, /Case Groups/);
    assert.match(text, /\/cancel/);
    assertClean(h);
  });

  it('takes the next message as an offline token, deletes it, checks it and stores it sealed', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(USER, '/setup');
    const mark = h.fake.calls.length;
    const { messageId } = await h.say(USER, OFFLINE_TOKEN);

    assert.deepEqual(h.fake.deleted, [{ chatId: USER, messageId }]);
    // Deleted at once: the first thing the bot does with the message.
    assert.deepEqual(
      h.fake.calls.slice(mark).map((c) => c.method),
      ['deleteMessage', 'sendMessage', 'sendMessage'],
    );
    assert.match(h.sent(USER).at(-2)?.text ?? '', /deleted your message/);
    assert.equal(h.portal.count('verify'), 1);
    assert.match(h.lastText(USER), /Connected to Red Hat as token-user/);
    assert.match(h.lastText(USER), /\/add 01234567/);

    const state = h.store.read();
    const chat = state.chats[String(USER)];
    assert.ok(chat?.credentialId);
    const credential = state.credentials[chat.credentialId];
    assert.equal(credential?.kind, 'offline-token');
    assert.match(credential?.secret ?? '', /^enc:v1:/);
    assert.equal(credential?.account, 'token-user');
    assert.ok(
      !h.everything().includes(OFFLINE_TOKEN),
      'the token is in neither the store nor the log',
    );
    assert.ok(
      !h.everything().includes(OFFLINE_TOKEN.slice(0, 40)),
      'not even a prefix of the token is kept in clear',
    );
    assertClean(h);
  });

  it('accepts "username password" and shows the account', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(`svc-cases:${PASSWORD}`);
    await h.say(USER, '/setup');
    await h.say(USER, `svc-cases ${PASSWORD}`);
    assert.match(h.lastText(USER), /Connected to Red Hat as svc-cases/);
    const id = h.store.read().chats[String(USER)]?.credentialId ?? '';
    assert.equal(h.store.read().credentials[id]?.kind, 'basic');
    assert.ok(!h.everything().includes(PASSWORD));
    assertClean(h);
  });

  it('saves nothing when the portal rejects the credential, and says so', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/setup');
    const { messageId } = await h.say(USER, `someone ${PASSWORD}`);
    assert.deepEqual(h.fake.deleted, [{ chatId: USER, messageId }]);
    const text = h.lastText(USER);
    assert.match(text, /did not accept this username and password/);
    assert.doesNotMatch(text, /could not reach/i);
    assert.deepEqual(h.store.read().chats, {});
    assert.deepEqual(h.store.read().credentials, {});
    assert.ok(!h.everything().includes(PASSWORD));
    assertClean(h);
  });

  it('saves nothing when the portal is unreachable, and never blames the password', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(`someone:${PASSWORD}`);
    h.portal.fail('verify', 'transient');
    await h.say(USER, '/setup');
    await h.say(USER, `someone ${PASSWORD}`);
    const text = h.lastText(USER);
    assert.match(text, /could not reach the Red Hat portal/);
    assert.match(text, /nothing was saved/);
    assert.doesNotMatch(text, /did not accept|wrong|password/i);
    assert.deepEqual(h.store.read().credentials, {});
    assert.deepEqual(h.store.read().chats, {});
    // The log says what kind of failure, without the credential.
    assert.ok(h.logLines.some((l) => l.includes('"kind":"transient"')));
    assert.ok(!h.everything().includes(PASSWORD));
    assertClean(h);
  });

  it('explains an unexpected portal answer apart from a rejection', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    h.portal.fail('verify', 'bad-payload');
    await h.say(USER, '/setup');
    await h.say(USER, OFFLINE_TOKEN);
    assert.match(h.lastText(USER), /answer I did not understand/);
    assert.deepEqual(h.store.read().credentials, {});
  });

  it('keeps the wizard open after a failed check, so the user can retry', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    h.portal.fail('verify', 'transient');
    await h.say(USER, '/setup');
    await h.say(USER, OFFLINE_TOKEN);
    await h.say(USER, OFFLINE_TOKEN);
    assert.match(h.lastText(USER), /Connected to Red Hat/);
    assert.equal(h.fake.deleted.length, 2);
  });

  it('refuses a short single word without asking the portal', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/setup');
    await h.say(USER, 'hunter2');
    assert.match(h.lastText(USER), /not a credential I can use/);
    assert.equal(h.portal.count('verify'), 0);
    assert.equal(h.fake.deleted.length, 1);
  });

  it('expires after 10 minutes: the late message is deleted, not used', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(USER, '/setup');
    await h.clock.advance(INPUT_TTL_MS + 1000);
    const { messageId } = await h.say(USER, OFFLINE_TOKEN);
    assert.match(h.lastText(USER), /setup expired/);
    assert.match(h.lastText(USER), /\/setup to start again/);
    assert.deepEqual(h.fake.deleted, [{ chatId: USER, messageId }]);
    assert.equal(h.portal.count('verify'), 0);
    assert.deepEqual(h.store.read().credentials, {});
    // The wizard is gone for good: the next text is ordinary chat.
    await h.say(USER, 'hello');
    assert.match(h.lastText(USER), /\/help/);
    assertClean(h);
  });

  it('is still open just before the 10 minutes are up', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(USER, '/setup');
    await h.clock.advance(INPUT_TTL_MS - 1000);
    await h.say(USER, OFFLINE_TOKEN);
    assert.match(h.lastText(USER), /Connected to Red Hat/);
  });

  it('/cancel leaves the wizard: the next message is not taken as a credential', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/setup');
    await h.say(USER, '/cancel');
    assert.match(h.lastText(USER), /Cancelled\. Nothing was saved/);
    await h.say(USER, 'just chatting');
    assert.match(h.lastText(USER), /Send \/help/);
    assert.equal(h.fake.deleted.length, 0);
    assert.equal(h.portal.count('verify'), 0);
    await h.say(USER, '/cancel');
    assert.match(h.lastText(USER), /Nothing to cancel/);
    assertClean(h);
  });

  it('lets other commands run during the wizard without consuming them', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(USER, '/setup');
    await h.say(USER, '/help');
    assert.match(h.lastText(USER), /Commands/);
    await h.say(USER, OFFLINE_TOKEN);
    assert.match(h.lastText(USER), /Connected to Red Hat/);
  });

  it('accepts the credential on the command line, deleting that message too', async (t) => {
    const h = await startHarness(t);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    const { messageId } = await h.say(USER, `/setup ${OFFLINE_TOKEN}`);
    assert.deepEqual(h.fake.deleted, [{ chatId: USER, messageId }]);
    assert.match(h.lastText(USER), /Connected to Red Hat/);
    assert.ok(!h.everything().includes(OFFLINE_TOKEN));
  });

  it('stores one credential record for two chats entering the same credential', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await connect(h, USER + 1);
    const state = h.store.read();
    assert.equal(Object.keys(state.credentials).length, 1);
    assert.equal(
      state.chats[String(USER)]?.credentialId,
      state.chats[String(USER + 1)]?.credentialId,
    );
  });

  it('replaces a rejected credential: the old record goes, "rejected" is cleared', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    const oldId = h.store.read().chats[String(USER)]?.credentialId ?? '';
    await h.store.update((d) => {
      const cred = d.credentials[oldId];
      if (cred) cred.rejectedAt = new Date(h.clock.now()).toISOString();
      const chat = d.chats[String(USER)];
      if (chat) chat.credentialRejectedNotifiedAt = new Date(h.clock.now()).toISOString();
    });
    await connect(h, USER, `svc ${PASSWORD}`);
    const state = h.store.read();
    const chat = state.chats[String(USER)];
    assert.notEqual(chat?.credentialId, oldId);
    assert.equal(state.credentials[oldId], undefined, 'the unused old credential is deleted');
    assert.equal(chat?.credentialRejectedNotifiedAt, undefined);
    // Entering the same credential again clears its rejection.
    const newId = chat?.credentialId ?? '';
    await h.store.update((d) => {
      const cred = d.credentials[newId];
      if (cred) cred.rejectedAt = new Date(h.clock.now()).toISOString();
    });
    await connect(h, USER, `svc ${PASSWORD}`);
    assert.equal(h.store.read().credentials[newId]?.rejectedAt, undefined);
  });
});

describe('/setup in a group', () => {
  it('answers with a button to a private chat, never asking for the secret in the group', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    await h.say(GROUP, '/setup', { fromId: ADMIN });
    const reply = h.sent(GROUP).at(-1);
    assert.match(reply?.text ?? '', /Passwords never go in a group/);
    const [button] = buttonsOf(reply);
    assert.equal(button?.url, `https://t.me/cases_test_bot?start=setup-n${Math.abs(GROUP)}`);
    assert.match(button?.url ?? '', /start=[A-Za-z0-9_-]{1,64}$/);
    assertClean(h);
  });

  it('refuses a member who is not an admin', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    await h.say(GROUP, '/setup', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(buttonsOf(h.sent(GROUP).at(-1)).length, 0);
  });

  it('stores the credential for the group through the deep link, after checking the admin', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    const state = h.store.read();
    const group = state.chats[String(GROUP)];
    assert.ok(group?.credentialId, 'the group has the credential');
    assert.equal(group.type, 'supergroup');
    assert.equal(state.chats[String(ADMIN)], undefined, 'nothing is stored for the private chat');
    assert.ok(h.fake.callsTo('getChatMember').some((c) => c.params.chat_id === GROUP));
    // The group is told, without any secret.
    assert.match(h.lastText(GROUP), /connected this group to Red Hat/);
    assert.ok(!h.everything().includes(OFFLINE_TOKEN));
    assert.ok(!h.fake.messages().some((m) => m.text.includes(OFFLINE_TOKEN)));
    assertClean(h);
  });

  it('refuses the deep link to someone who is not an admin of the group', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    await h.say(MEMBER, `/start setup-n${Math.abs(GROUP)}`);
    assert.match(h.lastText(MEMBER), /Only admins of/);
    // No wizard started: the next message is not taken as a credential.
    await h.say(MEMBER, OFFLINE_TOKEN);
    assert.equal(h.portal.count('verify'), 0);
  });

  it('saves nothing if the person stopped being an admin during the wizard', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN]);
    h.portal.validCredentials.add(OFFLINE_TOKEN);
    await h.say(ADMIN, `/start setup-n${Math.abs(GROUP)}`);
    h.fake.setChatAdmins(GROUP, []);
    await h.say(ADMIN, OFFLINE_TOKEN);
    assert.match(h.lastText(ADMIN), /Only admins of that group/);
    assert.deepEqual(h.store.read().credentials, {});
  });

  it('deletes secrets typed in the group after /setup, with a warning', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN, h.fake.botId]);
    await h.say(GROUP, '/setup', { fromId: ADMIN });
    const pair = await h.say(GROUP, `admin ${PASSWORD}`, { fromId: ADMIN });
    assert.deepEqual(h.fake.deleted, [{ chatId: GROUP, messageId: pair.messageId }]);
    assert.match(h.lastText(GROUP), /deleted a message that looked like a password/);
    const token = await h.say(GROUP, OFFLINE_TOKEN, { fromId: MEMBER });
    assert.deepEqual(h.fake.deleted.at(-1), { chatId: GROUP, messageId: token.messageId });
    // Ordinary talk stays; two words are only suspicious as the first answer to /setup.
    const before = h.fake.deleted.length;
    await h.say(GROUP, 'thanks everyone', { fromId: ADMIN });
    await h.say(GROUP, 'see 01234567', { fromId: MEMBER });
    assert.equal(h.fake.deleted.length, before);
    assert.ok(!h.everything().includes(PASSWORD));
    assertClean(h);
  });

  it('deletes "/setup user password" typed in the group', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN, h.fake.botId]);
    const { messageId } = await h.say(GROUP, `/setup admin ${PASSWORD}`, { fromId: ADMIN });
    assert.deepEqual(h.fake.deleted, [{ chatId: GROUP, messageId }]);
    assert.equal(h.portal.count('verify'), 0);
    assert.deepEqual(h.store.read().credentials, {});
  });

  it('stops watching the group 10 minutes after /setup', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN, h.fake.botId]);
    await h.say(GROUP, '/setup', { fromId: ADMIN });
    await h.clock.advance(INPUT_TTL_MS + 1000);
    await h.say(GROUP, `admin ${PASSWORD}`, { fromId: ADMIN });
    assert.equal(h.fake.deleted.length, 0);
  });

  it('asks people to delete the secret themselves when it cannot delete it', async (t) => {
    const h = await startHarness(t);
    h.fake.setChatAdmins(GROUP, [ADMIN]); // the bot is not an admin
    await h.say(GROUP, '/setup', { fromId: ADMIN });
    await h.say(GROUP, OFFLINE_TOKEN, { fromId: ADMIN });
    assert.match(h.lastText(GROUP), /cannot delete it/);
    assert.ok(!h.logLines.some((l) => l.includes(OFFLINE_TOKEN)));
    assertClean(h, [{ method: 'deleteMessage', status: 400 }]);
  });

  it('says so when the deep link names a group the bot is not in', async (t) => {
    const h = await startHarness(t);
    h.fake.failNext({
      method: 'getChat',
      errorCode: 400,
      description: 'Bad Request: chat not found',
    });
    await h.say(ADMIN, '/start setup-n987654321');
    assert.match(h.lastText(ADMIN), /Add me to the group first/);
  });
});
