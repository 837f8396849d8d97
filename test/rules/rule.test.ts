import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { severityLevel, type Case } from '../../src/domain.js';
import { describeRule, parseRule, ruleMatches, sameRule } from '../../src/rules/rule.js';

const kase = (over: Partial<Case> = {}): Case => ({
  number: '01234567',
  summary: 'Pods restart',
  status: 'Waiting on Red Hat',
  severity: '2 (High)',
  product: 'Red Hat OpenShift Container Platform',
  version: '4.14',
  closed: false,
  lastModifiedAt: '2026-12-03T09:00:00Z',
  group: 'EMEA Platform Team',
  ...over,
});

function parsed(text: string) {
  const r = parseRule(text);
  assert.ok(r.ok, `expected "${text}" to parse: ${r.ok ? '' : r.error}`);
  return r.rule;
}

function refusal(text: string): string {
  const r = parseRule(text);
  assert.ok(!r.ok, `expected "${text}" to be refused`);
  return r.error;
}

describe('follow rules: parsing', () => {
  it('reads all, sev, product, group and their combinations', () => {
    assert.deepEqual(parsed('all'), {});
    assert.deepEqual(parsed('ALL'), {});
    assert.deepEqual(parsed('sev 1,2'), { severities: [1, 2] });
    assert.deepEqual(parsed('sev 2, 1 1'), { severities: [1, 2] });
    assert.deepEqual(parsed('severity 3'), { severities: [3] });
    assert.deepEqual(parsed('product OpenShift Container'), {
      product: ['openshift', 'container'],
    });
    assert.deepEqual(parsed('sev 1 product openshift group emea'), {
      severities: [1],
      product: ['openshift'],
      group: ['emea'],
    });
  });

  it('refuses unknown words, severities outside 1–4, empty and repeated conditions, with an example', () => {
    for (const [text, pattern] of [
      ['', /for example \/follow sev 1,2/],
      ['everything', /don't know "everything".*\/follow sev 1 product openshift/],
      ['sev 5', /"5" does not exist: use 1 to 4/],
      ['sev 0,1', /"0" does not exist/],
      ['sev one', /"one" does not exist/],
      ['sev', /Which severities\?/],
      ['product', /Which product\?/],
      ['group  ', /Which group\?/],
      ['sev 1 sev 2', /severities once/],
      ['all sev 1', /"all" stands alone/],
    ] as const) {
      assert.match(refusal(text), pattern, text);
    }
  });

  it('describes a rule as typed, and knows the same rule in another order', () => {
    assert.equal(describeRule(parsed('all')), 'all open cases');
    assert.equal(
      describeRule(parsed('group emea sev 2,1 product openshift')),
      'sev 1,2 · product openshift · group emea',
    );
    assert.ok(sameRule(parsed('product a b sev 2,1'), parsed('sev 1,2 product b a')));
    assert.ok(!sameRule(parsed('product a'), parsed('group a')));
    assert.ok(!sameRule(parsed('all'), parsed('sev 1')));
  });
});

describe('follow rules: matching', () => {
  it('matches severity by the leading number of the portal value', () => {
    assert.equal(severityLevel('1 (Urgent)'), 1);
    assert.equal(severityLevel('Sev 3'), 3);
    assert.equal(severityLevel('Urgent'), 1);
    assert.equal(severityLevel('12'), undefined);
    assert.equal(severityLevel(''), undefined);
    assert.ok(ruleMatches(parsed('sev 1,2'), kase()));
    assert.ok(!ruleMatches(parsed('sev 1'), kase()));
    assert.ok(!ruleMatches(parsed('sev 1'), kase({ severity: '' })));
  });

  it('matches product and group on whole words, ignoring case; the version counts as product words', () => {
    assert.ok(ruleMatches(parsed('product openshift'), kase()));
    assert.ok(ruleMatches(parsed('product OPENSHIFT platform'), kase()));
    assert.ok(ruleMatches(parsed('product openshift 4.14'), kase()));
    assert.ok(!ruleMatches(parsed('product open'), kase()));
    assert.ok(!ruleMatches(parsed('product openshift rhel'), kase()));
    assert.ok(ruleMatches(parsed('group emea'), kase()));
    assert.ok(!ruleMatches(parsed('group emea'), kase({ group: undefined })));
  });

  it('needs every condition, and never matches a closed case', () => {
    assert.ok(ruleMatches(parsed('sev 2 product openshift group platform'), kase()));
    assert.ok(!ruleMatches(parsed('sev 2 product rhel'), kase()));
    assert.ok(ruleMatches(parsed('all'), kase()));
    assert.ok(!ruleMatches(parsed('all'), kase({ closed: true })));
  });
});
