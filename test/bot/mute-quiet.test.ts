import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callbackData } from '../../src/notify/telegram/format.js';
import { localTimeZone, parseQuiet } from '../../src/rules/quiet.js';
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

const CASE = '01234567';
const OTHER = '07654321';

function chatOf(h: Harness, chatId = USER) {
  return h.store.read().chats[String(chatId)];
}

async function following(h: Harness, chatId: number, numbers: string[], fromId?: number) {
  for (const n of numbers) h.portal.addCase({ number: n });
  await h.say(chatId, `/add ${numbers.join(' ')}`, fromId !== undefined ? { fromId } : {});
}

describe('/mute and /unmute', () => {
  it('mutes followed cases, lists them, and unmutes them', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await following(h, USER, [CASE, OTHER]);
    await h.say(USER, '/mute');
    assert.equal(
      h.lastText(USER),
      'No case is muted here. /mute 01234567 makes a case’s messages arrive silently.',
    );
    await h.say(USER, `/mute ${CASE}`);
    assert.equal(
      h.lastText(USER),
      '🔕 Muted 01234567: its messages arrive silently (a raise to Sev 1 still rings). /unmute 01234567 to undo.',
    );
    assert.equal(chatOf(h)?.subscriptions[CASE]?.muted, true);
    assert.equal(chatOf(h)?.subscriptions[OTHER]?.muted, undefined);
    await h.say(USER, `/mute ${CASE}`);
    assert.equal(h.lastText(USER), 'ℹ️ 01234567 was already muted.');
    await h.say(USER, '/mute');
    assert.equal(
      h.lastText(USER),
      '🔕 Muted here (their messages arrive silently): 01234567.\n/unmute 01234567 makes one ring again.',
    );
    await h.say(USER, `/unmute ${CASE}`);
    assert.equal(h.lastText(USER), '🔔 Unmuted 01234567: its messages ring again.');
    assert.equal(chatOf(h)?.subscriptions[CASE]?.muted, undefined);
    assertClean(h);
  });

  it('refuses a case that is not followed and mutes nothing of the batch', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await following(h, USER, [CASE]);
    await h.say(USER, `/mute ${CASE} 09999999`);
    assert.equal(
      h.lastText(USER),
      '🚫 09999999 is not followed here: /add it first, or check /list\nNothing was changed.',
    );
    assert.equal(chatOf(h)?.subscriptions[CASE]?.muted, undefined);
    await h.say(USER, '/mute 09999999');
    assert.equal(
      h.lastText(USER),
      '🚫 09999999 is not followed here: /add it first, or check /list',
    );
    await h.say(USER, `/mute ${CASE} 12ab`);
    assert.equal(
      h.lastText(USER),
      '❓ 12ab is not a case number (digits, e.g. 01234567)\nNothing was changed.',
    );
    assert.equal(chatOf(h)?.subscriptions[CASE]?.muted, undefined);
  });

  it('in a group, any member may see what is muted; only admins change it', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await following(h, GROUP, [CASE], ADMIN);
    await h.say(GROUP, `/mute ${CASE}`, { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(chatOf(h, GROUP)?.subscriptions[CASE]?.muted, undefined);
    await h.say(GROUP, `/mute ${CASE}`, { fromId: ADMIN });
    assert.equal(chatOf(h, GROUP)?.subscriptions[CASE]?.muted, true);
    await h.say(GROUP, '/mute', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Muted here .*: 01234567/);
    await h.say(GROUP, `/unmute ${CASE}`, { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(chatOf(h, GROUP)?.subscriptions[CASE]?.muted, true);
    assertClean(h);
  });
});

describe('the Mute button under a new-case alert', () => {
  it('mutes the case and answers with a toast', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await following(h, USER, [CASE]);
    // The data the notifier puts under a new-case alert (format-events.ts).
    const data = callbackData.mute(CASE);
    assert.equal(data, `mute:${CASE}`);
    const { callbackQueryId } = await h.press(USER, 1, data);
    assert.deepEqual(
      h.fake.callbackAnswers.find((a) => a.id === callbackQueryId),
      {
        id: callbackQueryId,
        text: 'Muted 01234567: its messages arrive silently. /unmute 01234567 to undo.',
      },
    );
    assert.equal(chatOf(h)?.subscriptions[CASE]?.muted, true);
    assertClean(h);
  });

  it('says so when the case is no longer followed', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    const { callbackQueryId } = await h.press(USER, 1, `mute:${CASE}`);
    assert.equal(
      h.fake.callbackAnswers.find((a) => a.id === callbackQueryId)?.text,
      '01234567 is not followed here any more.',
    );
    assertClean(h);
  });

  it('in a group, works for admins only', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await following(h, GROUP, [CASE], ADMIN);
    const member = await h.press(GROUP, 1, `mute:${CASE}`, MEMBER);
    const refusal = h.fake.callbackAnswers.find((a) => a.id === member.callbackQueryId);
    assert.match(refusal?.text ?? '', /Only group admins/);
    assert.equal(refusal?.showAlert, true);
    assert.equal(chatOf(h, GROUP)?.subscriptions[CASE]?.muted, undefined);
    await h.press(GROUP, 1, `mute:${CASE}`, ADMIN);
    assert.equal(chatOf(h, GROUP)?.subscriptions[CASE]?.muted, true);
    assertClean(h);
  });
});

