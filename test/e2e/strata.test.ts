// End to end, the other flavour: the Strata XML API with a username and password (HTTP Basic),
// on a bot restricted to listed chats (telegram.allowedChatIds).
//
// Also in the security story, and covered in daemon-lifecycle.test.ts rather than here: a
// second daemon on the same db.json is refused naming the lock, and a corrupt db.json is
// refused with the file named and left untouched.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import {
  NEW_COMMENT,
  WAIT_MS,
  connect,
  createWorld,
  follow,
  type Person,
  type World,
} from './_support.js';

const BOT_TOKEN = '700005:E2E-strata-bot-token-abcdefghijklmno';
const SECRET_KEY = 'e2e-strata-secret-key-0123456789';
const USERNAME = 'dave-service';
// Passwords may hold spaces: everything after the first word is the password.
const PASSWORD = 'correct horse battery staple 42';
const CASE = '05678901';
const DAVE = 5005;
const OUTSIDER = 9_876_543;

describe('Strata API with username and password, on a private bot', () => {
  let world: World;
  let dave: Person;

  before(async () => {
    world = await createWorld({
      botToken: BOT_TOKEN,
      secretKey: SECRET_KEY,
      api: 'strata',
      config: { telegram: { allowedChatIds: [DAVE] } },
    });
    world.secrets.add(PASSWORD);
    world.secrets.add(Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64'));
    world.portal.addUser({ username: USERNAME, password: PASSWORD });
    world.portal.addCase({ number: CASE, summary: 'NFS mounts hang <after> reboot & resume' });
    dave = world.person(DAVE);
    await world.start();
  });
  after(async () => {
    await world.close();
  });

  it('warns at start that Red Hat switched the v1 APIs off, naming the v3 setting', () => {
    const output = world.daemons[0]?.output() ?? '';
    assert.match(output, /switched off on 2026-09-21/);
    // The log line is JSON: the quotes around the setting arrive escaped.
    assert.match(output, /\\"portal\.api\\": \\"v3\\"/);
  });

  it('connects with "username password", follows a case and gets its comments', async () => {
    const connected = await connect(dave, `${USERNAME} ${PASSWORD}`);
    assert.match(connected.text, new RegExp(`as ${USERNAME}`));
    assert.ok(
      world.telegram.deleted.some((d) => d.chatId === DAVE && d.messageId === dave.lastMessageId),
      'the message holding the password was not deleted',
    );
    await follow(dave, CASE);

    world.addComment(CASE, {
      body: 'Please try the <nfs> mount option "hard" & report back.',
      author: 'Engineer, Red Hat',
    });
    const pushed = await dave.waitFor(/Please try the <nfs> mount option "hard" & report back\./);
    assert.match(
      pushed.text,
      /New comment on case 05678901\nNFS mounts hang <after> reboot & resume/,
    );

    const from = dave.messages().length;
    dave.press(pushed, 'Latest comment');
    await dave.waitFor(/Please try the <nfs> mount option/, from);
    assert.deepEqual(world.telegram.unansweredCallbacks(), []);

    // Only the Strata API, only Basic auth: no token exchange, every call authenticated.
    const { portal } = world;
    assert.equal(portal.count({ endpoint: 'token' }), 0);
    assert.equal(portal.count({ flavour: 'hydra' }), 0);
    assert.ok(portal.count({ flavour: 'strata', user: USERNAME }) >= 4);
    assert.equal(portal.count({ status: 401 }), 0);
  });

  it('a chat not on the allowlist gets one refusal with its id, and nothing is stored', async () => {
    const outsider = world.person(OUTSIDER);
    const refusal = await outsider.ask('/start', /this bot is private/);
    assert.match(refusal.text, new RegExp(`add this chat id: ${OUTSIDER}`));
    outsider.say('/setup');
    outsider.say(`${USERNAME} ${PASSWORD}`);
    outsider.say(`/add ${CASE}`);
    // Once the bot confirmed those updates (its next poll), it has handled them.
    await world.telegram.waitFor(
      () => world.telegram.pendingUpdates().length === 0 && world.telegram.pollPending,
      WAIT_MS,
    );
    assert.equal(outsider.messages().length, 1, 'the outsider got more than one answer');
    // Its message holding a password is its own business: the bot does not even touch it.
    assert.ok(!world.telegram.deleted.some((d) => d.chatId === OUTSIDER));

    // Dave is still served, and db.json knows nothing of the outsider.
    await dave.ask('/list', /1 case followed/);
    const db = await readFile(world.dbPath, 'utf8');
    assert.ok(!db.includes(String(OUTSIDER)), 'db.json mentions the outsider');
    assert.deepEqual(Object.keys((await world.readState()).chats), [String(DAVE)]);
    assert.equal(dave.matching(NEW_COMMENT).length, 2);
  });

  it('leaves no secret in its output, db.json, db.json.bak or its messages', async () => {
    await world.assertNoSecretLeaked();
  });
});
