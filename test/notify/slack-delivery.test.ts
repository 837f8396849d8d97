// The Slack notifier inside the delivery worker, against the loopback fake Slack: one
// destination failing never blocks, loses or duplicates the other. (delivery.test.ts covers the
// same rules with scripted notifiers; this one runs the real Slack adapter over HTTPS.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commentPrint } from '../../src/comment-identity.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createDelivery, RETRY_MAX_MS, type Delivery } from '../../src/notify/delivery.js';
import {
  createLogAdminReporter,
  type Notifier,
  type SendOutcome,
} from '../../src/notify/notifier.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/notify/slack/notifier.js';
import { createSecretBox, createSecretScrubber } from '../../src/secrets.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { emptyState, type OutboxEntry, type State } from '../../src/store/schema.js';
import { seenIds } from '../../src/store/seen.js';
import type { DeepReadonly, StateStore } from '../../src/store/store.js';
import { manualClock, type ManualClock } from '../_helpers/clock.js';
import { startFakeSlack, type FakeSlack } from '../_helpers/fake-slack.js';
import { waitUntil } from '../_helpers/wait.js';

const CHAT = 31;
const CASE = '01234567';
const box = createSecretBox('slack-delivery-test-key-0123456789');
function configFor(fake: FakeSlack): Pick<Config, 'notify' | 'poll' | 'slack'> {
  return {
    notify: { maxCommentChars: 1000 },
    poll: { intervalSeconds: 60, concurrency: 4, fullSweepEvery: 10, keepClosedCases: false },
    slack: { allowedWebhookHosts: [fake.host] },
  };
}

function comment(destination: 'telegram' | 'slack', id: string): OutboxEntry {
  return {
    id: `${destination}:${CHAT}:${CASE}:${id}`,
    chatId: CHAT,
    destination,
    kind: 'comment',
    case: {
      number: CASE,
      summary: 'Latency',
      status: 'Waiting on Red Hat',
      severity: '3 (Normal)',
      product: 'RHEL',
      closed: false,
      lastModifiedAt: '2026-05-04T09:00:00Z',
    },
    comment: {
      id,
      caseNumber: CASE,
      author: 'Jane',
      authorType: 'associate',
      body: `body of ${id}`,
      createdAt: '2026-05-04T09:00:00Z',
      isPublic: true,
      isDraft: false,
    },
    createdAt: '2026-05-04T09:00:00.000Z',
    attempts: 0,
  };
}

/** The case is seen as c1, c2, c3: each by id and by print, up to their creation time. */
function assertAllSeen(state: DeepReadonly<State>): void {
  const sub = state.chats[String(CHAT)]?.subscriptions[CASE];
  assert.ok(sub, 'still following the case');
  assert.deepEqual(seenIds(sub.seen), ['c1', 'c2', 'c3']);
  for (const id of ['c1', 'c2', 'c3']) {
    assert.ok(sub.seen.includes(commentPrint(comment('telegram', id).comment!)), `print of ${id}`);
  }
  assert.equal(sub.seenUpTo, '2026-05-04T09:00:00.000Z');
}

function initialState(webhookUrl: string): State {
  const state = emptyState();
  state.chats[String(CHAT)] = {
    id: CHAT,
    type: 'private',
    active: true,
    audience: 'associate',
    subscriptions: {
      [CASE]: {
        caseNumber: CASE,
        addedAt: '2026-05-01T00:00:00.000Z',
        seen: [],
        summary: 'Latency',
        status: 'Waiting on Red Hat',
        severity: '3 (Normal)',
        product: 'RHEL',
        closed: false,
      },
    },
    slack: { webhook: box.encrypt(webhookUrl), addedAt: '2026-05-01T00:00:00.000Z' },
    createdAt: '2026-05-01T00:00:00.000Z',
  };
  state.outbox = ['c1', 'c2', 'c3'].flatMap((id) => [
    comment('telegram', id),
    comment('slack', id),
  ]);
  return state;
}

/** A Telegram stand-in: records what it took, answers from a script (default ok). */
function telegramStandIn(script: SendOutcome[] = []) {
  const took: string[] = [];
  const notifier: Notifier = {
    destination: 'telegram',
    send(entry) {
      const outcome = script.shift() ?? { kind: 'ok' };
      if (outcome.kind === 'ok') took.push(entry.comment?.id ?? entry.id);
      return Promise.resolve(outcome);
    },
  };
  return { notifier, took };
}

