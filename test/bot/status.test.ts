import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { formatDuration, formatStatus } from '../../src/bot/features/status.js';
import type { PortalPath } from '../../src/portal/types.js';
import { countOutcomes, createMetrics, outcomeCode, type Metrics } from '../../src/metrics.js';
import type { Notifier, SendOutcome } from '../../src/notify/notifier.js';
import {
  emptyState,
  type ChatState,
  type OutboxEntry,
  type State,
} from '../../src/store/schema.js';
import { startFeatureBot, type FeatureBot } from './_slack-status-bot.js';

const ADMIN_CHAT = 4242;
const OTHER_CHAT = 5151;
const OTHER_GROUP = -100777;

function chat(id: number, overrides: Partial<ChatState> = {}): ChatState {
  return {
    id,
    type: 'private',
    active: true,
    audience: 'associate',
    subscriptions: {},
    createdAt: '2026-05-01T00:00:00.000Z',
    ...overrides,
  };
}

function sub(caseNumber: string, overrides: Partial<ChatState['subscriptions'][string]> = {}) {
  return {
    caseNumber,
    addedAt: '2026-05-01T00:00:00.000Z',
    seen: [],
    summary: '',
    status: '',
    severity: '',
    product: '',
    closed: false,
    ...overrides,
  };
}

function entry(
  chatId: number,
  destination: 'telegram' | 'slack',
  n: number,
  createdAt: string,
): OutboxEntry {
  return {
    id: `${destination}:${chatId}:n${n}`,
    chatId,
    destination,
    kind: 'notice',
    text: 'x',
    createdAt,
    attempts: 0,
  };
}

function sampleState(): State {
  const state = emptyState();
  state.chats['1'] = chat(1, {
    subscriptions: {
      '01111111': sub('01111111'),
      '02222222': sub('02222222', { notVisibleAt: '2026-05-02T00:00:00.000Z' }),
    },
    slack: { webhook: 'enc:v1:aaaa:bbbb:cccc', addedAt: '2026-05-01T00:00:00.000Z' },
  });
  state.chats['2'] = chat(2, {
    active: false,
    inactiveSince: '2026-05-02T00:00:00.000Z',
    subscriptions: { '03333333': sub('03333333', { closed: true }) },
    slack: {
      webhook: 'enc:v1:aaaa:bbbb:dddd',
      addedAt: '2026-05-01T00:00:00.000Z',
      disabledAt: '2026-05-03T00:00:00.000Z',
      disabledReason: 'Slack 404 no_service',
    },
  });
  state.chats['3'] = chat(3);
  state.outbox = [
    entry(1, 'telegram', 1, '2026-05-04T09:55:00.000Z'),
    entry(1, 'slack', 2, '2026-05-04T09:30:00.000Z'),
    entry(1, 'slack', 3, '2026-05-04T09:58:00.000Z'),
  ];
  return state;
}

function fakeNotifier(destination: 'telegram' | 'slack', outcomes: SendOutcome[]): Notifier {
  return { destination, send: () => Promise.resolve(outcomes.shift() ?? { kind: 'ok' }) };
}

