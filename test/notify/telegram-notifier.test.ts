import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  htmlToPlainText,
  createTelegramNotifier,
  type TelegramNotifier,
} from '../../src/notify/telegram/notifier.js';
import { createLinks } from '../../src/links.js';
import type { ChatState, OutboxEntry } from '../../src/store/schema.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';
import { BOT_TOKEN, collectLogs, testConfig } from '../poller/_support.js';

const AT = '2026-03-01T12:00:00.000Z';

const kase = {
  number: '01234567',
  summary: 'Kernel panic <after> update & reboot',
  status: 'Waiting on Customer',
  severity: '2 (High)',
  product: 'RHEL',
  closed: false,
  lastModifiedAt: AT,
};

function commentEntry(
  chatId: number,
  over: Partial<NonNullable<OutboxEntry['comment']>> = {},
): OutboxEntry {
  return {
    id: `telegram:${chatId}:01234567:a0a1`,
    chatId,
    destination: 'telegram',
    kind: 'comment',
    case: kase,
    comment: {
      id: 'a0a1',
      caseNumber: '01234567',
      author: 'Engineer, Red Hat',
      authorType: 'associate',
      body: 'Please run `sosreport` and attach <output> & logs.',
      createdAt: AT,
      isPublic: true,
      isDraft: false,
      ...over,
    },
    createdAt: AT,
    attempts: 0,
  };
}

function chat(id: number, over: Partial<ChatState> = {}): ChatState {
  return {
    id,
    type: id > 0 ? 'private' : 'group',
    active: true,
    audience: 'associate',
    subscriptions: {},
    createdAt: AT,
    ...over,
  };
}

const notice = (chatId: number, text: string): OutboxEntry => ({
  id: `telegram:${chatId}:-:notice:1`,
  chatId,
  destination: 'telegram',
  kind: 'notice',
  text,
  createdAt: AT,
  attempts: 0,
});

