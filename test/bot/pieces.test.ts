// The bot's pure pieces, without Telegram: parsing, deep links, secret shapes, state changes,
// expiring conversation state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { botCallbackData, MAX_CALLBACK_DATA_BYTES } from '../../src/bot/support/callback-data.js';
import { MAX_CASES_PER_COMMAND, parseCaseArgs } from '../../src/bot/support/case-args.js';
import { addSubscriptions, forgetChat, linkCredential } from '../../src/bot/support/chat-state.js';
import { seenIds } from '../../src/store/seen.js';
import { commandOf, isKnownCommand } from '../../src/bot/support/commands.js';
import {
  decodeSetupPayload,
  encodeSetupPayload,
  setupDeepLink,
} from '../../src/bot/support/deep-link.js';
import { EXPIRED_NOTICE_WINDOW_MS, createExpiringMap } from '../../src/bot/support/pending.js';
import {
  containsJwt,
  looksLikeCredentialPair,
  looksLikeToken,
} from '../../src/bot/support/secret-shapes.js';
import { parseCredential } from '../../src/bot/features/setup.js';
import { AUDIENCES, CASE_NUMBER_PATTERN } from '../../src/domain.js';
import { callbackData } from '../../src/notify/telegram/format.js';
import { emptyState, type CredentialState } from '../../src/store/schema.js';
import { manualClock, OFFLINE_TOKEN, T0 } from './harness.js';

const NOW = '2024-05-01T10:00:00.000Z';

function credential(id: string): CredentialState {
  return {
    id,
    kind: 'offline-token',
    secret: 'enc:v1:aaaa:bbbb:cccc',
    label: 'offline token …abcd',
    createdAt: NOW,
  };
}

describe('case number arguments', () => {
  it('keeps leading zeros, accepts commas and "#", dedupes, and reports the rest', () => {
    assert.deepEqual(parseCaseArgs(' 00012345,#01234567 00012345;x12  1234567890123 '), {
      valid: ['00012345', '01234567'],
      invalid: ['x12', '1234567890123'],
      skipped: 0,
    });
    assert.deepEqual(parseCaseArgs(''), { valid: [], invalid: [], skipped: 0 });
  });

  it('handles at most 20 cases and cuts long garbage', () => {
    const many = Array.from({ length: 25 }, (_, i) => String(i + 1)).join(' ');
    const parsed = parseCaseArgs(many);
    assert.equal(parsed.valid.length, MAX_CASES_PER_COMMAND);
    assert.equal(parsed.skipped, 5);
    assert.equal(parseCaseArgs('y'.repeat(500)).invalid[0]?.length, 25);
  });

  it('only ever returns valid case numbers as valid (random input)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseCaseArgs(text);
        assert.ok(parsed.valid.every((n) => CASE_NUMBER_PATTERN.test(n)));
        assert.ok(parsed.valid.length <= MAX_CASES_PER_COMMAND);
      }),
    );
  });
});

describe('credential parsing', () => {
  it('reads one long word as an offline token and two words as username and password', () => {
    assert.deepEqual(parseCredential(`  ${OFFLINE_TOKEN}\n`), {
      ok: true,
      credential: { kind: 'offline-token', offlineToken: OFFLINE_TOKEN },
    });
    assert.deepEqual(parseCredential('svc-user  pass word with spaces '), {
      ok: true,
      credential: { kind: 'basic', username: 'svc-user', password: 'pass word with spaces' },
    });
    assert.deepEqual(parseCredential('short'), { ok: false, reason: 'too-short' });
    assert.deepEqual(parseCredential('   '), { ok: false, reason: 'empty' });
  });
});

describe('the group setup deep link', () => {
  it('round-trips any chat id through the allowed payload characters', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
          .filter((n) => n !== 0),
        (id) => {
          const payload = encodeSetupPayload(id);
          assert.match(payload, /^[A-Za-z0-9_-]{1,64}$/);
          assert.equal(decodeSetupPayload(payload), id);
        },
      ),
    );
  });

  it('builds a t.me link and refuses other payloads', () => {
    assert.equal(
      setupDeepLink('my_bot', -1001234567890),
      'https://t.me/my_bot?start=setup-n1001234567890',
    );
    assert.equal(decodeSetupPayload('setup--42'), -42);
    for (const bad of [
      '',
      'setup-',
      'setup-n',
      'setup-0',
      'hello',
      'setup-12a',
      'setup-n99999999999999999999',
    ]) {
      assert.equal(decodeSetupPayload(bad), undefined, bad);
    }
  });
});

