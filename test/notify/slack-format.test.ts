import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Case, Comment } from '../../src/domain.js';
import {
  SLACK_HEADER_MAX_CHARS,
  SLACK_MAX_BLOCKS,
  SLACK_TEXT_MAX_CHARS,
  type SlackBlock,
  type SlackPayload,
} from '../../src/notify/slack/blocks.js';
import {
  formatSlackComment,
  formatSlackEntry,
  formatSlackNotice,
  type SlackFormatSettings,
} from '../../src/notify/slack/format.js';
import { escapeMrkdwn, slackLink } from '../../src/notify/slack/mrkdwn.js';
import type { OutboxEntry } from '../../src/store/schema.js';
import { validatePayload } from '../_helpers/fake-slack.js';

const CASE_URL = 'https://access.redhat.com/support/cases/#/case/01234567';
const COMMENT_URL = 'https://access.redhat.com/support/cases/#/case/01234567?commentId=a1';

function kase(overrides: Partial<Case> = {}): Case {
  return {
    number: '01234567',
    summary: 'Kernel panic after upgrade to 9.4',
    status: 'Waiting on Red Hat',
    severity: '2 (High)',
    product: 'Red Hat Enterprise Linux',
    closed: false,
    lastModifiedAt: '2026-11-26T14:03:00Z',
    ...overrides,
  };
}

function comment(overrides: Partial<Comment> = {}): Comment {
  return {
    id: 'a1',
    caseNumber: '01234567',
    author: 'Jane Doe',
    authorType: 'associate',
    body: 'Please attach an sosreport from the affected host.',
    createdAt: '2026-11-26T14:03:00Z',
    isPublic: true,
    isDraft: false,
    ...overrides,
  };
}

const SETTINGS: SlackFormatSettings = {
  maxCommentChars: 1000,
  caseUrl: CASE_URL,
  commentUrl: COMMENT_URL,
  unfollowedWhenClosed: true,
};

function entry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: 'slack:42:01234567:a1',
    chatId: 42,
    destination: 'slack',
    kind: 'comment',
    case: { ...kase(), group: undefined },
    comment: comment(),
    createdAt: '2026-11-26T14:04:00Z',
    attempts: 0,
    ...overrides,
  };
}

function mrkdwnTexts(p: SlackPayload): string[] {
  return p.blocks.flatMap((b: SlackBlock) =>
    b.type === 'section'
      ? [b.text.text]
      : b.type === 'context'
        ? b.elements.map((e) => e.text)
        : [],
  );
}

function headerText(p: SlackPayload): string {
  const h = p.blocks.find((b) => b.type === 'header');
  assert.ok(h && h.type === 'header', 'no header block');
  return h.text.text;
}

/** Every `<` in mrkdwn must open one of our own links `<http…|label>`. */
function assertNoRawAngles(text: string): void {
  const withoutLinks = text.replace(/<https?:\/\/[^\s<>|]+\|[^<>]*>/g, '');
  assert.ok(!withoutLinks.includes('<'), `raw "<" in: ${text.slice(0, 200)}`);
  assert.ok(!withoutLinks.includes('>'), `raw ">" in: ${text.slice(0, 200)}`);
  // Every & starts an entity.
  assert.ok(!/&(?!amp;|lt;|gt;)/.test(withoutLinks), `bare "&" in: ${text.slice(0, 200)}`);
}

function assertWithinLimits(p: SlackPayload): void {
  assert.ok(p.blocks.length <= SLACK_MAX_BLOCKS, `${p.blocks.length} blocks`);
  for (const b of p.blocks) {
    if (b.type === 'header') {
      assert.ok(
        b.text.text.length >= 1 && b.text.text.length <= SLACK_HEADER_MAX_CHARS,
        'header length',
      );
    }
    if (b.type === 'section') {
      assert.ok(
        b.text.text.length >= 1 && b.text.text.length <= SLACK_TEXT_MAX_CHARS,
        'section length',
      );
    }
    if (b.type === 'context') {
      assert.ok(b.elements.length >= 1 && b.elements.length <= 10, 'context elements');
      for (const e of b.elements)
        assert.ok(e.text.length >= 1 && e.text.length <= SLACK_TEXT_MAX_CHARS);
    }
  }
  assert.equal(
    validatePayload(JSON.parse(JSON.stringify(p)) as Record<string, unknown>),
    undefined,
  );
}

