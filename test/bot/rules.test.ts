import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CANNOT_SEARCH_TEXT, RULES_OFF_TEXT } from '../../src/bot/features/rules.js';
import { needsSetupText } from '../../src/bot/support/chat-access.js';
import { parseRule } from '../../src/rules/rule.js';
import {
  ADMIN,
  GROUP,
  MEMBER,
  USER,
  assertClean,
  connect,
  connectGroup,
  startHarness,
} from './harness.js';
import { OPENSHIFT, RHEL, chatOf, seed } from './_rule-cases.js';

function rendered(error: string): string {
  // The rendered text of "❓ <escaped error>", as the user reads it.
  return `❓ ${error}`;
}

describe('/follow', () => {
  it('follows the matching open cases at once, silently, and says how many', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001', { severity: '1 (Urgent)', product: OPENSHIFT, minute: 1 });
    seed(h, '00000002', { severity: '1 (Urgent)', product: RHEL, minute: 2 });
    seed(h, '00000003', { severity: '2 (High)', product: OPENSHIFT, minute: 3 });
    seed(h, '00000004', { severity: '1 (Urgent)', product: OPENSHIFT, closed: true, minute: 4 });
    const newest = seed(h, '00000005', { minute: 50 });
    const mark = h.sent(USER).length;

    await h.say(USER, '/follow sev 1 product openshift');

    const replies = h.since(USER, mark);
    assert.equal(replies.length, 1, 'one answer, no announcement per case');
    assert.equal(
      replies[0]?.text,
      [
        '✅ Rule 1 saved: sev 1 · product openshift.',
        'It follows 1 case now: 00000001.',
        'These are not announced one by one; each new match will be.',
        '/rules lists your rules; /unfollow 1 removes this one.',
      ].join('\n'),
    );
    const chat = chatOf(h);
    assert.deepEqual(chat?.rules, [
      {
        id: 1,
        severities: [1],
        product: ['openshift'],
        createdAt: new Date(h.clock.now()).toISOString(),
      },
    ]);
    assert.deepEqual(Object.keys(chat?.subscriptions ?? {}), ['00000001']);
    const sub = chat?.subscriptions['00000001'];
    assert.equal(sub?.auto, true);
    assert.deepEqual(sub?.rules, [1]);
    assert.equal(h.store.read().outbox.length, 0, 'nothing queued for the cases already open');
    const credential = Object.values(h.store.read().credentials)[0];
    assert.equal(credential?.discoveredUpTo, newest.lastModifiedAt, 'newest change the search saw');
    assert.equal(h.portal.count('searchCases'), 1);
    assertClean(h);
  });

  it('lists at most ten case numbers, then how many more', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    for (let i = 1; i <= 13; i++) seed(h, String(10_000_000 + i), { severity: '2 (High)' });
    await h.say(USER, '/follow sev 2');
    assert.match(
      h.lastText(USER),
      /It follows 13 cases now: 10000001, 10000002, .*, 10000010 and 3 more\./,
    );
    assert.equal(Object.keys(chatOf(h)?.subscriptions ?? {}).length, 13);
  });

  it('accepts a rule that matches nothing now and says so', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001');
    await h.say(USER, '/follow group emea platform');
    assert.match(h.lastText(USER), /✅ Rule 1 saved: group emea platform\./);
    assert.match(h.lastText(USER), /No open case matches it now; I’ll tell you when one does\./);
    assert.deepEqual(
      chatOf(h)?.rules?.map((r) => r.group),
      [['emea', 'platform']],
    );
    assert.deepEqual(chatOf(h)?.subscriptions, {});
  });

  it('answers a rule it cannot read with the parser’s words and stores nothing', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    for (const text of ['', 'sev 9', 'colour red', 'all sev 1', 'product', 'sev 1 sev 2']) {
      const parsed = parseRule(text);
      assert.ok(!parsed.ok);
      await h.say(USER, `/follow ${text}`.trim());
      assert.equal(h.lastText(USER), rendered(parsed.error), `answer to "/follow ${text}"`);
    }
    assert.equal(chatOf(h)?.rules, undefined);
    assert.equal(h.portal.count('searchCases'), 0);
    assertClean(h);
  });

  it('asks for /setup first, as /add does', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/follow all');
    assert.equal(h.lastText(USER), needsSetupText('private').replace(/<[^>]+>/g, ''));
    assert.deepEqual(h.store.read().chats, {});
  });

  it('refuses when the login cannot use the case search (REST only), naming check', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001');
    h.portal.searchable = false;
    await h.say(USER, '/follow all');
    assert.equal(h.lastText(USER), CANNOT_SEARCH_TEXT.replace(/<[^>]+>/g, ''));
    assert.match(h.lastText(USER), /case search \(GraphQL\)/);
    assert.match(h.lastText(USER), /check \(node dist\/main\.js check\)/);
    assert.equal(h.portal.count('searchCases'), 0);
    assert.equal(chatOf(h)?.rules, undefined);
  });

  it('refuses a rule past rules.maxPerChat, and one that already exists, with its number', async (t) => {
    const h = await startHarness(t, { rules: { maxPerChat: 2 } });
    await connect(h, USER);
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/follow product openshift');
    await h.say(USER, '/follow openshift product');
    assert.match(h.lastText(USER), /I don't know "openshift"/);
    await h.say(USER, '/follow product OpenShift');
    assert.equal(
      h.lastText(USER),
      'ℹ️ Rule 2 already says that (product openshift). /rules lists them.',
    );
    await h.say(USER, '/follow group emea');
    assert.equal(
      h.lastText(USER),
      '✋ This chat has 2 rules, the most it may have. Remove one first: /rules shows them, /unfollow N removes one.',
    );
    assert.equal(chatOf(h)?.rules?.length, 2);
    assert.equal(h.portal.count('searchCases'), 2, 'the refusals asked the portal nothing');
  });

  it('says rules are off when rules.maxPerChat is 0', async (t) => {
    const h = await startHarness(t, { rules: { maxPerChat: 0 } });
    await connect(h, USER);
    await h.say(USER, '/follow all');
    assert.equal(h.lastText(USER), RULES_OFF_TEXT);
    await h.say(USER, '/rules');
    assert.equal(h.lastText(USER), RULES_OFF_TEXT);
  });

  it('refuses a rule matching more than rules.maxCasesPerRule open cases, with the count', async (t) => {
    const h = await startHarness(t, { rules: { maxCasesPerRule: 3 } });
    await connect(h, USER);
    for (let i = 1; i <= 6; i++) seed(h, String(20_000_000 + i), { severity: '1 (Urgent)' });
    await h.say(USER, '/follow sev 1');
    assert.equal(
      h.lastText(USER),
      '✋ That rule matches more than 3 open cases (4 so far). Narrow it, for example /follow sev 1 product openshift.',
    );
    assert.equal(chatOf(h)?.rules, undefined);
    assert.deepEqual(chatOf(h)?.subscriptions, {});
    assert.equal(Object.values(h.store.read().credentials)[0]?.discoveredUpTo, undefined);
  });

  it('takes the portal’s total for /follow all: one request to refuse', async (t) => {
    const h = await startHarness(t, { rules: { maxCasesPerRule: 3 } });
    await connect(h, USER);
    for (let i = 1; i <= 5; i++) seed(h, String(30_000_000 + i));
    seed(h, '30000009', { closed: true });
    await h.say(USER, '/follow all');
    assert.match(h.lastText(USER), /matches more than 3 open cases \(5 in all\)/);
    assert.equal(h.portal.count('searchCases'), 1);
  });

  it('pages through the open cases, 200 at a time, and stops past the limit', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    // 450 open cases; every other one is Sev 2: 225 matches, the 201st on page 3. One in ten
    // is Sev 3 (45), on every page.
    for (let i = 0; i < 450; i++) {
      const severity = i % 2 === 0 ? '2 (High)' : i % 10 === 1 ? '3 (Normal)' : '4 (Low)';
      seed(h, String(40_000_000 + i), { severity, minute: i });
    }
    await h.say(USER, '/follow sev 2');
    assert.match(h.lastText(USER), /matches more than 200 open cases \(201 so far\)/);
    assert.equal(h.portal.count('searchCases'), 3);

    await h.say(USER, '/follow sev 3 product linux');
    assert.match(h.lastText(USER), /✅ Rule 1 saved: sev 3 · product linux\./);
    assert.match(h.lastText(USER), /It follows 45 cases now/);
    assert.equal(Object.keys(chatOf(h)?.subscriptions ?? {}).length, 45);
    assert.equal(h.portal.count('searchCases'), 6, 'three pages read to the end');
  });

  it('says what went wrong with the portal, and stores nothing', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001');
    h.portal.fail('searchCases', 'transient');
    await h.say(USER, '/follow all');
    assert.equal(
      h.lastText(USER),
      '⚠️ I could not search this chat’s cases: the portal could not be reached, try again later. Nothing was saved.',
    );
    h.portal.fail('searchCases', 'rate-limited');
    await h.say(USER, '/follow all');
    assert.match(
      h.lastText(USER),
      /asked me to slow down, try again in a minute\. Nothing was saved/,
    );
    h.portal.fail('searchCases', 'auth');
    await h.say(USER, '/follow all');
    assert.match(h.lastText(USER), /🚫 .*rejected this chat’s login: run \/setup again/);
    h.portal.fail('searchCases', 'unsupported');
    await h.say(USER, '/follow all');
    assert.match(h.lastText(USER), /Rules need the Red Hat portal’s case search/);
    assert.equal(chatOf(h)?.rules, undefined);
    assertClean(h);
  });

  it('in a group, is for admins only', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    seed(h, '00000001');
    await h.say(GROUP, '/follow all', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(chatOf(h, GROUP)?.rules, undefined);
    assert.equal(h.portal.count('searchCases'), 0);
    await h.say(GROUP, '/follow all', { fromId: ADMIN });
    assert.match(h.lastText(GROUP), /✅ Rule 1 saved: all open cases\./);
    assertClean(h);
  });
});

