// End to end, as a new user lives it: the built daemon (generated secret key, Hydra API, offline
// token) against the fake Telegram and the fake portal. The scenarios build on each other, in
// order, with one daemon until the restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningDaemon } from '../_helpers/daemon.js';
import { waitUntil } from '../_helpers/wait.js';
import { NEW_COMMENT, WAIT_MS, connect, createWorld, type Person, type World } from './_support.js';

const BOT_TOKEN = '700001:E2E-first-run-bot-token-abcdefghijkl';
const OFFLINE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.e2e-first-run-offline-token.c2lnbmF0dXJlLXBhcnQ';
const CASE = '01234567';
const ALICE = 1001;

describe('first run: from /start to comments on a phone', () => {
  let world: World;
  let alice: Person;
  let daemon: RunningDaemon;

  before(async () => {
    world = await createWorld({ botToken: BOT_TOKEN });
    world.secrets.add(OFFLINE_TOKEN);
    world.portal.addUser({ username: 'alice', offlineToken: OFFLINE_TOKEN });
    world.portal.addCase({ number: CASE, summary: 'Kernel panic on boot after update' });
    world.addComment(CASE, { body: 'Please attach an sosreport.', author: 'Engineer, Red Hat' });
    alice = world.person(ALICE);
    daemon = await world.start();
  });
  after(async () => {
    await world.close();
  });

  it('starts on the v3 API without the v1 warning', () => {
    assert.doesNotMatch(daemon.output(), /switched off on/);
  });

  it('connects with an offline token (deleted at once) and follows a case with /add', async () => {
    await alice.ask('/start', /Two steps/);
    await connect(alice, OFFLINE_TOKEN);
    const tokenMessage = alice.lastMessageId;
    assert.ok(
      world.telegram.deleted.some((d) => d.chatId === ALICE && d.messageId === tokenMessage),
      'the message holding the offline token was not deleted',
    );
    assert.match(alice.matching(/Connected to Red Hat/)[0]?.text ?? '', /as alice/);

    const from = alice.messages().length;
    await alice.ask(`/add ${CASE}`, new RegExp(`${CASE} added: Kernel panic on boot`));
    // The comment already there is shown once, for context; it is not a notification later.
    await alice.waitFor(/Please attach an sosreport/, from);
  });

  it('pushes a new Red Hat comment with its buttons; "Latest comment" answers', async () => {
    world.addComment(CASE, { body: 'The fix is in kernel-5.14.0-427.', author: 'Doe, Jane' });
    const pushed = await alice.waitFor(/The fix is in kernel-5\.14\.0-427/);
    assert.match(pushed.text, /New comment on case 01234567/);
    assert.match(pushed.text, /From Doe, Jane \(Red Hat\)/);
    assert.deepEqual(pushed.replyMarkup?.inline_keyboard, [
      [
        { text: 'Latest comment', callback_data: `latest:${CASE}` },
        { text: 'Open case', url: `https://access.redhat.com/support/cases/#/case/${CASE}` },
      ],
    ]);

    const from = alice.messages().length;
    const { callbackQueryId } = alice.press(pushed, 'Latest comment');
    const latest = await alice.waitFor(/The fix is in kernel-5\.14\.0-427/, from);
    assert.notEqual(latest.messageId, pushed.messageId);
    assert.ok(world.telegram.callbackAnswers.some((a) => a.id === callbackQueryId));
    assert.deepEqual(world.telegram.unansweredCallbacks(), []);
  });

  it('/notify both: customer comments start to arrive, earlier ones are not replayed', async () => {
    const seenCount = async (): Promise<number> =>
      (await world.readState()).chats[String(ALICE)]?.subscriptions[CASE]?.seen.length ?? 0;
    // Earlier deliveries settle (and add to seen) first, so the count below is this comment's.
    await world.waitForEmptyOutbox();
    const seenBefore = await seenCount();
    world.addComment(CASE, {
      body: 'Customer note written before /notify both.',
      author: 'Customer, Alice',
      authorType: 'Customer',
    });
    // Not wanted yet: the poller marks it seen (its id and its print) without a message.
    await waitUntil(async () => (await seenCount()) >= seenBefore + 2, {
      timeoutMs: WAIT_MS,
      what: 'the customer comment to be marked seen',
    });
    await alice.ask('/notify both', /You will get comments from/);

    world.addComment(CASE, {
      body: 'Rebooted with the new kernel: works.',
      author: 'Customer, Alice',
      authorType: 'Customer',
    });
    const pushed = await alice.waitFor(/Rebooted with the new kernel: works/);
    assert.match(pushed.text, /From Customer, Alice \(customer\)/);
    assert.deepEqual(alice.matching(/Customer note written before/), []);
  });

  it('three comments and a draft between two polls: the three, in order, no draft', async () => {
    const bodies = ['First of three.', 'Second of three.', 'Third of three.'];
    // Synchronous: no poll can run between these lines.
    world.addComment(CASE, { body: bodies[0] });
    world.addComment(CASE, { body: bodies[1], authorType: 'Customer', author: 'Customer, Alice' });
    const draft = world.addComment(CASE, { body: 'A draft, published later.', isDraft: true });
    world.addComment(CASE, { body: bodies[2] });

    const pushed = await alice.waitForCount(/of three\./, 3);
    assert.deepEqual(
      pushed.map((m) => bodies.find((b) => m.text.includes(b))),
      bodies,
    );
    assert.deepEqual(alice.matching(/A draft, published later/), []);
    await world.waitForEmptyOutbox();
    assert.deepEqual(alice.matching(/A draft, published later/), []);

    // The draft was not marked seen: published later, it is notified then, once.
    world.publishComment(CASE, draft);
    await alice.waitFor(/A draft, published later/);
  });

  it('restarts on SIGTERM without sending anything twice', async () => {
    await world.waitForEmptyOutbox();
    assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null });
    const sentBefore = alice.messages().length;

    daemon = await world.start();
    world.addComment(CASE, { body: 'After the restart.' });
    await alice.waitFor(/After the restart\./, sentBefore);
    // The first cycle after a start re-reads every case (a full sweep); anything it wrongly
    // took for new would have been queued before this comment.
    const sinceRestart = alice
      .messages()
      .slice(sentBefore)
      .map((m) => m.text);
    assert.equal(
      sinceRestart.length,
      1,
      `sent after the restart:\n${sinceRestart.join('\n---\n')}`,
    );
    for (const body of ['The fix is in kernel', 'Rebooted with the new kernel', 'Third of three']) {
      const notifications = alice.matching(NEW_COMMENT).filter((m) => m.text.includes(body));
      // "The fix…" was also shown once more by the "Latest comment" button.
      assert.equal(notifications.length, body === 'The fix is in kernel' ? 2 : 1, body);
    }
  });

  it('leaves no secret in its output, db.json, db.json.bak or its messages', async () => {
    await world.assertNoSecretLeaked();
  });
});
