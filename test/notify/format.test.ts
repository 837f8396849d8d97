import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Case, Comment } from '../../src/domain.js';
import {
  CALLBACK_DATA_MAX_BYTES,
  TELEGRAM_TEXT_LIMIT,
  callbackData,
  escapeHtml,
  formatCaseClosed,
  formatComment,
  formatStatusChange,
  parseCallbackData,
  truncate,
  type OutgoingMessage,
} from '../../src/notify/telegram/format.js';
import { hasLoneSurrogate, parseTelegramHtml } from '../_helpers/telegram-html.js';

const CASE_URL = 'https://access.redhat.com/support/cases/#/case/01234567';
const COMMENT_URL = 'https://access.redhat.com/support/cases/#/case/01234567?commentId=a0a1&x=1';

function makeCase(overrides: Partial<Case> = {}): Case {
  return {
    number: '01234567',
    summary: 'Kernel panic after upgrading to RHEL 9.4',
    status: 'Waiting on Red Hat',
    severity: '2 (High)',
    product: 'Red Hat Enterprise Linux',
    closed: false,
    lastModifiedAt: '2026-11-26T14:03:27Z',
    ...overrides,
  };
}

function makeComment(overrides: Partial<Comment> = {}): Comment {
  return {
    id: 'a0a1',
    caseNumber: '01234567',
    author: 'Jane Doe',
    authorType: 'associate',
    body: 'Please attach a fresh sosreport from the affected node.',
    createdAt: '2026-11-26T14:03:27Z',
    isPublic: true,
    isDraft: false,
    ...overrides,
  };
}

function comment(
  overrides: { kase?: Partial<Case>; comment?: Partial<Comment>; maxChars?: number } = {},
): OutgoingMessage {
  return formatComment({
    kase: makeCase(overrides.kase),
    comment: makeComment(overrides.comment),
    maxChars: overrides.maxChars ?? 2000,
    caseUrl: CASE_URL,
    commentUrl: COMMENT_URL,
  });
}

/** The text Telegram would show; fails the test if Telegram would refuse the HTML. */
function rendered(message: OutgoingMessage): string {
  const parsed = parseTelegramHtml(message.text);
  if (!parsed.ok)
    assert.fail(`invalid Telegram HTML: ${parsed.error}\n${message.text.slice(0, 500)}`);
  return parsed.plainText;
}

function assertSendable(message: OutgoingMessage): string {
  const plain = rendered(message);
  assert.ok(plain.trim().length > 0, 'the message renders empty');
  assert.ok(plain.length <= TELEGRAM_TEXT_LIMIT, `rendered text is ${plain.length} > 4096`);
  assert.equal(message.parseMode, 'HTML');
  for (const row of message.buttons) {
    for (const button of row) {
      if ('callbackData' in button) {
        assert.ok(Buffer.byteLength(button.callbackData) <= CALLBACK_DATA_MAX_BYTES);
      } else {
        assert.match(button.url, /^https?:\/\//);
      }
    }
  }
  return plain;
}

describe('format: escapeHtml and truncate', () => {
  it('escapes the four characters Telegram HTML cares about', () => {
    assert.equal(
      escapeHtml(`<b>"Tom" & 'Jerry'</b>`),
      `&lt;b&gt;&quot;Tom&quot; &amp; 'Jerry'&lt;/b&gt;`,
    );
  });

  it('leaves short text alone and cuts long text to the limit', () => {
    assert.deepEqual(truncate('hello', 5), { text: 'hello', truncated: false });
    assert.deepEqual(truncate('hello world', 5), { text: 'hello', truncated: true });
    assert.deepEqual(truncate('hello', 0), { text: '', truncated: true });
  });

  it('drops a whole emoji rather than half of its surrogate pair', () => {
    assert.deepEqual(truncate('ab😀cd', 3), { text: 'ab', truncated: true });
    assert.deepEqual(truncate('ab😀cd', 4), { text: 'ab😀', truncated: true });
  });

  it('never returns more than the limit, never a lone surrogate, always a prefix (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.nat(70), (s, max) => {
        const cut = truncate(s, max);
        assert.ok(cut.text.length <= max);
        assert.ok(s.startsWith(cut.text));
        assert.equal(cut.truncated, s.length > max);
        assert.equal(hasLoneSurrogate(cut.text), false);
      }),
    );
  });
});