/**
 * Lets the worker (production timing, on a manual clock) work until the outbox is empty, moving
 * the clock one longest backoff whenever it looks, so each retry falls due; only the HTTP takes
 * real time.
 */
async function deliverAll(store: StateStore, clock: ManualClock): Promise<void> {
  await waitUntil(
    async () => {
      if (store.read().outbox.length === 0) return true;
      await clock.advance(RETRY_MAX_MS);
      return false;
    },
    { timeoutMs: 5000, intervalMs: 10, what: 'the outbox to empty' },
  );
}

describe('slack notifier in delivery', () => {
  let fake: FakeSlack;
  let running: { delivery: Delivery; slack: SlackNotifier }[] = [];
  before(async () => {
    fake = await startFakeSlack();
  });
  after(async () => {
    for (const r of running) {
      await r.delivery.stop();
      await r.slack.close();
    }
    running = [];
    await fake.close();
  });

  function run(store: StateStore, telegram: Notifier) {
    const scrubber = createSecretScrubber();
    const logger = createLogger({ level: 'silent', scrubber });
    const slack = createSlackNotifier({
      secretBox: box,
      scrubber,
      logger,
      links: {
        caseUrl: (n) => `https://cases.example/${n}`,
        commentUrl: (n, c) => `https://cases.example/${n}?c=${c}`,
      },
      config: configFor(fake),
      minIntervalMs: 0,
      timeoutMs: 1000,
    });
    const clock = manualClock(Date.parse('2026-05-04T10:00:00Z'));
    const delivery = createDelivery({
      store,
      notifiers: [telegram, slack],
      logger,
      clock,
      reporter: createLogAdminReporter(logger),
      keepClosedCases: false,
    });
    running.push({ delivery, slack });
    delivery.start();
    return clock;
  }

  const slackIds = (url: string) =>
    fake.received(url).map((p) => /body of (c\d)/.exec(JSON.stringify(p.body))?.[1]);

  it('Slack down (5xx) while Telegram is up: Telegram gets each comment once, Slack catches up in order', async () => {
    const url = fake.url();
    fake.failNext({ url, status: 503, body: 'service_unavailable', times: 3 });
    const store = createMemoryStore(initialState(url));
    const telegram = telegramStandIn();
    await deliverAll(store, run(store, telegram.notifier));
    assert.deepEqual(telegram.took, ['c1', 'c2', 'c3']);
    assert.deepEqual(slackIds(url), ['c1', 'c2', 'c3']);
    assertAllSeen(store.read());
  });

  it('Telegram down while Slack is up: Slack gets each comment once, Telegram catches up', async () => {
    const url = fake.url();
    const store = createMemoryStore(initialState(url));
    const telegram = telegramStandIn([
      { kind: 'retry', reason: 'Telegram 502: Bad Gateway' },
      { kind: 'retry', reason: 'Telegram 502: Bad Gateway' },
      { kind: 'retry', reason: 'Telegram 429: Too Many Requests', retryAfterMs: 50 },
    ]);
    await deliverAll(store, run(store, telegram.notifier));
    assert.deepEqual(slackIds(url), ['c1', 'c2', 'c3']);
    assert.deepEqual(telegram.took, ['c1', 'c2', 'c3']);
  });

  it('a webhook gone for good (410) disables Slack for the chat; Telegram still gets everything once', async () => {
    const url = fake.url();
    fake.remove(url, 410, 'channel_is_archived');
    const store = createMemoryStore(initialState(url));
    const telegram = telegramStandIn();
    await deliverAll(store, run(store, telegram.notifier));
    const chat = store.read().chats[String(CHAT)];
    assert.ok(chat?.slack?.disabledAt, 'Slack not disabled');
    assert.equal(chat.slack.disabledReason, 'Slack 410 channel_is_archived');
    // Every comment once on Telegram, plus one notice telling the chat Slack was paused.
    assert.deepEqual(
      telegram.took.filter((id) => !id.includes('slack-disabled')),
      ['c1', 'c2', 'c3'],
    );
    assert.equal(telegram.took.filter((id) => id.includes(':slack-disabled-')).length, 1);
    assert.equal(
      fake.requests.filter((r) => r.path === new URL(url).pathname).length,
      1,
      'kept calling a gone webhook',
    );
    assertAllSeen(store.read());
  });
});
