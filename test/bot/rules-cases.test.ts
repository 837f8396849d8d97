// Follow rules meet the case commands: /add, /remove and /list with rules around.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER, connect, startHarness } from './harness.js';
import { OPENSHIFT, chatOf, seed } from './_rule-cases.js';

describe('rules and /add, /remove, /list', () => {
  it('/add makes a rule’s case the chat’s own: removing the rule keeps it', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001', { severity: '1 (Urgent)' });
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/add 00000001');
    assert.match(h.lastText(USER), /00000001 was followed through a rule; now it is yours/);
    assert.equal(chatOf(h)?.subscriptions['00000001']?.auto, undefined);
    await h.say(USER, '/unfollow 1');
    assert.deepEqual(Object.keys(chatOf(h)?.subscriptions ?? {}), ['00000001']);
  });

  it('/remove keeps rules from bringing the case back, until /add', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001', { severity: '1 (Urgent)' });
    seed(h, '00000002', { severity: '1 (Urgent)', product: OPENSHIFT });
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/remove 00000002');
    assert.match(h.lastText(USER), /Stopped following 00000002/);
    assert.match(h.lastText(USER), /Your follow rules will not bring it back; \/add does\./);
    assert.deepEqual(chatOf(h)?.excluded, ['00000002']);

    await h.say(USER, '/follow product openshift');
    assert.match(h.lastText(USER), /No open case matches it now/);
    assert.match(
      h.lastText(USER),
      /1 matching case you removed by hand stays out \(\/add brings it back\)\./,
    );
    assert.equal(chatOf(h)?.subscriptions['00000002'], undefined);

    await h.say(USER, '/add 00000002');
    assert.match(h.lastText(USER), /✅ 00000002 added/);
    assert.equal(chatOf(h)?.excluded, undefined);
    const sub = chatOf(h)?.subscriptions['00000002'];
    assert.equal(sub?.auto, undefined);
    assert.equal(sub?.attachmentsSince, new Date(h.clock.now()).toISOString());
    assert.equal(sub?.attachmentsReadAt, h.portal.cases.get('00000002')?.lastModifiedAt);
  });

  it('/remove in a chat without rules excludes nothing', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001');
    await h.say(USER, '/add 00000001');
    await h.say(USER, '/remove 00000001');
    assert.doesNotMatch(h.lastText(USER), /follow rules/);
    assert.equal(chatOf(h)?.excluded, undefined);
  });

  it('/list marks muted cases and the rules that brought each in', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001', { severity: '1 (Urgent)', product: OPENSHIFT });
    seed(h, '00000002', { severity: '2 (High)' });
    await h.say(USER, '/add 00000002');
    await h.say(USER, '/follow group emea');
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/follow product openshift');
    await h.say(USER, '/unfollow 1');
    await h.say(USER, '/mute 00000002');
    await h.say(USER, '/list');
    const text = h.lastText(USER);
    assert.match(text, /00000001 · 1 \(Urgent\) · Waiting on Red Hat \(rules 1, 2\)/);
    assert.match(text, /00000002 🔕 · 2 \(High\) · Waiting on Red Hat\n/);
  });
});
