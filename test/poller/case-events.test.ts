// Severity changes and new files on followed cases, over the real v3 client and the loopback
// fake portal: each told once, to the chats that want it; files read only for a case that moved.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { bodies, ofKind, rulesRig, type RulesRig } from './_rules-rig.js';

const CASE = '01000001';
const ASSOCIATES = 4242;
const CUSTOMERS = 4343;

describe('severity changes', () => {
  let r: RulesRig | undefined;
  afterEach(async () => {
    await r?.fake.close();
    r = undefined;
  });

  it('tells a raise and a drop once each, with the previous severity', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: CASE, severity: '3 (Normal)' });
    await r.addChat({ chatId: ASSOCIATES, cases: [CASE] });
    await r.cycle();
    r.fake.setSeverity(CASE, '1 (Urgent)');
    await r.cycle();
    await r.cycle();
    r.fake.setSeverity(CASE, '4 (Low)');
    await r.cycle();
    const entries = ofKind(await r.deliver(), 'severity');
    assert.deepEqual(
      entries.map((e) => [e.text, e.case?.severity]),
      [
        ['3 (Normal)', '1 (Urgent)'],
        ['1 (Urgent)', '4 (Low)'],
      ],
    );
    assert.match(entries[0]?.id ?? '', /^telegram:4242:01000001:severity:\d+$/);
  });

  it('learns an unknown stored severity, or a new wording of the same level, silently', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: CASE, severity: '2' });
    await r.addChat({ chatId: ASSOCIATES, cases: [CASE] });
    await r.store.update((d) => {
      d.chats[String(ASSOCIATES)]!.subscriptions[CASE]!.severity = '';
    });
    await r.cycle();
    r.fake.setSeverity(CASE, '2 (High)');
    await r.cycle();
    assert.deepEqual(await r.deliver(), []);
    const sub = r.store.read().chats[String(ASSOCIATES)]?.subscriptions[CASE];
    assert.equal(sub?.severity, '2 (High)');
  });

  it('says only that the case closed when it also changed severity', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: CASE, severity: '3 (Normal)' });
    await r.addChat({ chatId: ASSOCIATES, cases: [CASE] });
    await r.cycle();
    r.fake.setSeverity(CASE, '1 (Urgent)');
    r.fake.closeCase(CASE);
    await r.cycle();
    assert.deepEqual(
      (await r.deliver()).map((e) => e.kind),
      ['closed'],
    );
  });
});