describe('/quiet', () => {
  it('sets quiet hours in a zone, shows them, and turns them off', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/quiet');
    assert.match(h.lastText(USER), /^🔔 No quiet hours: every message rings\./);
    assert.ok(h.lastText(USER).includes(`default ${localTimeZone()}`));
    await h.say(USER, '/quiet 22:00-07:00 Europe/Rome');
    assert.equal(
      h.lastText(USER),
      '🌙 Quiet hours set: 22:00–07:00 (Europe/Rome). Messages arrive silently then; Sev-1 cases and raises to Sev 1 stay loud.\n/quiet off ends them.',
    );
    assert.deepEqual(chatOf(h)?.quiet, { from: '22:00', to: '07:00', timeZone: 'Europe/Rome' });
    await h.say(USER, '/quiet');
    assert.match(h.lastText(USER), /^🌙 Quiet hours: 22:00–07:00 \(Europe\/Rome\)\./);
    await h.say(USER, '/quiet off');
    assert.equal(h.lastText(USER), '🔔 Quiet hours off: every message rings again.');
    assert.equal(chatOf(h)?.quiet, undefined);
    assertClean(h);
  });

  it("takes the daemon's time zone when none is given", async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/quiet 23:30-6:15');
    assert.deepEqual(chatOf(h)?.quiet, { from: '23:30', to: '06:15', timeZone: localTimeZone() });
  });

  it('answers what it cannot read with the parser’s words and stores nothing', async (t) => {
    const h = await startHarness(t);
    for (const text of ['25:00-07:00', '22:00-22:00', '22:00-07:00 Mars/Base', 'tonight']) {
      const parsed = parseQuiet(text, localTimeZone());
      assert.ok(!parsed.ok);
      await h.say(USER, `/quiet ${text}`);
      assert.equal(h.lastText(USER), `❓ ${parsed.error}`, `answer to "/quiet ${text}"`);
    }
    assert.equal(chatOf(h)?.quiet, undefined);
    assertClean(h);
  });

  it('in a group, only admins change it', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await h.say(GROUP, '/quiet 22:00-07:00', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(chatOf(h, GROUP)?.quiet, undefined);
    await h.say(GROUP, '/quiet', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /No quiet hours/);
  });
});

describe('/attachments', () => {
  it('is on by default, and turns off and on', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/attachments');
    assert.equal(
      h.lastText(USER),
      '📎 File notices are on: new files on followed cases are announced. /attachments off stops them.',
    );
    await h.say(USER, '/attachments off');
    assert.equal(h.lastText(USER), '✅ File notices off: new files are no longer announced.');
    assert.equal(chatOf(h)?.attachments, false);
    await h.say(USER, '/attachments');
    assert.equal(
      h.lastText(USER),
      '📎 File notices are off. /attachments on announces new files again.',
    );
    await h.say(USER, '/attachments ON');
    assert.equal(
      h.lastText(USER),
      '✅ File notices on: new files on followed cases will be announced.',
    );
    assert.equal(chatOf(h)?.attachments, undefined, 'on is the default: stored as absence');
    await h.say(USER, '/attachments maybe');
    assert.equal(h.lastText(USER), '❓ Use /attachments on or /attachments off.');
    assertClean(h);
  });

  it('in a group, only admins change it', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    await h.say(GROUP, '/attachments off', { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.equal(chatOf(h, GROUP)?.attachments, undefined);
    await h.say(GROUP, '/attachments off', { fromId: ADMIN });
    assert.equal(chatOf(h, GROUP)?.attachments, false);
  });
});
