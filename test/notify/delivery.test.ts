import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { createDelivery, type Delivery, type DeliveryTiming } from '../../src/notify/delivery.js';
import { applyOutcome, retryDelayMs } from '../../src/notify/delivery-outcome.js';
import type { Notifier, SendOutcome } from '../../src/notify/notifier.js';
import { migrateChat, type Destination } from '../../src/outbox/index.js';
import { commentPrint } from '../../src/comment-identity.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import {
  emptyState,
  type ChatState,
  type OutboxEntry,
  type State,
} from '../../src/store/schema.js';
import { seenIds } from '../../src/store/seen.js';
import type { DeepReadonly, StateStore } from '../../src/store/store.js';
import {
  collectLogs,
  manualClock,
  recordingReporter,
  tempDir,
  waitFor,
  type ManualClock,
  type RecordingReporter,
} from '../poller/_support.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const SECRET = 'enc:v1:aaaa:bbbb:cccc';

// Time is the manual clock: the worker waits (idle rescans, retry times, the stop deadline)
// only on it, so these tests take no wall time and say exactly when things happen.
const TIMING: Partial<DeliveryTiming> = {
  retryBaseMs: 1000,
  retryMaxMs: 8000,
  idleRescanMs: 60_000,
  stopDeadlineMs: 300,
  commitRetryMs: 100,
};

function chatState(id: number, cases: string[], over: Partial<ChatState> = {}): ChatState {
  const subscriptions: ChatState['subscriptions'] = {};
  for (const n of cases) {
    subscriptions[n] = {
      caseNumber: n,
      addedAt: new Date(T0).toISOString(),
      seen: [],
      summary: `Case ${n}`,
      status: 'Waiting on Red Hat',
      severity: '3 (Normal)',
      product: 'RHEL',
      closed: false,
    };
  }
  return {
    id,
    type: id > 0 ? 'private' : 'group',
    active: true,
    audience: 'associate',
    maxCommentChars: 200,
    subscriptions,
    createdAt: new Date(T0).toISOString(),
    ...over,
  };
}

function entry(
  chatId: number,
  caseNumber: string,
  commentId: string,
  destination: Destination = 'telegram',
  kind: OutboxEntry['kind'] = 'comment',
): OutboxEntry {
  const kase = {
    number: caseNumber,
    summary: `Case ${caseNumber}`,
    status: 'Waiting on Red Hat',
    severity: '3 (Normal)',
    product: 'RHEL',
    closed: kind === 'closed',
    lastModifiedAt: new Date(T0).toISOString(),
  };
  return {
    id: `${destination}:${chatId}:${caseNumber}:${kind === 'comment' ? commentId : `${kind}:${commentId}`}`,
    chatId,
    destination,
    kind,
    case: kase,
    ...(kind === 'comment'
      ? {
          comment: {
            id: commentId,
            caseNumber,
            author: 'Engineer, Red Hat',
            authorType: 'associate' as const,
            body: `text of ${commentId}`,
            createdAt: new Date(T0).toISOString(),
            isPublic: true,
            isDraft: false,
          },
        }
      : {}),
    createdAt: new Date(T0).toISOString(),
    attempts: 0,
  };
}

/**
 * The chat's record of the case holds exactly these comments of `entry()`, in this order: each
 * by its id and by its print, and seen up to their creation time (all entries share T0).
 */
function assertSeen(
  state: DeepReadonly<State>,
  chatId: number,
  caseNumber: string,
  commentIds: string[],
): void {
  const sub = state.chats[String(chatId)]?.subscriptions[caseNumber];
  assert.ok(sub, `chat ${chatId} still follows ${caseNumber}`);
  assert.deepEqual(seenIds(sub.seen), commentIds);
  const prints = commentIds.map((id) => commentPrint(entry(chatId, caseNumber, id).comment!));
  assert.deepEqual(
    sub.seen.filter((key) => !commentIds.includes(key)).sort(),
    [...new Set(prints)].sort(),
    'each seen comment is also known by its print, and nothing else is seen',
  );
  assert.equal(
    sub.seenUpTo,
    commentIds.length > 0 ? new Date(T0).toISOString() : undefined,
    'seen up to the newest seen comment',
  );
}

