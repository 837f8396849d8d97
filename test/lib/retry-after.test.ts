import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter, secondsToMs } from '../../src/lib/retry-after.js';

const NOW = Date.parse('2024-05-02T12:00:00Z');

describe('Retry-After', () => {
  it('reads delta-seconds as milliseconds, any number of digits, no cap', () => {
    assert.equal(parseRetryAfter('120', NOW), 120_000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter('99999999', NOW), 99_999_999_000);
  });

  it('reads an HTTP date relative to the injected now, a past date as 0', () => {
    assert.equal(parseRetryAfter('Thu, 02 May 2024 12:01:30 GMT', NOW), 90_000);
    assert.equal(parseRetryAfter('Thu, 02 May 2024 12:01:30 GMT', NOW + 30_000), 60_000);
    assert.equal(parseRetryAfter('Thu, 02 May 2024 11:00:00 GMT', NOW), 0);
  });

  it('answers undefined for an absent, empty or unreadable header', () => {
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter('', NOW), undefined);
    assert.equal(parseRetryAfter('   ', NOW), undefined);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
  });
});

describe('retry_after seconds', () => {
  it('turns seconds into milliseconds, fractions included', () => {
    assert.equal(secondsToMs(5), 5_000);
    assert.equal(secondsToMs(0), 0);
    assert.equal(secondsToMs(1.5), 1_500);
  });
});