describe('format: callback data', () => {
  it('encodes actions on a case as "action:number"', () => {
    assert.equal(callbackData.latest('01234567'), 'latest:01234567');
    assert.equal(callbackData.remove('01234567'), 'remove:01234567');
  });

  it('round-trips through parseCallbackData within 64 bytes for any case number (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,12}$/), (n) => {
        for (const data of [callbackData.latest(n), callbackData.remove(n)]) {
          assert.ok(Buffer.byteLength(data, 'utf8') <= CALLBACK_DATA_MAX_BYTES);
        }
        assert.deepEqual(parseCallbackData(callbackData.latest(n)), { action: 'latest', arg: n });
        assert.deepEqual(parseCallbackData(callbackData.remove(n)), { action: 'remove', arg: n });
      }),
    );
  });

  it('refuses data it did not produce', () => {
    for (const data of [
      '',
      'latest',
      'latest:',
      ':01234567',
      'LATEST:1',
      `latest:${'1'.repeat(70)}`,
    ]) {
      assert.equal(parseCallbackData(data), undefined, data);
    }
  });

  it('throws instead of producing data Telegram would refuse', () => {
    assert.throws(() => callbackData.latest('9'.repeat(60)), RangeError);
    assert.throws(() => callbackData.latest(''), RangeError);
  });
});