describe('/status', () => {
  let h: FeatureBot | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function start(adminChatIds: number[]): Promise<{ h: FeatureBot; metrics: Metrics }> {
    // Started when the bot's clock starts (startFeatureBot: 2026-05-04 10:00 UTC).
    const metrics = createMetrics({ now: () => Date.parse('2026-05-04T10:00:00Z') });
    h = await startFeatureBot({
      config: { telegram: { adminChatIds } },
      initial: sampleState(),
      status: { metrics, version: '1.2.3' },
    });
    return { h, metrics };
  }

  it('shows an admin chat the version, uptime, last cycle, chats, subscriptions, queue and errors', async () => {
    const { h, metrics } = await start([ADMIN_CHAT]);
    metrics.recordCycle(h.clock.now() + 60_000, 1_234);
    metrics.recordSweep(h.clock.now() + 30 * 60_000, 95_000, 10_000);
    for (let i = 0; i < 120; i++) metrics.recordPortalRequest();
    metrics.recordPortalRequest('transient');
    metrics.recordPortalRequest('transient');
    metrics.recordPortalRequest('auth');
    // What delivery will see through countOutcomes().
    const telegram = countOutcomes(
      fakeNotifier('telegram', [
        { kind: 'ok' },
        {
          kind: 'retry',
          reason: 'Telegram 429: Too Many Requests: retry after 5',
          retryAfterMs: 5000,
        },
        { kind: 'blocked', reason: 'Telegram 403: Forbidden: bot was blocked by the user' },
        {
          kind: 'retry',
          reason: 'Telegram 429: Too Many Requests: retry after 3',
          retryAfterMs: 3000,
        },
      ]),
      metrics,
    );
    const slack = countOutcomes(
      fakeNotifier('slack', [
        { kind: 'ok' },
        { kind: 'disabled', reason: 'Slack 404 no_service' },
        { kind: 'retry', reason: 'Slack unreachable (ECONNRESET)' },
      ]),
      metrics,
    );
    const c = chat(1);
    const e = entry(1, 'telegram', 9, '2026-05-04T09:00:00.000Z');
    for (let i = 0; i < 4; i++) await telegram.send(e, c);
    for (let i = 0; i < 3; i++) await slack.send(e, c);

    h.clock.advance(3 * 60 * 60_000 + 5 * 60_000); // 3 h 5 min later
    const from = h.tg.messages(ADMIN_CHAT).length;
    await h.send({ chatId: ADMIN_CHAT, text: '/status' });
    const text = h.repliesSince(ADMIN_CHAT, from).join('\n');
    assert.match(text, /tickets-pushbot 1\.2\.3/);
    assert.match(text, /Up 3 h 5 min \(since 2026-05-04 10:00 UTC\)/);
    assert.match(text, /Last cycle: 2026-05-04 10:01 UTC \(3 h 4 min ago\), took 1\.2 s · 1 cycle/);
    assert.match(text, /Last full check: 2 h 35 min ago, 10000 cases in 1 min/);
    assert.match(text, /Portal requests: 123 · errors: transient ×2, auth ×1/);
    assert.match(text, /Active 2 · inactive 1/);
    assert.match(text, /Following 3 cases \(1 not visible, 1 closed\)/);
    assert.match(text, /Slack: 1 on · 1 paused/);
    assert.match(text, /Sent: Telegram 1 · Slack 1/);
    assert.match(text, /Waiting: Telegram 1 · Slack 2 \(oldest 3 h 35 min\)/);
    assert.match(text, /Telegram errors: 429 ×2, 403 ×1/);
    assert.match(text, /Slack errors: 404 no_service ×1, network ×1/);
  });

  it('says so before the first poll cycle', async () => {
    const { h } = await start([ADMIN_CHAT]);
    const from = h.tg.messages(ADMIN_CHAT).length;
    await h.send({ chatId: ADMIN_CHAT, text: '/status' });
    const text = h.repliesSince(ADMIN_CHAT, from).join('\n');
    assert.match(text, /Last cycle: none yet/);
    assert.match(text, /Last full check: none yet/);
    assert.match(text, /errors: none/);
  });

  it('does not exist for other chats: a private chat gets the unknown-command pointer', async () => {
    const { h } = await start([ADMIN_CHAT]);
    const from = h.tg.messages(OTHER_CHAT).length;
    await h.send({ chatId: OTHER_CHAT, text: '/status' });
    const text = h.repliesSince(OTHER_CHAT, from).join('\n');
    assert.match(text, /I don't know \/status/);
    assert.doesNotMatch(text, /tickets-pushbot|Portal|Up /);
  });

  it('stays silent in a group that is not an admin chat', async () => {
    const { h } = await start([ADMIN_CHAT]);
    const from = h.tg.messages(OTHER_GROUP).length;
    await h.send({ chatId: OTHER_GROUP, chatType: 'supergroup', text: '/status' });
    assert.deepEqual(h.repliesSince(OTHER_GROUP, from), []);
  });

  it('answers nobody when no admin chat is configured', async () => {
    const { h } = await start([]);
    const from = h.tg.messages(ADMIN_CHAT).length;
    await h.send({ chatId: ADMIN_CHAT, text: '/status' });
    assert.doesNotMatch(h.repliesSince(ADMIN_CHAT, from).join('\n'), /tickets-pushbot/);
  });
});

describe('metrics', () => {
  it('reads the error code out of each adapter’s reasons', () => {
    assert.equal(
      outcomeCode({ kind: 'retry', reason: 'Telegram 429: Too Many Requests: retry after 5' }),
      '429',
    );
    assert.equal(
      outcomeCode({
        kind: 'blocked',
        reason: 'Telegram 403: Forbidden: bot was blocked by the user',
      }),
      '403',
    );
    assert.equal(
      outcomeCode({ kind: 'disabled', reason: 'Slack 410 channel_is_archived' }),
      '410 channel_is_archived',
    );
    assert.equal(outcomeCode({ kind: 'retry', reason: 'Slack 500' }), '500');
    assert.equal(
      outcomeCode({ kind: 'retry', reason: 'Slack unreachable (ETIMEDOUT)' }),
      'network',
    );
    assert.equal(
      outcomeCode({ kind: 'retry', reason: 'FetchError: request to … failed, reason: ECONNRESET' }),
      'network',
    );
    assert.equal(outcomeCode({ kind: 'migrated', newChatId: -100 }), 'migrated');
    assert.equal(
      outcomeCode({ kind: 'rejected', reason: 'a comment entry without its case' }),
      'rejected',
    );
  });

  it('keeps error maps bounded when codes come from remote answers', () => {
    const m = createMetrics({ now: () => 0 });
    for (let i = 0; i < 500; i++) m.recordSendError('slack', `code_${i}`);
    const errors = m.snapshot().sendErrors.slack;
    assert.ok(Object.keys(errors).length <= 51);
    assert.equal(
      Object.values(errors).reduce((a, b) => a + b, 0),
      500,
    );
  });

  it('formats durations for a phone', () => {
    assert.equal(formatDuration(42_000), '42 s');
    assert.equal(formatDuration(12 * 60_000), '12 min');
    assert.equal(formatDuration(4 * 3_600_000 + 12 * 60_000), '4 h 12 min');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), '3 d 4 h');
    assert.equal(formatDuration(-5), '0 s');
  });
});

