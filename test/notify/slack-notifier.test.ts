import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { SendOutcome } from '../../src/notify/notifier.js';
import { createSlackNotifier, type SlackNotifierDeps } from '../../src/notify/slack/notifier.js';
import { createWebhookPoster, type WebhookPoster } from '../../src/notify/slack/webhook.js';
import { createSecretBox, createSecretScrubber } from '../../src/secrets.js';
import type { ChatState, OutboxEntry } from '../../src/store/schema.js';
import { startFakeSlack, type FakeSlack } from '../_helpers/fake-slack.js';

const box = createSecretBox('slack-notifier-test-key-0123456789');
const otherBox = createSecretBox('another-key-entirely-9876543210');

function configFor(allowedWebhookHosts: string[]): Pick<Config, 'notify' | 'poll' | 'slack'> {
  return {
    notify: { maxCommentChars: 1000 },
    poll: { intervalSeconds: 60, concurrency: 4, fullSweepEvery: 10, keepClosedCases: false },
    slack: { allowedWebhookHosts },
  };
}
/** Allows the fake Slack ("127.0.0.1:<port>"); set once it listens. */
let CONFIG = configFor([]);

const links = {
  caseUrl: (n: string) => `https://access.example/case/${n}`,
  commentUrl: (n: string, id: string) => `https://access.example/case/${n}?c=${id}`,
};

function chatWith(webhookUrl: string | undefined, overrides: Partial<ChatState> = {}): ChatState {
  return {
    id: 42,
    type: 'private',
    active: true,
    audience: 'associate',
    subscriptions: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    ...(webhookUrl !== undefined
      ? { slack: { webhook: box.encrypt(webhookUrl), addedAt: '2026-01-01T00:00:00.000Z' } }
      : {}),
    ...overrides,
  };
}

let seq = 0;
function commentEntry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  seq++;
  return {
    id: `slack:42:01234567:c${seq}`,
    chatId: 42,
    destination: 'slack',
    kind: 'comment',
    case: {
      number: '01234567',
      summary: 'Storage latency spikes',
      status: 'Waiting on Red Hat',
      severity: '2 (High)',
      product: 'RHEL',
      closed: false,
      lastModifiedAt: '2026-01-01T00:00:00Z',
    },
    comment: {
      id: `c${seq}`,
      caseNumber: '01234567',
      author: 'Jane Doe',
      authorType: 'associate',
      body: `Comment number ${seq}: please collect a sosreport.`,
      createdAt: '2026-01-01T00:00:00Z',
      isPublic: true,
      isDraft: false,
    },
    createdAt: '2026-01-01T00:00:00.000Z',
    attempts: 0,
    ...overrides,
  };
}

function harness(overrides: Partial<SlackNotifierDeps> = {}) {
  const lines: string[] = [];
  const scrubber = createSecretScrubber();
  const logger = createLogger({
    level: 'debug',
    scrubber,
    destination: { write: (l: string) => lines.push(l) },
  });
  let now = Date.parse('2026-01-01T12:00:00Z');
  const clock = { now: () => now };
  const notifier = createSlackNotifier({
    secretBox: box,
    scrubber,
    logger,
    links,
    config: CONFIG,
    clock,
    minIntervalMs: 0,
    timeoutMs: 2000,
    ...overrides,
  });
  return { notifier, lines, scrubber, advance: (ms: number) => (now += ms) };
}

function secretOf(url: string): string {
  return url.split('/').pop() ?? '';
}

