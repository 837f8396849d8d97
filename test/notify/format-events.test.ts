// Telegram messages for the events of a case (new case, severity, attachment), and the severity
// every notification shows in its first line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createLinks } from '../../src/links.js';
import {
  formatCaseClosed,
  formatComment,
  formatStatusChange,
  TELEGRAM_TEXT_LIMIT,
  type OutgoingMessage,
} from '../../src/notify/telegram/format.js';
import {
  formatAttachment,
  formatNewCase,
  formatSeverityChange,
  type AttachmentSnapshot,
  type CaseSnapshot,
} from '../../src/notify/telegram/format-events.js';
import { messageFor } from '../../src/notify/telegram/messages.js';
import type { OutboxEntry } from '../../src/store/schema.js';
import { parseTelegramHtml } from '../_helpers/telegram-html.js';
import { testConfig } from '../poller/_support.js';

const CASE_URL = 'https://access.redhat.com/support/cases/#/case/01234567';
const AT = '2026-11-26T14:03:27Z';

function makeCase(over: Partial<CaseSnapshot> = {}): CaseSnapshot {
  return {
    number: '01234567',
    summary: 'Pods stuck in ContainerCreating',
    status: 'Waiting on Red Hat',
    severity: '2 (High)',
    product: 'OpenShift Container Platform',
    version: '4.14',
    closed: false,
    lastModifiedAt: AT,
    group: 'Platform team',
    openedBy: 'Jane Customer',
    description: 'After the upgrade every new pod hangs.\nThe node logs show CNI timeouts.',
    ...over,
  };
}

function makeAttachment(over: Partial<AttachmentSnapshot> = {}): AttachmentSnapshot {
  return {
    id: 'f00d-1',
    fileName: 'sosreport-node1.tar.xz',
    size: 2_400_000,
    author: 'Jane Doe',
    authorType: 'associate',
    createdAt: AT,
    ...over,
  };
}

