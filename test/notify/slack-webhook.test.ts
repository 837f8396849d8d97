import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import http from 'node:http';
import {
  SLACK_DEFAULT_RETRY_AFTER_MS,
  createWebhookPoster,
  outcomeOfAnswer,
  sendTestMessage,
  slackDisabledNotice,
  slackRetryAfterMs,
  validateWebhookUrl,
  webhookSecrets,
} from '../../src/notify/slack/webhook.js';
import { startFakeSlack, type FakeSlack } from '../_helpers/fake-slack.js';
import { parseTelegramHtml } from '../_helpers/telegram-html.js';

const HOSTS = ['hooks.slack.com'];
const GOOD = 'https://hooks.slack.com/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g';
const SECRET = 'Xq9zQv8wRt7yUi6oPa5sDf4g';

describe('slack webhook validation', () => {
  it('accepts a Slack incoming webhook and returns its canonical form', () => {
    assert.deepEqual(validateWebhookUrl(`  ${GOOD}  `, HOSTS), { ok: true, url: GOOD });
    assert.deepEqual(
      validateWebhookUrl(GOOD.replace('hooks.slack.com', 'HOOKS.Slack.com'), HOSTS),
      {
        ok: true,
        url: GOOD,
      },
    );
  });

  const refused: [string, string][] = [
    ['plain http', GOOD.replace('https:', 'http:')],
    ['another host', GOOD.replace('hooks.slack.com', 'hooks.slack.com.evil.example')],
    [
      'a look-alike host with credentials',
      GOOD.replace('hooks.slack.com', 'hooks.slack.com@evil.example'),
    ],
    ['user and password', GOOD.replace('https://', 'https://u:p@')],
    ['a port', GOOD.replace('hooks.slack.com', 'hooks.slack.com:8443')],
    ['a query', `${GOOD}?channel=x`],
    ['a fragment', `${GOOD}#x`],
    [
      'dot segments',
      'https://hooks.slack.com/services/../services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g',
    ],
    ['percent escapes', GOOD.replace('/B0BBBB2/', '/B0%42BBB2/')],
    ['a workflow webhook', 'https://hooks.slack.com/workflows/T0AAAA1/A0/123/abcdefghij'],
    ['a short path', 'https://hooks.slack.com/services/T0AAAA1'],
    ['a trailing dot host', GOOD.replace('hooks.slack.com', 'hooks.slack.com.')],
    ['a backslash', GOOD.replace('/services/', '\\services/')],
    ['spaces inside', GOOD.replace('/B0BBBB2/', '/B0 BBBB2/')],
    ['an empty string', '   '],
    ['garbage', 'hello'],
    ['javascript', 'javascript:alert(1)'],
    [
      'loopback when not allowed',
      'https://127.0.0.1:8080/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g',
    ],
    [
      'plain http to loopback when not allowed',
      'http://127.0.0.1:8080/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g',
    ],
    ['far too long', `${GOOD}${'a'.repeat(600)}`],
  ];
  for (const [what, url] of refused) {
    it(`refuses ${what}, without quoting the address`, () => {
      const result = validateWebhookUrl(url, HOSTS);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.ok(!result.reason.includes(SECRET), 'the reason quotes the secret');
        assert.ok(result.reason.length > 10);
      }
    });
  }

  it('refuses plain http even for an allowed host, loopback included', () => {
    const path = '/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g';
    for (const [url, hosts] of [
      [`http://127.0.0.1${path}`, ['127.0.0.1']],
      [`http://127.0.0.1:8080${path}`, ['127.0.0.1']],
      [`http://127.0.0.1:8080${path}`, ['127.0.0.1', '127.0.0.1:8080']],
      [`http://localhost:8080${path}`, ['localhost', 'localhost:8080']],
      [`http://hooks.slack.com${path}`, ['hooks.slack.com']],
    ] as const) {
      const result = validateWebhookUrl(url, hosts);
      assert.ok(
        !result.ok && /it must start with https:\/\/\)\.$/.test(result.reason),
        `${url} with ${hosts.join(', ')}: ${JSON.stringify(result)}`,
      );
    }
  });

  it('accepts a port only where the list names that host:port', () => {
    const local = 'https://127.0.0.1:8443/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g';
    assert.deepEqual(validateWebhookUrl(local, ['hooks.slack.com', '127.0.0.1:8443']), {
      ok: true,
      url: local,
    });
    const bare = validateWebhookUrl(local, ['127.0.0.1']);
    assert.ok(!bare.ok && /no port number in it/.test(bare.reason), JSON.stringify(bare));
    const otherPort = validateWebhookUrl(local, ['127.0.0.1:9443']);
    assert.ok(!otherPort.ok && /not on an allowed Slack host/.test(otherPort.reason));
    const noPort = validateWebhookUrl(local.replace(':8443', ''), ['127.0.0.1:8443']);
    assert.ok(!noPort.ok && /not on an allowed Slack host/.test(noPort.reason));
    assert.equal(
      validateWebhookUrl(local.replace('127.0.0.1', 'localhost'), ['127.0.0.1:8443']).ok,
      false,
    );
    // The default port is no port: https://hooks.slack.com:443/… is hooks.slack.com.
    assert.deepEqual(validateWebhookUrl(GOOD.replace('.com/', '.com:443/'), HOSTS), {
      ok: true,
      url: GOOD,
    });
  });

  it('lists the allowed hosts when the host is not one of them', () => {
    const result = validateWebhookUrl(GOOD.replace('hooks.slack.com', 'hooks.example.org'), [
      'hooks.slack.com',
      'hooks.corp',
    ]);
    assert.ok(!result.ok && /hooks\.slack\.com, hooks\.corp/.test(result.reason));
  });

  it('gives the scrubber the whole URL and its secret part', () => {
    const secrets = webhookSecrets(GOOD);
    assert.ok(secrets.includes(GOOD));
    assert.ok(secrets.includes(SECRET));
  });
});

