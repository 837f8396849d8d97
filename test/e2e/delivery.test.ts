// End to end, when Telegram misbehaves: a storm of 429s, a user who blocks the bot and comes
// back, and the daemon killed with SIGKILL while messages are on the wire. Each time: every
// comment arrives, in order, and duplicates appear only where the delivery contract says.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parseState } from '../../src/store/schema.js';
import type { RunningDaemon } from '../_helpers/daemon.js';
import { waitUntil } from '../_helpers/wait.js';
import {
  NEW_COMMENT,
  WAIT_MS,
  connect,
  createWorld,
  follow,
  type Person,
  type World,
} from './_support.js';

const BOT_TOKEN = '700002:E2E-delivery-bot-token-abcdefghijklm';
const SECRET_KEY = 'e2e-delivery-secret-key-0123456789';
const OFFLINE_TOKEN = 'e2e-delivery-offline-token-abcdefghijklmnopqrstuvwxyz';
const CASE = '02345678';
const BOB = 2002;

describe('delivery when Telegram misbehaves', () => {
  let world: World;
  let bob: Person;
  let daemon: RunningDaemon;

  const sendsTo = (chatId: number) =>
    world.telegram.callsTo('sendMessage').filter((c) => Number(c.params.chat_id) === chatId);
  /** How many notifications quote `body`. */
  const timesDelivered = (body: string) =>
    bob.matching(NEW_COMMENT).filter((m) => m.text.includes(body)).length;

  before(async () => {
    world = await createWorld({ botToken: BOT_TOKEN, secretKey: SECRET_KEY, probeTelegram: true });
    world.secrets.add(OFFLINE_TOKEN);
    world.portal.addUser({ username: 'bob', offlineToken: OFFLINE_TOKEN });
    world.portal.addCase({ number: CASE, summary: 'Database replication lag' });
    bob = world.person(BOB);
    daemon = await world.start();
    await connect(bob, OFFLINE_TOKEN);
    await follow(bob, CASE);
  });
  after(async () => {
    await world.close();
  });

  it('a storm of 429s: every comment delivered once, in order', async () => {
    world.telegram.failNext({
      method: 'sendMessage',
      chatId: BOB,
      times: 4,
      errorCode: 429,
      description: 'Too Many Requests: retry after 1',
      retryAfter: 1,
    });
    const attemptsBefore = sendsTo(BOB).length;
    const bodies = ['Storm one.', 'Storm two.', 'Storm three.'];
    for (const body of bodies) world.addComment(CASE, { body });

    const pushed = await bob.waitForCount(/Storm (one|two|three)\./, 3);
    await world.waitForEmptyOutbox();
    assert.deepEqual(
      pushed.map((m) => bodies.find((b) => m.text.includes(b))),
      bodies,
    );
    for (const body of bodies) assert.equal(timesDelivered(body), 1, body);
    // Each 429 cost one attempt, then the wait it asked for: 4 refused + 3 accepted.
    const storm = sendsTo(BOB).slice(attemptsBefore);
    assert.equal(storm.filter((c) => c.status === 429).length, 4);
    assert.equal(storm.length, 7);
  });

  it('a user who blocks the bot: sending stops; unblock and /start deliver what waited', async () => {
    world.telegram.blockChat(BOB);
    world.addComment(CASE, { body: 'Written while blocked.' });
    await waitUntil(async () => (await world.readState()).chats[String(BOB)]?.active === false, {
      timeoutMs: WAIT_MS,
      what: 'the chat to be marked inactive',
    });
    const attempts = sendsTo(BOB).length;
    assert.equal(sendsTo(BOB).at(-1)?.status, 403);
    world.addComment(CASE, { body: 'Also written while blocked.' });
    // A few cycles later nothing more was tried: the chat is paused, not retried in a loop.
    await world.waitForCycles(3);
    assert.equal(sendsTo(BOB).length, attempts, 'the bot kept writing to a chat that blocked it');
    assert.equal((await world.readState()).outbox.length, 1, 'the waiting comment was dropped');

    world.telegram.unblockChat(BOB);
    await bob.ask('/start', /You are connected and follow 1 case/);
    const [first, second] = await bob.waitForCount(/written while blocked\./i, 2);
    assert.match(first?.text ?? '', /Written while blocked\./);
    assert.match(second?.text ?? '', /Also written while blocked\./);
    await world.waitForEmptyOutbox();
    assert.equal(timesDelivered('Written while blocked.'), 1);
    assert.equal(timesDelivered('Also written while blocked.'), 1);
  });

  it('kill -9 with a send on the wire: nothing lost, only that send arrives twice', async () => {
    const probe = world.probe;
    assert.ok(probe);
    // Telegram becomes slow: each send takes 2.5 s, so the kill lands on one in flight.
    world.telegram.delayNext('sendMessage', 2_500, 10);
    const sentBefore = probe.sent('sendMessage');
    const bodies = ['Crash one.', 'Crash two.', 'Crash three.', 'Crash four.'];
    for (const body of bodies) world.addComment(CASE, { body });

    // The first send was answered (one send at a time per chat) and the second is on the wire.
    await waitUntil(
      () => probe.sent('sendMessage') === sentBefore + 2 && probe.inFlight('sendMessage') === 1,
      {
        timeoutMs: WAIT_MS,
        intervalMs: 10,
        what: 'the second send to be in flight',
      },
    );
    daemon.process.kill('SIGKILL');
    assert.equal((await daemon.exited).signal, 'SIGKILL');

    // What the crash left: valid JSON, a valid state, the unsent comments still pending.
    const crashed = await world.readState();
    parseState(JSON.parse(await readFile(`${world.dbPath}.bak`, 'utf8')));
    assert.deepEqual(
      crashed.outbox.map((e) => e.comment?.body),
      bodies.slice(1),
    );
    // The send on the wire still reaches Telegram, which accepts it: nobody reads the answer.
    await waitUntil(() => timesDelivered('Crash two.') === 1, {
      timeoutMs: WAIT_MS,
      what: 'Telegram to accept the send of the dead daemon',
    });
    world.telegram.clearFaults();

    daemon = await world.restartAfterCrash();
    await bob.waitForCount(/Crash four\./, 1);
    await world.waitForEmptyOutbox();
    const counts = bodies.map(timesDelivered);
    // Nothing lost, and one duplicate: the message Telegram accepted after its sender died.
    assert.deepEqual(counts, [1, 2, 1, 1]);
    // In order, the duplicate right after its first copy.
    const order = bob
      .matching(/Crash (one|two|three|four)\./)
      .map((m) => bodies.findIndex((b) => m.text.includes(b)));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
  });

  it('leaves no secret in its output, db.json, db.json.bak or its messages', async () => {
    await world.assertNoSecretLeaked();
  });
});
