import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Case } from '../../src/domain.js';
import {
  casesOfRule,
  followByRule,
  matchingRules,
  nextRuleId,
  removeRule,
} from '../../src/rules/follow.js';
import type { ChatState } from '../../src/store/schema.js';

const NOW = '2026-12-03T10:00:00.000Z';

function chat(): ChatState {
  return {
    id: -100123,
    type: 'supergroup',
    active: true,
    audience: 'associate',
    createdAt: NOW,
    subscriptions: {},
    rules: [
      { id: 1, severities: [1], createdAt: NOW },
      { id: 2, product: ['openshift'], createdAt: NOW },
    ],
  };
}

const kase = (number: string, over: Partial<Case> = {}): Case => ({
  number,
  summary: `Case ${number}`,
  status: 'Waiting on Red Hat',
  severity: '1 (Urgent)',
  product: 'OpenShift Container Platform 4.16',
  closed: false,
  lastModifiedAt: '2026-12-03T09:30:00.000Z',
  createdAt: '2026-12-03T09:00:00.000Z',
  ...over,
});

describe('following by rule', () => {
  it('adds a case as it is now: earlier comments and files are history', () => {
    const c = chat();
    assert.deepEqual(matchingRules(c.rules, kase('01')), [1, 2]);
    assert.equal(followByRule(c, kase('01'), 1, NOW), 'added');
    const sub = c.subscriptions['01'];
    assert.equal(sub?.auto, true);
    assert.deepEqual(sub?.rules, [1]);
    assert.equal(sub?.seenUpTo, '2026-12-03T09:30:00.000Z');
    assert.equal(sub?.via, undefined);
    assert.equal(sub?.attachmentsSince, '2026-12-03T09:30:00.000Z');
    assert.equal(followByRule(c, kase('01'), 2, NOW), 'joined');
    assert.equal(followByRule(c, kase('01'), 2, NOW), 'unchanged');
    assert.deepEqual(c.subscriptions['01']?.rules, [1, 2]);
    assert.equal(casesOfRule(c, 2), 1);
  });

  it('leaves alone a case the chat removed by hand', () => {
    const c = chat();
    c.excluded = ['02'];
    assert.equal(followByRule(c, kase('02'), 1, NOW), 'unchanged');
    assert.equal(c.subscriptions['02'], undefined);
  });

  it('removing a rule lets go only of the cases nothing else holds', () => {
    const c = chat();
    followByRule(c, kase('01'), 1, NOW); // rule 1 only
    followByRule(c, kase('02'), 1, NOW);
    followByRule(c, kase('02'), 2, NOW); // rules 1 and 2
    c.subscriptions['03'] = {
      caseNumber: '03',
      addedAt: NOW,
      seen: [],
      summary: '',
      status: '',
      severity: '',
      product: '',
      closed: false,
    };
    followByRule(c, kase('03'), 1, NOW); // /add, then rule 1 too
    assert.equal(nextRuleId(c), 3);

    assert.deepEqual(removeRule(c, 1), ['01']);
    assert.deepEqual(Object.keys(c.subscriptions).sort(), ['02', '03']);
    assert.deepEqual(c.subscriptions['02']?.rules, [2]);
    assert.equal(c.subscriptions['03']?.rules, undefined);
    assert.deepEqual(
      c.rules?.map((r) => r.id),
      [2],
    );
    assert.deepEqual(removeRule(c, 2), ['02']);
    assert.deepEqual(Object.keys(c.subscriptions), ['03']);
    assert.equal(c.rules, undefined);
    // Ids are not reused while a subscription could still name them.
    assert.equal(nextRuleId(c), 1);
  });
});
