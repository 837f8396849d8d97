import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Telegram } from 'telegraf';
import { createLogger } from '../../src/logger.js';
import {
  createAdminReporter,
  normalise,
  type AdminReporterDeps,
  type AdminTelegramPort,
} from '../../src/notify/admin-reporter.js';
import { PortalError } from '../../src/portal/types.js';
import { createSecretScrubber } from '../../src/secrets.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';

const BOT_TOKEN = '7012345678:AAHk3xTqLrEw9sPzYbV0cNm2dF4gJ6hK8lQ';
const ADMIN_A = 1001;
const ADMIN_B = 1002;
const HOUR_MS = 60 * 60_000;
const WEBHOOK = 'https://hooks.slack.com/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g';
const PASSWORD = 'Corr3ct-Horse-Battery';

describe('admin reporter', () => {
  let tg: FakeTelegram;
  let port: AdminTelegramPort;

  before(async () => {
    tg = await startFakeTelegram({ token: BOT_TOKEN });
    const telegram = new Telegram(BOT_TOKEN, { apiRoot: tg.apiRoot });
    // The adapter main.ts will build around telegraf.
    port = {
      async sendMessage(chatId, html) {
        await telegram.sendMessage(chatId, html, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        });
      },
    };
  });
  after(async () => {
    await tg.close();
  });

  function harness(overrides: Partial<AdminReporterDeps> = {}, adminChatIds = [ADMIN_A, ADMIN_B]) {
    const lines: string[] = [];
    const scrubber = createSecretScrubber([BOT_TOKEN]);
    scrubber.add(PASSWORD);
    const logger = createLogger({
      level: 'debug',
      scrubber,
      destination: { write: (l: string) => lines.push(l) },
    });
    let now = Date.parse('2026-03-01T08:00:00Z');
    const clock = { now: () => now };
    const reporter = createAdminReporter({
      telegram: port,
      adminChatIds,
      logger,
      scrubber,
      clock,
      ...overrides,
    });
    return { reporter, lines, advance: (ms: number) => (now += ms) };
  }

  const sentSince = (chatId: number, from: number) => tg.messages(chatId).slice(from);

  it('sends every admin chat the error, its context and its stack, with secrets scrubbed', async () => {
    const h = harness();
    const beforeA = tg.messages(ADMIN_A).length;
    const beforeB = tg.messages(ADMIN_B).length;
    const cause = new Error(`password=${PASSWORD} refused`);
    const err = new Error(`POST ${WEBHOOK} failed for bot${BOT_TOKEN} <script>`, { cause });
    h.reporter.report({
      component: 'delivery',
      error: err,
      context: { chatId: 42, caseNumber: '01234567', entryId: 'slack:42:x' },
    });
    await h.reporter.idle();
    const [a] = sentSince(ADMIN_A, beforeA);
    const [b] = sentSince(ADMIN_B, beforeB);
    assert.ok(a && b, 'both admin chats got the report');
    assert.equal(a.text, b.text);
    assert.match(a.text, /delivery failed: Error/);
    assert.match(a.text, /chatId: 42/);
    assert.match(a.text, /caseNumber: 01234567/);
    assert.match(a.text, /<script>/, 'HTML in the message is escaped, shown as text');
    assert.match(a.html ?? '', /<pre>[\s\S]*at [\s\S]*<\/pre>/, 'the stack is in <pre>');
    assert.match(a.text, /Caused by: Error/);
    const everything = a.text + (a.html ?? '') + h.lines.join('\n');
    for (const secret of [WEBHOOK, 'Xq9zQv8wRt7yUi6oPa5sDf4g', BOT_TOKEN, PASSWORD]) {
      assert.ok(!everything.includes(secret), `a secret leaked: ${secret.slice(0, 10)}…`);
    }
    assert.ok(
      h.lines.some((l) => l.includes('reported to admins')),
      'the failure is logged too',
    );
  });

  it('shows the kind and status of a portal error', async () => {
    const h = harness();
    const from = tg.messages(ADMIN_A).length;
    h.reporter.report({
      component: 'poller',
      error: new PortalError('transient', 'portal answered 503', {
        status: 503,
        endpoint: 'GET /cases/{n}',
      }),
    });
    await h.reporter.idle();
    const [m] = sentSince(ADMIN_A, from);
    assert.match(m?.text ?? '', /kind: transient/);
    assert.match(m?.text ?? '', /status: 503/);
  });

  it('sends the same failure once per hour, then reports how often it happened', async () => {
    const h = harness();
    const from = tg.messages(ADMIN_A).length;
    for (let i = 0; i < 17; i++) {
      // Same failure, different ids and numbers in the message.
      h.reporter.report({
        component: 'poller',
        error: new Error(`case 0000${1000 + i} timed out after ${i} ms`),
      });
      h.advance(60_000);
    }
    await h.reporter.idle();
    assert.equal(
      sentSince(ADMIN_A, from).length,
      1,
      'a storm of one failure sent more than one message',
    );

    h.advance(HOUR_MS);
    h.reporter.report({
      component: 'poller',
      error: new Error('case 00009999 timed out after 5 ms'),
    });
    await h.reporter.idle();
    const sent = sentSince(ADMIN_A, from);
    assert.equal(sent.length, 2);
    assert.match(sent[1]?.text ?? '', /Happened 16 more times since 2026-03-01 08:00 UTC/);
  });

  it('sums up a storm that stopped when its hour ends (sweep)', async () => {
    const h = harness();
    const from = tg.messages(ADMIN_A).length;
    for (let i = 0; i < 5; i++)
      h.reporter.report({ component: 'store', error: new Error('EBUSY: lock held') });
    h.advance(HOUR_MS - 1);
    h.reporter.sweep();
    await h.reporter.idle();
    assert.equal(sentSince(ADMIN_A, from).length, 1);
    h.advance(1);
    h.reporter.sweep();
    await h.reporter.idle();
    const sent = sentSince(ADMIN_A, from);
    assert.equal(sent.length, 2);
    assert.match(
      sent[1]?.text ?? '',
      /store: the failure Error happened 4 more times since 2026-03-01 08:00 UTC/,
    );
    // Nothing left to tell: later sweeps stay quiet.
    h.advance(2 * HOUR_MS);
    h.reporter.sweep();
    await h.reporter.idle();
    assert.equal(sentSince(ADMIN_A, from).length, 2);
  });

  it('caps a storm of different failures and says how many were held back', async () => {
    const h = harness({ maxReportsPerWindow: 3 });
    const from = tg.messages(ADMIN_A).length;
    for (let i = 0; i < 40; i++)
      h.reporter.report({
        component: `worker-${String.fromCharCode(97 + (i % 26))}${i}`,
        error: new TypeError('boom'),
      });
    await h.reporter.idle();
    assert.equal(sentSince(ADMIN_A, from).length, 3);
    h.advance(HOUR_MS);
    h.reporter.report({ component: 'later', error: new Error('after the storm') });
    await h.reporter.idle();
    const sent = sentSince(ADMIN_A, from);
    assert.match(sent.at(-1)?.text ?? '', /37 other reports were held back/);
  });

  it('trims a huge stack and message to one Telegram message', async () => {
    const h = harness();
    const from = tg.messages(ADMIN_A).length;
    const err = new Error(`<b>${'x'.repeat(20_000)}`);
    err.stack = `Error: big\n${Array.from({ length: 5000 }, (_, i) => `    at frame${i} (/app/dist/x.js:${i}:1) & <stuff>`).join('\n')}`;
    h.reporter.report({
      component: 'poller',
      error: err,
      context: { blob: 'y'.repeat(10_000), nested: { a: [1, 2, 3] } },
    });
    await h.reporter.idle();
    const [m] = sentSince(ADMIN_A, from);
    assert.ok(m, 'Telegram refused the report (too long or bad HTML)');
    assert.ok((m.html ?? '').length <= 4096, `${(m.html ?? '').length} characters`);
    assert.match(m.text, /at frame0 /, 'the top of the stack is kept');
    assert.match(m.text, /… \d+ more lines/);
  });

  it('never throws and never waits, even when Telegram hangs or the error is hostile', () => {
    const hanging: AdminTelegramPort = { sendMessage: () => new Promise<void>(() => undefined) };
    const h = harness({ telegram: hanging });
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('gotcha');
        },
        getPrototypeOf() {
          throw new Error('gotcha');
        },
      },
    );
    const started = Date.now();
    assert.doesNotThrow(() => {
      h.reporter.report({ component: 'bot', error: hostile });
      h.reporter.report({ component: 'bot', error: null });
      h.reporter.report({ component: 'bot', error: 'a string' });
      h.reporter.report({
        component: 'bot',
        error: new Error('x'),
        context: {
          circular: (() => {
            const o: Record<string, unknown> = {};
            o.self = o;
            return o;
          })(),
        },
      });
      h.reporter.sweep();
    });
    assert.ok(Date.now() - started < 200, 'report() waited');
  });

  it('logs a report Telegram refuses, and goes on', async () => {
    const refusing: AdminTelegramPort = {
      sendMessage: () => Promise.reject(new Error(`403 Forbidden for bot${BOT_TOKEN}`)),
    };
    const h = harness({ telegram: refusing });
    h.reporter.report({ component: 'poller', error: new Error('one') });
    await h.reporter.idle();
    const log = h.lines.join('\n');
    assert.match(log, /could not send a report to an admin chat/);
    assert.ok(!log.includes(BOT_TOKEN));
  });

  it('only logs when no admin chat is configured', async () => {
    const h = harness({}, []);
    const before = tg.calls.length;
    h.reporter.report({ component: 'poller', error: new Error('alone') });
    await h.reporter.idle();
    assert.equal(tg.calls.length, before);
    assert.ok(h.lines.some((l) => l.includes('reported to admins')));
  });

  it('blanks numbers and ids when deciding two failures are the same', () => {
    assert.equal(
      normalise('case 01234567 entry 3f2a9c1d7e timed out after 30000 ms'),
      normalise('case 07654321 entry 9b8a7c6d5e timed out after 12 ms'),
    );
    assert.notEqual(normalise('timed out'), normalise('refused'));
  });
});