describe('callback data', () => {
  it('fits in 64 bytes for every case number and setting', () => {
    const longest = '9'.repeat(12);
    const all = [
      callbackData.latest(longest),
      callbackData.remove(longest),
      ...AUDIENCES.map(botCallbackData.audience),
      botCallbackData.forgetConfirm,
      botCallbackData.forgetCancel,
    ];
    for (const data of all) assert.ok(Buffer.byteLength(data) <= MAX_CALLBACK_DATA_BYTES, data);
  });
});

describe('secret shapes', () => {
  it('recognises tokens and JWTs, not case numbers, URLs or chat', () => {
    assert.ok(containsJwt(`token: ${OFFLINE_TOKEN}`));
    assert.ok(looksLikeToken('abcDEF0123456789ghijKLMN01'));
    assert.ok(!looksLikeToken('01234567 is still waiting'));
    assert.ok(!looksLikeToken('see https://access.redhat.com/support/cases/#/case/01234567'));
    assert.ok(
      !looksLikeToken('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
      'no digits: a word, not a token',
    );
    assert.ok(looksLikeCredentialPair('admin hunter2'));
    assert.ok(!looksLikeCredentialPair('/add 01234567'));
    assert.ok(!looksLikeCredentialPair('three words here'));
  });
});

describe('commands', () => {
  it('reads the command name, ignoring commands for other bots', () => {
    assert.equal(commandOf('/add 1', 'me_bot'), 'add');
    assert.equal(commandOf('/Add@ME_bot 1', 'me_bot'), 'add');
    assert.equal(commandOf('/add@other_bot 1', 'me_bot'), undefined);
    assert.equal(commandOf('add 1', 'me_bot'), undefined);
    assert.ok(isKnownCommand('notification'));
    assert.ok(!isKnownCommand('frobnicate'));
  });
});

describe('state changes', () => {
  it('links one credential record for chats sharing it, and forgets it with the last one', () => {
    const state = emptyState();
    linkCredential(state, { id: 1, type: 'private' }, credential('c1'), NOW);
    linkCredential(state, { id: 2, type: 'private' }, credential('c1'), NOW);
    assert.deepEqual(Object.keys(state.credentials), ['c1']);
    assert.equal(forgetChat(state, 1).credentialDeleted, false);
    assert.equal(forgetChat(state, 2).credentialDeleted, true);
    assert.deepEqual(state.credentials, {});
    assert.deepEqual(forgetChat(state, 3), {
      existed: false,
      subscriptions: 0,
      outboxEntries: 0,
      credentialDeleted: false,
    });
  });

  it('lets polling retry cases that were not visible once the credential changes', () => {
    const state = emptyState();
    linkCredential(state, { id: 1, type: 'private' }, credential('c1'), NOW);
    addSubscriptions(
      state,
      1,
      [
        {
          kase: {
            number: '01234567',
            summary: '',
            status: '',
            severity: '',
            product: '',
            closed: false,
            lastModifiedAt: NOW,
          },
          seenComments: [
            { id: 'a', caseNumber: '01234567', createdAt: NOW, author: 'x', body: 'one' },
            { id: 'a', caseNumber: '01234567', createdAt: NOW, author: 'x', body: 'one' },
            { id: 'b', caseNumber: '01234567', createdAt: NOW, author: 'y', body: 'two' },
          ],
        },
      ],
      NOW,
    );
    const sub = state.chats['1']?.subscriptions['01234567'];
    assert.deepEqual(seenIds(sub?.seen ?? []), ['a', 'b']);
    assert.equal(sub?.seen.length, 4, 'each comment by id and by print');
    assert.equal(sub?.seenUpTo, new Date(NOW).toISOString());
    assert.equal(sub?.via, 'v1');
    if (sub) sub.notVisibleAt = NOW;
    linkCredential(state, { id: 1, type: 'private' }, credential('c2'), NOW);
    assert.equal(state.chats['1']?.subscriptions['01234567']?.notVisibleAt, undefined);
    assert.deepEqual(Object.keys(state.credentials), ['c2']);
  });
});

describe('expiring conversation state', () => {
  it('reports an entry live, then expired once, then never', async () => {
    const clock = manualClock(T0);
    const map = createExpiringMap<string, number>(clock, 1000);
    map.set('a', 1);
    assert.deepEqual(map.get('a'), { value: 1, expired: false });
    await clock.advance(1000);
    assert.deepEqual(map.peek('a'), { value: 1, expired: true });
    assert.deepEqual(map.get('a'), { value: 1, expired: true });
    assert.equal(map.get('a'), undefined);
  });

  it('forgets entries long past their expiry', async () => {
    const clock = manualClock(T0);
    const map = createExpiringMap<string, number>(clock, 1000);
    map.set('old', 1);
    await clock.advance(1000 + EXPIRED_NOTICE_WINDOW_MS);
    assert.equal(map.peek('old'), undefined);
    map.set('new', 2);
    assert.equal(map.size, 1, 'setting sweeps stale entries');
  });
});
