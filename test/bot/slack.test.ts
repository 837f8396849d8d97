import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { commentPrint } from '../../src/comment-identity.js';
import { ENCRYPTED_PATTERN } from '../../src/secrets.js';
import { emptyState, type OutboxEntry, type State } from '../../src/store/schema.js';
import { seenIds } from '../../src/store/seen.js';
import { startFakeSlack, type FakeSlack } from '../_helpers/fake-slack.js';
import { startFeatureBot, type FeatureBot } from './_slack-status-bot.js';

const USER = 555;
const GROUP = -1001234;
const GROUP_ADMIN = 777;
const GROUP_MEMBER = 888;

function notice(chatId: number, destination: 'telegram' | 'slack', n: number): OutboxEntry {
  return {
    id: `${destination}:${chatId}:-:n${n}`,
    chatId,
    destination,
    kind: 'notice',
    text: `notice ${n}`,
    createdAt: '2026-05-04T09:00:00.000Z',
    attempts: 0,
  };
}

function comment(chatId: number, destination: 'telegram' | 'slack', id: string): OutboxEntry {
  return {
    id: `${destination}:${chatId}:01234567:${id}`,
    chatId,
    destination,
    kind: 'comment',
    case: {
      number: '01234567',
      summary: 'Latency',
      status: 'Waiting on Red Hat',
      severity: '3 (Normal)',
      product: 'RHEL',
      closed: false,
      lastModifiedAt: '2026-05-04T09:00:00Z',
    },
    comment: {
      id,
      caseNumber: '01234567',
      author: 'Jane',
      authorType: 'associate',
      body: 'text',
      createdAt: '2026-05-04T09:00:00Z',
      isPublic: true,
      isDraft: false,
    },
    createdAt: '2026-05-04T09:00:00.000Z',
    attempts: 0,
  };
}