describe('slack answers', () => {
  const http = (status: number, code?: string, retryAfterMs?: number) =>
    outcomeOfAnswer({ kind: 'http', status, code, retryAfterMs });

  it('maps each answer to what delivery should do', () => {
    assert.deepEqual(http(200, 'ok'), { kind: 'ok' });
    assert.deepEqual(http(429, undefined, 7000), {
      kind: 'retry',
      reason: 'Slack 429',
      retryAfterMs: 7000,
    });
    assert.deepEqual(http(429), {
      kind: 'retry',
      reason: 'Slack 429',
      retryAfterMs: SLACK_DEFAULT_RETRY_AFTER_MS,
    });
    assert.equal(http(500).kind, 'retry');
    assert.equal(http(503, 'service_unavailable').kind, 'retry');
    assert.equal(outcomeOfAnswer({ kind: 'network', code: 'ECONNREFUSED' }).kind, 'retry');
    assert.deepEqual(http(404, 'no_service'), { kind: 'disabled', reason: 'Slack 404 no_service' });
    assert.equal(http(410, 'channel_is_archived').kind, 'disabled');
    assert.equal(http(403, 'invalid_token').kind, 'disabled');
    assert.equal(http(404, 'no_team').kind, 'disabled');
    assert.equal(http(404).kind, 'disabled');
    assert.equal(http(302).kind, 'disabled');
    assert.deepEqual(http(400, 'invalid_payload'), {
      kind: 'rejected',
      reason: 'Slack 400 invalid_payload',
    });
    assert.equal(http(400, 'invalid_blocks').kind, 'rejected');
    assert.equal(http(403).kind, 'rejected');
    assert.equal(http(413).kind, 'rejected');
  });

  it('tells the chat in plain words why Slack was paused, as valid Telegram HTML', () => {
    const notice = slackDisabledNotice('Slack 410 channel_is_archived');
    assert.match(notice, /Slack paused<\/b>: the Slack channel of the webhook is archived\./);
    assert.match(slackDisabledNotice('Slack 404'), /does not exist any more/);
    assert.equal(parseTelegramHtml(notice).ok, true);
    assert.match(slackDisabledNotice('<x> & y'), /&lt;x&gt; &amp; y/);
  });

  it('reads Retry-After as seconds or as a date, within 1 s .. 1 h', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(slackRetryAfterMs('30', now), 30_000);
    assert.equal(slackRetryAfterMs('0', now), 1000);
    assert.equal(slackRetryAfterMs('999999', now), 3_600_000);
    assert.equal(slackRetryAfterMs('99999999999', now), 3_600_000, 'any number of digits');
    assert.equal(slackRetryAfterMs('Thu, 01 Jan 2026 00:00:12 GMT', now), 12_000);
    assert.equal(slackRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 1000, 'a past date');
    assert.equal(slackRetryAfterMs('soon', now), undefined);
  });
});

