import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { laterIso } from '../../src/lib/iso-time.js';

describe('laterIso', () => {
  it('keeps the later time; an absent or unreadable candidate never wins', () => {
    const a = '2026-12-03T09:00:00.000Z';
    const b = '2026-12-03T09:00:01.000Z';
    assert.equal(laterIso(a, b), b);
    assert.equal(laterIso(b, a), b);
    assert.equal(laterIso(a, a), a);
    assert.equal(laterIso(a, undefined), a);
    assert.equal(laterIso(a, 'soon'), a);
    assert.equal(laterIso(undefined, b), b);
    assert.equal(laterIso('never', b), b);
    assert.equal(laterIso(undefined, undefined), undefined);
  });
});
