// Forum topics: one per case, created on its first message, kept in db.json and reused after a
// restart; General when the bot may not create topics (the group told once); a topic deleted by
// a person replaced without losing the message. The delivery worker, the Telegram notifier and
// a JSON file store in a temp dir, against the fake Bot API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLinks } from '../../src/links.js';
import { createDelivery, type DeliveryTiming } from '../../src/notify/delivery.js';
import { applyOutcome } from '../../src/notify/delivery-outcome.js';
import { createTelegramNotifier } from '../../src/notify/telegram/notifier.js';
import { applyLearned, topicName, topicsRefusedNotice } from '../../src/notify/telegram/topics.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import {
  emptyState,
  type ChatState,
  type OutboxEntry,
  type State,
} from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import { manualClock, type ManualClock } from '../_helpers/clock.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';
import { tempDir, type TempDir } from '../_helpers/temp-dir.js';
import {
  BOT_TOKEN,
  collectLogs,
  recordingReporter,
  testConfig,
  waitFor,
} from '../poller/_support.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const A = '01234567';
const B = '07654321';
const TIMING: Partial<DeliveryTiming> = {
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  stopDeadlineMs: 300,
};
const NO_PACING = {
  privateChatMinIntervalMs: 0,
  groupChatMinIntervalMs: 0,
  globalMinIntervalMs: 0,
};
const NO_RIGHT = topicsRefusedNotice('no-right');

let chatSeq = 0;
/** A fresh supergroup id per test ("-100…", as Telegram numbers them). */
const nextChatId = () => -1001000000 - ++chatSeq;

function forumChat(id: number, over: Partial<ChatState> = {}): ChatState {
  const sub = (n: string) => ({
    caseNumber: n,
    addedAt: new Date(T0).toISOString(),
    seen: [],
    summary: `Summary of ${n}`,
    status: 'Waiting on Red Hat',
    severity: '3 (Normal)',
    product: 'RHEL',
    closed: false,
  });
  return {
    id,
    type: 'supergroup',
    active: true,
    audience: 'associate',
    subscriptions: { [A]: sub(A), [B]: sub(B) },
    createdAt: new Date(T0).toISOString(),
    forum: true,
    ...over,
  };
}

let entrySeq = 0;
function statusEntry(chatId: number, caseNumber: string): OutboxEntry {
  entrySeq++;
  return {
    id: `telegram:${chatId}:${caseNumber}:status:${entrySeq}`,
    chatId,
    destination: 'telegram',
    kind: 'status',
    case: {
      number: caseNumber,
      summary: `Summary of ${caseNumber}`,
      status: `Status ${entrySeq}`,
      severity: '3 (Normal)',
      product: 'RHEL',
      closed: false,
      lastModifiedAt: new Date(T0).toISOString(),
    },
    text: 'New',
    createdAt: new Date(T0).toISOString(),
    attempts: 0,
  };
}

interface Daemon {
  store: StateStore;
  clock: ManualClock;
  /** Enqueues (as the poller would) and wakes the worker. */
  enqueue(...entries: OutboxEntry[]): Promise<void>;
  /** Until the outbox is empty. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

/** One run of the daemon's delivery half on db.json in `dir`. */
async function daemon(fake: FakeTelegram, dir: TempDir, seed?: State): Promise<Daemon> {
  const logger = collectLogs('warn').logger;
  const path = join(dir.path, 'db.json');
  if (seed) {
    const s = await openJsonFileStore({ path, logger });
    await s.update((d) => Object.assign(d, seed));
    await s.close();
  }
  const store = await openJsonFileStore({ path, logger });
  const clock = manualClock(T0);
  const notifier = createTelegramNotifier({
    config: testConfig({ apiRoot: fake.apiRoot }),
    links: createLinks(testConfig().portal),
    logger,
    clock,
    pacing: NO_PACING,
  });
  const delivery = createDelivery({
    store,
    notifiers: [notifier],
    logger,
    clock,
    reporter: recordingReporter(),
    keepClosedCases: true,
    timing: TIMING,
  });
  delivery.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await delivery.stop();
    await notifier.close();
    await store.close();
  };
  after(stop);
  return {
    store,
    clock,
    async enqueue(...entries) {
      await store.update((d) => {
        d.outbox.push(...entries);
      });
      delivery.kick();
    },
    drained: () => waitFor(() => store.read().outbox.length === 0).then(() => undefined),
    stop,
  };
}

function stateWith(chat: ChatState, outbox: OutboxEntry[] = []): State {
  const s = emptyState();
  s.chats[String(chat.id)] = chat;
  s.outbox = outbox;
  return s;
}

async function chatOnDisk(dir: TempDir, chatId: number): Promise<ChatState> {
  const raw = JSON.parse(await readFile(join(dir.path, 'db.json'), 'utf8')) as State;
  const chat = raw.chats[String(chatId)];
  assert.ok(chat, `chat ${chatId} in db.json`);
  return chat;
}

