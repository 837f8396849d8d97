// The requests beside a credential's case reads (the follow rules' search, a moved case's file
// list), on the port's in-memory model: their failures never hold the comment reads back, a
// transient one is asked again next cycle, and a refusal ('unsupported', 'gone') stops asking
// for an hour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaseNumber } from '../../src/domain.js';
import { settleEntry } from '../../src/outbox/index.js';
import { createPoller, type Poller } from '../../src/poller/poller.js';
import { ATTACHMENTS_RETRY_AFTER_MS, DISCOVERY_RETRY_AFTER_MS } from '../../src/poller/timing.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { OutboxEntry } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';
import {
  addComment,
  collectLogs,
  manualClock,
  recordingReporter,
  seedState,
  testConfig,
  vaultFor,
  type LogCollector,
  type ManualClock,
} from './_support.js';

const CASE = '00000111';
const CHAT = 1001;
const MINUTE = 60_000;

interface Rig {
  portal: MemoryPortal;
  clock: ManualClock;
  store: StateStore;
  poller: Poller;
  logs: LogCollector;
  /** A minute later, one cycle; the entries it added (then settled, as if delivered). */
  cycle(): Promise<OutboxEntry[]>;
}

async function rig(rules: boolean): Promise<Rig> {
  const clock = manualClock();
  const portal = new MemoryPortal();
  portal.validCredentials.add('token-a');
  portal.mode = { kind: 'batch', path: 'graphql', withComments: true, batchSize: 100 };
  portal.addCase({ number: CASE, lastModifiedAt: new Date(clock.now() - MINUTE).toISOString() });
  const store = createMemoryStore();
  const vault = vaultFor(store, portal, clock);
  const seeded = seedState(
    portal,
    vault,
    [{ chatId: CHAT, token: 'token-a', cases: [CASE] }],
    new Date(clock.now()),
  );
  if (rules) {
    seeded.chats[String(CHAT)]!.rules = [
      { id: 1, severities: [1], createdAt: new Date(clock.now()).toISOString() },
    ];
  }
  await store.update((d) => Object.assign(d, seeded));
  const logs = collectLogs();
  const poller = createPoller({
    config: testConfig(),
    store,
    vault,
    logger: logs.logger,
    clock,
    reporter: recordingReporter(),
    destinations: ['telegram'],
  });
  await poller.runCycle();
  // Anything dated from now on is newer than what the chat followed the case with.
  await clock.advance(MINUTE);
  return {
    portal,
    clock,
    store,
    poller,
    logs,
    async cycle() {
      await clock.advance(MINUTE);
      await poller.runCycle();
      const entries = store.read().outbox.map((e) => structuredClone(e) as OutboxEntry);
      await store.update((d) => {
        for (const e of entries) settleEntry(d, e.id, false);
      });
      return entries;
    },
  };
}

const summary = (entries: readonly OutboxEntry[]): string[] =>
  entries.map((e) => `${e.kind} ${e.case?.number ?? '-'}`);

function urgentCase(r: Rig, number: CaseNumber): void {
  r.portal.addCase({
    number,
    severity: '1 (Urgent)',
    lastModifiedAt: new Date(r.clock.now()).toISOString(),
  });
}

describe('the follow rules search beside the reads', () => {
  it('a failed search does not hold the comment reads back, and is asked again next cycle', async () => {
    const r = await rig(true);
    addComment(r.portal, r.clock, CASE, { body: 'despite the search' });
    urgentCase(r, '00000999');
    r.portal.fail('searchCases', 'transient');
    assert.deepEqual(summary(await r.cycle()), [`comment ${CASE}`]);
    assert.deepEqual(summary(await r.cycle()), ['new-case 00000999']);
    assert.equal(r.portal.count('searchCases'), 3, 'one per cycle, the failed one included');
  });

  it('a refused search is not asked again for an hour, and logged once', async () => {
    const r = await rig(true);
    r.portal.fail('searchCases', 'unsupported', 100);
    r.portal.calls.length = 0;
    for (let t = 0; t < DISCOVERY_RETRY_AFTER_MS; t += MINUTE) {
      addComment(r.portal, r.clock, CASE, { body: `at ${t}` });
      assert.deepEqual(summary(await r.cycle()), [`comment ${CASE}`], 'comments go on');
    }
    assert.equal(r.portal.count('searchCases'), 1);
    await r.cycle();
    assert.equal(r.portal.count('searchCases'), 2, 'an hour later, asked again');
    assert.equal(r.logs.count(/follow rules need the GraphQL case search/), 1);
  });

  it('is never asked by a sweep', async () => {
    const r = await rig(true);
    r.portal.mode = { kind: 'batch', path: 'graphql+rest', withComments: false, batchSize: 100 };
    r.portal.calls.length = 0;
    const sweep = await r.poller.runSweep();
    assert.equal(sweep.searches, 0);
    assert.equal(r.portal.count('searchCases'), 0);
  });
});

describe('attachment lists beside the reads', () => {
  it('a failed list keeps the case to be read again; each file is announced once', async () => {
    const r = await rig(false);
    r.portal.addAttachment(CASE, {
      fileName: 'logs.tar',
      createdAt: new Date(r.clock.now()).toISOString(),
    });
    r.portal.fail('listAttachments', 'transient');
    assert.deepEqual(await r.cycle(), []);
    const sub = r.store.read().chats[String(CHAT)]?.subscriptions[CASE];
    assert.notEqual(sub?.attachmentsReadAt, r.portal.cases.get(CASE)?.lastModifiedAt, 'kept');
    assert.deepEqual(summary(await r.cycle()), [`attachment ${CASE}`]);
    assert.deepEqual(await r.cycle(), []);
    assert.equal(r.portal.count('listAttachments'), 2);
  });

  it('never announces private or internal files, nor marks them seen', async () => {
    const r = await rig(false);
    const at = new Date(r.clock.now()).toISOString();
    r.portal.addAttachment(CASE, { fileName: 'private.txt', isPrivate: true, createdAt: at });
    r.portal.addAttachment(CASE, {
      fileName: 'internal.txt',
      authorType: 'internal',
      createdAt: at,
    });
    r.portal.addAttachment(CASE, {
      fileName: 'customer.txt',
      authorType: 'customer',
      createdAt: at,
    });
    assert.deepEqual(await r.cycle(), [], 'an associate chat: no customer file either');
    const sub = r.store.read().chats[String(CHAT)]?.subscriptions[CASE];
    assert.equal(sub?.attachmentsSeen?.length, 1, 'only the customer file, seen silently');
  });

  it("'gone' stops the credential's attachment lists for an hour; the files come after it", async () => {
    const r = await rig(false);
    r.portal.fail('listAttachments', 'gone');
    const file = () =>
      r.portal.addAttachment(CASE, { createdAt: new Date(r.clock.now()).toISOString() });
    file();
    assert.deepEqual(await r.cycle(), []);
    for (let t = MINUTE; t < ATTACHMENTS_RETRY_AFTER_MS; t += MINUTE) {
      if (t === 10 * MINUTE) file();
      assert.deepEqual(await r.cycle(), []);
    }
    assert.equal(r.portal.count('listAttachments'), 1);
    assert.deepEqual(summary(await r.cycle()), [`attachment ${CASE}`, `attachment ${CASE}`]);
  });
});
