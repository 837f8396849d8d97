// Follow rules in the poller, over the real v3 client and the loopback fake portal: what the
// discovery costs (one search per credential per cycle, none without rules), and what it does
// with the cases it finds (announced once, then followed from where they were), the rule's
// limit, who holds a case, and a credential that cannot search.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { removeRule } from '../../src/rules/follow.js';
import { bodies, MINUTE, ofKind, rulesRig, type CycleCost, type RulesRig } from './_rules-rig.js';

const CHAT = 4242;
const OTHER_CHAT = -100_777;

describe('follow rules: discovery', () => {
  let r: RulesRig | undefined;
  afterEach(async () => {
    await r?.fake.close();
    r = undefined;
  });

  it('costs nothing without rules, and ONE search per credential per cycle with 1 or 10 rules in two chats', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: '01000001', severity: '3 (Normal)', product: 'RHEL' });
    await r.addChat({ chatId: CHAT });
    assert.deepEqual((await r.cycle()).requests, 0, 'nothing followed, no rule: no request');

    await r.addChat({ chatId: OTHER_CHAT, cases: ['01000001'] });
    await r.cycle();
    const quiet = await r.cycle();
    assert.deepEqual([quiet.graphql, quiet.requests, quiet.stats.searches], [1, 1, 0]);

    await r.store.update((d) => {
      d.chats[String(CHAT)]!.rules = [
        { id: 1, product: ['nothing'], createdAt: d.chats[String(CHAT)]!.createdAt },
      ];
    });
    const oneRule = await r.cycle();
    assert.deepEqual(
      [oneRule.graphql, oneRule.stats.searches],
      [1 + 1, 1],
      'the batch and one search',
    );

    await r.store.update((d) => {
      const at = d.chats[String(CHAT)]!.createdAt;
      d.chats[String(CHAT)]!.rules = Array.from({ length: 10 }, (_, i) => ({
        id: i + 1,
        product: [`nothing${i}`],
        createdAt: at,
      }));
      d.chats[String(OTHER_CHAT)]!.rules = [{ id: 1, severities: [1], createdAt: at }];
    });
    for (let i = 0; i < 3; i++) {
      const many: CycleCost = await r.cycle();
      assert.deepEqual([many.graphql, many.stats.searches], [1 + 1, 1], 'still one search');
      assert.equal(many.writes, 0, 'nothing matched: nothing written');
    }
  });

  it('announces a matching case once, then follows it from where it was: old comments stay old', async () => {
    r = await rulesRig();
    await r.addChat({ chatId: CHAT, rules: ['all', 'sev 1'] });
    r.fake.addCase({
      number: '01000001',
      summary: 'Cluster down',
      severity: '1 (Urgent)',
      description: `Nodes NotReady since the upgrade. ${'x'.repeat(3000)}`,
      createdBy: 'Alice Customer',
    });
    r.comment('01000001', 'history before the rule found it', 'Customer');
    r.fake.addCase({ number: '01000002', severity: '3 (Normal)', closed: true });

    const first = await r.cycle();
    assert.equal(first.stats.searches, 1);
    const announced = await r.deliver();
    assert.equal(announced.length, 1, 'one entry: the new case, not its history');
    const [entry] = announced;
    assert.equal(entry?.kind, 'new-case');
    assert.equal(entry?.case?.number, '01000001');
    assert.equal(entry?.rule, '1 · all open cases');
    assert.equal(entry?.case?.openedBy, 'Alice Customer');
    assert.match(entry?.case?.description ?? '', /^Nodes NotReady since the upgrade\./);
    assert.ok((entry?.case?.description ?? '').length <= 1000, 'the description is cut');
    const sub = r.store.read().chats[String(CHAT)]?.subscriptions['01000001'];
    assert.deepEqual([sub?.auto, sub?.rules], [true, [1, 2]]);
    assert.equal(r.store.read().chats[String(CHAT)]?.subscriptions['01000002'], undefined);

    // Read by the normal cycle from now on; the search still sees it (the overlap second).
    await r.cycle();
    await r.cycle();
    assert.deepEqual(await r.deliver(), [], 'no second announcement, no replayed history');
    r.comment('01000001', 'new answer');
    await r.cycle();
    assert.deepEqual(bodies(await r.deliver()), ['new answer']);
    const cred = r.store.read().credentials[r.credentialId];
    assert.ok(cred?.discoveredUpTo !== undefined, 'the checkpoint is stored');
  });

  it('moves the checkpoint to the newest change returned, never back', async () => {
    r = await rulesRig();
    await r.addChat({ chatId: CHAT, rules: ['product nothing'] });
    r.fake.addCase({ number: '01000001' });
    await r.cycle();
    const upTo = r.store.read().credentials[r.credentialId]?.discoveredUpTo;
    assert.equal(upTo, new Date(r.fake.now() - MINUTE).toISOString());
    // A quiet cycle: the same case comes back (the overlap second); nothing to write.
    const quiet = await r.cycle();
    assert.equal(quiet.writes, 0);
    r.fake.setSeverity('01000001', '2 (High)');
    await r.cycle();
    const moved = r.store.read().credentials[r.credentialId]?.discoveredUpTo;
    assert.ok(Date.parse(moved ?? '') > Date.parse(upTo ?? ''));
  });

  it('tells the chat once when a rule reaches rules.maxCasesPerRule, and follows again below it', async () => {
    r = await rulesRig({ maxCasesPerRule: 2 });
    await r.addChat({ chatId: CHAT, rules: ['all'] });
    for (const n of ['01000001', '01000002', '01000003']) r.fake.addCase({ number: n });
    await r.cycle();
    const first = await r.deliver();
    assert.equal(ofKind(first, 'new-case').length, 2);
    const notices = ofKind(first, 'notice');
    assert.equal(notices.length, 1);
    assert.match(notices[0]?.text ?? '', /Rule 1.*limit of 2 cases/s);
    r.fake.addCase({ number: '01000004' });
    await r.cycle();
    await r.cycle();
    assert.deepEqual(await r.deliver(), [], 'told once');

    // A case goes (/remove): under its limit, the rule follows the next match it sees: here the
    // newest case it skipped, which the search returns again (its one-second overlap).
    await r.store.update((d) => {
      delete d.chats[String(CHAT)]!.subscriptions['01000001'];
    });
    await r.cycle();
    const again = await r.deliver();
    assert.deepEqual(
      again.map((e) => `${e.kind} ${e.case?.number ?? '-'}`),
      ['new-case 01000004'],
    );
    assert.equal(r.store.read().chats[String(CHAT)]?.rules?.[0]?.limitReachedAt, undefined);
    r.fake.addCase({ number: '01000005' });
    await r.cycle();
    assert.equal(ofKind(await r.deliver(), 'notice').length, 1, 'at the limit again: told again');
  });

  it('keeps a case until its last holder goes: two rules, then /add', async () => {
    r = await rulesRig();
    await r.addChat({ chatId: CHAT, rules: ['sev 1', 'product openshift'] });
    for (const n of ['01000001', '01000002']) {
      r.fake.addCase({
        number: n,
        severity: '1 (Urgent)',
        product: 'OpenShift Container Platform',
      });
    }
    await r.cycle();
    assert.equal(ofKind(await r.deliver(), 'new-case').length, 2, 'one announcement per case');
    const subs = () => r!.store.read().chats[String(CHAT)]!.subscriptions;
    assert.deepEqual(subs()['01000001']?.rules, [1, 2]);

    // /add of 01000001: now held by hand as well (a hand-added subscription is not auto).
    await r.store.update((d) => {
      delete d.chats[String(CHAT)]!.subscriptions['01000001']!.auto;
    });
    const dropped: string[][] = [];
    await r.store.update((d) => dropped.push(removeRule(d.chats[String(CHAT)]!, 1)));
    assert.deepEqual(Object.keys(subs()).sort(), ['01000001', '01000002'], 'rule 2 holds both');
    await r.store.update((d) => dropped.push(removeRule(d.chats[String(CHAT)]!, 2)));
    assert.deepEqual(dropped, [[], ['01000002']]);
    assert.deepEqual(Object.keys(subs()), ['01000001'], '/add still holds it');
    assert.equal(subs()['01000001']?.rules, undefined);
  });

  it('adds a rule to a case followed by hand without announcing it, and leaves it when the rule goes', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: '01000001', severity: '1 (Urgent)' });
    await r.addChat({ chatId: CHAT, cases: ['01000001'], rules: ['sev 1'] });
    await r.cycle();
    assert.deepEqual(await r.deliver(), []);
    const sub = () => r!.store.read().chats[String(CHAT)]!.subscriptions['01000001'];
    assert.deepEqual([sub()?.rules, sub()?.auto], [[1], undefined]);
    await r.store.update((d) => {
      removeRule(d.chats[String(CHAT)]!, 1);
    });
    assert.ok(sub() !== undefined);
  });

  it('leaves a case the chat removed by hand alone', async () => {
    r = await rulesRig();
    await r.addChat({ chatId: CHAT, rules: ['all'] });
    await r.store.update((d) => {
      d.chats[String(CHAT)]!.excluded = ['01000001'];
    });
    r.fake.addCase({ number: '01000001' });
    const cost = await r.cycle();
    assert.deepEqual(await r.deliver(), []);
    assert.equal(r.store.read().chats[String(CHAT)]?.subscriptions['01000001'], undefined);
    assert.equal(cost.writes, 1, 'only the checkpoint');
  });

  it('REST v3 alone: the search is refused (logged once), and the comments are still read', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: '01000001' });
    await r.addChat({ chatId: CHAT, cases: ['01000001'], rules: ['all'] });
    r.fake.retire('graphql');
    r.comment('01000001', 'through REST');
    const first = await r.cycle();
    // GraphQL is tried first (the search and the batch), then the client settles on REST.
    assert.deepEqual([first.stats.searches, first.stats.portalFailures], [1, 1]);
    assert.deepEqual(bodies(await r.deliver()), ['through REST'], 'read in the same cycle');
    r.comment('01000001', 'still through REST');
    for (let i = 0; i < 3; i++) {
      const later = await r.cycle();
      assert.equal(later.graphql, 0, 'no search asked while it cannot work');
    }
    assert.deepEqual(bodies(await r.deliver()), ['still through REST']);
    assert.equal(r.logs.count(/follow rules need the GraphQL case search/), 1);
  });
});