describe('attachment notices', () => {
  let r: RulesRig | undefined;
  afterEach(async () => {
    await r?.fake.close();
    r = undefined;
  });

  /** Two chats on one credential, one per audience, following CASE; one cycle done. */
  async function twoAudiences(): Promise<RulesRig> {
    const rig = await rulesRig({ attachmentsCarryAuthorType: true });
    rig.fake.addCase({ number: CASE });
    rig.fake.addAttachment(CASE, { fileName: 'before-we-followed.log' });
    await rig.addChat({ chatId: ASSOCIATES, audience: 'associate', cases: [CASE] });
    await rig.addChat({ chatId: CUSTOMERS, audience: 'customer', cases: [CASE] });
    await rig.cycle();
    return rig;
  }

  const files = (entries: readonly { chatId: number; attachment?: { fileName: string } }[]) =>
    entries.map((e) => `${e.chatId} ${e.attachment?.fileName ?? '?'}`).sort();

  it('announces each new file once, to the audiences that want it; unknown authors to all', async () => {
    r = await twoAudiences();
    r.fake.addAttachment(CASE, { fileName: 'sosreport.tar.xz', createdByType: 'Customer' });
    r.fake.addAttachment(CASE, { fileName: 'hotfix.rpm', createdByType: 'Associate' });
    r.fake.addAttachment(CASE, { fileName: 'who-knows.txt' });
    r.fake.addAttachment(CASE, {
      fileName: 'private.txt',
      createdByType: 'Associate',
      isPrivate: true,
    });
    const moved = await r.cycle();
    assert.equal(moved.attachments, 1, 'one list for both chats');
    assert.equal(moved.stats.attachmentReads, 1);
    assert.deepEqual(files(ofKind(await r.deliver(), 'attachment')), [
      `${ASSOCIATES} hotfix.rpm`,
      `${ASSOCIATES} who-knows.txt`,
      `${CUSTOMERS} sosreport.tar.xz`,
      `${CUSTOMERS} who-knows.txt`,
    ]);
    const seen = (chatId: number) =>
      r!.store.read().chats[String(chatId)]?.subscriptions[CASE]?.attachmentsSeen?.length;
    assert.deepEqual([seen(ASSOCIATES), seen(CUSTOMERS)], [3, 3], 'unwanted files are seen too');

    // Quiet: no list read. Moved by a comment: read again, nothing announced twice.
    assert.equal((await r.cycle()).attachments, 0);
    r.comment(CASE, 'see the hotfix');
    const again = await r.cycle();
    assert.equal(again.attachments, 1);
    const later = await r.deliver();
    assert.deepEqual(
      later.map((e) => `${e.chatId} ${e.kind}`),
      [`${ASSOCIATES} comment`],
      'the comment, to the chat that wants it; no file again',
    );
    assert.deepEqual(bodies(later), ['see the hotfix']);
    assert.deepEqual(ofKind(later, 'attachment'), []);
    await r.cycle();
    assert.deepEqual(await r.deliver(), []);
  });

  it('reads no list in quiet cycles, nor for chats that turned file notices off', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: CASE });
    await r.addChat({ chatId: ASSOCIATES, cases: [CASE], attachmentsOff: true });
    await r.cycle();
    for (let i = 0; i < 3; i++) assert.equal((await r.cycle()).attachments, 0);
    r.fake.addAttachment(CASE, { fileName: 'unwanted.log' });
    r.comment(CASE, 'moved');
    assert.equal((await r.cycle()).attachments, 0);
    assert.deepEqual(
      (await r.deliver()).map((e) => e.kind),
      ['comment'],
    );
  });

  it('after an upgrade (no attachmentsReadAt) records where the case is without reading, and reads at its next move', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: CASE });
    await r.addChat({ chatId: ASSOCIATES, cases: [CASE] });
    await r.store.update((d) => {
      delete d.chats[String(ASSOCIATES)]!.subscriptions[CASE]!.attachmentsReadAt;
    });
    r.comment(CASE, 'moved while we upgraded');
    const first = await r.cycle();
    assert.equal(first.attachments, 0, 'no request storm after an upgrade');
    const sub = () => r!.store.read().chats[String(ASSOCIATES)]?.subscriptions[CASE];
    assert.ok(sub()?.attachmentsReadAt !== undefined, 'recorded');
    assert.equal((await r.cycle()).attachments, 0);
    r.fake.addAttachment(CASE, { fileName: 'after-the-upgrade.log' });
    assert.equal((await r.cycle()).attachments, 1);
    assert.deepEqual(
      ofKind(await r.deliver(), 'attachment').map((e) => e.attachment?.fileName),
      ['after-the-upgrade.log'],
    );
  });

  it('REST v3 alone: reads the list when new comments arrive, or with the sweep when the case moved', async () => {
    r = await rulesRig();
    r.fake.addCase({ number: CASE });
    await r.addChat({ chatId: ASSOCIATES, cases: [CASE] });
    r.fake.retire('graphql');
    await r.cycle();
    await r.cycle();
    assert.equal((await r.cycle()).attachments, 0, 'quiet');
    r.fake.addAttachment(CASE, { fileName: 'with-a-comment.log' });
    r.comment(CASE, 'attached the logs');
    assert.equal((await r.cycle()).attachments, 1);
    const first = await r.deliver();
    assert.deepEqual(
      first.map((e) => e.kind),
      ['comment', 'attachment'],
    );
    assert.equal((await r.cycle()).attachments, 0, 'quiet again');

    r.fake.addAttachment(CASE, { fileName: 'alone.log' });
    assert.equal((await r.cycle()).attachments, 0, 'a file alone shows in no comment list');
    r.fake.resetCounters();
    const sweep = await r.poller.runSweep();
    assert.equal(sweep.attachmentReads, 1);
    assert.deepEqual(
      ofKind(await r.deliver(), 'attachment').map((e) => e.attachment?.fileName),
      ['alone.log'],
    );
  });
});