describe('format: new comment', () => {
  it('shows case, summary, severity, status, a Red Hat author, the time and the body', () => {
    const message = comment();
    const plain = assertSendable(message);
    assert.equal(
      plain,
      [
        '💬 Sev 2 · New comment on case 01234567',
        'Kernel panic after upgrading to RHEL 9.4',
        'Status: Waiting on Red Hat',
        '',
        'From Jane Doe (Red Hat) · 2026-11-26 14:03 UTC',
        'Please attach a fresh sosreport from the affected node.',
      ].join('\n'),
    );
    assert.match(message.text, /case <b>01234567<\/b>/);
    assert.match(message.text, /<blockquote>Please attach/);
    assert.equal(message.disablePreview, true);
    assert.deepEqual(message.buttons, [
      [
        { text: 'Latest comment', callbackData: 'latest:01234567' },
        { text: 'Open case', url: CASE_URL },
      ],
    ]);
  });

  it('labels a customer author and an author of unknown type', () => {
    assert.match(
      rendered(comment({ comment: { authorType: 'customer', author: 'Bob' } })),
      /From Bob \(customer\)/,
    );
    assert.match(
      rendered(comment({ comment: { authorType: 'unknown', author: 'Bob' } })),
      /From Bob \(unknown author type\)/,
    );
    assert.match(rendered(comment({ comment: { author: '  ' } })), /From Unknown author ·/);
  });

  it('escapes markup in every field instead of interpreting it', () => {
    const message = comment({
      kase: { summary: '<b>pwn</b> & "quotes"', status: 'A<B', severity: 'P<1> & "2"' },
      comment: { author: '<script>', body: '</blockquote><a href="x">&amp;</a>' },
    });
    const plain = assertSendable(message);
    for (const raw of [
      '<b>pwn</b> & "quotes"',
      'A<B',
      'P<1> & "2"',
      '<script>',
      '</blockquote><a href="x">&amp;</a>',
    ]) {
      assert.ok(plain.includes(raw), `missing ${raw}`);
    }
  });

  it('cuts a long body with a marker that says how much is missing, and links the whole comment', () => {
    const body = `${'word '.repeat(100)}${'x'.repeat(500)}`.trim();
    const message = comment({ comment: { body }, maxChars: 300 });
    const plain = assertSendable(message);
    const marker = /… \(truncated, (\d+) more characters\)\nRead the whole comment$/.exec(plain);
    assert.ok(marker, plain);
    const shown = /UTC\n([\s\S]*)\n…/.exec(plain)?.[1] ?? '';
    assert.ok(shown.length <= 300 && shown.length > 250, `shows ${shown.length} characters`);
    assert.equal(Number(marker[1]), body.length - shown.length);
    assert.ok(
      message.text.includes(`<a href="${escapeHtml(COMMENT_URL)}">Read the whole comment</a>`),
    );
  });

  it('neither marks nor links a body that fits', () => {
    const plain = rendered(comment({ comment: { body: 'short' }, maxChars: 5 }));
    assert.ok(plain.endsWith('\nshort'));
    assert.doesNotMatch(plain, /truncated|Read the whole/);
  });

  it('keeps a 1 MB body under Telegram limit whatever maxChars says', () => {
    const message = comment({
      comment: { body: 'é<&'.repeat(350_000) },
      maxChars: Number.POSITIVE_INFINITY,
    });
    const plain = assertSendable(message);
    assert.ok(plain.length > 3000, 'the body should use the room there is');
    assert.match(plain, /… \(truncated, \d+ more characters\)/);
    assert.match(message.text, /<blockquote expandable>/, 'a long quote collapses on a phone');
  });

  it('shows no comment text at all in privacy mode (maxChars 0)', () => {
    const secret = 'the root password is hunter2';
    const message = comment({ comment: { body: secret }, maxChars: 0 });
    const plain = assertSendable(message);
    assert.ok(!message.text.includes('hunter2') && !plain.includes('hunter2'));
    assert.doesNotMatch(message.text, /blockquote/);
    assert.match(plain, /New comment on case 01234567/);
    assert.match(plain, /From Jane Doe \(Red Hat\) · 2026-11-26 14:03 UTC/);
    assert.match(plain, /Comment text hidden \(privacy mode\)\nRead the comment$/);
    assert.ok(message.text.includes(`href="${escapeHtml(COMMENT_URL)}"`));
  });

  it('says so when the comment is empty or the date is broken', () => {
    const plain = rendered(comment({ comment: { body: ' \n\t ', createdAt: 'yesterday-ish' } }));
    assert.match(plain, /\(empty comment\)$/);
    assert.match(plain, /· time unknown/);
  });

  it('drops the Open case button when the case URL is not a web address', () => {
    const message = formatComment({
      kase: makeCase(),
      comment: makeComment(),
      maxChars: 100,
      caseUrl: 'javascript:alert(1)',
      commentUrl: COMMENT_URL,
    });
    assert.deepEqual(message.buttons, [
      [{ text: 'Latest comment', callbackData: 'latest:01234567' }],
    ]);
  });

  it('cuts a 10 KB summary and a huge author name to fit a phone screen', () => {
    const plain = assertSendable(
      comment({ kase: { summary: 's'.repeat(10_000) }, comment: { author: 'a'.repeat(5000) } }),
    );
    const [, summaryLine = ''] = plain.split('\n');
    assert.ok(summaryLine.length <= 300 && summaryLine.endsWith('…'));
  });
});

describe('format: status change and closed case', () => {
  it('reads "Case N status: before → after" with the Open case button', () => {
    const message = formatStatusChange({
      kase: makeCase({ status: 'Waiting on Red Hat' }),
      previousStatus: 'Waiting on Customer',
      caseUrl: CASE_URL,
    });
    const plain = assertSendable(message);
    assert.ok(
      plain.includes('Case 01234567 status: Waiting on Customer → Waiting on Red Hat'),
      plain,
    );
    assert.ok(plain.includes('Kernel panic after upgrading to RHEL 9.4'));
    assert.deepEqual(message.buttons, [[{ text: 'Open case', url: CASE_URL }]]);
  });

  it('says the case was closed, and that it is no longer followed when that is so', () => {
    const unfollowed = assertSendable(
      formatCaseClosed({ kase: makeCase({ closed: true }), caseUrl: CASE_URL, unfollowed: true }),
    );
    assert.ok(
      unfollowed.includes('Case 01234567 was closed. You no longer follow it.'),
      unfollowed,
    );
    const kept = assertSendable(
      formatCaseClosed({ kase: makeCase({ closed: true }), caseUrl: CASE_URL, unfollowed: false }),
    );
    assert.ok(kept.includes('Case 01234567 was closed.') && !kept.includes('no longer follow'));
  });
});

