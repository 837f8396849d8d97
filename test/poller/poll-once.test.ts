import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { commentPrint } from '../../src/comment-identity.js';
import type { Config } from '../../src/config.js';
import type { CredentialVault } from '../../src/credentials.js';
import type { CaseNumber } from '../../src/domain.js';
import { createPoller, type Poller } from '../../src/poller/poller.js';
import type { PortalClient } from '../../src/portal/types.js';
import type { OutboxEntry, State } from '../../src/store/schema.js';
import type { DeepReadonly, StateStore } from '../../src/store/store.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';
import { waitUntil } from '../_helpers/wait.js';
import {
  addComment,
  collectLogs,
  manualClock,
  recordingReporter,
  seedState,
  tempDir,
  testConfig,
  vaultFor,
  type ChatSeed,
  type LogCollector,
  type ManualClock,
  type RecordingReporter,
} from './_support.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

interface Rig {
  portal: MemoryPortal;
  clock: ManualClock;
  store: StateStore;
  vault: CredentialVault;
  poller: Poller;
  logs: LogCollector;
  reporter: RecordingReporter;
  kicks: number;
  /** store.writeCount after seeding. */
  baseWrites: number;
  config: Config;
}

function newPortal(clock: ManualClock): MemoryPortal {
  const portal = new MemoryPortal();
  portal.validCredentials.add('token-a');
  portal.validCredentials.add('token-b');
  // Cases last touched yesterday: the filter does not name them until something happens.
  for (const n of ['00000111', '00000222', '00000333']) {
    portal.addCase({ number: n, lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString() });
  }
  return portal;
}

async function rig(
  options: {
    chats?: ChatSeed[];
    poll?: Partial<Config['poll']>;
    portal?: MemoryPortal;
    clock?: ManualClock;
    store?: StateStore;
    wrapClient?: (client: PortalClient, store: StateStore) => PortalClient;
  } = {},
): Promise<Rig> {
  const clock = options.clock ?? manualClock();
  const portal = options.portal ?? newPortal(clock);
  const store = options.store ?? createMemoryStore();
  const vault = vaultFor(store, portal, clock);
  const seeded = seedState(
    portal,
    vault,
    options.chats ?? [{ chatId: 1001, token: 'token-a', cases: ['00000111', '00000222'] }],
    new Date(clock.now()),
  );
  await store.update((draft) => Object.assign(draft, seeded));
  const logs = collectLogs();
  const reporter = recordingReporter();
  const config = testConfig({ poll: options.poll ?? {} });
  const wrap = options.wrapClient;
  const r: Rig = {
    portal,
    clock,
    store,
    vault,
    logs,
    reporter,
    kicks: 0,
    baseWrites: store.writeCount,
    config,
    poller: undefined as unknown as Poller,
  };
  r.poller = createPoller({
    config,
    store,
    vault: wrap
      ? {
          clientFor: (id) => {
            const c = vault.clientFor(id);
            return c && wrap(c, store);
          },
        }
      : vault,
    logger: logs.logger,
    clock,
    reporter,
    destinations: ['telegram'],
    onEnqueued: () => {
      r.kicks++;
    },
  });
  return r;
}

const outbox = (r: Rig): readonly DeepReadonly<OutboxEntry>[] => r.store.read().outbox;
const commentIds = (r: Rig, chatId?: number): string[] =>
  outbox(r)
    .filter((e) => e.kind === 'comment' && (chatId === undefined || e.chatId === chatId))
    .map((e) => e.comment!.id);
const chat = (r: Rig, id: number) => r.store.read().chats[String(id)]!;