describe('telegram notifier', () => {
  let fake: FakeTelegram;
  let notifier: TelegramNotifier;
  const logs = collectLogs();
  const links = createLinks(testConfig().portal);

  before(async () => {
    fake = await startFakeTelegram({ token: BOT_TOKEN });
    notifier = createTelegramNotifier({
      config: testConfig({ apiRoot: fake.apiRoot, maxCommentChars: 1000 }),
      links,
      logger: logs.logger,
      pacing: { privateChatMinIntervalMs: 0, groupChatMinIntervalMs: 0, globalMinIntervalMs: 0 },
    });
  });
  after(async () => {
    await notifier.close();
    await fake.close();
  });

  it('sends a comment as HTML with its buttons and no link preview', async () => {
    const outcome = await notifier.send(commentEntry(11), chat(11));
    assert.deepEqual(outcome, { kind: 'ok' });
    const [m] = fake.messages(11);
    assert.ok(m);
    assert.equal(m.parseMode, 'HTML');
    assert.equal(m.linkPreviewDisabled, true);
    assert.match(m.text, /Please run `sosreport` and attach <output> & logs\./);
    assert.match(m.text, /Kernel panic <after> update & reboot/);
    const buttons = m.replyMarkup?.inline_keyboard?.flat() ?? [];
    assert.deepEqual(
      buttons.map((b) => b.text),
      ['Latest comment', 'Open case'],
    );
    assert.equal(buttons[1]?.url, links.caseUrl('01234567'));
  });

  it("uses the chat's /length override (0 = privacy mode: no comment text)", async () => {
    await notifier.send(commentEntry(12), chat(12, { maxCommentChars: 0 }));
    const [m] = fake.messages(12);
    assert.ok(m);
    assert.doesNotMatch(m.text, /sosreport/);
    assert.match(m.text, /hidden/i);
  });

  it('sends status changes, closings and notices', async () => {
    const base = {
      chatId: 13,
      destination: 'telegram' as const,
      createdAt: AT,
      attempts: 0,
      case: kase,
    };
    assert.equal(
      (
        await notifier.send(
          { ...base, id: 's', kind: 'status', text: 'Waiting on Red Hat' },
          chat(13),
        )
      ).kind,
      'ok',
    );
    assert.equal(
      (
        await notifier.send(
          { ...base, id: 'c', kind: 'closed', case: { ...kase, closed: true } },
          chat(13),
        )
      ).kind,
      'ok',
    );
    assert.equal((await notifier.send(notice(13, '⚠️ <b>Heads up</b>'), chat(13))).kind, 'ok');
    const texts = fake.messages(13).map((m) => m.text);
    assert.match(texts[0]!, /Waiting on Red Hat → Waiting on Customer/);
    assert.match(texts[1]!, /closed\. You no longer follow it/);
    assert.equal(texts[2], '⚠️ Heads up');
  });

  it('turns a 429 into a retry after retry_after', async () => {
    fake.failNext({
      method: 'sendMessage',
      chatId: 14,
      errorCode: 429,
      description: 'Too Many Requests: retry after 7',
      retryAfter: 7,
    });
    const outcome = await notifier.send(commentEntry(14), chat(14));
    assert.equal(outcome.kind, 'retry');
    assert.equal(outcome.kind === 'retry' && outcome.retryAfterMs, 7000);
    assert.equal(fake.messages(14).length, 0);
  });

  it('turns a 5xx into a retry with backoff', async () => {
    fake.failNext({
      method: 'sendMessage',
      chatId: 15,
      errorCode: 502,
      description: 'Bad Gateway',
    });
    const outcome = await notifier.send(commentEntry(15), chat(15));
    assert.equal(outcome.kind, 'retry');
    assert.equal(outcome.kind === 'retry' && outcome.retryAfterMs, undefined);
  });

  it('reports a blocked bot, a kicked bot and a vanished chat as blocked', async () => {
    fake.blockChat(16);
    assert.equal((await notifier.send(commentEntry(16), chat(16))).kind, 'blocked');
    fake.kickFromChat(-17);
    assert.equal((await notifier.send(commentEntry(-17), chat(-17))).kind, 'blocked');
    fake.failNext({
      method: 'sendMessage',
      chatId: 18,
      errorCode: 400,
      description: 'Bad Request: chat not found',
    });
    assert.equal((await notifier.send(commentEntry(18), chat(18))).kind, 'blocked');
  });

  it('reports a group upgraded to a supergroup with its new id', async () => {
    fake.migrateChat(-19, -1001919);
    const outcome = await notifier.send(commentEntry(-19), chat(-19));
    assert.deepEqual(outcome, { kind: 'migrated', newChatId: -1001919 });
  });

  it('rejects a message Telegram refuses for good, with the reason', async () => {
    fake.failNext({
      method: 'sendMessage',
      chatId: 20,
      errorCode: 400,
      description: 'Bad Request: message is too long',
    });
    const outcome = await notifier.send(commentEntry(20), chat(20));
    assert.deepEqual(outcome, {
      kind: 'rejected',
      reason: 'Telegram 400: Bad Request: message is too long',
    });
  });

  it('sends a message Telegram cannot parse again as plain text, once', async () => {
    // A notice with broken HTML: the fake refuses it like Telegram does.
    const outcome = await notifier.send(notice(21, 'a < b && <b>bold</b> &amp; more'), chat(21));
    assert.deepEqual(outcome, { kind: 'ok' });
    const calls = fake.callsTo('sendMessage').filter((c) => c.params.chat_id === 21);
    assert.deepEqual(
      calls.map((c) => [c.status, c.params.parse_mode]),
      [
        [400, 'HTML'],
        [200, undefined],
      ],
    );
    assert.equal(fake.messages(21)[0]?.text, 'a < b && bold & more');
    assert.equal(logs.count(/could not parse the HTML/), 1);
  });

  it('counts a message refused as HTML and as plain text as rejected', async () => {
    fake.failNext({
      method: 'sendMessage',
      chatId: 22,
      times: 2,
      errorCode: 400,
      description: "Bad Request: can't parse entities: oops",
    });
    const outcome = await notifier.send(commentEntry(22), chat(22));
    assert.equal(outcome.kind, 'rejected');
    assert.equal(fake.callsTo('sendMessage').filter((c) => c.params.chat_id === 22).length, 2);
  });

  it('turns a send that takes too long into a retry', async () => {
    const slow = createTelegramNotifier({
      config: testConfig({ apiRoot: fake.apiRoot }),
      links,
      logger: logs.logger,
      pacing: { privateChatMinIntervalMs: 0, groupChatMinIntervalMs: 0, globalMinIntervalMs: 0 },
      sendTimeoutMs: 100,
    });
    after(() => slow.close());
    fake.delayNext('sendMessage', 1000);
    const outcome = await slow.send(commentEntry(23), chat(23));
    assert.equal(outcome.kind, 'retry');
    assert.match(outcome.kind === 'retry' ? outcome.reason : '', /abort/i);
  });

  it('turns a network failure into a retry, without the bot token in the reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = createTelegramNotifier({
      config: testConfig({ apiRoot: `http://127.0.0.1:${port}` }),
      links,
      logger: logs.logger,
    });
    after(() => offline.close());
    const outcome = await offline.send(commentEntry(24), chat(24));
    assert.equal(outcome.kind, 'retry');
    const reason = outcome.kind === 'retry' ? outcome.reason : '';
    assert.match(reason, /ECONNREFUSED/);
    assert.ok(!reason.includes(BOT_TOKEN.split(':')[1]!), reason);
  });

  it('refuses an entry that lacks what its kind needs, rather than sending nonsense', async () => {
    const broken: OutboxEntry = { ...commentEntry(25) };
    delete broken.comment;
    const outcome = await notifier.send(broken, chat(25));
    assert.equal(outcome.kind, 'rejected');
    assert.equal(fake.messages(25).length, 0);
  });

  it('renders HTML as the plain text a reader would see', () => {
    assert.equal(
      htmlToPlainText('<b>x</b> &lt;y&gt; &amp; &quot;z&quot; &#128512; &#x1F600;'),
      'x <y> & "z" 😀 😀',
    );
  });
});