describe('slack format', () => {
  it('builds a header with case number and summary, author and kind, the body and a case link', () => {
    const p = formatSlackComment({
      kase: kase(),
      comment: comment(),
      maxChars: 1000,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    assert.equal(headerText(p), 'Sev 2 · Case 01234567: Kernel panic after upgrade to 9.4');
    const all = mrkdwnTexts(p).join('\n');
    assert.match(all, /New comment from \*Jane Doe\* \(Red Hat\) · 2026-11-26 14:03 UTC/);
    assert.match(all, /Status: Waiting on Red Hat/);
    assert.doesNotMatch(all, /Severity/, 'the header says Sev 2 already');
    assert.match(all, /Please attach an sosreport/);
    assert.ok(all.includes(`<${CASE_URL}|Open case 01234567>`));
    assert.match(
      p.text,
      /^💬 Sev 2 · New comment on case 01234567 from Jane Doe \(Red Hat\): Kernel panic/,
    );
    assert.equal(p.unfurl_links, false);
    const body = p.blocks.find((b) => b.type === 'section');
    assert.ok(body?.type === 'section' && body.text.verbatim === true, 'the body is verbatim');
    assertWithinLimits(p);
  });

  it('names customer authors as customer', () => {
    const p = formatSlackComment({
      kase: kase(),
      comment: comment({ author: 'Bob', authorType: 'customer' }),
      maxChars: 100,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    assert.match(mrkdwnTexts(p).join('\n'), /\*Bob\* \(customer\)/);
  });

  it('shows no word of the comment in privacy mode (0 characters)', () => {
    const secret = 'the root password is hunter2';
    const p = formatSlackComment({
      kase: kase(),
      comment: comment({ body: secret }),
      maxChars: 0,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    const json = JSON.stringify(p);
    assert.ok(!json.includes('hunter2'));
    assert.match(json, /privacy mode/);
    assert.ok(json.includes('Read the comment'));
  });

  it('cuts the body like Telegram and says how much was cut, with a link to the whole comment', () => {
    const body = 'word '.repeat(400).trim(); // 1999 characters
    const p = formatSlackComment({
      kase: kase(),
      comment: comment({ body }),
      maxChars: 500,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    const sections = p.blocks.filter((b) => b.type === 'section');
    assert.equal(sections.length, 1);
    const shown = sections[0]?.type === 'section' ? sections[0].text.text : '';
    assert.ok(shown.length <= 500 && shown.length > 450, `shown ${shown.length}`);
    assert.ok(shown.endsWith('word'), 'cut on a word boundary');
    const all = mrkdwnTexts(p).join('\n');
    assert.match(all, /truncated, \d+ more characters/);
    assert.ok(all.includes(`<${COMMENT_URL}|Read the whole comment>`));
  });

  it('escapes &, < and > so hostile text cannot mention @channel or users', () => {
    const hostile =
      '<!channel> <!here> <@U123> <#C999> <https://evil.example|click> & &amp; > quote';
    const p = formatSlackComment({
      kase: kase({ summary: hostile }),
      comment: comment({ author: '<@U999>', body: hostile }),
      maxChars: 3500,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    for (const t of [...mrkdwnTexts(p), p.text]) assertNoRawAngles(t);
    const body = mrkdwnTexts(p).join('\n');
    assert.ok(body.includes('&lt;!channel&gt;'));
    assert.ok(body.includes('&lt;@U123&gt;'));
    assert.ok(body.includes('&amp;amp;'), 'an entity typed by a user stays text');
    // plain_text is not parsed by Slack: the header shows the summary as typed, capped.
    assert.ok(headerText(p).startsWith('Sev 2 · Case 01234567: <!channel>'));
    assertWithinLimits(p);
  });

  it('keeps a 100 KB body within Slack limits, split over sections when escaping makes it long', () => {
    const body = '<&>'.repeat(34_000); // 102 KB, each character escapes to 4-5
    const p = formatSlackComment({
      kase: kase({ summary: 'S'.repeat(10_000) }),
      comment: comment({ body, author: 'A'.repeat(5000) }),
      maxChars: 3500,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    assertWithinLimits(p);
    const sections = p.blocks.filter((b) => b.type === 'section');
    assert.ok(sections.length >= 5, `${sections.length} sections`);
    for (const s of sections) if (s.type === 'section') assertNoRawAngles(s.text.text);
    assert.equal(headerText(p).length, SLACK_HEADER_MAX_CHARS);
    assert.ok(headerText(p).endsWith('…'));
  });

  it('never splits an emoji (surrogate pair) or an entity between sections', () => {
    const body = `${'😀&'.repeat(2000)}`;
    const p = formatSlackComment({
      kase: kase(),
      comment: comment({ body }),
      maxChars: 3500,
      caseUrl: CASE_URL,
      commentUrl: COMMENT_URL,
    });
    for (const b of p.blocks) {
      if (b.type !== 'section') continue;
      const t = b.text.text;
      assert.ok(!/[\uD800-\uDBFF]$/.test(t) && !/^[\uDC00-\uDFFF]/.test(t), 'half an emoji');
      assertNoRawAngles(t);
    }
    assertWithinLimits(p);
  });

  it('formats status changes, closed cases and notices', () => {
    const status = formatSlackEntry(
      entry({ kind: 'status', comment: undefined, text: 'Waiting on Customer' }),
      SETTINGS,
    );
    assert.ok(typeof status !== 'string');
    assert.match(
      mrkdwnTexts(status).join('\n'),
      /Status: Waiting on Customer → \*Waiting on Red Hat\*/,
    );
    assertWithinLimits(status);

    const closed = formatSlackEntry(entry({ kind: 'closed', comment: undefined }), SETTINGS);
    assert.ok(typeof closed !== 'string');
    assert.match(mrkdwnTexts(closed).join('\n'), /closed\. The chat no longer follows it/);

    const notice = formatSlackEntry(
      entry({
        kind: 'notice',
        case: undefined,
        comment: undefined,
        text: '⚠️ <b>Case 123</b> is not visible &amp; <a href="https://x.example/a?b=1&amp;c=2">details</a> &lt;!channel&gt;',
      }),
      SETTINGS,
    );
    assert.ok(typeof notice !== 'string');
    const t = mrkdwnTexts(notice).join('\n');
    assert.equal(
      t,
      '⚠️ *Case 123* is not visible &amp; <https://x.example/a?b=1&amp;c=2|details> &lt;!channel&gt;',
    );
    assertNoRawAngles(t);
  });

  it('refuses broken entries with a reason instead of throwing', () => {
    assert.equal(
      formatSlackEntry(entry({ comment: undefined }), SETTINGS),
      'a comment entry without its case or comment',
    );
    assert.equal(
      formatSlackEntry(entry({ kind: 'notice', text: ' ' }), SETTINGS),
      'a notice without text',
    );
  });

  it('drops links that are not http(s) and encodes the characters that would end a link', () => {
    assert.equal(slackLink('javascript:alert(1)', 'x'), undefined);
    assert.equal(slackLink('https://a.example/x|y>z', 'A|B'), '<https://a.example/x%7Cy%3Ez|A¦B>');
    const p = formatSlackComment({
      kase: kase(),
      comment: comment(),
      maxChars: 100,
      caseUrl: 'not a url',
      commentUrl: 'also not',
    });
    assert.match(mrkdwnTexts(p).join('\n'), /Link to the case unavailable/);
    assertWithinLimits(p);
  });

  it('escapes exactly &, < and > for mrkdwn', () => {
    assert.equal(escapeMrkdwn('a & b < c > d "e"'), 'a &amp; b &lt; c &gt; d "e"');
  });

  it('stays within every Slack limit whatever the input (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.string({
        unit: fc.constantFrom('<', '>', '&', '😀', 'a', ' ', '\n', '|', '*'),
        maxLength: 6000,
      }),
      fc.constant('<!channel>'.repeat(500)),
      // Telegram HTML as notices carry it, links and entities included.
      fc.string({
        unit: fc.constantFrom(
          '<a href="https://e.example/?a=1&amp;b=|">',
          '</a>',
          '<b>',
          '</b>',
          '&lt;',
          '&amp;',
          'x',
          ' ',
          '\n',
        ),
        maxLength: 3000,
      }),
    );
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.integer({ min: -5, max: 100_000 }),
        fc.constantFrom<OutboxEntry['kind'][]>('comment', 'status', 'closed', 'notice'),
        (summary, body, author, maxChars, kind) => {
          const e = entry({
            kind,
            case: { ...kase({ summary, status: author }), group: undefined },
            comment: comment({ body, author }),
            text: body.trim() === '' ? 'x' : body,
          });
          const p = formatSlackEntry(e, { ...SETTINGS, maxCommentChars: maxChars });
          assert.ok(typeof p !== 'string');
          assertWithinLimits(p);
          for (const t of mrkdwnTexts(p)) assertNoRawAngles(t);
          assertNoRawAngles(p.text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('renders a notice made only of markup as a non-empty message', () => {
    const p = formatSlackNotice({ html: '<b></b>' });
    assertWithinLimits(p);
  });
});