describe('poll cycle', () => {
  it('enqueues every comment that arrived between two polls, in order, in one store write', async () => {
    const r = await rig();
    await r.poller.runCycle(); // first cycle: full sweep, nothing new
    assert.equal(outbox(r).length, 0);
    await r.clock.advance(MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000111', { body: 'first' });
    await r.clock.advance(1000);
    const c2 = addComment(r.portal, r.clock, '00000111', { body: 'second' });
    await r.clock.advance(1000);
    const c3 = addComment(r.portal, r.clock, '00000111', { body: 'third' });
    const stats = await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c1.id, c2.id, c3.id]);
    assert.equal(stats.enqueued, 3);
    assert.equal(stats.storeWrites, 1);
    assert.equal(r.store.writeCount - r.baseWrites, 1);
    assert.equal(r.kicks, 1);
    const entry = outbox(r)[0]!;
    assert.equal(entry.id, `telegram:1001:00000111:${c1.id}`);
    assert.equal(entry.case?.summary, 'Case 00000111');
    // Pending comments are not enqueued twice.
    const again = await r.poller.runCycle();
    assert.equal(again.enqueued, 0);
    assert.equal(outbox(r).length, 3);
  });

  it('applies each chat audience to a fetch shared by the chats using one credential', async () => {
    const r = await rig({
      chats: [
        { chatId: 1, token: 'token-a', cases: ['00000111'], audience: 'associate' },
        { chatId: 2, token: 'token-a', cases: ['00000111'], audience: 'customer' },
        { chatId: 3, token: 'token-a', cases: ['00000111'], audience: 'both' },
      ],
    });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const staff = addComment(r.portal, r.clock, '00000111', { authorType: 'associate' });
    const customer = addComment(r.portal, r.clock, '00000111', { authorType: 'customer' });
    const unknown = addComment(r.portal, r.clock, '00000111', { authorType: 'unknown' });
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    // One filter request, then the case fetched once for the three chats.
    assert.equal(r.portal.count('changedCases'), 1);
    assert.equal(r.portal.count('getCase'), 1);
    assert.equal(r.portal.count('listComments'), 1);
    // A comment whose author cannot be classified goes to no audience.
    assert.deepEqual(commentIds(r, 1), [staff.id]);
    assert.deepEqual(commentIds(r, 2), [customer.id]);
    assert.deepEqual(commentIds(r, 3), [staff.id, customer.id]);
    // The comment a chat's audience does not want is seen (by id and print), so /notify both
    // later does not replay it.
    const sub = (id: number) => chat(r, id).subscriptions['00000111']!;
    assert.ok(sub(1).seen.includes(customer.id));
    assert.ok(sub(1).seen.includes(commentPrint(customer)));
    assert.equal(sub(1).seenUpTo, customer.createdAt);
    assert.ok(sub(2).seen.includes(staff.id));
    assert.ok(sub(2).seen.includes(commentPrint(staff)));
    assert.equal(sub(2).seenUpTo, staff.createdAt);
    // The unclassifiable one is not seen anywhere: like a non-public comment, it is left for
    // the day its author is known.
    for (const id of [1, 2, 3]) {
      assert.ok(!sub(id).seen.includes(unknown.id), `chat ${id} saw the unknown author's id`);
      assert.ok(!sub(id).seen.includes(commentPrint(unknown)), `chat ${id} saw its print`);
    }
  });

  it('skips drafts and internal comments, and does not send an edited comment again', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const draft = addComment(r.portal, r.clock, '00000111', { isDraft: true });
    addComment(r.portal, r.clock, '00000111', { isPublic: false });
    const shown = addComment(r.portal, r.clock, '00000111');
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [shown.id]);
    // Delivered (as the delivery worker would commit it), then edited at the portal.
    await r.store.update((d) => {
      d.outbox = [];
      d.chats['1001']!.subscriptions['00000111']!.seen.push(shown.id);
    });
    await r.clock.advance(MINUTE_MS);
    const kase = r.portal.cases.get('00000111')!;
    kase.comments.find((c) => c.id === shown.id)!.body = 'edited text';
    kase.lastModifiedAt = new Date(r.clock.now()).toISOString();
    const stats = await r.poller.runCycle();
    assert.equal(stats.enqueued, 0);
    assert.equal(outbox(r).length, 0);
    // The draft, once published under the same id, is notified.
    await r.clock.advance(MINUTE_MS);
    kase.comments.find((c) => c.id === draft.id)!.isDraft = false;
    kase.lastModifiedAt = new Date(r.clock.now()).toISOString();
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [draft.id]);
  });

  it('costs one portal request per credential and zero store writes when nothing happened (50 credentials × 10 cases)', async () => {
    const clock = manualClock();
    const portal = new MemoryPortal();
    const chats: ChatSeed[] = [];
    for (let c = 0; c < 50; c++) {
      const token = `token-${c}`;
      portal.validCredentials.add(token);
      const cases: CaseNumber[] = [];
      for (let k = 0; k < 10; k++) {
        const n = String(10_000 + c * 10 + k).padStart(8, '0');
        portal.addCase({ number: n, lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString() });
        portal.addComment(n, { createdAt: new Date(clock.now() - DAY_MS).toISOString() });
        cases.push(n);
      }
      chats.push({ chatId: 5000 + c, token, cases });
    }
    const r = await rig({ portal, clock, chats });
    const sweep = await r.poller.runCycle();
    assert.equal(sweep.fullSweep, true);
    assert.equal(sweep.portalRequests, 50 * 10 * 2);
    assert.equal(sweep.storeWrites, 0);
    for (let i = 0; i < 3; i++) {
      await r.clock.advance(MINUTE_MS);
      portal.calls.length = 0;
      const writesBefore = r.store.writeCount;
      const quiet = await r.poller.runCycle();
      assert.equal(quiet.fullSweep, false);
      assert.equal(quiet.portalRequests, 50);
      assert.equal(portal.calls.length, 50);
      assert.equal(portal.count('changedCases'), 50);
      assert.deepEqual(new Set(portal.calls.map((c) => c.credential)).size, 50);
      assert.equal(quiet.storeWrites, 0);
      assert.equal(r.store.writeCount, writesBefore);
      console.log(
        `quiet cycle, 50 credentials × 10 cases (memory store): ${quiet.portalRequests} portal requests, ${r.store.writeCount - writesBefore} store writes`,
      );
    }
  });

  it('costs one request per credential and zero writes on the JSON file store too', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const logs = collectLogs('warn');
    const store = await openJsonFileStore({ path: join(dir.path, 'db.json'), logger: logs.logger });
    after(() => store.close());
    const clock = manualClock();
    const portal = new MemoryPortal();
    const chats: ChatSeed[] = [];
    for (let c = 0; c < 50; c++) {
      const token = `json-token-${c}`;
      portal.validCredentials.add(token);
      const cases: CaseNumber[] = [];
      for (let k = 0; k < 10; k++) {
        const n = String(20_000 + c * 10 + k).padStart(8, '0');
        portal.addCase({ number: n, lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString() });
        cases.push(n);
      }
      chats.push({ chatId: 7000 + c, token, cases });
    }
    const r = await rig({ portal, clock, chats, store });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    portal.calls.length = 0;
    const writesBefore = store.writeCount;
    const started = performance.now();
    const quiet = await r.poller.runCycle();
    const wallMs = performance.now() - started;
    assert.equal(portal.calls.length, 50);
    assert.equal(quiet.portalRequests, 50);
    assert.equal(quiet.storeWrites, 0);
    assert.equal(store.writeCount - writesBefore, 0);
    console.log(
      `quiet cycle, 50 credentials × 10 cases (JSON file store): ${quiet.portalRequests} portal requests, ${store.writeCount - writesBefore} store writes, ${wallMs.toFixed(1)} ms wall time (in-memory portal)`,
    );
  });

  it('falls back to per-case polling when the filter fails, logs it once, and still delivers', async () => {
    const r = await rig();
    await r.poller.runCycle();
    r.portal.fail('changedCases', 'bad-payload', 1);
    await r.clock.advance(MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000111');
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c1.id]);
    assert.equal(r.portal.count('changedCases'), 1);
    assert.equal(r.portal.count('getCase'), 2);
    // While in fallback, the filter is not asked. Once the last read started well after the
    // case's last modification (the safety margin), an unchanged case costs getCase only.
    await r.clock.advance(MINUTE_MS);
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.count('changedCases'), 0);
    assert.equal(r.portal.count('getCase'), 2);
    assert.equal(r.portal.count('listComments'), 0);
    // A comment on a case is still found (lastModifiedAt moved).
    await r.clock.advance(MINUTE_MS);
    const c2 = addComment(r.portal, r.clock, '00000222');
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c1.id, c2.id]);
    // After an hour the filter is tried again; failing again is not logged again.
    r.portal.fail('changedCases', 'transient', 1);
    await r.clock.advance(61 * MINUTE_MS);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.count('changedCases'), 1);
    assert.equal(r.logs.count(/changed-cases filter failed/), 1);
    // Once it works again, a quiet cycle is one request again.
    await r.clock.advance(61 * MINUTE_MS);
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.calls.length, 1);
    assert.equal(r.logs.count(/filter works again/), 1);
  });

  it('asks the filter again the cycle after a transient failure', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    r.portal.fail('changedCases', 'transient', 1);
    await r.poller.runCycle();
    // One flaky answer costs one cycle of per-case polling, not an hour of it.
    await r.clock.advance(MINUTE_MS);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.deepEqual(
      r.portal.calls.map((c) => c.op),
      ['changedCases'],
    );
  });

  it('finds a comment written in the same second as the case was last read', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000111');
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c1.id]);
    // Portal dates have one-second resolution: a second comment in that same second leaves the
    // case's lastModifiedAt unchanged. It must not wait for the next full sweep.
    const kase = r.portal.cases.get('00000111')!;
    const sameSecond = kase.lastModifiedAt;
    const c2 = addComment(r.portal, r.clock, '00000111', { createdAt: sameSecond });
    kase.lastModifiedAt = sameSecond;
    await r.clock.advance(MINUTE_MS);
    const stats = await r.poller.runCycle();
    assert.equal(stats.fullSweep, false);
    assert.deepEqual(commentIds(r), [c1.id, c2.id]);
  });

  it('pauses a credential the portal rejects and tells each of its chats once', async () => {
    const r = await rig({
      chats: [
        { chatId: 1, token: 'token-a', cases: ['00000111'] },
        { chatId: 2, token: 'token-a', cases: ['00000222'] },
        { chatId: 3, token: 'token-b', cases: ['00000111'] },
      ],
    });
    await r.poller.runCycle();
    r.portal.validCredentials.delete('token-a');
    await r.clock.advance(MINUTE_MS);
    const stats = await r.poller.runCycle();
    assert.equal(stats.storeWrites, 1);
    const state = r.store.read();
    const credA = chat(r, 1).credentialId!;
    assert.ok(state.credentials[credA]!.rejectedAt);
    assert.equal(state.credentials[chat(r, 3).credentialId!]!.rejectedAt, undefined);
    const notices = state.outbox.filter((e) => e.kind === 'notice');
    assert.deepEqual(notices.map((e) => e.chatId).sort(), [1, 2]);
    assert.match(notices[0]!.text!, /\/setup/);
    assert.ok(chat(r, 1).credentialRejectedNotifiedAt);
    // Later cycles do not ask the portal with that credential, and say nothing more.
    await r.clock.advance(MINUTE_MS);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.calls.filter((c) => c.credential === 'token-a').length, 0);
    assert.equal(r.store.read().outbox.filter((e) => e.kind === 'notice').length, 2);
    // /setup again (the bot clears rejectedAt): polling resumes with a full sweep.
    r.portal.validCredentials.add('token-a');
    await r.store.update((d) => {
      delete d.credentials[credA]!.rejectedAt;
    });
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(
      r.portal.calls.filter((c) => c.credential === 'token-a' && c.op === 'getCase').length,
      2,
    );
  });

  it('tells the chat once when a case is no longer visible, and stops polling it', async () => {
    const r = await rig({ poll: { fullSweepEvery: 2 } });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const kase = r.portal.cases.get('00000222')!;
    kase.visibleTo = ['someone-else'];
    kase.lastModifiedAt = new Date(r.clock.now()).toISOString();
    // The filter lists only visible cases: the next sweep finds out.
    await r.poller.runCycle();
    assert.equal(outbox(r).length, 0);
    await r.clock.advance(MINUTE_MS);
    await r.poller.runSweep();
    const sub = chat(r, 1001).subscriptions['00000222']!;
    assert.ok(sub.notVisibleAt);
    const notices = outbox(r).filter((e) => e.kind === 'notice');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!.text!, /no longer visible/);
    assert.match(notices[0]!.text!, /00000222/);
    // Neither normal cycles nor sweeps ask for it again, and the chat is not told twice.
    r.portal.calls.length = 0;
    for (let i = 0; i < 3; i++) {
      await r.clock.advance(MINUTE_MS);
      await r.poller.runCycle();
      await r.poller.runSweep();
    }
    assert.equal(r.portal.calls.filter((c) => c.caseNumber === '00000222').length, 0);
    assert.ok(
      r.portal.calls.some((c) => c.caseNumber === '00000111'),
      'the other case is still swept',
    );
    assert.equal(outbox(r).filter((e) => e.kind === 'notice').length, 1);
  });

  it('pauses a rate-limited credential for the time the portal asked, then catches up', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000111');
    r.portal.fail('changedCases', 'rate-limited', 1); // MemoryPortal: retryAfterMs 1000
    await r.poller.runCycle();
    assert.equal(outbox(r).length, 0);
    r.portal.calls.length = 0;
    await r.clock.advance(500);
    await r.poller.runCycle();
    assert.equal(r.portal.calls.length, 0, 'still paused');
    await r.clock.advance(600);
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c1.id]);
  });

  it('sends no queued request once the portal said 429 during a first full read', async () => {
    const r = await rig({
      poll: { concurrency: 1 },
      chats: [{ chatId: 1, token: 'token-a', cases: ['00000111', '00000222', '00000333'] }],
    });
    r.portal.fail('getCase', 'rate-limited', 1, '00000111');
    const stats = await r.poller.runCycle();
    assert.equal(r.portal.calls.length, 1);
    assert.equal(stats.portalRequests, 1);
    // The read was cut short: it is done again once the pause is over.
    await r.clock.advance(1001);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.count('getCase'), 3);
    assert.equal(r.portal.count('changedCases'), 0);
  });

  it('backs off a failing case exponentially, polls the others, and delivers after recovery', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000111');
    const c2 = addComment(r.portal, r.clock, '00000222');
    r.portal.fail('listComments', 'transient', 2, '00000111');
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c2.id]);
    // Within the first backoff (60 s) the case is not asked again.
    await r.clock.advance(30_000);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.calls.filter((c) => c.caseNumber === '00000111').length, 0);
    // Due again: fetched directly although the filter no longer names it; fails a second time.
    await r.clock.advance(31_000);
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c2.id]);
    // Second backoff is 120 s.
    await r.clock.advance(61_000);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.calls.filter((c) => c.caseNumber === '00000111').length, 0);
    await r.clock.advance(60_000);
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [c2.id, c1.id]);
    assert.equal(r.logs.count(/portal request failed/), 2);
  });

  it('keeps a subscription added, and does not re-create one removed, while the cycle runs', async () => {
    let during: (() => Promise<void>) | undefined;
    const r = await rig({
      wrapClient: (client) => ({
        ...client,
        readCase: async (n) => {
          const hook = during;
          during = undefined;
          if (hook) await hook();
          return client.readCase(n);
        },
      }),
    });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000111');
    addComment(r.portal, r.clock, '00000222');
    during = async () => {
      // What /add 00000333 and /remove 00000222 do, while the portal is answering.
      await r.store.update((d) => {
        const subs = d.chats['1001']!.subscriptions;
        delete subs['00000222'];
        subs['00000333'] = {
          caseNumber: '00000333',
          addedAt: new Date(r.clock.now()).toISOString(),
          seen: [],
          summary: 'Case 00000333',
          status: 'Waiting on Red Hat',
          severity: '3 (Normal)',
          product: 'Red Hat Enterprise Linux',
          closed: false,
        };
      });
    };
    await r.poller.runCycle();
    const subs = chat(r, 1001).subscriptions;
    assert.ok(subs['00000333'], 'the concurrent /add is kept');
    assert.equal(subs['00000222'], undefined, 'the removed case is not re-created');
    assert.deepEqual(commentIds(r), [c1.id]);
  });

  it('notifies a status change and a closing, and ends the polling of a closed case', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const k1 = r.portal.cases.get('00000111')!;
    k1.status = 'Waiting on Customer';
    k1.lastModifiedAt = new Date(r.clock.now()).toISOString();
    const k2 = r.portal.cases.get('00000222')!;
    const last = addComment(r.portal, r.clock, '00000222', { body: 'Closing this case.' });
    k2.status = 'Closed';
    k2.closed = true;
    await r.poller.runCycle();
    const entries = outbox(r);
    const status = entries.find((e) => e.kind === 'status')!;
    assert.equal(status.text, 'Waiting on Red Hat');
    assert.equal(status.case?.status, 'Waiting on Customer');
    // On the closed case: the last comment first, then the closing message.
    const onClosed = entries.filter((e) => e.case?.number === '00000222').map((e) => e.kind);
    assert.deepEqual(onClosed, ['comment', 'closed']);
    assert.equal(entries.find((e) => e.kind === 'comment')!.comment!.id, last.id);
    const subs = chat(r, 1001).subscriptions;
    assert.equal(subs['00000111']!.status, 'Waiting on Customer');
    assert.equal(subs['00000222']!.closed, true);
    // The closed case is no longer polled (the subscription ends once "closed" is delivered).
    await r.clock.advance(MINUTE_MS);
    k2.lastModifiedAt = new Date(r.clock.now()).toISOString();
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.equal(r.portal.calls.filter((c) => c.caseNumber === '00000222').length, 0);
  });

  it('keeps polling a closed case with poll.keepClosedCases and reports its reopening', async () => {
    const r = await rig({ poll: { keepClosedCases: true } });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const k = r.portal.cases.get('00000111')!;
    k.status = 'Closed';
    k.closed = true;
    k.lastModifiedAt = new Date(r.clock.now()).toISOString();
    await r.poller.runCycle();
    assert.deepEqual(
      outbox(r).map((e) => e.kind),
      ['closed'],
    );
    await r.clock.advance(MINUTE_MS);
    k.status = 'Waiting on Red Hat';
    k.closed = false;
    k.lastModifiedAt = new Date(r.clock.now()).toISOString();
    await r.poller.runCycle();
    const status = outbox(r).find((e) => e.kind === 'status');
    assert.equal(status?.text, 'Closed');
    assert.equal(chat(r, 1001).subscriptions['00000111']!.closed, false);
  });

  it('does not poll chats that blocked the bot, nor rejected credentials', async () => {
    const r = await rig({
      chats: [
        { chatId: 1, token: 'token-a', cases: ['00000111'] },
        { chatId: 2, token: 'token-b', cases: ['00000222'] },
      ],
    });
    await r.store.update((d: State) => {
      d.chats['1']!.active = false;
      d.credentials[d.chats['2']!.credentialId!]!.rejectedAt = new Date(
        r.clock.now(),
      ).toISOString();
    });
    const stats = await r.poller.runCycle();
    assert.equal(stats.portalRequests, 0);
    assert.equal(r.portal.calls.length, 0);
  });

  it('reports a case the portal answers with a broken payload, and retries it later', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    addComment(r.portal, r.clock, '00000111');
    r.portal.fail('getCase', 'bad-payload', 1, '00000111');
    const stats = await r.poller.runCycle();
    assert.equal(stats.portalFailures, 1);
    assert.equal(r.reporter.reports.length, 1);
    assert.equal(r.reporter.reports[0]!.component, 'poller');
    await r.clock.advance(2 * MINUTE_MS);
    await r.poller.runCycle();
    assert.equal(commentIds(r).length, 1);
  });

  it('writes outcomes that finish while a write is in flight together (group commit)', async () => {
    const clock = manualClock();
    const portal = new MemoryPortal();
    const chats: ChatSeed[] = [];
    for (let c = 0; c < 10; c++) {
      portal.validCredentials.add(`gc-${c}`);
      const n = String(30_000 + c).padStart(8, '0');
      portal.addCase({ number: n, lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString() });
      chats.push({ chatId: 8000 + c, token: `gc-${c}`, cases: [n] });
    }
    const inner = createMemoryStore();
    // Each write takes a while, as a real fsync does.
    const slow: StateStore = {
      read: () => inner.read(),
      update: async (fn) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return inner.update(fn);
      },
      get writeCount() {
        return inner.writeCount;
      },
      close: () => inner.close(),
    };
    const r = await rig({ portal, clock, chats, store: slow });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    for (const c of chats) addComment(portal, clock, c.cases[0]!);
    const stats = await r.poller.runCycle();
    assert.equal(stats.enqueued, 10);
    assert.equal(stats.storeWrites, 2, 'the first outcome alone, then the nine that waited');
    assert.equal(outbox(r).length, 10);
  });

  it('records the other credentials when one outcome cannot be written, and retries that one', async () => {
    const clock = manualClock();
    const portal = newPortal(clock);
    const inner = createMemoryStore();
    let poisoned = true;
    const picky: StateStore = {
      read: () => inner.read(),
      update: (fn) =>
        inner.update((draft) => {
          const result = fn(draft);
          if (poisoned && draft.outbox.some((e) => e.chatId === 2)) throw new Error('refused');
          return result;
        }),
      get writeCount() {
        return inner.writeCount;
      },
      close: () => inner.close(),
    };
    const r = await rig({
      portal,
      clock,
      store: picky,
      chats: [
        { chatId: 1, token: 'token-a', cases: ['00000111'] },
        { chatId: 2, token: 'token-b', cases: ['00000222'] },
      ],
    });
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    const good = addComment(portal, clock, '00000111');
    const held = addComment(portal, clock, '00000222');
    const stats = await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [good.id]);
    assert.equal(stats.storeWrites, 1);
    assert.equal(r.reporter.reports.filter((x) => x.component === 'store').length >= 1, true);
    // The refused outcome did not advance `since`: once the store accepts, it is found again.
    poisoned = false;
    await r.clock.advance(5 * MINUTE_MS);
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [good.id, held.id]);
  });
});

