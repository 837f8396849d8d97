import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatBytes,
  headerStart,
  severityArrow,
  severityName,
  severityTag,
  sizeSuffix,
} from '../../src/notify/case-facts.js';

describe('case facts: severity', () => {
  it('shows "Sev N" for what the portal writes, with a red mark for 1 only', () => {
    assert.equal(severityTag('1 (Urgent)'), '🔴 Sev 1');
    assert.equal(severityTag('Urgent'), '🔴 Sev 1');
    assert.equal(severityTag('2 (High)'), 'Sev 2');
    assert.equal(severityTag('Sev 3'), 'Sev 3');
    assert.equal(severityTag('4 (Low)'), 'Sev 4');
  });

  it('shows nothing extra when the severity names no level', () => {
    for (const s of ['', 'Critical-ish', '12', '5 (Whatever)']) assert.equal(severityTag(s), '', s);
    assert.equal(headerStart('💬', ''), '💬 ');
    assert.equal(headerStart('💬', '1 (Urgent)'), '💬 🔴 Sev 1 · ');
    assert.equal(severityName('Critical-ish'), 'Critical-ish');
    assert.equal(severityName('  '), 'unknown');
  });

  it('points up when the case became more urgent, down when less', () => {
    assert.equal(severityArrow('3 (Normal)', '1 (Urgent)'), '⬆️');
    assert.equal(severityArrow('1 (Urgent)', '4 (Low)'), '⬇️');
    assert.equal(severityArrow('', '1 (Urgent)'), '↕️');
    assert.equal(severityArrow('2', '2 (High)'), '↕️');
  });
});

describe('case facts: file sizes', () => {
  it('reads like a person would write it', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1000), '1.0 kB');
    assert.equal(formatBytes(2_400_000), '2.4 MB');
    assert.equal(formatBytes(2_449_999), '2.4 MB');
    assert.equal(formatBytes(140_000_000), '140 MB');
    assert.equal(formatBytes(3_200_000_000), '3.2 GB');
  });

  it('moves to the next unit instead of showing 1000 of one', () => {
    assert.equal(formatBytes(999_960), '1.0 MB');
    assert.equal(formatBytes(99_960), '100 kB');
  });

  it('says nothing about a size that is not one', () => {
    assert.equal(formatBytes(-1), '');
    assert.equal(formatBytes(Number.NaN), '');
    assert.equal(sizeSuffix(undefined), '');
    assert.equal(sizeSuffix(2_400_000), ' (2.4 MB)');
  });
});
