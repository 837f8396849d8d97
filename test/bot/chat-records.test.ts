// What the bot records about a chat beside its commands (the forum flag), what /forget takes
// with it, and the rule state changes on their own (no Telegram).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excludeFromRules, MAX_EXCLUDED_CASES } from '../../src/bot/support/chat-state.js';
import { addRule, type NewRule } from '../../src/bot/support/rule-state.js';
import type { Case } from '../../src/domain.js';
import { emptyState, type State } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import {
  ADMIN,
  GROUP,
  MEMBER,
  USER,
  assertClean,
  connect,
  connectGroup,
  startHarness,
  type Harness,
} from './harness.js';

/** Counts store.update() calls: "no write when nothing changed" means no transaction at all. */
function countingStore() {
  const counter = { updates: 0 };
  const wrap = (store: StateStore): StateStore => ({
    read: () => store.read(),
    update<T>(fn: (draft: State) => T): Promise<T> {
      counter.updates++;
      return store.update(fn);
    },
    get writeCount() {
      return store.writeCount;
    },
    close: () => store.close(),
  });
  return { counter, wrap };
}

function group(h: Harness) {
  return h.store.read().chats[String(GROUP)];
}

describe('the forum flag', () => {
  it('is recorded when a known supergroup turns topics on, once, and clears topicsRefusedAt', async (t) => {
    const { counter, wrap } = countingStore();
    const h = await startHarness(t, { wrapStore: wrap });
    await connectGroup(h);
    assert.equal(group(h)?.forum, undefined);
    await h.store.update((d) => {
      const chat = d.chats[String(GROUP)];
      if (chat) chat.topicsRefusedAt = new Date(h.clock.now()).toISOString();
    });

    h.fake.makeForum(GROUP);
    const before = counter.updates;
    await h.say(GROUP, 'hello', { fromId: MEMBER });
    assert.equal(group(h)?.forum, true);
    assert.equal(group(h)?.topicsRefusedAt, undefined, 'a newly granted right is tried again');
    assert.equal(counter.updates, before + 1);
    await h.say(GROUP, 'hello again', { fromId: MEMBER });
    await h.say(GROUP, '/rules', { fromId: MEMBER });
    assert.equal(counter.updates, before + 1, 'no write while nothing changed');
    assertClean(h);
  });

  it('is unset when the supergroup comes without is_forum', async (t) => {
    const h = await startHarness(t);
    h.fake.makeForum(GROUP);
    await connectGroup(h);
    assert.equal(group(h)?.forum, true, 'the /setup deep link read it with getChat');
    const { updateId } = h.fake.addUpdate({
      message: {
        message_id: 900,
        from: { id: MEMBER, is_bot: false, first_name: 'Member' },
        chat: { id: GROUP, type: 'supergroup', title: 'Team' },
        date: Math.floor(h.clock.now() / 1000),
        text: 'topics are off now',
      },
    });
    await h.deliver(updateId);
    assert.equal(group(h)?.forum, undefined);
  });

  it('ignores button presses (their chat is as it was under an older message)', async (t) => {
    const h = await startHarness(t);
    h.fake.makeForum(GROUP);
    await connectGroup(h);
    const { updateId } = h.fake.addUpdate({
      callback_query: {
        id: '42',
        from: { id: ADMIN, is_bot: false, first_name: 'Admin' },
        message: { message_id: 5, chat: { id: GROUP, type: 'supergroup', title: 'T' }, date: 0 },
        chat_instance: String(GROUP),
        data: 'forget:no',
      },
    });
    await h.deliver(updateId);
    assert.equal(group(h)?.forum, true);
  });

  it('stores nothing for a chat the bot does not know', async (t) => {
    const h = await startHarness(t);
    h.fake.makeForum(GROUP);
    await h.say(GROUP, 'hello', { fromId: MEMBER });
    assert.deepEqual(h.store.read().chats, {});
  });
});

describe('/forget and the follow rules', () => {
  it('takes rules, muted cases and quiet hours with the chat', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: '01234567', severity: '1 (Urgent)' });
    await h.say(USER, '/follow sev 1');
    await h.say(USER, '/mute 01234567');
    await h.say(USER, '/quiet 22:00-07:00 Europe/Rome');
    await h.say(USER, '/attachments off');
    const chat = h.store.read().chats[String(USER)];
    assert.equal(chat?.rules?.length, 1);
    assert.equal(chat?.subscriptions['01234567']?.muted, true);
    assert.ok(chat?.quiet);

    await h.say(USER, '/forget');
    assert.match(h.lastText(USER), /its 1 followed case, 1 follow rule, settings/);
    await h.press(USER, h.sent(USER).at(-1)?.messageId ?? 0, 'forget:yes');
    assert.equal(h.store.read().chats[String(USER)], undefined);
    await h.say(USER, '/rules');
    assert.match(h.lastText(USER), /This chat has no follow rules/);
    await h.say(USER, '/mute');
    assert.match(h.lastText(USER), /No case is muted here/);
    await h.say(USER, '/quiet');
    assert.match(h.lastText(USER), /No quiet hours/);
    assertClean(h);
  });
});

