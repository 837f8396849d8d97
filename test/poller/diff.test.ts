import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Audience, AuthorType, Case, Comment } from '../../src/domain.js';
import { diffSubscription, isQuiet } from '../../src/poller/diff.js';

const kase = (over: Partial<Case> = {}): Case => ({
  number: '01234567',
  summary: 'Kernel panic on boot',
  status: 'Waiting on Red Hat',
  severity: '2 (High)',
  product: 'RHEL',
  closed: false,
  lastModifiedAt: '2026-01-01T10:00:00Z',
  ...over,
});

let seq = 0;
const comment = (over: Partial<Comment> = {}): Comment => {
  seq++;
  return {
    id: `a0a${String(seq).padStart(15, '0')}`,
    caseNumber: '01234567',
    author: 'Engineer, Red Hat',
    authorType: 'associate',
    body: `body ${seq}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 9, 0, seq)).toISOString(),
    isPublic: true,
    isDraft: false,
    ...over,
  };
};

const subOf = (k: Case, seen: string[] = []) => ({
  seen,
  status: k.status,
  closed: k.closed,
  summary: k.summary,
  severity: k.severity,
  product: k.product,
});

const diff = (input: {
  k?: Case;
  sub?: ReturnType<typeof subOf>;
  comments: Comment[];
  audience?: Audience;
  pending?: string[];
}) => {
  const k = input.k ?? kase();
  return diffSubscription({
    subscription: input.sub ?? subOf(k),
    kase: k,
    comments: input.comments,
    audience: input.audience ?? 'associate',
    pendingCommentIds: new Set(input.pending ?? []),
  });
};

describe('diff of a followed case', () => {
  it('returns every comment that arrived between two polls, oldest first', () => {
    const a = comment();
    const b = comment();
    const c = comment();
    // The portal answers newest first.
    const result = diff({ comments: [c, b, a] });
    assert.deepEqual(
      result.comments.map((x) => x.id),
      [a.id, b.id, c.id],
    );
  });

  it('identifies comments by id, so an edited comment is not new again', () => {
    const a = comment();
    const edited = { ...a, body: 'fixed a typo', createdAt: '2026-02-01T00:00:00Z' };
    const result = diff({ sub: subOf(kase(), [a.id]), comments: [edited] });
    assert.equal(result.comments.length, 0);
    assert.ok(isQuiet(result));
  });

  it('never notifies drafts or non-public comments, and does not mark them seen', () => {
    const draft = comment({ isDraft: true });
    const internal = comment({ isPublic: false });
    const result = diff({ comments: [draft, internal], audience: 'both' });
    assert.deepEqual(result.comments, []);
    assert.deepEqual(result.seenSilently, []);
    assert.ok(isQuiet(result));
  });

  it('notifies a draft once it is published under the same id', () => {
    const draft = comment({ isDraft: true });
    assert.equal(diff({ comments: [draft] }).comments.length, 0);
    const published = { ...draft, isDraft: false };
    assert.deepEqual(
      diff({ comments: [published] }).comments.map((c) => c.id),
      [draft.id],
    );
  });

  it('filters by audience and marks unwanted public comments seen silently', () => {
    const staff = comment({ authorType: 'associate' });
    const customer = comment({ authorType: 'customer' });
    const all = [staff, customer];
    const ids = (audience: Audience) => diff({ comments: all, audience }).comments.map((c) => c.id);
    assert.deepEqual(ids('associate'), [staff.id]);
    assert.deepEqual(ids('customer'), [customer.id]);
    assert.deepEqual(ids('both'), [staff.id, customer.id]);
    assert.deepEqual(diff({ comments: all, audience: 'associate' }).seenSilently, [customer]);
    assert.deepEqual(diff({ comments: all, audience: 'customer' }).seenSilently, [staff]);
    assert.deepEqual(diff({ comments: all, audience: 'both' }).seenSilently, []);
  });

  it('never notifies an internal or unclassifiable author, and does not mark it seen', () => {
    // Public as far as the portal says: the author kind alone keeps them from every audience.
    const internal = comment({ authorType: 'internal' });
    const unknown = comment({ authorType: 'unknown' });
    for (const audience of ['associate', 'customer', 'both'] as const) {
      const result = diff({ comments: [internal, unknown], audience });
      assert.deepEqual(result.comments, [], audience);
      assert.deepEqual(result.seenSilently, [], audience);
      assert.ok(isQuiet(result), audience);
    }
  });

  it('skips comments already pending in the outbox', () => {
    const a = comment();
    const b = comment();
    assert.deepEqual(
      diff({ comments: [a, b], pending: [a.id] }).comments.map((c) => c.id),
      [b.id],
    );
  });

  it('counts a comment listed twice (overlapping pages) once', () => {
    const a = comment();
    assert.equal(diff({ comments: [a, { ...a }] }).comments.length, 1);
  });

  it('orders comments with the same date by id, and unreadable dates last', () => {
    const x = comment({ createdAt: 'garbage' });
    const b = comment({ createdAt: '2026-01-01T09:00:00Z' });
    const a = { ...comment({ createdAt: '2026-01-01T09:00:00Z' }), id: 'a0a000' };
    assert.deepEqual(
      diff({ comments: [x, b, a] }).comments.map((c) => c.id),
      ['a0a000', b.id, x.id],
    );
  });

  it('reports a status change with the previous status', () => {
    const before = kase();
    const after = kase({ status: 'Waiting on Customer' });
    const result = diff({ k: after, sub: subOf(before), comments: [] });
    assert.deepEqual(result.statusChange, { previous: 'Waiting on Red Hat' });
    assert.equal(result.closed, false);
    assert.deepEqual(result.patch, { status: 'Waiting on Customer' });
  });

  it('learns an unknown status silently', () => {
    const k = kase();
    const result = diff({ k, sub: { ...subOf(k), status: '' }, comments: [] });
    assert.equal(result.statusChange, undefined);
    assert.deepEqual(result.patch, { status: k.status });
  });

  it('reports a closing as its own notification, not as a status change', () => {
    const before = kase();
    const after = kase({ status: 'Closed', closed: true });
    const result = diff({ k: after, sub: subOf(before), comments: [] });
    assert.equal(result.closed, true);
    assert.equal(result.statusChange, undefined);
    assert.deepEqual(result.patch, { status: 'Closed', closed: true });
  });

  it('reports a reopened case as a status change', () => {
    const before = kase({ status: 'Closed', closed: true });
    const after = kase();
    const result = diff({ k: after, sub: subOf(before), comments: [] });
    assert.equal(result.closed, false);
    assert.deepEqual(result.statusChange, { previous: 'Closed' });
  });

  it('keeps summary, severity wording and product in step without notifying', () => {
    const before = kase();
    const after = kase({ summary: 'New title', severity: 'Sev 2', product: 'OpenShift' });
    const result = diff({ k: after, sub: subOf(before), comments: [] });
    assert.equal(result.statusChange, undefined);
    assert.equal(result.severityChange, undefined, 'the same level, written differently');
    assert.deepEqual(result.patch, {
      summary: 'New title',
      severity: 'Sev 2',
      product: 'OpenShift',
    });
    assert.equal(isQuiet(result), false);
  });

  it('reports a change of severity level, up or down, with the previous severity', () => {
    for (const [from, to] of [
      ['3 (Normal)', '1 (Urgent)'],
      ['1 (Urgent)', '4 (Low)'],
      ['High', 'Urgent'],
    ] as const) {
      const result = diff({
        k: kase({ severity: to }),
        sub: subOf(kase({ severity: from })),
        comments: [],
      });
      assert.deepEqual(result.severityChange, { previous: from }, `${from} → ${to}`);
      assert.deepEqual(result.patch, { severity: to });
      assert.equal(isQuiet(result), false);
    }
  });

  it('learns an unknown severity silently: none stored yet, or one no level can be read from', () => {
    for (const [from, to] of [
      ['', '1 (Urgent)'],
      ['Unassigned', '1 (Urgent)'],
      ['2 (High)', 'to be decided'],
    ] as const) {
      const result = diff({
        k: kase({ severity: to }),
        sub: subOf(kase({ severity: from })),
        comments: [],
      });
      assert.equal(result.severityChange, undefined, `${from} → ${to}`);
      assert.deepEqual(result.patch, { severity: to });
    }
  });

  it('says only that the case closed when its severity changed too', () => {
    const before = kase({ severity: '3 (Normal)' });
    const after = kase({ severity: '1 (Urgent)', status: 'Closed', closed: true });
    const result = diff({ k: after, sub: subOf(before), comments: [] });
    assert.equal(result.closed, true);
    assert.equal(result.severityChange, undefined);
  });

  it('property: every new wanted public comment is returned exactly once, in date order', () => {
    const authorTypes: AuthorType[] = ['associate', 'customer', 'internal', 'unknown'];
    const arb = fc.array(
      fc.record({
        authorType: fc.constantFrom(...authorTypes),
        isDraft: fc.boolean(),
        isPublic: fc.boolean(),
        seen: fc.boolean(),
        minute: fc.integer({ min: 0, max: 10_000 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(
        arb,
        fc.constantFrom<Audience>('associate', 'customer', 'both'),
        (specs, audience) => {
          const comments = specs.map((s, i) => ({
            ...comment({
              authorType: s.authorType,
              isDraft: s.isDraft,
              isPublic: s.isPublic,
              createdAt: new Date(Date.UTC(2026, 0, 1) + s.minute * 60_000).toISOString(),
            }),
            id: `c${String(i).padStart(4, '0')}`,
          }));
          const seen = comments.filter((_, i) => specs[i]!.seen).map((c) => c.id);
          const result = diff({
            sub: subOf(kase(), seen),
            comments: [...comments].reverse(),
            audience,
          });
          const unseenPublic = (c: Comment, i: number) =>
            !specs[i]!.seen && !c.isDraft && c.isPublic;
          const classified = (c: Comment) =>
            c.authorType === 'associate' || c.authorType === 'customer';
          const wanted = (c: Comment) =>
            classified(c) && (audience === 'both' || c.authorType === audience);
          const expected = comments.filter((c, i) => unseenPublic(c, i) && wanted(c));
          const expectedSilent = comments.filter(
            (c, i) => unseenPublic(c, i) && classified(c) && !wanted(c),
          );
          assert.deepEqual(
            new Set(result.comments.map((c) => c.id)),
            new Set(expected.map((c) => c.id)),
          );
          assert.equal(result.comments.length, expected.length);
          for (let i = 1; i < result.comments.length; i++) {
            assert.ok(
              Date.parse(result.comments[i - 1]!.createdAt) <=
                Date.parse(result.comments[i]!.createdAt),
            );
          }
          // Exactly the public comments of a known author the audience does not want are seen
          // silently: never a notified one, a draft, a non-public one, or an internal or
          // unclassifiable author's.
          assert.deepEqual(
            new Set(result.seenSilently.map((c) => c.id)),
            new Set(expectedSilent.map((c) => c.id)),
          );
          assert.equal(result.seenSilently.length, expectedSilent.length);
          const silent = new Set(result.seenSilently.map((c) => c.id));
          for (const c of result.comments) assert.ok(!silent.has(c.id));
          for (const c of comments) {
            if (c.isDraft || !c.isPublic || !classified(c)) assert.ok(!silent.has(c.id));
          }
        },
      ),
    );
  });
});