/** The text Telegram would show; fails the test when Telegram would refuse the message. */
function sendable(message: OutgoingMessage): string {
  const parsed = parseTelegramHtml(message.text);
  if (!parsed.ok) assert.fail(`invalid Telegram HTML: ${parsed.error}\n${message.text}`);
  assert.ok(parsed.plainText.trim().length > 0, 'renders empty');
  assert.ok(parsed.plainText.length <= TELEGRAM_TEXT_LIMIT, `${parsed.plainText.length} > 4096`);
  for (const b of message.buttons.flat()) {
    if ('callbackData' in b) assert.ok(Buffer.byteLength(b.callbackData) <= 64);
    else assert.match(b.url, /^https?:\/\//);
  }
  return parsed.plainText;
}

const firstLine = (m: OutgoingMessage) => sendable(m).split('\n')[0] ?? '';

describe('format: new case brought in by a rule', () => {
  it('reads severity, product, number and summary first, then opener, status, description and rule', () => {
    const message = formatNewCase({
      kase: makeCase(),
      rule: '2 · sev 1',
      maxChars: 1000,
      caseUrl: CASE_URL,
    });
    assert.equal(
      sendable(message),
      [
        '🆕 Sev 2 · OpenShift Container Platform 4.14 · 01234567 · Pods stuck in ContainerCreating',
        'Opened by Jane Customer · Status: Waiting on Red Hat · Group: Platform team',
        'After the upgrade every new pod hangs.',
        'The node logs show CNI timeouts.',
        'Matched rule 2 · sev 1',
      ].join('\n'),
    );
    assert.match(message.text, /<blockquote>After the upgrade/);
    assert.deepEqual(message.buttons, [
      [
        { text: 'Open case', url: CASE_URL },
        { text: 'Mute', callbackData: 'mute:01234567' },
      ],
    ]);
  });

  it('cuts the description at the chat’s /length and marks the cut', () => {
    const plain = sendable(
      formatNewCase({
        kase: makeCase({ description: 'word '.repeat(200) }),
        rule: '1',
        maxChars: 50,
        caseUrl: CASE_URL,
      }),
    );
    const quoted = plain.split('\n')[2] ?? '';
    assert.ok(quoted.endsWith('word…'), quoted);
    assert.ok(quoted.length <= 51, `${quoted.length} characters shown`);
  });

  it('shows no word of the description in privacy mode (/length 0)', () => {
    const message = formatNewCase({
      kase: makeCase({ description: 'the root password is hunter2' }),
      rule: '1',
      maxChars: 0,
      caseUrl: CASE_URL,
    });
    const plain = sendable(message);
    assert.ok(!message.text.includes('hunter2') && !plain.includes('hunter2'));
    assert.match(plain, /🔒 Description hidden \(privacy mode\)/);
    assert.match(plain, /^🆕 Sev 2 · /);
  });

  it('leaves out what the portal did not give, and offers no Mute for a number that is not one', () => {
    const message = formatNewCase({
      kase: makeCase({
        number: 'ABC',
        product: '',
        version: undefined,
        group: undefined,
        openedBy: undefined,
        description: undefined,
        severity: '',
      }),
      rule: undefined,
      maxChars: 1000,
      caseUrl: CASE_URL,
    });
    assert.equal(
      sendable(message),
      [
        '🆕 ABC · Pods stuck in ContainerCreating',
        'Status: Waiting on Red Hat',
        'Matched one of your /follow rules',
      ].join('\n'),
    );
    assert.deepEqual(message.buttons, [[{ text: 'Open case', url: CASE_URL }]]);
  });
});

describe('format: severity change', () => {
  it('points up to a red Sev 1 when raised', () => {
    const message = formatSeverityChange({
      kase: makeCase({ severity: '1 (Urgent)' }),
      previousSeverity: '3 (Normal)',
      caseUrl: CASE_URL,
    });
    assert.equal(
      sendable(message),
      '⬆️ Sev 3 → 🔴 Sev 1 on 01234567 · Pods stuck in ContainerCreating',
    );
    assert.deepEqual(message.buttons, [[{ text: 'Open case', url: CASE_URL }]]);
  });

  it('points down when lowered, and shows the portal’s words when they name no level', () => {
    assert.match(
      sendable(
        formatSeverityChange({
          kase: makeCase({ severity: '3 (Normal)' }),
          previousSeverity: '1 (Urgent)',
          caseUrl: CASE_URL,
        }),
      ),
      /^⬇️ 🔴 Sev 1 → Sev 3 on 01234567/,
    );
    assert.match(
      sendable(
        formatSeverityChange({
          kase: makeCase({ severity: 'Critical-ish' }),
          previousSeverity: '',
          caseUrl: CASE_URL,
        }),
      ),
      /^↕️ unknown → Critical-ish on 01234567/,
    );
  });
});

describe('format: attachment', () => {
  it('says who attached which file, how big, on which case', () => {
    const message = formatAttachment({
      kase: makeCase(),
      attachment: makeAttachment(),
      privacy: false,
      caseUrl: CASE_URL,
    });
    assert.equal(
      sendable(message),
      [
        '📎 Sev 2 · Jane Doe (Red Hat) attached sosreport-node1.tar.xz (2.4 MB)',
        'Case 01234567 · Pods stuck in ContainerCreating',
      ].join('\n'),
    );
    assert.deepEqual(message.buttons, [[{ text: 'Open case', url: CASE_URL }]]);
  });

  it('hides the file name in privacy mode', () => {
    const message = formatAttachment({
      kase: makeCase(),
      attachment: makeAttachment({ fileName: 'customer-db-dump.sql' }),
      privacy: true,
      caseUrl: CASE_URL,
    });
    assert.ok(!message.text.includes('customer-db-dump'));
    assert.equal(firstLine(message), '📎 Sev 2 · Jane Doe (Red Hat) attached a file (2.4 MB)');
  });

  it('leaves out a size the portal did not give and a role it did not say', () => {
    const message = formatAttachment({
      kase: makeCase(),
      attachment: makeAttachment({ size: undefined, authorType: 'unknown', author: 'Bob' }),
      privacy: false,
      caseUrl: CASE_URL,
    });
    assert.equal(firstLine(message), '📎 Sev 2 · Bob attached sosreport-node1.tar.xz');
    const nobody = formatAttachment({
      kase: makeCase(),
      attachment: makeAttachment({ author: ' ', fileName: '' }),
      privacy: false,
      caseUrl: CASE_URL,
    });
    assert.equal(firstLine(nobody), '📎 Sev 2 · Someone attached a file (2.4 MB)');
  });
});

describe('format: the severity in every header', () => {
  const comment = {
    id: 'a1',
    caseNumber: '01234567',
    author: 'Jane Doe',
    authorType: 'associate' as const,
    body: 'hello',
    createdAt: AT,
    isPublic: true,
    isDraft: false,
  };
  const all = (kase: CaseSnapshot): OutgoingMessage[] => [
    formatComment({ kase, comment, maxChars: 100, caseUrl: CASE_URL, commentUrl: CASE_URL }),
    formatStatusChange({ kase, previousStatus: 'New', caseUrl: CASE_URL }),
    formatCaseClosed({ kase, caseUrl: CASE_URL, unfollowed: false }),
    formatNewCase({ kase, rule: '1', maxChars: 100, caseUrl: CASE_URL }),
    formatSeverityChange({ kase, previousSeverity: '3 (Normal)', caseUrl: CASE_URL }),
    formatAttachment({ kase, attachment: makeAttachment(), privacy: false, caseUrl: CASE_URL }),
  ];

  it('marks Sev 1 in red in the first line of every kind', () => {
    for (const m of all(makeCase({ severity: '1 (Urgent)' }))) {
      assert.match(firstLine(m), /🔴 Sev 1/, firstLine(m));
    }
  });

  it('shows "Sev N" without the mark for other levels', () => {
    for (const m of all(makeCase({ severity: '4 (Low)' }))) {
      const line = firstLine(m);
      assert.match(line, /Sev 4/, line);
      assert.doesNotMatch(line, /🔴/, line);
    }
  });

  it('adds nothing when the severity names no level', () => {
    // All but the severity change, whose line names the level before.
    for (const m of all(makeCase({ severity: 'Critical-ish' })).filter((_, i) => i !== 4)) {
      assert.doesNotMatch(firstLine(m), /Sev|🔴/, firstLine(m));
    }
    // The comment still shows the portal's words under the header.
    assert.match(
      sendable(all(makeCase({ severity: 'Critical-ish' }))[0]!),
      /Severity Critical-ish/,
    );
  });
});

describe('format: messageFor on the new kinds', () => {
  const links = createLinks(testConfig().portal);
  const options = { config: testConfig({ maxCommentChars: 500 }), links };
  const base = {
    id: 'x',
    chatId: 1,
    destination: 'telegram' as const,
    createdAt: AT,
    attempts: 0,
    case: makeCase(),
  };

  it('uses the chat’s /length: 0 hides the description and the file name', () => {
    const newCase: OutboxEntry = { ...base, kind: 'new-case', rule: '1' };
    const attachment: OutboxEntry = { ...base, kind: 'attachment', attachment: makeAttachment() };
    for (const [entry, secret] of [
      [newCase, 'CNI timeouts'],
      [attachment, 'sosreport-node1'],
    ] as const) {
      const open = messageFor(entry, {}, options);
      const hidden = messageFor(entry, { maxCommentChars: 0 }, options);
      assert.ok(typeof open !== 'string' && open.text.includes(secret), entry.kind);
      assert.ok(typeof hidden !== 'string' && !hidden.text.includes(secret), entry.kind);
    }
  });

  it('refuses an entry that lacks what its kind needs', () => {
    const { case: _omit, ...noCase } = base;
    assert.equal(typeof messageFor({ ...noCase, kind: 'new-case' }, {}, options), 'string');
    assert.equal(typeof messageFor({ ...noCase, kind: 'severity' }, {}, options), 'string');
    assert.equal(typeof messageFor({ ...base, kind: 'attachment' }, {}, options), 'string');
  });
});

// ---- whatever the portal sends, Telegram accepts the message ----

const messy = (max: number) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom(
        '<',
        '>',
        '&',
        '"',
        '&amp;',
        '</b>',
        '\u0000',
        '\u202e',
        '\uD800',
        '😀',
        '\n',
      ),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
    ),
    maxLength: max,
  });