/** A promise a test opens when it wants. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Two more cases, so a sweep has more cases than its share of poll.concurrency. */
function fourCasePortal(clock: ManualClock): MemoryPortal {
  const portal = newPortal(clock);
  portal.addCase({
    number: '00000444',
    lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString(),
  });
  return portal;
}
const FOUR_CASES: ChatSeed[] = [
  { chatId: 1001, token: 'token-a', cases: ['00000111', '00000222', '00000333', '00000444'] },
];

/**
 * A readCase that waits for the gate while `holding` is set, counting the calls it holds: a
 * portal that stops answering in the middle of a sweep.
 */
function holdingReadCase(): {
  wrap: (client: PortalClient) => PortalClient;
  hold: () => void;
  /** Later calls go through at once; held ones still wait for release(). */
  stopHolding: () => void;
  release: () => void;
  held: () => number;
} {
  const g = gate();
  let holding = false;
  let held = 0;
  return {
    wrap: (client) => ({
      ...client,
      readCase: async (n) => {
        if (holding) {
          held++;
          await g.opened;
        }
        return client.readCase(n);
      },
    }),
    hold: () => (holding = true),
    stopHolding: () => (holding = false),
    release: () => g.open(),
    held: () => held,
  };
}

describe('sweep', () => {
  it('reads each followed case with one request, and its comments only when something moved', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(5 * MINUTE_MS);
    r.portal.calls.length = 0;
    const quiet = await r.poller.runSweep();
    assert.equal(r.portal.count('getCase'), 2);
    assert.equal(r.portal.count('listComments'), 0);
    assert.deepEqual(
      [quiet.portalRequests, quiet.casesFetched, quiet.commentReads, quiet.storeWrites],
      [2, 2, 0, 0],
    );
    // A comment the filter did not name (the portal's index lagging: the case's date is older
    // than the filter's window), on a portal that does not embed comments: the case's date
    // moved, so the sweep reads its comments.
    r.portal.embedComments = false;
    const c1 = addComment(r.portal, r.clock, '00000222');
    r.portal.cases.get('00000222')!.lastModifiedAt = new Date(
      r.clock.now() - 10 * MINUTE_MS,
    ).toISOString();
    await r.clock.advance(MINUTE_MS);
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), [], 'the filter missed it');
    r.portal.calls.length = 0;
    const found = await r.poller.runSweep();
    assert.deepEqual(commentIds(r), [c1.id]);
    assert.equal(r.portal.count('listComments'), 1);
    assert.equal(found.enqueued, 1);
  });

  it('finds a comment whose case did not move, from the comments the case answer embeds', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(5 * MINUTE_MS);
    const yesterday = r.portal.cases.get('00000111')!.lastModifiedAt;
    const c1 = addComment(r.portal, r.clock, '00000111');
    r.portal.cases.get('00000111')!.lastModifiedAt = yesterday;
    await r.poller.runCycle();
    assert.deepEqual(commentIds(r), []);
    r.portal.calls.length = 0;
    await r.poller.runSweep();
    assert.deepEqual(commentIds(r), [c1.id]);
    assert.equal(r.portal.count('listComments'), 1);
    // Pending in the outbox counts as known: the next sweep does not read it again.
    r.portal.calls.length = 0;
    await r.poller.runSweep();
    assert.equal(r.portal.count('listComments'), 0);
    assert.deepEqual(commentIds(r), [c1.id]);
  });

  it('leaves half of poll.concurrency to the cycles: a new comment goes out while sweep requests hang', async () => {
    const h = holdingReadCase();
    const r = await rig({
      portal: fourCasePortal(manualClock()),
      chats: FOUR_CASES,
      poll: { concurrency: 4 },
      wrapClient: h.wrap,
    });
    await r.poller.runCycle();
    await r.clock.advance(5 * MINUTE_MS);
    h.hold();
    const sweep = r.poller.runSweep();
    // Two sweep requests hang (its half of the four slots); its other cases wait behind them.
    await waitUntil(() => h.held() === 2);
    h.stopHolding();
    const c1 = addComment(r.portal, r.clock, '00000333');
    r.portal.calls.length = 0;
    const cycle = await r.poller.runCycle();
    assert.equal(cycle.sweepRunning, true);
    assert.deepEqual(commentIds(r), [c1.id]);
    assert.equal(r.portal.count('changedCases'), 1);
    assert.equal(h.held(), 2, 'the sweep never took more than its two slots');
    h.release();
    const done = await sweep;
    assert.equal(done.casesFetched, 4);
    assert.deepEqual(commentIds(r), [c1.id], 'no duplicate from the sweep');
  });

  it("lets the cycle's requests go before the sweep's queued ones", async () => {
    // concurrency 2: the sweep may hold one slot; when both are busy, a queued cycle request
    // starts before a queued sweep request, whichever came first.
    const clock = manualClock();
    const portal = newPortal(clock);
    for (let i = 4; i <= 9; i++) {
      portal.addCase({
        number: `00000${i}${i}${i}`,
        lastModifiedAt: new Date(clock.now() - DAY_MS).toISOString(),
      });
    }
    const sweepCases = ['00000444', '00000555', '00000666', '00000777', '00000888', '00000999'];
    const r = await rig({
      clock,
      portal,
      poll: { concurrency: 2 },
      chats: [
        { chatId: 1001, token: 'token-a', cases: sweepCases },
        { chatId: 1002, token: 'token-b', cases: ['00000111', '00000222', '00000333'] },
      ],
    });
    await r.poller.runCycle();
    await r.clock.advance(5 * MINUTE_MS);
    // Only token-a's cases are swept from here: token-b is checked by the cycle.
    for (const n of ['00000111', '00000222', '00000333']) addComment(r.portal, r.clock, n);
    r.portal.calls.length = 0;
    const sweep = r.poller.runSweep();
    const cycle = await r.poller.runCycle();
    const cycleCalls = r.portal.calls.filter((c) => c.credential === 'token-b').length;
    const lastCycleCall = r.portal.calls.findLastIndex((c) => c.credential === 'token-b');
    const sweepCallsBefore = r.portal.calls
      .slice(0, lastCycleCall)
      .filter((c) => c.credential === 'token-a').length;
    await sweep;
    assert.equal(cycle.enqueued, 3);
    // changedCases, then readCase, listComments and (they moved) listAttachments for each of
    // the three cases.
    assert.equal(cycleCalls, 10);
    assert.ok(
      sweepCallsBefore <= 2,
      `the sweep took turns while the cycle waited: ${sweepCallsBefore} sweep requests before its last`,
    );
  });

  it('does not set a case status back when a sweep read older than a cycle read lands last', async () => {
    let late: { hold: Promise<void> } | undefined;
    let readsDone = 0;
    const r = await rig({
      wrapClient: (client) => ({
        ...client,
        readCase: async (n) => {
          const pending = n === '00000111' ? late : undefined;
          if (pending) late = undefined;
          const read = await client.readCase(n);
          readsDone++;
          if (pending) await pending.hold;
          return read;
        },
      }),
    });
    await r.poller.runCycle();
    await r.clock.advance(5 * MINUTE_MS);
    const g = gate();
    late = { hold: g.opened };
    const before = readsDone;
    // The sweep reads 00000111 while its status is "Waiting on Red Hat", and answers late.
    const sweep = r.poller.runSweep();
    await waitUntil(() => readsDone >= before + 2);
    const k = r.portal.cases.get('00000111')!;
    k.status = 'Waiting on Customer';
    k.lastModifiedAt = new Date(r.clock.now()).toISOString();
    await r.clock.advance(MINUTE_MS);
    await r.poller.runCycle();
    assert.deepEqual(
      outbox(r).map((e) => [e.kind, e.text]),
      [['status', 'Waiting on Red Hat']],
    );
    g.open();
    await sweep;
    assert.equal(chat(r, 1001).subscriptions['00000111']!.status, 'Waiting on Customer');
    assert.equal(outbox(r).length, 1, 'no status change back and forth');
  });

  it('stops at shutdown without sending its remaining requests', async () => {
    const h = holdingReadCase();
    const r = await rig({
      portal: fourCasePortal(manualClock()),
      chats: FOUR_CASES,
      poll: { concurrency: 2 },
      wrapClient: h.wrap,
    });
    await r.poller.runCycle();
    await r.clock.advance(5 * MINUTE_MS);
    h.hold();
    const abort = new AbortController();
    r.portal.calls.length = 0;
    const sweep = r.poller.runSweep(abort.signal);
    abort.abort();
    h.release();
    const stats = await sweep;
    assert.equal(stats.aborted, true);
    assert.ok(
      r.portal.count('getCase') <= 1,
      `at most the request in flight (${r.portal.count('getCase')})`,
    );
  });

  it('leaves a credential no cycle has checked yet to the cycle (its first read is in full)', async () => {
    const r = await rig();
    const stats = await r.poller.runSweep();
    assert.equal(stats.portalRequests, 0);
    const cycle = await r.poller.runCycle();
    assert.equal(cycle.fullSweep, true);
    assert.equal(r.portal.count('listComments'), 2);
  });
});