const NOW = '2024-05-01T10:00:00.000Z';

function kase(number: string, lastModifiedAt: string): Case {
  return {
    number,
    summary: '',
    status: 'New',
    severity: '1 (Urgent)',
    product: '',
    closed: false,
    lastModifiedAt,
  };
}

function twoChatsOneCredential(discoveredUpTo?: string): State {
  const state = emptyState();
  state.credentials.c1 = {
    id: 'c1',
    kind: 'offline-token',
    secret: 'enc:v1:aaaa:bbbb:cccc',
    label: 'offline token …abcd',
    createdAt: NOW,
    ...(discoveredUpTo !== undefined ? { discoveredUpTo } : {}),
  };
  for (const id of [1, 2]) {
    state.chats[String(id)] = {
      id,
      type: 'private',
      active: true,
      audience: 'associate',
      credentialId: 'c1',
      subscriptions: {},
      createdAt: NOW,
    };
  }
  return state;
}

const rule = (newestChange: string): NewRule => ({
  conditions: { severities: [1] },
  matches: [kase('00000001', '2024-05-01T09:00:00.000Z')],
  newestChange,
  credentialId: 'c1',
  maxPerChat: 10,
});

describe('saving a rule (rule-state)', () => {
  it("starts the credential's discovery at the newest change when it is the first rule", () => {
    const state = twoChatsOneCredential();
    const result = addRule(state, 1, rule('2024-05-01T09:30:00.000Z'), NOW);
    assert.equal(result.kind, 'added');
    assert.equal(state.credentials.c1?.discoveredUpTo, '2024-05-01T09:30:00.000Z');
    // An older checkpoint of rules gone since moves forward too; a newer one stays.
    const older = twoChatsOneCredential('2024-05-01T08:00:00.000Z');
    addRule(older, 1, rule('2024-05-01T09:30:00.000Z'), NOW);
    assert.equal(older.credentials.c1?.discoveredUpTo, '2024-05-01T09:30:00.000Z');
    const newer = twoChatsOneCredential('2024-05-01T09:45:00.000Z');
    addRule(newer, 1, rule('2024-05-01T09:30:00.000Z'), NOW);
    assert.equal(newer.credentials.c1?.discoveredUpTo, '2024-05-01T09:45:00.000Z');
  });

  it('leaves the checkpoint alone while other rules still wait for what changed since', () => {
    const state = twoChatsOneCredential('2024-05-01T08:00:00.000Z');
    const other = state.chats['2'];
    if (other) other.rules = [{ id: 1, product: ['x'], createdAt: NOW }];
    addRule(state, 1, rule('2024-05-01T09:30:00.000Z'), NOW);
    assert.equal(state.credentials.c1?.discoveredUpTo, '2024-05-01T08:00:00.000Z');
  });

  it('refuses a chat that changed credential since the search, and checks the limits again', () => {
    const state = twoChatsOneCredential();
    assert.deepEqual(addRule(state, 1, { ...rule(NOW), credentialId: 'c2' }, NOW), {
      kind: 'changed',
    });
    assert.equal(addRule(state, 1, rule(NOW), NOW).kind, 'added');
    assert.deepEqual(addRule(state, 1, rule(NOW), NOW), { kind: 'exists', position: 1 });
    assert.deepEqual(
      addRule(state, 1, { ...rule(NOW), conditions: { severities: [2] }, maxPerChat: 1 }, NOW),
      { kind: 'limit' },
    );
  });

  it('remembers at most MAX_EXCLUDED_CASES removed cases, newest kept', () => {
    const state = twoChatsOneCredential();
    addRule(state, 1, rule(NOW), NOW);
    const numbers = Array.from({ length: MAX_EXCLUDED_CASES + 5 }, (_, i) => String(i + 1));
    assert.equal(excludeFromRules(state, 1, numbers), true);
    const excluded = state.chats['1']?.excluded ?? [];
    assert.equal(excluded.length, MAX_EXCLUDED_CASES);
    assert.equal(excluded.at(-1), String(MAX_EXCLUDED_CASES + 5));
    assert.equal(excluded[0], '6');
    assert.equal(excludeFromRules(state, 2, ['1']), false, 'a chat without rules excludes nothing');
    assert.equal(state.chats['2']?.excluded, undefined);
  });
});
