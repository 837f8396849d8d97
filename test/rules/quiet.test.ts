import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeQuiet, isQuietAt, parseQuiet } from '../../src/rules/quiet.js';

function quiet(text: string, zone = 'UTC') {
  const r = parseQuiet(text, zone);
  assert.ok(r.ok, `expected "${text}" to parse: ${r.ok ? '' : r.error}`);
  return r.quiet;
}

describe('quiet hours', () => {
  it('reads a range with or without a zone; the zone defaults to the one given', () => {
    assert.deepEqual(quiet('22:00-07:00 Europe/Rome'), {
      from: '22:00',
      to: '07:00',
      timeZone: 'Europe/Rome',
    });
    assert.deepEqual(quiet('9:30 - 17:05', 'America/New_York'), {
      from: '09:30',
      to: '17:05',
      timeZone: 'America/New_York',
    });
    assert.equal(describeQuiet(quiet('22:00-07:00 Europe/Rome')), '22:00–07:00 (Europe/Rome)');
  });

  it('refuses ranges and zones that do not parse, with an example', () => {
    for (const [text, pattern] of [
      ['22-07', /could not read that time range.*\/quiet 22:00-07:00 Europe\/Rome/],
      ['25:00-07:00', /could not read/],
      ['22:00-07:61', /could not read/],
      ['10:00-10:00', /two different times/],
      ['22:00-07:00 Mars/Olympus', /don't know the time zone "Mars\/Olympus"/],
    ] as const) {
      const r = parseQuiet(text, 'UTC');
      assert.ok(!r.ok, text);
      assert.match(r.error, pattern, text);
    }
  });

  it('is quiet across midnight in the zone, not in UTC', () => {
    const rome = quiet('22:00-07:00 Europe/Rome');
    // 2026-12-03: Rome is UTC+1.
    assert.equal(isQuietAt(rome, Date.parse('2026-12-03T20:59:00Z')), false); // 21:59
    assert.equal(isQuietAt(rome, Date.parse('2026-12-03T21:00:00Z')), true); // 22:00
    assert.equal(isQuietAt(rome, Date.parse('2026-12-03T23:30:00Z')), true); // 00:30
    assert.equal(isQuietAt(rome, Date.parse('2026-12-04T05:59:00Z')), true); // 06:59
    assert.equal(isQuietAt(rome, Date.parse('2026-12-04T06:00:00Z')), false); // 07:00
    // Summer time: UTC+2.
    assert.equal(isQuietAt(rome, Date.parse('2026-07-01T20:30:00Z')), true); // 22:30
    const day = quiet('09:00-17:00');
    assert.equal(isQuietAt(day, Date.parse('2026-12-03T08:59:59Z')), false);
    assert.equal(isQuietAt(day, Date.parse('2026-12-03T09:00:00Z')), true);
    assert.equal(isQuietAt(day, Date.parse('2026-12-03T17:00:00Z')), false);
  });
});
