// Whether a Telegram notification rings: the rules (pure), and what the Bot API receives when the
// notifier sends on a manual clock that crosses midnight in Rome.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLinks } from '../../src/links.js';
import { loudnessOf } from '../../src/notify/telegram/loudness.js';
import {
  createTelegramNotifier,
  type TelegramNotifier,
} from '../../src/notify/telegram/notifier.js';
import type { ChatState, OutboxEntry } from '../../src/store/schema.js';
import { manualClock } from '../_helpers/clock.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';
import { BOT_TOKEN, collectLogs, testConfig } from '../poller/_support.js';

// January: Rome is UTC+1, so 21:00Z is 22:00 in Rome and 23:00Z is midnight there.
const ROME_2159 = Date.parse('2026-01-15T20:59:00Z');
const ROME_QUIET = { from: '22:00', to: '07:00', timeZone: 'Europe/Rome' };
const MINUTE = 60_000;

const CASE = '01234567';
const MUTED_CASE = '07654321';

function kase(number: string, severity: string): NonNullable<OutboxEntry['case']> {
  return {
    number,
    summary: `Case ${number}`,
    status: 'Waiting on Red Hat',
    severity,
    product: 'RHEL',
    closed: false,
    lastModifiedAt: '2026-01-15T12:00:00Z',
  };
}

let seq = 0;
function entry(
  chatId: number,
  kind: OutboxEntry['kind'],
  over: Partial<OutboxEntry> = {},
): OutboxEntry {
  seq++;
  return {
    id: `telegram:${chatId}:${seq}`,
    chatId,
    destination: 'telegram',
    kind,
    case: kase(CASE, '3 (Normal)'),
    text: kind === 'notice' ? 'ℹ️ A notice' : 'New',
    createdAt: '2026-01-15T12:00:00Z',
    attempts: 0,
    ...over,
  };
}