describe('restart', () => {
  /** A new poller over the same store and portal: what a restarted daemon has. */
  const restarted = (r: Rig): Poller =>
    createPoller({
      config: r.config,
      store: r.store,
      vault: r.vault,
      logger: r.logs.logger,
      clock: r.clock,
      reporter: r.reporter,
      destinations: ['telegram'],
    });

  it('after a clean stop, asks the filter what changed meanwhile and finds what was written while down', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    await r.poller.runCycle();
    await r.poller.checkpoint();
    const saved = Object.values(r.store.read().credentials)[0]?.checkedAt;
    assert.equal(saved, new Date(r.clock.now()).toISOString());
    // Down for an hour; a comment arrives meanwhile.
    await r.clock.advance(30 * MINUTE_MS);
    const c1 = addComment(r.portal, r.clock, '00000222');
    await r.clock.advance(30 * MINUTE_MS);
    r.portal.calls.length = 0;
    const first = await restarted(r).runCycle();
    assert.equal(first.fullSweep, false);
    assert.deepEqual(
      r.portal.calls.map((c) => `${c.op} ${c.caseNumber ?? ''}`.trim()),
      ['changedCases', 'getCase 00000222', 'listComments 00000222', 'listAttachments 00000222'],
    );
    assert.deepEqual(commentIds(r), [c1.id]);
  });

  it('after a crash (no checkpoint), reads every case in full', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.clock.advance(MINUTE_MS);
    r.portal.calls.length = 0;
    const first = await restarted(r).runCycle();
    assert.equal(first.fullSweep, true);
    assert.equal(r.portal.count('getCase'), 2);
    assert.equal(r.portal.count('listComments'), 2);
  });

  it('ignores a checkpoint from the future (a clock set back), and saves nothing twice', async () => {
    const r = await rig();
    await r.poller.runCycle();
    await r.poller.checkpoint();
    const writes = r.store.writeCount;
    await r.poller.checkpoint();
    assert.equal(r.store.writeCount, writes, 'the same checkpoint is not written again');
    await r.clock.advance(-60 * MINUTE_MS);
    r.portal.calls.length = 0;
    const first = await restarted(r).runCycle();
    assert.equal(first.fullSweep, true);
    assert.equal(r.portal.count('changedCases'), 0);
  });
});