const huge = fc
  .tuple(messy(40), fc.integer({ min: 0, max: 20_000 }))
  .map(([seed, n]) => (seed === '' ? '' : seed.repeat(Math.ceil(n / seed.length)).slice(0, n)));
const caseArb = fc.record({
  number: fc.oneof(fc.stringMatching(/^\d{1,12}$/), messy(20)),
  summary: fc.oneof(messy(100), huge),
  status: messy(60),
  severity: fc.oneof(messy(20), fc.constantFrom('1 (Urgent)', '3 (Normal)')),
  product: fc.oneof(messy(60), huge),
  version: fc.option(messy(20), { nil: undefined }),
  closed: fc.boolean(),
  lastModifiedAt: fc.constant(AT),
  group: fc.option(messy(60), { nil: undefined }),
  openedBy: fc.option(fc.oneof(messy(60), huge), { nil: undefined }),
  description: fc.option(fc.oneof(messy(200), huge), { nil: undefined }),
});
const attachmentArb = fc.record({
  id: fc.constant('f'),
  fileName: fc.oneof(messy(60), huge),
  size: fc.option(fc.oneof(fc.nat(), fc.double()), { nil: undefined }),
  author: fc.oneof(messy(60), huge),
  authorType: fc.constantFrom('associate' as const, 'customer' as const, 'unknown' as const),
  createdAt: fc.constant(AT),
});

describe('format: new kinds over hostile input (property)', () => {
  it('are valid Telegram HTML within 4096 characters, and privacy mode leaks nothing', () => {
    fc.assert(
      fc.property(
        caseArb,
        attachmentArb,
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
        messy(40),
        (kase, attachment, maxChars, text) => {
          sendable(formatNewCase({ kase, rule: text, maxChars, caseUrl: CASE_URL }));
          sendable(formatSeverityChange({ kase, previousSeverity: text, caseUrl: CASE_URL }));
          for (const privacy of [false, true]) {
            sendable(formatAttachment({ kase, attachment, privacy, caseUrl: CASE_URL }));
          }
          const secret = 'QXZSECRETQXZ';
          const hidden = formatNewCase({
            kase: { ...kase, description: `${kase.description ?? ''} ${secret}` },
            rule: text,
            maxChars: 0,
            caseUrl: CASE_URL,
          });
          assert.ok(!hidden.text.includes(secret));
          const file = formatAttachment({
            kase,
            attachment: { ...attachment, fileName: secret },
            privacy: true,
            caseUrl: CASE_URL,
          });
          assert.ok(!file.text.includes(secret));
        },
      ),
      { numRuns: 200 },
    );
  });
});
