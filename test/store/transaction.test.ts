// The copy-on-write transaction against the whole-state semantics it replaces: for any sequence
// of transactions, validating only what fn changed must commit the same states, refuse the same
// transactions and write exactly when the old "deep copy, parse everything, compare" did.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { emptyState, parseState, StateFormatError, type State } from '../../src/store/schema.js';
import { createStateTextWriter } from '../../src/store/state-text.js';
import type { DeepReadonly } from '../../src/store/store.js';
import { freezeState, runTransaction, sameJson } from '../../src/store/transaction.js';
import { makeChat, makeCredential, makeSubscription } from './_fixtures.js';

const SEALED = 'enc:v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBB:CCCC';

/** One change a transaction makes; indexes pick among what exists (modulo its size). */
type Op =
  | { kind: 'add-chat'; id: number; cases: number }
  | { kind: 'delete-chat'; at: number }
  | { kind: 'set-active'; at: number; value: boolean }
  | { kind: 'push-seen'; at: number; id: string }
  | { kind: 'bare-subscription'; at: number }
  | { kind: 'same-values'; at: number }
  | { kind: 'equal-chat-anew'; at: number }
  | { kind: 'title-undefined'; at: number }
  | { kind: 'add-credential'; id: string }
  | { kind: 'plaintext-secret'; at: number }
  | { kind: 'push-outbox'; id: string; text: string }
  | { kind: 'drop-outbox'; at: number }
  | { kind: 'filter-outbox'; keepEven: boolean }
  | { kind: 'attempt'; at: number }
  | { kind: 'negative-attempts'; at: number }
  | { kind: 'date-object'; at: number }
  | { kind: 'throw' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add-chat' as const),
    id: fc.integer({ min: 1, max: 30 }),
    cases: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('delete-chat' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('set-active' as const), at: fc.nat(), value: fc.boolean() }),
  fc.record({ kind: fc.constant('push-seen' as const), at: fc.nat(), id: fc.string() }),
  fc.record({ kind: fc.constant('bare-subscription' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('same-values' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('equal-chat-anew' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('title-undefined' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add-credential' as const), id: fc.string({ minLength: 1 }) }),
  fc.record({ kind: fc.constant('plaintext-secret' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('push-outbox' as const),
    id: fc.string(),
    // Any text, multi-byte characters included: the file is UTF-8.
    text: fc.string({ unit: 'grapheme' }),
  }),
  fc.record({ kind: fc.constant('drop-outbox' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('filter-outbox' as const), keepEven: fc.boolean() }),
  fc.record({ kind: fc.constant('attempt' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('negative-attempts' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('date-object' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('throw' as const) }),
);

function pick<T>(items: readonly T[], at: number): T | undefined {
  return items.length === 0 ? undefined : items[at % items.length];
}

/** Applies the ops to a draft (either implementation's); deterministic on the draft's content. */
function apply(draft: State, ops: readonly Op[]): number {
  for (const op of ops) {
    const chatKey = 'at' in op ? pick(Object.keys(draft.chats).sort(), op.at) : undefined;
    const chat = chatKey === undefined ? undefined : draft.chats[chatKey];
    const subscription = chat ? pick(Object.values(chat.subscriptions), 0) : undefined;
    const entry = 'at' in op ? pick(draft.outbox, op.at) : undefined;
    switch (op.kind) {
      case 'add-chat':
        draft.chats[String(op.id)] = makeChat(
          op.id,
          Array.from({ length: op.cases }, (_, i) => makeSubscription(String(op.id * 10 + i))),
        );
        break;
      case 'delete-chat':
        if (chatKey !== undefined) delete draft.chats[chatKey];
        break;
      case 'set-active':
        if (chat) chat.active = op.value;
        break;
      case 'push-seen':
        subscription?.seen.push(op.id);
        break;
      case 'bare-subscription':
        if (chat && subscription) {
          // As an older caller might write it: the defaults are filled on commit.
          Object.assign(chat.subscriptions, {
            [subscription.caseNumber]: {
              caseNumber: subscription.caseNumber,
              addedAt: subscription.addedAt,
              seen: [...subscription.seen],
            },
          });
        }
        break;
      case 'same-values':
        if (chat) {
          chat.active = chat.active === true;
          chat.type = chat.type === 'private' ? 'private' : chat.type;
        }
        break;
      case 'equal-chat-anew':
        if (chat && chatKey !== undefined) {
          const copy: Record<string, unknown> = JSON.parse(JSON.stringify(chat)) as Record<
            string,
            unknown
          >;
          Object.assign(draft.chats, { [chatKey]: copy });
        }
        break;
      case 'title-undefined':
        if (chat) chat.title = undefined;
        break;
      case 'add-credential':
        draft.credentials[op.id] = makeCredential(op.id, SEALED);
        break;
      case 'plaintext-secret': {
        const credential = pick(Object.values(draft.credentials), op.at);
        if (credential) credential.secret = 'plaintext-token';
        break;
      }
      case 'push-outbox':
        draft.outbox.push({
          id: op.id,
          chatId: 1,
          destination: 'telegram',
          kind: 'notice',
          text: op.text,
          createdAt: '2024-05-01T10:00:00.000Z',
          attempts: 0,
        });
        break;
      case 'drop-outbox':
        if (draft.outbox.length > 0) draft.outbox.splice(op.at % draft.outbox.length, 1);
        break;
      case 'filter-outbox':
        draft.outbox = draft.outbox.filter((_, i) => (i % 2 === 0) === op.keepEven);
        break;
      case 'attempt':
        if (entry) entry.attempts++;
        break;
      case 'negative-attempts':
        if (entry) entry.attempts = -1;
        break;
      case 'date-object':
        if (chat) Object.assign(chat, { createdAt: new Date(0) });
        break;
      case 'throw':
        throw new Error('fn failed');
    }
  }
  return draft.outbox.length;
}

type Outcome =
  | { ok: true; state: DeepReadonly<State>; wrote: boolean; result: number }
  | { ok: false; error: string };

/** The semantics this replaces: a private deep copy, the whole state parsed, then compared. */
function reference(committed: DeepReadonly<State>, ops: readonly Op[]): Outcome {
  const draft = structuredClone(committed) as State;
  let result: number;
  try {
    result = apply(draft, ops);
  } catch (err) {
    return { ok: false, error: (err as Error).name };
  }
  if (sameJson(draft, committed)) return { ok: true, state: committed, wrote: false, result };
  try {
    const next = parseState(draft);
    const wrote = JSON.stringify(next) !== JSON.stringify(committed);
    return { ok: true, state: wrote ? next : committed, wrote, result };
  } catch (err) {
    return { ok: false, error: (err as Error).name };
  }
}

function copyOnWrite(committed: DeepReadonly<State>, ops: readonly Op[]): Outcome {
  try {
    const { result, next } = runTransaction(committed, (draft) => apply(draft, ops));
    return { ok: true, state: next ?? committed, wrote: next !== undefined, result };
  } catch (err) {
    return { ok: false, error: (err as Error).name };
  }
}

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

describe('copy-on-write transaction', () => {
  it('commits, refuses and writes exactly as parsing the whole state did (random transactions)', () => {
    const textWriter = createStateTextWriter();
    fc.assert(
      fc.property(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { maxLength: 25 }),
        (transactions) => {
          let expected: DeepReadonly<State> = freezeState(emptyState());
          let actual: DeepReadonly<State> = expected;
          for (const ops of transactions) {
            const want = reference(expected, ops);
            const got = copyOnWrite(actual, ops);
            assert.equal(got.ok, want.ok, `ok for ${JSON.stringify(ops)}`);
            if (!got.ok || !want.ok) {
              assert.deepEqual(got, want);
              continue;
            }
            assert.equal(got.wrote, want.wrote, `wrote for ${JSON.stringify(ops)}`);
            assert.equal(got.result, want.result);
            // Equal as JSON: an optional key present as undefined may differ in memory only.
            assert.equal(JSON.stringify(got.state), JSON.stringify(want.state));
            assert.ok(sameJson(got.state, want.state));
            assert.ok(isDeeplyFrozen(got.state), 'the committed state is frozen');
            // The file's bytes are JSON.stringify's, multi-byte characters included.
            assert.equal(textWriter.encode(got.state).toString('utf8'), JSON.stringify(got.state));
            expected = want.state;
            actual = got.state;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shares every entry the transaction did not touch with the previous state', () => {
    const base = freezeState(
      parseState({
        ...emptyState(),
        chats: { '1': makeChat(1, [makeSubscription('11')]), '2': makeChat(2) },
        credentials: { c: makeCredential('c', SEALED) },
      }),
    );
    const { next } = runTransaction(base, (draft) => {
      draft.chats['1']!.subscriptions['11']!.seen.push('new');
    });
    assert.ok(next);
    assert.equal(next.chats['2'], base.chats['2']);
    assert.equal(next.credentials, base.credentials);
    assert.equal(next.outbox, base.outbox);
    assert.notEqual(next.chats['1'], base.chats['1']);
    assert.deepEqual(base.chats['1']?.subscriptions['11']?.seen, [], 'the old state is intact');
  });

  it('names the path of a refused change', () => {
    const base = freezeState(
      parseState({ ...emptyState(), credentials: { c: makeCredential('c', SEALED) } }),
    );
    assert.throws(
      () =>
        runTransaction(base, (draft) => {
          draft.credentials['c']!.secret = 'plaintext';
        }),
      (err) =>
        err instanceof StateFormatError &&
        err.problems.some((p) => p.startsWith('credentials.c.secret: expected an encrypted')),
    );
  });
});