describe('/status: how each credential reads the portal', () => {
  const metrics = createMetrics({ now: () => Date.parse('2026-12-03T10:00:00Z') }).snapshot();
  const state = (labels: string[]) => {
    const s = emptyState();
    labels.forEach((label, i) => {
      s.credentials[`c${i}`] = {
        id: `c${i}`,
        kind: 'offline-token',
        secret: 'enc:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA',
        label,
        createdAt: '2026-12-01T00:00:00.000Z',
      };
    });
    return s;
  };
  const text = (labels: string[], paths: [string, PortalPath][]) =>
    formatStatus({
      version: '1.2.3',
      now: Date.parse('2026-12-03T10:00:00Z'),
      metrics,
      state: state(labels),
      paths: new Map(paths),
    });

  it('names the path of each credential when there are few', () => {
    const shown = text(
      ['offline token …1a2b', 'svc-user'],
      [
        ['c0', 'graphql'],
        ['c1', 'rest'],
      ],
    );
    assert.match(shown, /Read through: offline token …1a2b → GraphQL/);
    assert.match(shown, /Read through: svc-user → REST v3 alone/);
  });

  it('sums them up per path when there are many', () => {
    const labels = Array.from({ length: 7 }, (_, i) => `user ${i}`);
    const paths: [string, PortalPath][] = labels.map((_, i) => [
      `c${i}`,
      i < 6 ? 'graphql' : 'graphql+rest',
    ]);
    assert.match(text(labels, paths), /Read through: GraphQL ×6, GraphQL \+ REST v3 comments ×1/);
  });

  it('says when no credential was polled yet', () => {
    assert.match(text([], []), /Read through: \(no credential polled yet\)/);
  });
});

describe('/status: rules, mute, quiet hours, file notices', () => {
  const at = '2026-12-01T00:00:00.000Z';
  const s = emptyState();
  s.chats['1'] = chat(1, {
    rules: [
      { id: 1, severities: [1], createdAt: at },
      { id: 2, product: ['openshift'], createdAt: at },
    ],
    quiet: { from: '22:00', to: '07:00', timeZone: 'Europe/Rome' },
    subscriptions: { '01234567': sub('01234567', { muted: true }) },
  });
  s.chats['2'] = chat(2, { attachments: false });
  const shown = (chatId: number) =>
    formatStatus({
      version: '1.2.3',
      now: Date.parse('2026-12-03T10:00:00Z'),
      metrics: createMetrics({ now: () => Date.parse('2026-12-03T10:00:00Z') }).snapshot(),
      state: s,
      chatId,
    });

  it('counts them over every chat', () => {
    assert.match(shown(1), /Rules: 2 in 1 chat · muted cases 1/);
    assert.match(shown(1), /Quiet hours: 1 chat · file notices off: 1/);
  });

  it("shows the asking chat's own settings", () => {
    assert.match(
      shown(1),
      /This chat: 2 rules · quiet 22:00–07:00 \(Europe\/Rome\) · file notices on/,
    );
    assert.match(shown(2), /This chat: 0 rules · no quiet hours · file notices off/);
    assert.match(shown(3), /This chat: 0 rules · no quiet hours · file notices on/);
  });
});