const topicCalls = (fake: FakeTelegram, chatId: number) =>
  fake.callsTo('createForumTopic').filter((c) => Number(c.params.chat_id) === chatId);

describe('forum topics: the state', () => {
  it('names a topic "<number> · <summary>", at most 128 characters', () => {
    assert.equal(topicName(A, 'Kernel panic'), `${A} · Kernel panic`);
    assert.equal(topicName(A, '  '), A);
    const long = topicName(A, 'x'.repeat(500));
    assert.equal(long.length, 128);
    assert.ok(long.startsWith(`${A} · xxx`) && long.endsWith('…'));
  });

  it('records a topic, forgets a deleted one, and records a refusal once with one notice', () => {
    const s = stateWith(forumChat(-1001));
    applyLearned(s, -1001, { topic: { caseNumber: A, threadId: 7 } }, T0);
    applyLearned(s, -1001, { topic: { caseNumber: B, threadId: 9 } }, T0);
    assert.deepEqual(s.chats['-1001']!.topics, { [A]: 7, [B]: 9 });
    applyLearned(s, -1001, { topic: { caseNumber: A, threadId: null } }, T0);
    applyLearned(s, -1001, { topic: { caseNumber: B, threadId: null } }, T0);
    assert.equal(s.chats['-1001']!.topics, undefined, 'an empty map is left out');
    applyLearned(s, -1001, { topicsRefused: 'no-right' }, T0);
    applyLearned(s, -1001, { topicsRefused: 'no-right' }, T0 + 1000);
    assert.equal(s.chats['-1001']!.topicsRefusedAt, new Date(T0).toISOString());
    assert.deepEqual(
      s.outbox.map((e) => [e.kind, e.chatId, e.text]),
      [['notice', -1001, NO_RIGHT]],
    );
  });

  it('is stored by the commit of any outcome: accepted, retried or refused', () => {
    const context = { now: T0, keepClosedCases: true, timing: { retryBaseMs: 1, retryMaxMs: 1 } };
    for (const [i, verdict] of (
      [
        { kind: 'ok' },
        { kind: 'retry', reason: '502' },
        { kind: 'rejected', reason: '400' },
      ] as const
    ).entries()) {
      const e = statusEntry(-1002, A);
      const s = stateWith(forumChat(-1002), [e]);
      applyOutcome(
        s,
        e.id,
        { ...verdict, learned: { topic: { caseNumber: A, threadId: 40 + i } } },
        context,
      );
      assert.deepEqual(s.chats['-1002']!.topics, { [A]: 40 + i }, verdict.kind);
      assert.equal(s.outbox.length, verdict.kind === 'retry' ? 1 : 0, verdict.kind);
    }
  });
});