function stateWith(chats: ChatState[], outbox: OutboxEntry[]): State {
  const s = emptyState();
  for (const c of chats) s.chats[String(c.id)] = c;
  s.outbox = outbox;
  return s;
}

interface Sent {
  id: string;
  chatId: number;
}

/**
 * A store whose writes take `delayMs` of `clock` time (a slow disk), and that refuses a
 * transaction when `refuse` throws on the state it would commit.
 */
function slowStore(
  inner: StateStore,
  clock: ManualClock,
  delayMs: number,
  refuse?: (draft: State) => void,
): StateStore {
  return {
    read: () => inner.read(),
    update: async (fn) => {
      await clock.sleep(delayMs);
      return inner.update((draft) => {
        const result = fn(draft);
        refuse?.(draft);
        return result;
      });
    },
    get writeCount() {
      return inner.writeCount;
    },
    close: () => inner.close(),
  };
}

interface Scripted extends Notifier {
  sent: Sent[];
  /** Outcome for the next sends, in order; then 'ok'. */
  script: (SendOutcome | 'throw' | 'hang')[];
}

function scripted(destination: Destination = 'telegram'): Scripted {
  const n: Scripted = {
    destination,
    sent: [],
    script: [],
    async send(e: DeepReadonly<OutboxEntry>, chat: DeepReadonly<ChatState>, options) {
      n.sent.push({ id: e.id, chatId: chat.id });
      const next = n.script.shift() ?? { kind: 'ok' };
      if (next === 'throw') throw new TypeError('formatter bug');
      if (next === 'hang') {
        // A send that never answers, until shutdown gives up on it.
        return new Promise<SendOutcome>((resolve) => {
          options?.signal?.addEventListener('abort', () =>
            resolve({ kind: 'retry', reason: 'aborted' }),
          );
        });
      }
      return next;
    },
  };
  return n;
}

interface Rig {
  store: StateStore;
  clock: ManualClock;
  delivery: Delivery;
  reporter: RecordingReporter;
  notifiers: Scripted[];
}

function rig(
  state: State,
  options: {
    notifiers?: Scripted[];
    keepClosedCases?: boolean;
    store?: StateStore;
    clock?: ManualClock;
  } = {},
): Rig {
  const store = options.store ?? createMemoryStore(state);
  const clock = options.clock ?? manualClock(T0);
  const reporter = recordingReporter();
  const notifiers = options.notifiers ?? [scripted()];
  const delivery = createDelivery({
    store,
    notifiers,
    logger: collectLogs('warn').logger,
    clock,
    reporter,
    keepClosedCases: options.keepClosedCases ?? false,
    timing: TIMING,
  });
  // Stops the worker, without waiting for a send or a write that a failed test left waiting on
  // the manual clock: it would never end, and every later test would be cancelled behind it.
  after(() => Promise.race([delivery.stop(), clock.flush()]));
  return { store, clock, delivery, reporter, notifiers };
}

const sentIds = (n: Scripted) => n.sent.map((s) => s.id);