describe('slack notifier', () => {
  let slack: FakeSlack;
  const allLogs: string[] = [];
  const allOutcomes: SendOutcome[] = [];
  const allUrls: string[] = [];

  before(async () => {
    slack = await startFakeSlack();
    CONFIG = configFor([slack.host]);
  });
  after(async () => {
    await slack.close();
    // The secret handling test for the whole file: no webhook in any log line or outcome.
    assert.ok(
      allLogs.some((l) => l.includes('Slack did not take a message')),
      'failures were not logged',
    );
    const text = allLogs.join('\n') + JSON.stringify(allOutcomes);
    for (const url of allUrls) {
      assert.ok(!text.includes(url), 'a webhook URL leaked');
      assert.ok(!text.includes(secretOf(url)), 'a webhook secret leaked');
    }
  });

  function track(h: ReturnType<typeof harness>, url?: string) {
    if (url !== undefined) allUrls.push(url);
    return {
      send: async (entry: OutboxEntry, chat: ChatState) => {
        const outcome = await h.notifier.send(entry, chat);
        allOutcomes.push(outcome);
        allLogs.push(...h.lines.splice(0));
        return outcome;
      },
    };
  }

  it('posts a Block Kit message for a comment and answers ok', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    assert.deepEqual(await t.send(commentEntry(), chatWith(url)), { kind: 'ok' });
    const got = slack.received(url);
    assert.equal(got.length, 1);
    const blocks = got[0]?.body.blocks as { type: string; text?: { text: string } }[];
    assert.equal(blocks[0]?.type, 'header');
    assert.equal(blocks[0]?.text?.text, 'Sev 2 · Case 01234567: Storage latency spikes');
    assert.ok(JSON.stringify(blocks).includes('please collect a sosreport'));
    await h.notifier.close();
  });

  it('uses the chat’s /length: privacy mode sends no comment text', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    const entry = commentEntry();
    assert.equal((await t.send(entry, chatWith(url, { maxCommentChars: 0 }))).kind, 'ok');
    const json = JSON.stringify(slack.received(url)[0]?.body);
    assert.ok(!json.includes('please collect a sosreport'));
    assert.match(json, /privacy mode/);
    await h.notifier.close();
  });

  it('answers retry with Retry-After on 429, and holds the webhook until then without calling Slack', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    slack.failNext({ url, status: 429, body: 'rate_limited', retryAfter: 3 });
    const first = await t.send(commentEntry(), chatWith(url));
    assert.deepEqual(first, {
      kind: 'retry',
      reason: 'Slack 429 rate_limited',
      retryAfterMs: 3000,
    });

    const calls = slack.requests.length;
    h.advance(1000);
    const second = await t.send(commentEntry(), chatWith(url, { id: 43 }));
    assert.equal(second.kind, 'retry');
    assert.ok(second.kind === 'retry' && second.retryAfterMs === 2000, JSON.stringify(second));
    assert.equal(slack.requests.length, calls, 'Slack was called while paused');

    h.advance(2000);
    assert.equal((await t.send(commentEntry(), chatWith(url))).kind, 'ok');
    assert.equal(slack.received(url).length, 1);
    await h.notifier.close();
  });

  it('answers retry on 5xx and when Slack cannot be reached', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    slack.failNext({ url, status: 503, body: 'service_unavailable' });
    assert.deepEqual(await t.send(commentEntry(), chatWith(url)), {
      kind: 'retry',
      reason: 'Slack 503 service_unavailable',
    });
    slack.failNext({ url, status: 500, body: '<html>oops</html>' });
    assert.deepEqual(await t.send(commentEntry(), chatWith(url)), {
      kind: 'retry',
      reason: 'Slack 500',
    });

    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((r) => server.close(() => r()));
    const dead = `https://127.0.0.1:${port}/services/T1/B1/DeadWebhookSecret123`;
    const hDead = harness({ config: configFor([`127.0.0.1:${port}`]) });
    const t2 = track(hDead, dead);
    const outcome = await t2.send(commentEntry(), chatWith(dead));
    assert.deepEqual(outcome, { kind: 'retry', reason: 'Slack unreachable (ECONNREFUSED)' });
    await h.notifier.close();
    await hDead.notifier.close();
  });

  it('answers disabled when the webhook is gone: 404 no_service, 410 archived, 403 invalid_token', async () => {
    const h = harness();
    for (const [status, body] of [
      [404, 'no_service'],
      [410, 'channel_is_archived'],
      [403, 'invalid_token'],
    ] as const) {
      const url = slack.url();
      const t = track(h, url);
      slack.remove(url, status, body);
      assert.deepEqual(await t.send(commentEntry(), chatWith(url)), {
        kind: 'disabled',
        reason: `Slack ${status} ${body}`,
      });
    }
    await h.notifier.close();
  });

  it('answers rejected when Slack refuses the message itself (400)', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    slack.failNext({ url, status: 400, body: 'invalid_blocks' });
    assert.deepEqual(await t.send(commentEntry(), chatWith(url)), {
      kind: 'rejected',
      reason: 'Slack 400 invalid_blocks',
    });
    await h.notifier.close();
  });

  it('sends nothing for a chat whose Slack is off, disabled, unreadable or no longer allowed', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    const before = slack.requests.length;
    assert.equal((await t.send(commentEntry(), chatWith(undefined))).kind, 'disabled');
    const disabled = chatWith(url);
    disabled.slack = {
      ...disabled.slack!,
      disabledAt: '2026-01-01T00:00:00.000Z',
      disabledReason: 'Slack 404 no_service',
    };
    assert.deepEqual(await t.send(commentEntry(), disabled), {
      kind: 'disabled',
      reason: 'Slack 404 no_service',
    });

    const foreign = chatWith(undefined, {
      slack: { webhook: otherBox.encrypt(url), addedAt: '2026-01-01T00:00:00.000Z' },
    });
    const unreadable = await t.send(commentEntry(), foreign);
    assert.ok(unreadable.kind === 'disabled' && /secret key changed/.test(unreadable.reason));

    const strict = harness({
      config: { ...CONFIG, slack: { allowedWebhookHosts: ['hooks.slack.com'] } },
    });
    const ts = track(strict, url);
    const narrowed = await ts.send(commentEntry(), chatWith(url));
    assert.deepEqual(narrowed, {
      kind: 'disabled',
      reason: 'the stored Slack webhook is no longer allowed',
    });

    // A plain http webhook stored by an older version: never used, whatever the list allows.
    const plain = url.replace('https:', 'http:');
    const lenient = harness({ config: configFor(['127.0.0.1', slack.host]) });
    const tl = track(lenient, plain);
    assert.deepEqual(await tl.send(commentEntry(), chatWith(plain)), {
      kind: 'disabled',
      reason: 'the stored Slack webhook is no longer allowed',
    });
    assert.equal(slack.requests.length, before, 'Slack was called');
    await lenient.notifier.close();
    await h.notifier.close();
    await strict.notifier.close();
  });

  it('rejects a broken entry and an entry of another destination', async () => {
    const url = slack.url();
    const h = harness();
    const t = track(h, url);
    assert.equal(
      (await t.send(commentEntry({ comment: undefined }), chatWith(url))).kind,
      'rejected',
    );
    assert.equal(
      (await t.send(commentEntry({ destination: 'telegram' }), chatWith(url))).kind,
      'rejected',
    );
    await h.notifier.close();
  });

  it('paces one webhook to its interval, in order, without holding another webhook', async () => {
    const intervalMs = 150;
    // The pace is measured where each send starts, not where the fake receives it: the first
    // request also opens the TLS connection, so arrival gaps shrink by the handshake on a busy
    // machine while the sends themselves are correctly spaced.
    const starts = new Map<string, number[]>();
    const real = createWebhookPoster({ timeoutMs: 2000 });
    const poster: WebhookPoster = {
      post(url, payload, signal) {
        starts.set(url, [...(starts.get(url) ?? []), Date.now()]);
        return real.post(url, payload, signal);
      },
    };
    const h = harness({ minIntervalMs: intervalMs, poster });
    const a = slack.url();
    const b = slack.url();
    const ta = track(h, a);
    const tb = track(h, b);
    const started = Date.now();
    const sends = [1, 2, 3].map(() => ta.send(commentEntry(), chatWith(a)));
    const other = tb.send(commentEntry(), chatWith(b));
    const otherOutcome = await other;
    const otherDoneMs = Date.now() - started;
    const outcomes = await Promise.all(sends);
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['ok', 'ok', 'ok'],
    );
    assert.equal(otherOutcome.kind, 'ok');
    assert.ok(otherDoneMs < 2 * intervalMs, `the other webhook waited ${otherDoneMs} ms`);
    assert.equal(slack.received(a).length, 3);
    const times = starts.get(a) ?? [];
    assert.equal(times.length, 3);
    for (let i = 1; i < times.length; i++) {
      // A few ms for Date.now() rounding against the pacer's monotonic clock.
      assert.ok(times[i]! - times[i - 1]! >= intervalMs - 5, `gap ${times[i]! - times[i - 1]!} ms`);
    }
    const bodies = slack
      .received(a)
      .map((p) => JSON.stringify(p.body).match(/Comment number (\d+)/)?.[1]);
    assert.deepEqual(
      bodies,
      [...bodies].sort((x, y) => Number(x) - Number(y)),
      'sent out of order',
    );
    await h.notifier.close();
  });

  it('answers retry for sends still waiting when it is closed', async () => {
    const h = harness({ minIntervalMs: 1000 });
    const url = slack.url();
    const t = track(h, url);
    const first = t.send(commentEntry(), chatWith(url));
    const waiting = t.send(commentEntry(), chatWith(url));
    await slack.waitFor(() => slack.received(url).length === 1);
    await h.notifier.close();
    assert.equal((await first).kind, 'ok');
    const late = await waiting;
    assert.equal(late.kind, 'retry');
    assert.equal((await t.send(commentEntry(), chatWith(url))).kind, 'retry');
    assert.equal(slack.received(url).length, 1);
  });
});
