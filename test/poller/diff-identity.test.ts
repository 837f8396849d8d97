// How the diff recognises a comment it has seen under another API's id: by its print, and,
// when even the text reads differently, by the subscription's seenUpTo after a switch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commentPrint } from '../../src/comment-identity.js';
import type { Comment, IdSpace } from '../../src/domain.js';
import { diffSubscription, isQuiet } from '../../src/poller/diff.js';

const CASE = '01234567';
const kase = {
  number: CASE,
  summary: 's',
  status: 'In Progress',
  severity: '3 (Normal)',
  product: 'p',
  closed: false,
  lastModifiedAt: '2026-12-03T10:00:00.000Z',
};

function comment(id: string, at: string, body: string, idSpace?: IdSpace): Comment {
  return {
    id,
    caseNumber: CASE,
    author: 'Bob Engineer',
    authorType: 'associate',
    body,
    createdAt: at,
    isPublic: true,
    isDraft: false,
    ...(idSpace !== undefined ? { idSpace } : {}),
  };
}

const sub = (seen: string[], seenUpTo: string | undefined, via: IdSpace | undefined) => ({
  seen,
  ...(seenUpTo !== undefined ? { seenUpTo } : {}),
  ...(via !== undefined ? { via } : {}),
  status: kase.status,
  closed: false,
  summary: kase.summary,
  severity: kase.severity,
  product: kase.product,
});

describe('comment identity in the diff', () => {
  it('recognises a comment seen under another id by its print (HTML vs text, case, spacing)', () => {
    const seenV1 = comment('a0a1', '2026-12-01T08:00:00Z', 'Uploaded sosreport & must-gather.');
    const viaGraphql = comment(
      'a2b1',
      '2026-12-01T08:00:00.000Z',
      'uploaded  SOSREPORT & must-gather',
      'graphql',
    );
    const diff = diffSubscription({
      subscription: sub(['a0a1', commentPrint(seenV1)], undefined, 'v1'),
      kase,
      comments: [viaGraphql],
      audience: 'both',
      pendingCommentIds: new Set(),
    });
    assert.deepEqual(diff.comments, []);
    assert.deepEqual(diff.seenSilently, []);
    assert.ok(isQuiet(diff), 'a new id space alone is not worth a write');
    assert.equal(diff.patch.via, 'graphql');
  });

  it('after a switch, sends nothing created at or before seenUpTo, and everything after it', () => {
    const old = comment(
      'a2b1',
      '2026-12-01T08:00:00.000Z',
      'text the v1 API wrote differently',
      'graphql',
    );
    const same = comment('a2b2', '2026-12-02T08:00:00.000Z', 'also different', 'graphql');
    const fresh = comment('a2b3', '2026-12-02T08:00:01.000Z', 'new after the switch', 'graphql');
    const diff = diffSubscription({
      subscription: sub(['a0aX', 'a0aY'], '2026-12-02T08:00:00.000Z', 'v1'),
      kase,
      comments: [fresh, same, old],
      audience: 'both',
      pendingCommentIds: new Set(),
    });
    assert.deepEqual(
      diff.comments.map((c) => c.id),
      ['a2b3'],
    );
    assert.deepEqual(diff.seenSilently.map((c) => c.id).sort(), ['a2b1', 'a2b2']);
  });

  it('within one id space, an unknown old comment (a draft published later) is still new', () => {
    const published = comment('a2b1', '2026-11-01T08:00:00.000Z', 'was a draft', 'graphql');
    const diff = diffSubscription({
      subscription: sub(['a2b9'], '2026-12-02T08:00:00.000Z', 'graphql'),
      kase,
      comments: [published],
      audience: 'both',
      pendingCommentIds: new Set(),
    });
    assert.deepEqual(
      diff.comments.map((c) => c.id),
      ['a2b1'],
    );
  });

  it('does not send a comment waiting in the outbox under another id', () => {
    const queued = comment('a0a1', '2026-12-03T08:00:00Z', 'queued', 'v3-rest');
    const again = comment('a2b1', '2026-12-03T08:00:00.000Z', 'queued', 'graphql');
    const diff = diffSubscription({
      subscription: sub([], undefined, 'v3-rest'),
      kase,
      comments: [again],
      audience: 'both',
      pendingCommentIds: new Set(['a0a1', commentPrint(queued)]),
    });
    assert.deepEqual(diff.comments, []);
  });

  it('never delivers internal or unclassified authors, whatever the audience', () => {
    const internal = {
      ...comment('i', '2026-12-03T08:00:00Z', 'note'),
      authorType: 'internal' as const,
    };
    const unknown = {
      ...comment('u', '2026-12-03T08:00:00Z', 'who?'),
      authorType: 'unknown' as const,
    };
    for (const audience of ['associate', 'customer', 'both'] as const) {
      const diff = diffSubscription({
        subscription: sub([], undefined, undefined),
        kase,
        comments: [internal, unknown],
        audience,
        pendingCommentIds: new Set(),
      });
      assert.deepEqual(diff.comments, [], audience);
    }
  });

  it('reads the same instant from the three date forms the APIs write', () => {
    const a = commentPrint(comment('1', '2026-12-02T14:03:07Z', 'x'));
    const b = commentPrint(comment('2', '2026-12-02T14:03:07.000Z', 'x'));
    assert.equal(a, b);
  });
});