describe('delivery worker', () => {
  it('sends each chat its entries in order, removes them and marks the comments seen', async () => {
    const r = rig(
      stateWith(
        [chatState(1, ['00000111']), chatState(2, ['00000222'])],
        [
          entry(1, '00000111', 'c1'),
          entry(2, '00000222', 'd1'),
          entry(1, '00000111', 'c2'),
          entry(1, '00000111', 'c3'),
        ],
      ),
    );
    const writes = r.store.writeCount;
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.store.read().outbox.length, 0);
    const n = r.notifiers[0]!;
    assert.deepEqual(
      n.sent.filter((s) => s.chatId === 1).map((s) => s.id),
      ['telegram:1:00000111:c1', 'telegram:1:00000111:c2', 'telegram:1:00000111:c3'],
    );
    assert.equal(n.sent.length, 4);
    assertSeen(r.store.read(), 1, '00000111', ['c1', 'c2', 'c3']);
    assertSeen(r.store.read(), 2, '00000222', ['d1']);
    // Remove + seen in one transaction per message at most (outcomes that finish while a
    // write is in flight share the next one).
    assert.ok(r.store.writeCount - writes <= 4);
    assert.equal(r.delivery.stats.sent, 4);
  });

  it('records outcomes that finish during a write in one shared write (group commit)', async () => {
    const chats = Array.from({ length: 10 }, (_, i) => chatState(i + 1, [`0000010${i}`]));
    const inner = createMemoryStore(
      stateWith(
        chats,
        chats.map((c, i) => entry(c.id, `0000010${i}`, `c${i}`)),
      ),
    );
    // A slow disk: every write takes 50 ms.
    const clock = manualClock(T0);
    const slow = slowStore(inner, clock, 50);
    const r = rig(inner.read() as State, { store: slow, clock });
    const writes = inner.writeCount;
    r.delivery.start();
    await clock.flush();
    assert.equal(r.notifiers[0]!.sent.length, 10, 'all ten sent at once, in parallel');
    // The first outcome starts a write; the nine that arrive while it runs share the next one.
    await clock.advance(50);
    assert.equal(inner.writeCount - writes, 1);
    assert.equal(inner.read().outbox.length, 9);
    await clock.advance(50);
    assert.equal(inner.writeCount - writes, 2, 'two writes for ten messages');
    assert.equal(inner.read().outbox.length, 0);
    for (const [i, c] of chats.entries()) {
      assertSeen(inner.read(), c.id, `0000010${i}`, [`c${i}`]);
    }
  });

  it('records the others when one outcome in a shared write cannot be recorded', async () => {
    const chats = Array.from({ length: 6 }, (_, i) => chatState(i + 1, [`0000020${i}`]));
    const inner = createMemoryStore(
      stateWith(
        chats,
        chats.map((c, i) => entry(c.id, `0000020${i}`, `c${i}`)),
      ),
    );
    // The store refuses any transaction that would mark chat 3's comment seen.
    const clock = manualClock(T0);
    const picky = slowStore(inner, clock, 30, (draft) => {
      if (draft.chats['3']!.subscriptions['00000202']!.seen.includes('c2')) {
        throw new Error('disk full');
      }
    });
    const r = rig(inner.read() as State, { store: picky, clock });
    r.delivery.start();
    // Writes of 30 ms each: chat 1 alone, the other five together (refused), then those five
    // one by one.
    await clock.advance(30 + 30 + 5 * 30);
    assert.deepEqual(
      inner.read().outbox.map((e) => e.chatId),
      [3],
    );
    for (const [i, c] of chats.entries()) {
      assertSeen(inner.read(), c.id, `0000020${i}`, c.id === 3 ? [] : [`c${i}`]);
    }
    const id = (chatId: number) => `telegram:${chatId}:0000020${chatId - 1}:c${chatId - 1}`;
    assert.deepEqual(
      r.reporter.reports.map((x) => [x.component, x.context?.entryIds]),
      [
        ['store', [2, 3, 4, 5, 6].map(id)],
        ['store', [id(3)]],
      ],
    );
    assert.equal(r.notifiers[0]!.sent.length, 6, 'nothing sent twice');
  });

  it('waits retry_after on a 429 and sends the same message again, holding back that chat only', async () => {
    const n = scripted();
    n.script.push({ kind: 'retry', reason: 'Telegram 429: Too Many Requests', retryAfterMs: 3000 });
    const r = rig(
      stateWith(
        [chatState(1, ['00000111']), chatState(2, ['00000222'])],
        [entry(1, '00000111', 'c1'), entry(1, '00000111', 'c2'), entry(2, '00000222', 'd1')],
      ),
      { notifiers: [n] },
    );
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.store.read().outbox.length, 2);
    const waiting = r.store.read().outbox[0]!;
    assert.equal(waiting.id, 'telegram:1:00000111:c1');
    assert.equal(waiting.attempts, 1);
    assert.equal(waiting.notBefore, new Date(T0 + 3000).toISOString());
    assert.match(waiting.lastError ?? '', /429/);
    // Chat 2 was not held; chat 1's second message did not overtake its first.
    assert.deepEqual(sentIds(n), ['telegram:1:00000111:c1', 'telegram:2:00000222:d1']);
    // The worker sleeps until exactly then, and wakes by itself.
    assert.deepEqual(r.clock.pending(), [T0 + 3000]);
    await r.clock.advance(2999);
    assert.equal(n.sent.length, 2, 'not before retry_after');
    await r.clock.advance(1);
    assert.equal(r.store.read().outbox.length, 0);
    assert.deepEqual(sentIds(n), [
      'telegram:1:00000111:c1',
      'telegram:2:00000222:d1',
      'telegram:1:00000111:c1',
      'telegram:1:00000111:c2',
    ]);
    assertSeen(r.store.read(), 1, '00000111', ['c1', 'c2']);
  });

  it('backs off exponentially on 5xx and network failures, capped, and delivers after recovery', async () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, { retryBaseMs: 1000, retryMaxMs: 8000 })),
      [1000, 2000, 4000, 8000, 8000, 8000],
    );
    const n = scripted();
    for (let i = 0; i < 3; i++)
      n.script.push({ kind: 'retry', reason: 'Telegram 502: Bad Gateway' });
    const r = rig(stateWith([chatState(1, ['00000111'])], [entry(1, '00000111', 'c1')]), {
      notifiers: [n],
    });
    r.delivery.start();
    await r.clock.flush();
    const sentAt: number[] = [r.clock.now()];
    for (const delay of [1000, 2000, 4000]) {
      const e = r.store.read().outbox[0]!;
      assert.equal(e.attempts, sentAt.length);
      assert.equal(Date.parse(e.notBefore!) - r.clock.now(), delay);
      await r.clock.advance(delay - 1);
      assert.equal(n.sent.length, sentAt.length, 'not before the backoff is over');
      await r.clock.advance(1);
      sentAt.push(r.clock.now());
      assert.equal(n.sent.length, sentAt.length);
    }
    assert.equal(r.store.read().outbox.length, 0);
    assert.deepEqual(sentAt, [T0, T0 + 1000, T0 + 3000, T0 + 7000]);
  });

  it('pauses a chat that blocked the bot, keeps its messages, and resumes after /start', async () => {
    const n = scripted();
    n.script.push({
      kind: 'blocked',
      reason: 'Telegram 403: Forbidden: bot was blocked by the user',
    });
    const r = rig(
      stateWith(
        [chatState(1, ['00000111']), chatState(2, ['00000222'])],
        [entry(1, '00000111', 'c1'), entry(1, '00000111', 'c2'), entry(2, '00000222', 'd1')],
      ),
      { notifiers: [n] },
    );
    r.delivery.start();
    await r.clock.flush();
    assert.equal(n.sent.length, 2);
    const chat = r.store.read().chats['1']!;
    assert.equal(chat.active, false);
    assert.equal(chat.inactiveSince, new Date(T0).toISOString());
    assert.equal(r.store.read().outbox.length, 2, 'its messages are kept');
    assert.ok(chat.subscriptions['00000111'], 'its data is kept');
    // An hour passes (the worker looks at the outbox every minute): nothing goes to the chat.
    await r.clock.advance(3_600_000);
    r.delivery.kick();
    await r.clock.flush();
    assert.equal(n.sent.length, 2);
    // /start: the bot sets the chat active and kicks the worker.
    await r.store.update((d) => {
      d.chats['1']!.active = true;
      delete d.chats['1']!.inactiveSince;
    });
    r.delivery.kick();
    await r.clock.flush();
    assert.equal(r.store.read().outbox.length, 0);
    assert.deepEqual(
      n.sent.filter((s) => s.chatId === 1).map((s) => s.id),
      ['telegram:1:00000111:c1', 'telegram:1:00000111:c1', 'telegram:1:00000111:c2'],
    );
  });

  it('moves a group that became a supergroup to its new id and sends there', async () => {
    const n = scripted();
    n.script.push({ kind: 'migrated', newChatId: -1009999 });
    const group = chatState(-42, ['00000111'], {
      title: 'Ops',
      audience: 'both',
      credentialId: 'cred-1',
    });
    const r = rig(
      stateWith(
        [group],
        [entry(-42, '00000111', 'c1'), entry(-42, '00000111', 'closed1', 'telegram', 'status')],
      ),
      { notifiers: [n] },
    );
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.store.read().outbox.length, 0);
    const state = r.store.read();
    assert.equal(state.chats['-42'], undefined);
    const moved = state.chats['-1009999']!;
    assert.equal(moved.type, 'supergroup');
    assert.equal(moved.audience, 'both');
    assert.equal(moved.credentialId, 'cred-1');
    assert.equal(moved.title, 'Ops');
    assertSeen(state, -1009999, '00000111', ['c1']);
    assert.deepEqual(n.sent, [
      { id: 'telegram:-42:00000111:c1', chatId: -42 },
      { id: 'telegram:-1009999:00000111:c1', chatId: -1009999 },
      { id: 'telegram:-1009999:00000111:status:closed1', chatId: -1009999 },
    ]);
  });

  it('merges into the new chat when it already exists', () => {
    const s = stateWith(
      [
        chatState(-42, ['00000111', '00000222'], { credentialId: 'cred-1' }),
        chatState(-100777, ['00000111'], { type: 'supergroup' }),
      ],
      [entry(-42, '00000222', 'x'), entry(-100777, '00000222', 'x')],
    );
    Object.assign(s.chats['-42']!.subscriptions['00000111']!, {
      seen: ['a', 'b'],
      seenUpTo: '2026-03-01T12:05:00.000Z',
      via: 'v1',
    });
    Object.assign(s.chats['-100777']!.subscriptions['00000111']!, {
      seen: ['b', 'c'],
      seenUpTo: '2026-03-01T12:00:00.000Z',
    });
    migrateChat(s, -42, -100777);
    const merged = s.chats['-100777']!;
    assert.deepEqual(Object.keys(merged.subscriptions).sort(), ['00000111', '00000222']);
    assert.deepEqual(merged.subscriptions['00000111']!.seen.sort(), ['a', 'b', 'c']);
    // The later of the two bounds, and the id space of the ids that came along.
    assert.equal(merged.subscriptions['00000111']!.seenUpTo, '2026-03-01T12:05:00.000Z');
    assert.equal(merged.subscriptions['00000111']!.via, 'v1');
    assert.equal(merged.credentialId, 'cred-1');
    assert.equal(s.outbox.length, 1, 'the same pending message is kept once');
  });

  it('drops a message the destination refuses for good, reports it, and marks the comment seen', async () => {
    const n = scripted();
    n.script.push({ kind: 'rejected', reason: 'Telegram 400: Bad Request: message is too long' });
    const r = rig(
      stateWith(
        [chatState(1, ['00000111'])],
        [entry(1, '00000111', 'c1'), entry(1, '00000111', 'c2')],
      ),
      { notifiers: [n] },
    );
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.store.read().outbox.length, 0);
    assert.deepEqual(sentIds(n), ['telegram:1:00000111:c1', 'telegram:1:00000111:c2']);
    assertSeen(r.store.read(), 1, '00000111', ['c1', 'c2']);
    assert.equal(r.reporter.reports.length, 1);
    assert.match(String(r.reporter.reports[0]!.error), /message is too long/);
    assert.equal(r.reporter.reports[0]!.context?.chatId, 1);
    assert.equal(r.delivery.stats.rejected, 1);
  });

  it('retries with backoff, and reports, when a notifier throws (never drops the comment)', async () => {
    const n = scripted();
    n.script.push('throw');
    const r = rig(stateWith([chatState(1, ['00000111'])], [entry(1, '00000111', 'c1')]), {
      notifiers: [n],
    });
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.store.read().outbox[0]?.attempts, 1);
    assert.equal(r.reporter.reports.length, 1);
    await r.clock.advance(999);
    assert.equal(n.sent.length, 1, 'backs off the base delay');
    await r.clock.advance(1);
    assert.equal(r.store.read().outbox.length, 0);
    assert.equal(n.sent.length, 2);
  });

  it('ends the subscription of a closed case once the closing message is out, unless kept', async () => {
    for (const keep of [false, true]) {
      const r = rig(
        stateWith(
          [chatState(1, ['00000111'])],
          [entry(1, '00000111', 'c1'), entry(1, '00000111', '1', 'telegram', 'closed')],
        ),
        { keepClosedCases: keep },
      );
      await r.store.update((d) => {
        d.chats['1']!.subscriptions['00000111']!.closed = true;
      });
      r.delivery.start();
      await r.clock.flush();
      assert.equal(r.store.read().outbox.length, 0);
      const sub = r.store.read().chats['1']!.subscriptions['00000111'];
      if (keep) assertSeen(r.store.read(), 1, '00000111', ['c1']);
      else assert.equal(sub, undefined);
      await r.delivery.stop();
    }
  });

  it('records an outcome whose commit failed without sending the message again', async () => {
    const inner = createMemoryStore(
      stateWith([chatState(1, ['00000111'])], [entry(1, '00000111', 'c1')]),
    );
    let failures = 2;
    const flaky: StateStore = {
      read: () => inner.read(),
      update: (fn) => (failures-- > 0 ? Promise.reject(new Error('disk full')) : inner.update(fn)),
      get writeCount() {
        return inner.writeCount;
      },
      close: () => inner.close(),
    };
    const r = rig(emptyState(), { store: flaky });
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.reporter.reports.length, 1);
    // The commit is tried again every commitRetryMs, and the message is not sent again.
    await r.clock.advance(99);
    assert.equal(r.reporter.reports.length, 1);
    await r.clock.advance(1);
    assert.equal(r.reporter.reports.length, 2);
    await r.clock.advance(100);
    assert.equal(inner.read().outbox.length, 0);
    assert.equal(r.notifiers[0]!.sent.length, 1, 'sent once; only the commit was retried');
    assert.equal(r.reporter.reports[0]!.component, 'store');
  });

  it('after a crash between send and commit, sends at most that message twice and loses nothing', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const path = join(dir.path, 'db.json');
    const logs = collectLogs('warn');
    const first = await openJsonFileStore({ path, logger: logs.logger, lockStaleMs: 2000 });
    await first.update((d) =>
      Object.assign(
        d,
        stateWith(
          [chatState(1, ['00000111'])],
          [entry(1, '00000111', 'c1'), entry(1, '00000111', 'c2'), entry(1, '00000111', 'c3')],
        ),
      ),
    );
    // The process "dies" right after Telegram accepted c2: its commit never reaches db.json.
    const delivered: string[] = [];
    let dead = false;
    const dying: StateStore = {
      read: () => first.read(),
      update: (fn) => (dead ? Promise.reject(new Error('process killed')) : first.update(fn)),
      get writeCount() {
        return first.writeCount;
      },
      close: () => first.close(),
    };
    const n1 = scripted();
    const wrapped: Notifier = {
      destination: 'telegram',
      async send(e, chat, o) {
        const out = await n1.send(e, chat, o);
        delivered.push(e.comment!.id);
        if (e.comment!.id === 'c2') dead = true;
        return out;
      },
    };
    const d1 = createDelivery({
      store: dying,
      notifiers: [wrapped],
      logger: logs.logger,
      clock: manualClock(T0),
      reporter: recordingReporter(),
      keepClosedCases: false,
      timing: TIMING,
    });
    d1.start();
    await waitFor(() => dead);
    await d1.stop();
    await first.close();

    // Restart: a new process opens the same db.json.
    const second = await openJsonFileStore({ path, logger: logs.logger, lockStaleMs: 2000 });
    after(() => second.close());
    assert.deepEqual(
      second.read().outbox.map((e) => e.comment!.id),
      ['c2', 'c3'],
    );
    const n2 = scripted();
    const r2 = rig(emptyState(), { store: second, notifiers: [n2] });
    r2.delivery.start();
    await waitFor(() => second.read().outbox.length === 0);
    const all = [...delivered, ...n2.sent.map((s) => s.id.split(':').pop()!)];
    assert.deepEqual(
      all,
      ['c1', 'c2', 'c2', 'c3'],
      'c2 twice (the message in flight), nothing lost',
    );
    assertSeen(second.read(), 1, '00000111', ['c1', 'c2', 'c3']);
  });

  it('sends entries left pending by the previous run before new ones, without duplicates', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const path = join(dir.path, 'db.json');
    const logs = collectLogs('warn');
    const before = await openJsonFileStore({ path, logger: logs.logger });
    await before.update((d) =>
      Object.assign(
        d,
        stateWith(
          [chatState(1, ['00000111'])],
          [entry(1, '00000111', 'old1'), entry(1, '00000111', 'old2')],
        ),
      ),
    );
    await before.close();
    const store = await openJsonFileStore({ path, logger: logs.logger });
    after(() => store.close());
    const r = rig(emptyState(), { store });
    r.delivery.start();
    // A new cycle enqueues while the old ones go out.
    await store.update((d) => {
      d.outbox.push(entry(1, '00000111', 'new1'));
    });
    r.delivery.kick();
    await waitFor(() => store.read().outbox.length === 0);
    assert.deepEqual(
      r.notifiers[0]!.sent.map((s) => s.id.split(':').pop()),
      ['old1', 'old2', 'new1'],
    );
  });

  it('drops entries of a chat deleted by /forget', async () => {
    const r = rig(
      stateWith(
        [chatState(2, ['00000222'])],
        [entry(1, '00000111', 'c1'), entry(2, '00000222', 'd1')],
      ),
    );
    r.delivery.start();
    await r.clock.flush();
    assert.equal(r.store.read().outbox.length, 0);
    assert.deepEqual(sentIds(r.notifiers[0]!), ['telegram:2:00000222:d1']);
  });

  it('fans out per destination: a failing one neither blocks nor duplicates the other', async () => {
    const telegram = scripted('telegram');
    const slack = scripted('slack');
    slack.script.push({ kind: 'retry', reason: 'Slack 500' });
    const chat = chatState(1, ['00000111'], {
      slack: { webhook: SECRET, addedAt: new Date(T0).toISOString() },
    });
    const r = rig(
      stateWith(
        [chat],
        [
          entry(1, '00000111', 'c1', 'telegram'),
          entry(1, '00000111', 'c1', 'slack'),
          entry(1, '00000111', 'c2', 'telegram'),
          entry(1, '00000111', 'c2', 'slack'),
        ],
      ),
      { notifiers: [telegram, slack] },
    );
    r.delivery.start();
    await r.clock.flush();
    assert.equal(telegram.sent.length, 2);
    assert.ok(r.store.read().outbox.every((e) => e.destination === 'slack'));
    // Telegram has both; the comments are not seen while Slack still owes them.
    assertSeen(r.store.read(), 1, '00000111', []);
    await r.clock.advance(1000);
    assert.equal(r.store.read().outbox.length, 0);
    assert.equal(telegram.sent.length, 2);
    assert.deepEqual(sentIds(slack), [
      'slack:1:00000111:c1',
      'slack:1:00000111:c1',
      'slack:1:00000111:c2',
    ]);
    assertSeen(r.store.read(), 1, '00000111', ['c1', 'c2']);
  });

  it('disables a destination that is gone and drops its entries', () => {
    const chat = chatState(1, ['00000111'], {
      slack: { webhook: SECRET, addedAt: new Date(T0).toISOString() },
    });
    const s = stateWith(
      [chat],
      [entry(1, '00000111', 'c1', 'slack'), entry(1, '00000111', 'c2', 'slack')],
    );
    applyOutcome(
      s,
      'slack:1:00000111:c1',
      { kind: 'disabled', reason: 'no_service' },
      {
        now: T0,
        keepClosedCases: false,
        timing: { retryBaseMs: 1000, retryMaxMs: 8000 },
      },
    );
    // The Slack entries are gone; the chat is told once, on Telegram, what to do.
    assert.deepEqual(
      s.outbox.map((e) => [e.destination, e.kind]),
      [['telegram', 'notice']],
    );
    assert.match(s.outbox[0]!.text ?? '', /Slack paused/);
    assert.equal(s.chats['1']!.slack?.disabledAt, new Date(T0).toISOString());
    assertSeen(s, 1, '00000111', ['c1', 'c2']);
    // A second 'disabled' answer (another entry in flight) does not tell the chat again.
    s.outbox.push(entry(1, '00000111', 'c3', 'slack'));
    applyOutcome(
      s,
      'slack:1:00000111:c3',
      { kind: 'disabled', reason: 'no_service' },
      { now: T0 + 1, keepClosedCases: false, timing: { retryBaseMs: 1000, retryMaxMs: 8000 } },
    );
    assert.equal(s.outbox.filter((e) => e.kind === 'notice').length, 1);
  });

  it('on stop, lets a send in flight finish and records it', async () => {
    const n = scripted();
    let release: (() => void) | undefined;
    const slow: Notifier = {
      destination: 'telegram',
      async send(e, chat, o) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return n.send(e, chat, o);
      },
    };
    const r = rig(
      stateWith(
        [chatState(1, ['00000111'])],
        [entry(1, '00000111', 'c1'), entry(1, '00000111', 'c2')],
      ),
      {
        notifiers: [slow as Scripted],
      },
    );
    r.delivery.start();
    await r.clock.flush();
    assert.ok(release, 'c1 is being sent');
    const stopping = r.delivery.stop();
    release();
    await stopping;
    assert.deepEqual(
      r.store.read().outbox.map((e) => e.comment!.id),
      ['c2'],
      'c1 committed, c2 left for the next start',
    );
  });

  it('on stop, abandons a send that hangs past the deadline; the message stays pending', async () => {
    const n = scripted();
    n.script.push('hang');
    const r = rig(stateWith([chatState(1, ['00000111'])], [entry(1, '00000111', 'c1')]), {
      notifiers: [n],
    });
    r.delivery.start();
    await r.clock.flush();
    assert.equal(n.sent.length, 1);
    let stopped = false;
    const stopping = r.delivery.stop().then(() => {
      stopped = true;
    });
    await r.clock.advance(299);
    assert.equal(stopped, false, 'the send gets the whole stop deadline');
    await r.clock.advance(1);
    assert.equal(stopped, true);
    await stopping;
    const pending = r.store.read().outbox;
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.lastError, 'aborted');
  });
});