describe('slack test message', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await startFakeSlack();
  });
  after(async () => {
    await slack.close();
  });

  it('accepts the fake Slack’s https address once 127.0.0.1 and its port are allowed, and a message reaches it', async () => {
    const url = slack.url();
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/services\//);
    const valid = validateWebhookUrl(url, ['hooks.slack.com', slack.host]);
    assert.deepEqual(valid, { ok: true, url });
    assert.ok(valid.ok);
    assert.deepEqual(await sendTestMessage(valid.url), { ok: true });
    assert.equal(slack.received(url).length, 1);
    // The same webhook over plain http is refused before anything is sent.
    const plain = url.replace('https:', 'http:');
    const refused = validateWebhookUrl(plain, ['127.0.0.1', slack.host]);
    assert.ok(!refused.ok && /https:\/\//.test(refused.reason));
  });

  it('posts a short text and says ok when Slack took it', async () => {
    const url = slack.url();
    assert.deepEqual(await sendTestMessage(url), { ok: true });
    const got = slack.received(url);
    assert.equal(got.length, 1);
    assert.match(String(got[0]?.body.text), /tickets-pushbot is connected/);
  });

  it('tells a deleted webhook (gone) from Slack refusing the message (refused)', async () => {
    const gone = slack.url();
    slack.remove(gone, 404, 'no_service');
    const a = await sendTestMessage(gone);
    assert.ok(
      !a.ok && a.problem === 'gone' && /removed or revoked/.test(a.detail),
      JSON.stringify(a),
    );

    const archived = slack.url();
    slack.remove(archived, 410, 'channel_is_archived');
    const b = await sendTestMessage(archived);
    assert.ok(!b.ok && b.problem === 'gone' && /archived/.test(b.detail));

    const refusing = slack.url();
    slack.failNext({ url: refusing, status: 400, body: 'invalid_payload' });
    const c = await sendTestMessage(refusing);
    assert.ok(!c.ok && c.problem === 'refused' && /invalid_payload/.test(c.detail));
  });

  it('says unreachable for a 5xx, a closed port and a timeout, and rate-limited for 429', async () => {
    const url = slack.url();
    slack.failNext({ url, status: 503, body: 'service_unavailable' });
    const a = await sendTestMessage(url);
    assert.ok(!a.ok && a.problem === 'unreachable' && /503/.test(a.detail));

    slack.failNext({ url, status: 429, body: 'rate_limited', retryAfter: 3 });
    const b = await sendTestMessage(url);
    assert.ok(!b.ok && b.problem === 'rate-limited');

    // A port nobody listens on: open a server, note its port, close it.
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((r) => server.close(() => r()));
    const c = await sendTestMessage(`https://127.0.0.1:${port}/services/T1/B1/abcdefghijkl`);
    assert.ok(
      !c.ok && c.problem === 'unreachable' && /ECONNREFUSED/.test(c.detail),
      JSON.stringify(c),
    );

    slack.delayNext(2000);
    const d = await sendTestMessage(url, { timeoutMs: 200 });
    assert.ok(
      !d.ok && d.problem === 'unreachable' && /no answer in time/.test(d.detail),
      JSON.stringify(d),
    );
  });

  it('never puts the URL in an answer, even for network failures', async () => {
    const poster = createWebhookPoster({ timeoutMs: 500 });
    const answer = await poster.post('https://127.0.0.1:1/services/T1/B1/SECRETsecret123', {
      text: 'x',
    });
    assert.equal(answer.kind, 'network');
    assert.ok(!JSON.stringify(answer).includes('SECRETsecret123'));
  });
});