describe('/rules', () => {
  it('numbers the rules with the cases each follows, and says how to remove one', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001', { severity: '1 (Urgent)', product: OPENSHIFT });
    seed(h, '00000002', { severity: '1 (Urgent)' });
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/follow product openshift');
    await h.say(USER, '/follow group emea');
    await h.say(USER, '/rules');
    assert.equal(
      h.lastText(USER),
      [
        '📏 Follow rules (3 of 10)',
        '1. sev 1 — follows 2 cases',
        '2. product openshift — follows 1 case',
        '3. group emea — follows 0 cases',
        '',
        'Remove one: /unfollow 1 (the cases only it brought in go with it).',
      ].join('\n'),
    );
  });

  it('without rules, shows how to make one', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/rules');
    const text = h.lastText(USER);
    assert.match(text, /This chat has no follow rules/);
    for (const example of ['/follow all', '/follow sev 1,2', '/follow sev 1 product openshift']) {
      assert.ok(text.includes(example), example);
    }
  });

  it('can be read by any member of a group', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await h.say(GROUP, '/follow sev 1', { fromId: ADMIN });
    await h.say(GROUP, '/rules', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /1\. sev 1 — follows 0 cases/);
    assertClean(h);
  });
});

describe('/unfollow', () => {
  it('removes the rule and the cases only it brought in; /add-ed cases stay', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seed(h, '00000001', { severity: '1 (Urgent)' });
    seed(h, '00000002', { severity: '1 (Urgent)' });
    seed(h, '00000003', { severity: '1 (Urgent)', product: OPENSHIFT });
    await h.say(USER, '/add 00000001');
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/follow product openshift');
    const now = new Date(h.clock.now()).toISOString();
    await h.store.update((d) => {
      for (const n of ['00000001', '00000002']) {
        d.outbox.push({
          id: `telegram:${USER}:${n}:status`,
          chatId: USER,
          destination: 'telegram',
          kind: 'status',
          case: {
            number: n,
            summary: '',
            status: 'New',
            severity: '',
            product: '',
            closed: false,
            lastModifiedAt: now,
          },
          createdAt: now,
          attempts: 0,
        });
      }
    });

    await h.say(USER, '/unfollow 1');
    assert.equal(
      h.lastText(USER),
      [
        '✅ Removed rule 1: sev 1.',
        'Stopped following 1 case only it brought in: 00000002.',
        '2 cases stay: added with /add, or followed by another rule.',
        'The other rules may have new numbers: /rules',
      ].join('\n'),
    );
    const chat = chatOf(h);
    assert.deepEqual(Object.keys(chat?.subscriptions ?? {}).sort(), ['00000001', '00000003']);
    assert.equal(chat?.subscriptions['00000001']?.auto, undefined, 'the /add-ed case is not auto');
    assert.deepEqual(chat?.subscriptions['00000003']?.rules, [2]);
    assert.deepEqual(
      chat?.rules?.map((r) => r.id),
      [2],
    );
    assert.deepEqual(
      h.store.read().outbox.map((e) => e.case?.number),
      ['00000001'],
      'queued messages of the dropped case are gone',
    );
    assertClean(h);
  });

  it('answers a bad number with the valid range', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.say(USER, '/unfollow 1');
    assert.match(h.lastText(USER), /This chat has no follow rules/);
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/follow sev 2');
    await h.say(USER, '/unfollow 3');
    assert.equal(h.lastText(USER), '❓ There is no rule 3: use a number from 1 to 2 (see /rules).');
    await h.say(USER, '/unfollow 0');
    assert.equal(h.lastText(USER), '❓ There is no rule 0: use a number from 1 to 2 (see /rules).');
    await h.say(USER, '/unfollow first');
    assert.equal(
      h.lastText(USER),
      '❓ first is not a rule number: use a number from 1 to 2 (see /rules).',
    );
    await h.say(USER, '/unfollow');
    assert.match(
      h.lastText(USER),
      /Which rule\? Send its number from \/rules, e\.g\. \/unfollow 1/,
    );
    assert.equal(chatOf(h)?.rules?.length, 2);
  });

  it('in a group, is for admins only', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await h.say(GROUP, '/follow sev 1', { fromId: ADMIN });
    await h.say(GROUP, '/unfollow 1', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(chatOf(h, GROUP)?.rules?.length, 1);
  });
});
