import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseState, STATE_VERSION } from '../../src/store/schema.js';

const sealed = `enc:v1:${'A'.repeat(16)}:${'B'.repeat(22)}:${'C'.repeat(24)}`;

function v2State(): Record<string, unknown> {
  return {
    version: 2,
    credentials: {},
    outbox: [],
    chats: {
      '42': {
        id: 42,
        type: 'private',
        active: true,
        audience: 'associate',
        createdAt: '2026-10-01T00:00:00.000Z',
        subscriptions: {
          '01234567': {
            caseNumber: '01234567',
            addedAt: '2026-10-01T00:00:00.000Z',
            seen: ['a1'],
            seenUpTo: '2026-11-30T12:00:00.000Z',
            via: 'graphql',
            summary: 'S',
            status: 'Waiting on Red Hat',
            severity: '2 (High)',
            product: 'RHEL',
            closed: false,
          },
          '07654321': {
            caseNumber: '07654321',
            addedAt: '2026-11-02T00:00:00.000Z',
            seen: [],
          },
        },
      },
    },
  };
}

describe('db.json format 2 → 3', () => {
  it('keeps every subscription as added by hand, and dates old attachments by what was seen', () => {
    const state = parseState(v2State());
    assert.equal(state.version, STATE_VERSION);
    assert.equal(STATE_VERSION, 3);
    const chat = state.chats['42'];
    assert.ok(chat);
    const a = chat.subscriptions['01234567'];
    const b = chat.subscriptions['07654321'];
    assert.equal(a?.attachmentsSince, '2026-11-30T12:00:00.000Z');
    assert.equal(b?.attachmentsSince, '2026-11-02T00:00:00.000Z');
    assert.equal(a?.auto, undefined);
    assert.equal(a?.muted, undefined);
    assert.equal(chat.rules, undefined);
    assert.equal(chat.quiet, undefined);
    assert.deepEqual(a?.seen, ['a1']);
  });

  it('refuses a format-3 rule that is not one (nothing half-read)', () => {
    const raw = v2State();
    raw.version = 3;
    const chat = (raw.chats as Record<string, Record<string, unknown>>)['42'];
    assert.ok(chat);
    chat.rules = [{ id: 1, severities: [5], createdAt: '2026-12-01T00:00:00.000Z' }];
    assert.throws(() => parseState(raw), /rules/);
    chat.rules = [{ id: 1, severities: [1], createdAt: '2026-12-01T00:00:00.000Z' }];
    chat.quiet = { from: '22:00', to: '7:00', timeZone: 'Europe/Rome' };
    assert.throws(() => parseState(raw), /quiet/);
    chat.quiet = { from: '22:00', to: '07:00', timeZone: 'Europe/Rome' };
    chat.slack = { webhook: sealed, addedAt: '2026-12-01T00:00:00.000Z' };
    assert.equal(parseState(raw).chats['42']?.rules?.length, 1);
  });
});
