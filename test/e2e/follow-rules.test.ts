// End to end, follow rules: a person says /follow sev 1; a severity-1 case opened later at
// the portal is found by the daemon's discovery, announced once, and its next comment arrives
// like any other; comments written before it was found are history, not news.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningDaemon } from '../_helpers/daemon.js';
import { NEW_COMMENT, connect, createWorld, type Person, type World } from './_support.js';

const BOT_TOKEN = '700009:E2E-rules-bot-token-abcdefghijklmnop';
const SECRET_KEY = 'e2e-rules-secret-key-0123456789abcdef';
const OFFLINE_TOKEN = 'e2e-rules-offline-token-abcdefghijklmnopqrstuvwxyz';
const ANA = 2009;
const SEV1 = '03456789';
const SEV3 = '03456790';
const NEW_CASE = /🆕/;

describe('follow rules, end to end', () => {
  let world: World;
  let ana: Person;
  let daemon: RunningDaemon;

  before(async () => {
    world = await createWorld({
      botToken: BOT_TOKEN,
      secretKey: SECRET_KEY,
      config: { poll: { intervalSeconds: 1 } },
    });
    world.secrets.add(OFFLINE_TOKEN);
    world.portal.addUser({ username: 'ana', offlineToken: OFFLINE_TOKEN });
    ana = world.person(ANA);
    daemon = await world.start();
    await connect(ana, OFFLINE_TOKEN);
  });
  after(async () => {
    await world.close();
  });

  it('follows a new Sev-1 case by rule, announces it once and delivers its first comment', async () => {
    const reply = await ana.ask('/follow sev 1', /sev 1/i);
    assert.doesNotMatch(reply.text, /can't|cannot|not /i, reply.text);
    const rules = await world.readState();
    assert.equal(rules.chats[String(ANA)]?.rules?.length, 1);

    // Opened after the rule: one severity-1 case with a comment already on it, and a
    // severity-3 case the rule does not want.
    world.portal.addCase({
      number: SEV3,
      summary: 'Slow dashboard',
      severity: '3 (Normal)',
      visibleTo: ['ana'],
    });
    world.portal.addCase({
      number: SEV1,
      summary: 'Cluster down in production',
      severity: '1 (Urgent)',
      product: 'OpenShift Container Platform',
      description: 'All nodes NotReady since the upgrade.',
      createdBy: 'Ana Customer',
      visibleTo: ['ana'],
    });
    world.addComment(SEV1, {
      body: 'Written before the bot found the case.',
      authorType: 'Associate',
    });

    const alert = await ana.waitFor(NEW_CASE);
    assert.match(alert.text, new RegExp(SEV1));
    assert.match(alert.text, /Sev 1/);
    assert.match(alert.text, /Cluster down in production/);
    const buttons = alert.replyMarkup?.inline_keyboard?.flat().map((b) => b.text) ?? [];
    assert.deepEqual(buttons.sort(), ['Mute', 'Open case']);

    world.addComment(SEV1, {
      body: 'We are looking at the etcd logs now.',
      authorType: 'Associate',
    });
    const pushed = await ana.waitFor(/etcd logs/);
    assert.match(pushed.text, NEW_COMMENT);
    await world.waitForEmptyOutbox();
    await world.waitForCycles(2);

    assert.equal(ana.matching(NEW_CASE).length, 1, 'announced once');
    assert.equal(ana.matching(new RegExp(SEV3)).length, 0, 'the Sev-3 case is not followed');
    assert.equal(ana.matching(/Written before the bot found/).length, 0, 'history not replayed');
    const state = await world.readState();
    const subs = state.chats[String(ANA)]?.subscriptions ?? {};
    assert.deepEqual(Object.keys(subs), [SEV1]);
    assert.equal(subs[SEV1]?.auto, true);
    assert.equal(daemon.process.exitCode, null, 'the daemon still runs');
    assert.doesNotMatch(daemon.output(), /"level":(50|60)/, 'no error logged');
    await world.assertNoSecretLeaked();
  });
});
