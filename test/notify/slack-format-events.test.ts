// Slack payloads for the events of a case (new case, severity, attachment), the severity in
// every header, and the three kinds through the notifier to the fake Slack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import type { SlackBlock, SlackPayload } from '../../src/notify/slack/blocks.js';
import { formatSlackEntry, type SlackFormatSettings } from '../../src/notify/slack/format.js';
import { createSlackNotifier } from '../../src/notify/slack/notifier.js';
import { createSecretBox, createSecretScrubber } from '../../src/secrets.js';
import type { ChatState, OutboxEntry } from '../../src/store/schema.js';
import { startFakeSlack, validatePayload, type FakeSlack } from '../_helpers/fake-slack.js';

const CASE_URL = 'https://access.redhat.com/support/cases/#/case/01234567';
const AT = '2026-11-26T14:03:27Z';
const SETTINGS: SlackFormatSettings = {
  maxCommentChars: 1000,
  caseUrl: CASE_URL,
  commentUrl: '',
  unfollowedWhenClosed: true,
};

const kase: NonNullable<OutboxEntry['case']> = {
  number: '01234567',
  summary: 'Pods stuck in ContainerCreating',
  status: 'Waiting on Red Hat',
  severity: '2 (High)',
  product: 'OpenShift Container Platform',
  version: '4.14',
  closed: false,
  lastModifiedAt: AT,
  openedBy: 'Jane Customer',
  description: 'After the upgrade every new pod hangs. <!channel> & co',
};
const attachment: NonNullable<OutboxEntry['attachment']> = {
  id: 'f00d-1',
  fileName: 'customer-db-dump.sql',
  size: 2_400_000,
  author: 'Jane Doe',
  authorType: 'associate',
  createdAt: AT,
};

function entry(over: Partial<OutboxEntry>): OutboxEntry {
  return {
    id: 'slack:42:01234567:x',
    chatId: 42,
    destination: 'slack',
    kind: 'new-case',
    case: kase,
    createdAt: AT,
    attempts: 0,
    ...over,
  };
}

function format(e: OutboxEntry, settings: Partial<SlackFormatSettings> = {}): SlackPayload {
  const p = formatSlackEntry(e, { ...SETTINGS, ...settings });
  if (typeof p === 'string') assert.fail(`not formatted: ${p}`);
  assert.equal(
    validatePayload(JSON.parse(JSON.stringify(p)) as Record<string, unknown>),
    undefined,
  );
  return p;
}

const texts = (p: SlackPayload): string =>
  p.blocks
    .flatMap((b: SlackBlock) =>
      b.type === 'section'
        ? [b.text.text]
        : b.type === 'context'
          ? b.elements.map((e) => e.text)
          : b.type === 'header'
            ? [b.text.text]
            : [],
    )
    .join('\n');