describe('forum topics: on the wire', () => {
  let fake: FakeTelegram;
  let dir: TempDir;
  before(async () => {
    fake = await startFakeTelegram({ token: BOT_TOKEN });
    dir = await tempDir();
  });
  after(async () => {
    await fake.close();
    await dir.remove();
  });

  it('creates one topic per case on its first message and reuses it after a restart', async () => {
    const id = nextChatId();
    fake.makeForum(id, { botCanManageTopics: true });
    const first = await daemon(
      fake,
      dir,
      stateWith(forumChat(id), [statusEntry(id, A), statusEntry(id, A), statusEntry(id, B)]),
    );
    await first.drained();
    const topics = fake.forumTopics(id);
    assert.deepEqual(
      topics.map((t) => t.name),
      [`${A} · Summary of ${A}`, `${B} · Summary of ${B}`],
    );
    const [topicA, topicB] = topics.map((t) => t.threadId);
    assert.deepEqual(
      fake.messages(id).map((m) => m.threadId),
      [topicA, topicA, topicB],
    );
    assert.deepEqual((await chatOnDisk(dir, id)).topics, { [A]: topicA, [B]: topicB });
    await first.stop();

    // A new process on the same db.json: case A's topic is reused, not created again.
    const second = await daemon(fake, dir);
    const { case: _none, ...notice } = statusEntry(id, A);
    await second.enqueue(statusEntry(id, A), { ...notice, kind: 'notice', text: 'Hello' });
    await second.drained();
    assert.equal(topicCalls(fake, id).length, 2, 'no topic created after the restart');
    const [afterRestart, general] = fake.messages(id).slice(3);
    assert.equal(afterRestart?.threadId, topicA);
    assert.equal(general?.text, 'Hello');
    assert.equal(general?.threadId, undefined, 'a notice without a case goes to General');
  });

  it('keeps a topic created before a failed send, so the retry goes to the same topic', async () => {
    const id = nextChatId();
    fake.makeForum(id, { botCanManageTopics: true });
    fake.failNext({
      method: 'sendMessage',
      chatId: id,
      errorCode: 502,
      description: 'Bad Gateway',
    });
    const d = await daemon(fake, dir, stateWith(forumChat(id), [statusEntry(id, A)]));
    await waitFor(() => d.store.read().outbox[0]?.attempts === 1);
    const [topic] = fake.forumTopics(id);
    assert.ok(topic);
    assert.deepEqual(d.store.read().chats[String(id)]?.topics, { [A]: topic.threadId });
    await d.clock.advance(1000);
    await d.drained();
    assert.equal(topicCalls(fake, id).length, 1);
    assert.deepEqual(
      fake.messages(id).map((m) => m.threadId),
      [topic.threadId],
    );
  });

  it('posts in General without the right to manage topics, and tells the group once', async () => {
    const id = nextChatId();
    fake.makeForum(id, { botCanManageTopics: false });
    const d = await daemon(
      fake,
      dir,
      stateWith(forumChat(id), [statusEntry(id, A), statusEntry(id, B)]),
    );
    await d.drained();
    await d.enqueue(statusEntry(id, A));
    await d.drained();

    const sent = fake.messages(id);
    assert.equal(sent.length, 4, 'three notifications and one notice');
    assert.ok(
      sent.every((m) => m.threadId === undefined),
      'all in General',
    );
    assert.deepEqual(
      sent.filter((m) => m.text === NO_RIGHT).length,
      1,
      'the group is told once, not twice',
    );
    assert.equal(topicCalls(fake, id).length, 1, 'no second attempt once refused');
    const onDisk = await chatOnDisk(dir, id);
    assert.equal(onDisk.topicsRefusedAt, new Date(T0).toISOString());
    assert.equal(onDisk.topics, undefined);
  });

  it('says topics are off when the group is not a forum any more', async () => {
    const id = nextChatId();
    // The state says forum, Telegram says otherwise (someone turned topics off).
    const d = await daemon(fake, dir, stateWith(forumChat(id), [statusEntry(id, A)]));
    await d.drained();
    const sent = fake.messages(id);
    assert.equal(sent.length, 2);
    assert.match(sent[0]!.text, /Status/);
    assert.equal(sent[1]!.text, topicsRefusedNotice('not-a-forum'));
    assert.match(sent[1]!.text, /topics are turned off/);
  });

  it('replaces a topic a person deleted, and the message still arrives', async () => {
    const id = nextChatId();
    fake.makeForum(id, { botCanManageTopics: true });
    const d = await daemon(fake, dir, stateWith(forumChat(id), [statusEntry(id, A)]));
    await d.drained();
    const [old] = fake.forumTopics(id);
    assert.ok(old);
    fake.deleteForumTopic(id, old.threadId);

    await d.enqueue(statusEntry(id, A));
    await d.drained();
    const live = fake.forumTopics(id).filter((t) => !t.deleted);
    assert.equal(live.length, 1);
    const fresh = live[0]!;
    assert.notEqual(fresh.threadId, old.threadId);
    assert.equal(fresh.name, `${A} · Summary of ${A}`);
    assert.deepEqual(
      fake.messages(id).map((m) => m.threadId),
      [old.threadId, fresh.threadId],
    );
    assert.deepEqual((await chatOnDisk(dir, id)).topics, { [A]: fresh.threadId });
  });
});

describe('forum topics: within one process', () => {
  let fake: FakeTelegram;
  before(async () => {
    fake = await startFakeTelegram({ token: BOT_TOKEN });
  });
  after(() => fake.close());

  const notifierFor = () => {
    const notifier = createTelegramNotifier({
      config: testConfig({ apiRoot: fake.apiRoot }),
      links: createLinks(testConfig().portal),
      logger: collectLogs('warn').logger,
      pacing: NO_PACING,
    });
    after(() => notifier.close());
    return notifier;
  };

  it('posts in General when a person closed the topic to the bot, and keeps the topic', async () => {
    const id = nextChatId();
    fake.makeForum(id, { botCanManageTopics: false });
    const closed = fake.addForumTopic(id, `${A} · by hand`, { closed: true });
    const outcome = await notifierFor().send(
      statusEntry(id, A),
      forumChat(id, { topics: { [A]: closed.threadId } }),
    );
    assert.deepEqual(outcome, { kind: 'ok' }, 'nothing to forget: the topic is still there');
    assert.deepEqual(
      fake.messages(id).map((m) => m.threadId),
      [undefined],
    );
  });

  it('remembers a topic it created even before the state has it (no second topic)', async () => {
    const id = nextChatId();
    fake.makeForum(id, { botCanManageTopics: true });
    const notifier = notifierFor();
    // The same state twice: as if the first outcome had not been committed yet.
    const chat = forumChat(id);
    const first = await notifier.send(statusEntry(id, A), chat);
    const second = await notifier.send(statusEntry(id, A), chat);
    const [topic] = fake.forumTopics(id);
    assert.ok(topic);
    assert.deepEqual(first, {
      kind: 'ok',
      learned: { topic: { caseNumber: A, threadId: topic.threadId } },
    });
    assert.deepEqual(second, { kind: 'ok' }, 'nothing new learned the second time');
    assert.equal(topicCalls(fake, id).length, 1);
  });
});
