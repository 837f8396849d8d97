// The batch cycle's decisions, on the port's in-memory model (no HTTP): when the newest
// comments a batch carries are enough, and when a case's whole list must be read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPoller } from '../../src/poller/poller.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';
import {
  addComment,
  collectLogs,
  manualClock,
  recordingReporter,
  seedState,
  testConfig,
  vaultFor,
} from './_support.js';

const CASE = '00000111';
const MINUTE = 60_000;

async function rig(mode: 'with-comments' | 'fields-only') {
  const clock = manualClock();
  const portal = new MemoryPortal();
  portal.validCredentials.add('token-a');
  portal.addCase({
    number: CASE,
    lastModifiedAt: new Date(clock.now() - 24 * 60 * MINUTE).toISOString(),
  });
  portal.mode = {
    kind: 'batch',
    path: mode === 'with-comments' ? 'graphql' : 'graphql+rest',
    withComments: mode === 'with-comments',
    batchSize: 100,
  };
  portal.batchComments = 3;
  const store = createMemoryStore();
  const vault = vaultFor(store, portal, clock);
  const seeded = seedState(portal, vault, [{ chatId: 1, token: 'token-a', cases: [CASE] }]);
  await store.update((d) => Object.assign(d, seeded));
  const poller = createPoller({
    config: testConfig(),
    store,
    vault,
    logger: collectLogs().logger,
    clock,
    reporter: recordingReporter(),
    destinations: ['telegram'],
  });
  const queued = () =>
    store
      .read()
      .outbox.filter((e) => e.kind === 'comment')
      .map((e) => e.comment?.body);
  return { clock, portal, poller, queued };
}

describe('batch cycle', () => {
  it('uses the comments the batch carries when they cover everything new', async () => {
    const r = await rig('with-comments');
    await r.poller.runCycle();
    await r.clock.advance(MINUTE);
    addComment(r.portal, r.clock, CASE, { body: 'one', authorType: 'associate' });
    addComment(r.portal, r.clock, CASE, { body: 'two', authorType: 'associate' });
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.deepEqual(r.queued(), ['one', 'two']);
    // No comment list; the case moved, so its files are read (attachments are on by default).
    assert.deepEqual(
      r.portal.calls.map((c) => c.op),
      ['readCases', 'listAttachments'],
    );
  });

  it('reads the whole list when more comments arrived than the batch carries', async () => {
    const r = await rig('with-comments');
    await r.poller.runCycle();
    const bodies = ['a', 'b', 'c', 'd', 'e'];
    for (const body of bodies) {
      await r.clock.advance(1000);
      addComment(r.portal, r.clock, CASE, { body, authorType: 'associate' });
    }
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.deepEqual(r.queued(), bodies, 'none of the five lost, in order');
    assert.deepEqual(
      r.portal.calls.map((c) => c.op),
      ['readCases', 'listComments', 'listAttachments'],
    );
  });

  it('without comments in the batch, reads the list only for a case that moved', async () => {
    const r = await rig('fields-only');
    await r.poller.runCycle();
    await r.clock.advance(10 * MINUTE);
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.deepEqual(
      r.portal.calls.map((c) => c.op),
      ['readCases'],
      'quiet: one batch request',
    );
    await r.clock.advance(MINUTE);
    addComment(r.portal, r.clock, CASE, { body: 'moved', authorType: 'associate' });
    r.portal.cases.get(CASE)!.lastModifiedAt = new Date(r.clock.now()).toISOString();
    r.portal.calls.length = 0;
    await r.poller.runCycle();
    assert.deepEqual(
      r.portal.calls.map((c) => c.op),
      ['readCases', 'listComments', 'listAttachments'],
    );
    assert.deepEqual(r.queued(), ['moved']);
  });

  it('is never swept in the background on the graphql path: every cycle reads every case', async () => {
    const r = await rig('with-comments');
    await r.poller.runCycle();
    r.portal.calls.length = 0;
    const sweep = await r.poller.runSweep();
    assert.equal(sweep.portalRequests, 0);
    assert.deepEqual(r.portal.calls, []);
  });
});