describe('slack format: new kinds', () => {
  it('a new case: header with severity, product, opener, status, description, rule, link', () => {
    const p = format(entry({ kind: 'new-case', rule: '2 · sev 1' }));
    const all = texts(p);
    assert.match(all, /^Sev 2 · Case 01234567: Pods stuck in ContainerCreating/);
    assert.match(all, /🆕 \*New case\* · OpenShift Container Platform 4\.14/);
    assert.match(all, /Opened by \*Jane Customer\* · Status: Waiting on Red Hat/);
    assert.match(all, /After the upgrade every new pod hangs\. &lt;!channel&gt; &amp; co/);
    assert.match(all, /Matched rule 2 · sev 1/);
    assert.ok(all.includes(`<${CASE_URL}|Open case 01234567>`));
    assert.match(p.text, /^🆕 Sev 2 · OpenShift Container Platform 4\.14 · New case 01234567/);
  });

  it('a new case in privacy mode shows no word of the description', () => {
    const p = format(entry({ kind: 'new-case' }), { maxCommentChars: 0 });
    assert.ok(!JSON.stringify(p).includes('every new pod'));
    assert.match(texts(p), /Description hidden \(privacy mode\)/);
  });

  it('a raise to Sev 1 is marked red, up', () => {
    const p = format(
      entry({ kind: 'severity', case: { ...kase, severity: '1 (Urgent)' }, text: '3 (Normal)' }),
    );
    assert.match(texts(p), /^🔴 Sev 1 · Case 01234567/);
    assert.match(texts(p), /⬆️ Severity: Sev 3 → \*🔴 Sev 1\*/);
    assert.match(p.text, /^⬆️ Sev 3 → 🔴 Sev 1 on case 01234567/);
    const lowered = format(entry({ kind: 'severity', text: '1 (Urgent)' }));
    assert.match(texts(lowered), /⬇️ Severity: 🔴 Sev 1 → \*Sev 2\*/);
  });

  it('an attachment says who, which file and how big; privacy mode hides the name', () => {
    const p = format(entry({ kind: 'attachment', attachment }));
    assert.match(
      texts(p),
      /📎 \*Jane Doe\* \(Red Hat\) attached \*customer-db-dump\.sql\* \(2\.4 MB\)/,
    );
    assert.match(p.text, /^📎 Sev 2 · Jane Doe attached customer-db-dump\.sql \(2\.4 MB\)/);
    const hidden = format(entry({ kind: 'attachment', attachment }), { maxCommentChars: 0 });
    assert.ok(!JSON.stringify(hidden).includes('customer-db-dump'));
    assert.match(texts(hidden), /📎 \*Jane Doe\* \(Red Hat\) attached a file \(2\.4 MB\)/);
  });

  it('refuses an entry that lacks what its kind needs', () => {
    assert.equal(typeof formatSlackEntry(entry({ kind: 'attachment' }), SETTINGS), 'string');
    assert.equal(
      typeof formatSlackEntry(entry({ kind: 'severity', case: undefined }), SETTINGS),
      'string',
    );
  });

  it('every kind shows the severity in its header, red for Sev 1', () => {
    const urgent = { ...kase, severity: '1 (Urgent)' };
    const comment = {
      id: 'a1',
      caseNumber: '01234567',
      author: 'Jane',
      authorType: 'associate' as const,
      body: 'hi',
      createdAt: AT,
      isPublic: true,
      isDraft: false,
    };
    const kinds: Partial<OutboxEntry>[] = [
      { kind: 'comment', comment },
      { kind: 'status', text: 'New' },
      { kind: 'closed' },
      { kind: 'new-case' },
      { kind: 'severity', text: '2 (High)' },
      { kind: 'attachment', attachment },
    ];
    for (const k of kinds) {
      const p = format(entry({ ...k, case: urgent }));
      const header = p.blocks[0];
      assert.ok(header?.type === 'header');
      assert.match(header.text.text, /^🔴 Sev 1 · Case 01234567/, k.kind);
      assert.match(p.text, /🔴 Sev 1/, `${k.kind ?? ''} preview`);
    }
  });
});

describe('slack notifier: new kinds reach Slack', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await startFakeSlack();
  });
  after(() => slack.close());

  it('posts a new case, a severity change and an attachment, each accepted', async () => {
    const box = createSecretBox('slack-events-test-key-0123456789');
    const url = slack.url();
    const notifier = createSlackNotifier({
      secretBox: box,
      scrubber: createSecretScrubber(),
      logger: createLogger({ level: 'silent', scrubber: createSecretScrubber() }),
      links: { caseUrl: () => CASE_URL, commentUrl: () => CASE_URL },
      config: {
        notify: { maxCommentChars: 1000 },
        poll: { intervalSeconds: 60, concurrency: 4, fullSweepEvery: 10, keepClosedCases: false },
        slack: { allowedWebhookHosts: [slack.host] },
      },
      minIntervalMs: 0,
    });
    after(() => notifier.close());
    const chat: ChatState = {
      id: 42,
      type: 'private',
      active: true,
      audience: 'associate',
      subscriptions: {},
      createdAt: AT,
      slack: { webhook: box.encrypt(url), addedAt: AT },
    };
    for (const e of [
      entry({ kind: 'new-case', rule: '1' }),
      entry({ kind: 'severity', text: '3 (Normal)' }),
      entry({ kind: 'attachment', attachment }),
    ]) {
      assert.deepEqual(await notifier.send(e, chat), { kind: 'ok' }, e.kind);
    }
    const got = slack.received(url).map((r) => String(r.body.text));
    assert.equal(got.length, 3);
    assert.match(got[0]!, /^🆕 Sev 2/);
    assert.match(got[1]!, /^⬆️ Sev 3 → Sev 2 on case 01234567/);
    assert.match(got[2]!, /^📎 Sev 2 · Jane Doe attached customer-db-dump\.sql/);
  });
});