// ---- properties: whatever the portal sends, Telegram accepts the message ----

const nastyPiece = fc.constantFrom(
  '<',
  '>',
  '&',
  '"',
  "'",
  '&amp;',
  '&lt;',
  '&#0;',
  '&nbsp;',
  '<b>',
  '</b>',
  '<blockquote>',
  '</a>',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\u2028',
  '\u202e',
  '\u2066',
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
  '😀',
  '👩‍💻',
  'é',
  'e\u0301',
  '\uFEFF',
  ' ',
  '…',
  '\u00a0',
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyPiece = fc.oneof(
  nastyPiece,
  loneSurrogate,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }),
);
const messy = (maxLength: number) => fc.string({ unit: anyPiece, maxLength });
/** Long strings without drawing every character: a random seed repeated, cut anywhere. */
const huge = (maxLength: number) =>
  fc
    .tuple(
      fc.string({ unit: anyPiece, minLength: 1, maxLength: 64 }),
      fc.integer({ min: 0, max: maxLength }),
    )
    .map(([seed, length]) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length));

const caseArb = fc.record({
  number: fc.oneof(fc.stringMatching(/^\d{1,12}$/), messy(20)),
  summary: fc.oneof(messy(200), huge(10_000)),
  status: messy(80),
  severity: messy(40),
  product: messy(40),
  closed: fc.boolean(),
  lastModifiedAt: fc.constant('2026-11-26T14:03:27Z'),
});
const commentArb = fc.record({
  id: fc.string({ maxLength: 20 }),
  caseNumber: fc.constant('01234567'),
  author: fc.oneof(messy(60), huge(5000)),
  authorType: fc.constantFrom('associate' as const, 'customer' as const, 'unknown' as const),
  body: fc.oneof(messy(400), huge(5000), huge(100_000)),
  createdAt: fc.oneof(
    fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    messy(30),
  ),
  isPublic: fc.boolean(),
  isDraft: fc.constant(false),
});
const urlArb = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), messy(60));
const maxCharsArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 5000 }),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(Number.POSITIVE_INFINITY),
);
const PROPERTY_RUNS = 300;

describe('format: properties over hostile input', () => {
  it('every comment message is valid Telegram HTML, non-empty and at most 4096 characters', () => {
    fc.assert(
      fc.property(
        caseArb,
        commentArb,
        maxCharsArb,
        urlArb,
        urlArb,
        (kase, c, maxChars, caseUrl, commentUrl) => {
          const message = formatComment({ kase, comment: c, maxChars, caseUrl, commentUrl });
          const plain = assertSendable(message);
          // eslint-disable-next-line no-control-regex -- looking for control characters on purpose
          const control = /[\u0000-\u0008\u000B-\u001F\u007F\u202E]/;
          assert.doesNotMatch(plain, control, 'a control character got through');
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('privacy mode never leaks a word of the body', () => {
    fc.assert(
      fc.property(caseArb, commentArb, fc.stringMatching(/^[A-Z]{12}$/), (kase, c, secret) => {
        fc.pre(
          ![kase.summary, kase.status, kase.severity, kase.number, c.author].some((s) =>
            s.includes(secret),
          ),
        );
        const message = formatComment({
          kase,
          comment: { ...c, body: `${c.body} ${secret} ${c.body}` },
          maxChars: 0,
          caseUrl: CASE_URL,
          commentUrl: COMMENT_URL,
        });
        assert.ok(!assertSendable(message).includes(secret));
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('a body that fits is shown whole', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .,!?]{0,998}[A-Za-z0-9]$/), (body) => {
        const plain = rendered(comment({ comment: { body }, maxChars: body.length }));
        assert.ok(plain.endsWith(`\n${body}`));
      }),
      { numRuns: 100 },
    );
  });

  it('status and closed messages are valid whatever the fields hold', () => {
    fc.assert(
      fc.property(
        caseArb,
        messy(100),
        urlArb,
        fc.boolean(),
        (kase, previousStatus, caseUrl, unfollowed) => {
          assertSendable(formatStatusChange({ kase, previousStatus, caseUrl }));
          assertSendable(formatCaseClosed({ kase, caseUrl, unfollowed }));
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