describe('/slack', () => {
  let slack: FakeSlack;
  let h: FeatureBot;

  before(async () => {
    slack = await startFakeSlack();
  });
  after(async () => {
    await slack.close();
  });

  async function start(initial?: State): Promise<void> {
    h = await startFeatureBot({
      // The fake Slack listens on https://127.0.0.1:<port>: allowed because the list names it.
      config: { slack: { allowedWebhookHosts: ['hooks.slack.com', slack.host] } },
      ...(initial ? { initial } : {}),
      slack: { webhook: { timeoutMs: 1000 } },
    });
  }
  beforeEach(async () => {
    await start();
  });
  afterEach(async () => {
    await h.close();
  });

  function secretOf(url: string): string {
    return url.split('/').pop() ?? '';
  }

  function assertNoLeak(url: string): void {
    const state = JSON.stringify(h.store.read());
    const bot = h.tg
      .messages()
      .map((m) => `${m.text}${m.html ?? ''}`)
      .join('\n');
    const logs = h.logs.join('\n');
    for (const [where, text] of [
      ['the store', state],
      ['a bot message', bot],
      ['the log', logs],
    ] as const) {
      assert.ok(!text.includes(url), `the webhook URL is in ${where}`);
      assert.ok(!text.includes(secretOf(url)), `the webhook secret is in ${where}`);
    }
  }

  it('deletes the message, posts a test message, and stores the webhook sealed', async () => {
    const url = slack.url();
    const from = h.tg.messages(USER).length;
    const { messageId } = await h.send({ chatId: USER, text: `/slack ${url}` });

    assert.ok(
      h.tg.deleted.some((d) => d.chatId === USER && d.messageId === messageId),
      'not deleted',
    );
    assert.equal(slack.received(url).length, 1, 'no test message');
    const stored = h.store.read().chats[String(USER)]?.slack;
    assert.ok(stored, 'nothing stored');
    assert.match(stored.webhook, ENCRYPTED_PATTERN);
    assert.equal(h.secretBox.decrypt(stored.webhook), url);
    assert.equal(stored.disabledAt, undefined);
    const replies = h.repliesSince(USER, from).join('\n');
    assert.match(replies, /deleted your message/);
    assert.match(replies, /Slack is connected/);
    assertNoLeak(url);
  });

  it('refuses an address that is not an allowed webhook, stores nothing and calls nobody', async () => {
    const evil = 'https://hooks.evil.example/services/T0AAAA1/B0BBBB2/EvilSecretEvilSecret12';
    const from = h.tg.messages(USER).length;
    const requests = slack.requests.length;
    const { messageId } = await h.send({ chatId: USER, text: `/slack ${evil}` });
    assert.ok(
      h.tg.deleted.some((d) => d.messageId === messageId),
      'the message stays in the chat',
    );
    assert.equal(h.store.read().chats[String(USER)]?.slack, undefined);
    assert.equal(slack.requests.length, requests);
    const replies = h.repliesSince(USER, from).join('\n');
    assert.match(replies, /not on an allowed Slack host/);
    assertNoLeak(evil);
  });

  it('refuses a plain http webhook even on an allowed host, stores nothing and calls nobody', async () => {
    await h.close();
    h = await startFeatureBot({
      config: { slack: { allowedWebhookHosts: ['127.0.0.1', slack.host] } },
      slack: { webhook: { timeoutMs: 1000 } },
    });
    const plain = slack.url().replace('https:', 'http:');
    const from = h.tg.messages(USER).length;
    const requests = slack.requests.length;
    const { messageId } = await h.send({ chatId: USER, text: `/slack ${plain}` });
    assert.ok(
      h.tg.deleted.some((d) => d.messageId === messageId),
      'the message stays',
    );
    assert.equal(h.store.read().chats[String(USER)]?.slack, undefined);
    assert.equal(slack.requests.length, requests, 'the fake Slack was called');
    assert.match(h.repliesSince(USER, from).join('\n'), /it must start with https:\/\//);
    assertNoLeak(plain);
  });

  it('saves nothing when the test message fails, and says whether to retry or fix the webhook', async () => {
    const gone = slack.url();
    slack.remove(gone, 404, 'no_service');
    let from = h.tg.messages(USER).length;
    await h.send({ chatId: USER, text: `/slack ${gone}` });
    assert.equal(h.store.read().chats[String(USER)]?.slack, undefined);
    let replies = h.repliesSince(USER, from).join('\n');
    assert.match(replies, /removed or revoked/);
    assert.match(replies, /Nothing was saved\. Check the webhook in Slack/);

    const flaky = slack.url();
    slack.failNext({ url: flaky, status: 503, body: 'service_unavailable' });
    from = h.tg.messages(USER).length;
    await h.send({ chatId: USER, text: `/slack ${flaky}` });
    assert.equal(h.store.read().chats[String(USER)]?.slack, undefined);
    replies = h.repliesSince(USER, from).join('\n');
    assert.match(replies, /Slack had a problem \(503\)/);
    assert.match(replies, /Try again in a few minutes/);
    assertNoLeak(gone);
    assertNoLeak(flaky);
  });

  it('shows the state (off, on, paused with the reason) without ever showing the URL', async () => {
    let from = h.tg.messages(USER).length;
    await h.send({ chatId: USER, text: '/slack' });
    assert.match(h.repliesSince(USER, from).join('\n'), /Slack: off[\s\S]*incoming webhook/);

    const url = slack.url();
    await h.send({ chatId: USER, text: `/slack ${url}` });
    from = h.tg.messages(USER).length;
    await h.send({ chatId: USER, text: '/slack' });
    assert.match(h.repliesSince(USER, from).join('\n'), /Slack: on since 2026-05-04 10:00 UTC/);

    await h.store.update((d) => {
      const s = d.chats[String(USER)]?.slack;
      if (s) {
        s.disabledAt = '2026-05-04T11:00:00.000Z';
        s.disabledReason = 'Slack 410 channel_is_archived';
      }
    });
    from = h.tg.messages(USER).length;
    await h.send({ chatId: USER, text: '/slack' });
    assert.match(
      h.repliesSince(USER, from).join('\n'),
      /Slack: paused since 2026-05-04 11:00 UTC: the Slack channel of the webhook is archived/,
    );
    assertNoLeak(url);
  });

  it('a new webhook replaces a paused one', async () => {
    await h.send({ chatId: USER, text: `/slack ${slack.url()}` });
    await h.store.update((d) => {
      const s = d.chats[String(USER)]?.slack;
      if (s) s.disabledAt = '2026-05-04T11:00:00.000Z';
    });
    const fresh = slack.url();
    await h.send({ chatId: USER, text: `/slack ${fresh}` });
    const stored = h.store.read().chats[String(USER)]?.slack;
    assert.equal(stored?.disabledAt, undefined);
    assert.equal(h.secretBox.decrypt(stored?.webhook ?? ''), fresh);
  });

  it('/slack off removes the webhook and the Slack messages still queued, not the Telegram ones', async () => {
    const state = emptyState();
    state.chats[String(USER)] = {
      id: USER,
      type: 'private',
      active: true,
      audience: 'associate',
      subscriptions: {
        '01234567': {
          caseNumber: '01234567',
          addedAt: '2026-05-01T00:00:00.000Z',
          seen: [],
          summary: '',
          status: '',
          severity: '',
          product: '',
          closed: false,
        },
      },
      createdAt: '2026-05-01T00:00:00.000Z',
    };
    // c1 already reached Telegram and waits only for Slack; c2 waits for both.
    state.outbox = [
      notice(USER, 'telegram', 1),
      notice(USER, 'slack', 1),
      comment(USER, 'slack', 'c1'),
      comment(USER, 'telegram', 'c2'),
      comment(USER, 'slack', 'c2'),
      notice(99, 'slack', 3),
    ];
    await h.close();
    await start(state);
    await h.send({ chatId: USER, text: `/slack ${slack.url()}` });
    const from = h.tg.messages(USER).length;
    await h.send({ chatId: USER, text: '/slack off' });
    const after = h.store.read();
    assert.equal(after.chats[String(USER)]?.slack, undefined);
    assert.deepEqual(
      after.outbox.map((e) => e.id),
      ['telegram:555:-:n1', 'telegram:555:01234567:c2', 'slack:99:-:n3'],
    );
    // c1 counts as delivered (never enqueued again); c2 still waits for Telegram.
    const sub = after.chats[String(USER)]?.subscriptions['01234567'];
    assert.deepEqual(seenIds(sub?.seen ?? []), ['c1']);
    const c1 = comment(USER, 'slack', 'c1').comment;
    assert.ok(c1 && sub?.seen.includes(commentPrint(c1)), 'c1 is seen by its print too');
    assert.equal(sub?.seenUpTo, '2026-05-04T09:00:00.000Z');
    assert.match(h.repliesSince(USER, from).join('\n'), /Slack is off for this chat/);
  });

  it('in a group, only admins set or remove it, and the message is deleted either way', async () => {
    h.tg.setChatAdmins(GROUP, [GROUP_ADMIN, h.tg.botId]);
    const url = slack.url();
    const from = h.tg.messages(GROUP).length;
    const member = await h.send({
      chatId: GROUP,
      chatType: 'supergroup',
      chatTitle: 'Ops',
      fromId: GROUP_MEMBER,
      text: `/slack ${url}`,
    });
    assert.ok(h.tg.deleted.some((d) => d.chatId === GROUP && d.messageId === member.messageId));
    assert.equal(h.store.read().chats[String(GROUP)]?.slack, undefined);
    assert.equal(slack.received(url).length, 0, 'a non-admin triggered a test message');
    assert.match(h.repliesSince(GROUP, from).join('\n'), /Only group admins/);

    await h.send({
      chatId: GROUP,
      chatType: 'supergroup',
      chatTitle: 'Ops',
      fromId: GROUP_ADMIN,
      text: `/slack ${url}`,
    });
    assert.ok(h.store.read().chats[String(GROUP)]?.slack, 'an admin could not set it');
    assert.match(h.repliesSince(GROUP, from).join('\n'), /Group members may have seen it/);

    await h.send({
      chatId: GROUP,
      chatType: 'supergroup',
      fromId: GROUP_MEMBER,
      text: '/slack off',
    });
    assert.ok(h.store.read().chats[String(GROUP)]?.slack, 'a non-admin removed it');
    // Anyone may look at the state.
    const f2 = h.tg.messages(GROUP).length;
    await h.send({ chatId: GROUP, chatType: 'supergroup', fromId: GROUP_MEMBER, text: '/slack' });
    assert.match(h.repliesSince(GROUP, f2).join('\n'), /Slack: on/);
    assertNoLeak(url);
  });

  it('says so when it cannot delete the message in a group', async () => {
    h.tg.setChatAdmins(GROUP - 1, [GROUP_ADMIN]); // the bot is not an admin there
    const from = h.tg.messages(GROUP - 1).length;
    await h.send({
      chatId: GROUP - 1,
      chatType: 'supergroup',
      fromId: GROUP_ADMIN,
      text: `/slack ${slack.url()}`,
    });
    assert.match(
      h.repliesSince(GROUP - 1, from).join('\n'),
      /could not delete your message[\s\S]*please delete it now/,
    );
  });

  it('deletes a webhook pasted without the command and explains /slack', async () => {
    const url = slack.url();
    const from = h.tg.messages(USER).length;
    const { messageId } = await h.send({ chatId: USER, text: `here it is: ${url} thanks` });
    assert.ok(h.tg.deleted.some((d) => d.messageId === messageId));
    assert.match(h.repliesSince(USER, from).join('\n'), /send it with the command/);
    assert.equal(h.store.read().chats[String(USER)], undefined);
    assertNoLeak(url);
  });
});