function chat(id: number, over: Partial<ChatState> = {}): ChatState {
  const sub = (n: string, muted: boolean) => ({
    caseNumber: n,
    addedAt: '2026-01-01T00:00:00Z',
    seen: [],
    summary: '',
    status: '',
    severity: '',
    product: '',
    closed: false,
    ...(muted ? { muted: true as const } : {}),
  });
  return {
    id,
    type: 'private',
    active: true,
    audience: 'associate',
    subscriptions: { [CASE]: sub(CASE, false), [MUTED_CASE]: sub(MUTED_CASE, true) },
    createdAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

describe('loudness rules', () => {
  const quiet = chat(1, { quiet: ROME_QUIET });
  const at = (iso: string) => Date.parse(iso);

  it('is silent inside the window and loud outside it, across midnight in the window’s zone', () => {
    const e = entry(1, 'status');
    assert.equal(loudnessOf(e, quiet, at('2026-01-15T20:59:00Z')), 'loud', '21:59 Rome');
    assert.equal(loudnessOf(e, quiet, at('2026-01-15T21:00:00Z')), 'silent', '22:00 Rome');
    assert.equal(loudnessOf(e, quiet, at('2026-01-15T23:30:00Z')), 'silent', '00:30 Rome');
    assert.equal(loudnessOf(e, quiet, at('2026-01-16T05:59:00Z')), 'silent', '06:59 Rome');
    assert.equal(loudnessOf(e, quiet, at('2026-01-16T06:00:00Z')), 'loud', '07:00 Rome');
    // 21:30 UTC is quiet in Rome but would not be in UTC: the zone is the window's.
    assert.equal(loudnessOf(e, quiet, at('2026-01-15T21:30:00Z')), 'silent');
    assert.equal(loudnessOf(e, chat(1), at('2026-01-15T23:30:00Z')), 'loud', 'no /quiet');
  });

  it('lets a Sev 1 case ring in quiet hours', () => {
    const night = at('2026-01-15T23:30:00Z');
    const urgent = entry(1, 'comment', { case: kase(CASE, '1 (Urgent)') });
    assert.equal(loudnessOf(urgent, quiet, night), 'loud');
  });

  it('keeps a muted case silent, even at noon and even for Sev 1, unless raised to Sev 1', () => {
    const noon = at('2026-01-15T11:00:00Z');
    const muted = (severity: string, kind: OutboxEntry['kind'] = 'comment', text?: string) =>
      entry(1, kind, { case: kase(MUTED_CASE, severity), ...(text ? { text } : {}) });
    assert.equal(loudnessOf(muted('3 (Normal)'), chat(1), noon), 'silent');
    assert.equal(loudnessOf(muted('1 (Urgent)'), chat(1), noon), 'silent');
    assert.equal(loudnessOf(muted('2 (High)', 'severity', '3 (Normal)'), chat(1), noon), 'silent');
    // The raise to Sev 1 beats both mute and quiet hours.
    const raise = muted('1 (Urgent)', 'severity', '2 (High)');
    assert.equal(loudnessOf(raise, chat(1), noon), 'loud');
    assert.equal(loudnessOf(raise, quiet, at('2026-01-15T23:30:00Z')), 'loud');
    // Not a raise: it was Sev 1 already.
    assert.equal(loudnessOf(muted('1 (Urgent)', 'severity', '1'), chat(1), noon), 'silent');
  });

  it('lets notices follow quiet hours but not mute', () => {
    const notice = entry(1, 'notice', { case: kase(MUTED_CASE, '3 (Normal)') });
    assert.equal(loudnessOf(notice, chat(1), at('2026-01-15T11:00:00Z')), 'loud');
    const { case: _none, ...caseless } = entry(1, 'notice');
    assert.equal(loudnessOf(caseless, quiet, at('2026-01-15T23:30:00Z')), 'silent');
    assert.equal(loudnessOf(caseless, quiet, at('2026-01-15T11:00:00Z')), 'loud');
  });

  it('rings rather than fails when the stored zone is unknown to this Node', () => {
    const broken = chat(1, { quiet: { ...ROME_QUIET, timeZone: 'Mars/Olympus_Mons' } });
    assert.equal(loudnessOf(entry(1, 'status'), broken, at('2026-01-15T23:30:00Z')), 'loud');
  });
});

describe('loudness on the wire', () => {
  let fake: FakeTelegram;
  let notifier: TelegramNotifier;
  const clock = manualClock(ROME_2159);

  before(async () => {
    fake = await startFakeTelegram({ token: BOT_TOKEN });
    notifier = createTelegramNotifier({
      config: testConfig({ apiRoot: fake.apiRoot }),
      links: createLinks(testConfig().portal),
      logger: collectLogs('warn').logger,
      clock,
      pacing: { privateChatMinIntervalMs: 0, groupChatMinIntervalMs: 0, globalMinIntervalMs: 0 },
    });
  });
  after(async () => {
    await notifier.close();
    await fake.close();
  });

  it('sends disable_notification: true exactly when the clock is in the chat’s quiet hours', async () => {
    const c = chat(21, { quiet: ROME_QUIET });
    const send = async (e: OutboxEntry) => assert.equal((await notifier.send(e, c)).kind, 'ok');
    await send(entry(21, 'status')); // 21:59 Rome
    await clock.advance(MINUTE); // 22:00 Rome
    await send(entry(21, 'status'));
    await clock.advance(90 * MINUTE); // 23:30 Rome
    await send(entry(21, 'status'));
    await clock.advance(60 * MINUTE); // 00:30 Rome, the next day
    await send(entry(21, 'status'));
    await send(entry(21, 'status', { case: kase(CASE, '1 (Urgent)') }));
    await send(entry(21, 'severity', { case: kase(MUTED_CASE, '1 (Urgent)'), text: '3' }));
    await clock.set(Date.parse('2026-01-16T06:00:00Z')); // 07:00 Rome
    await send(entry(21, 'status'));
    await send(entry(21, 'status', { case: kase(MUTED_CASE, '3 (Normal)') }));

    const got = fake.messages(21);
    assert.deepEqual(
      got.map((m) => m.silent),
      [false, true, true, true, false, false, false, true],
    );
    // A loud message leaves the parameter out (Telegram's default), a silent one sends true.
    assert.deepEqual(
      got.map((m) => m.disableNotification),
      [undefined, true, true, true, undefined, undefined, undefined, true],
    );
  });
});
