import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CONTEXT_MESSAGES } from '../../src/bot/features/subscriptions.js';
import { MAX_CASES_PER_COMMAND } from '../../src/bot/support/case-args.js';
import { LIST_PAGE_SIZE } from '../../src/bot/support/case-buttons.js';
import { commentPrint } from '../../src/comment-identity.js';
import { seenIds } from '../../src/store/seen.js';
import {
  ADMIN,
  GROUP,
  MEMBER,
  OFFLINE_TOKEN,
  USER,
  assertClean,
  buttonsOf,
  connect,
  connectGroup,
  startHarness,
  type Harness,
} from './harness.js';

const CASE = '01234567';

function seedCase(h: Harness, number = CASE, summary = 'Kernel panic <on> boot & "more"') {
  h.portal.addCase({ number, summary, severity: '2 (High)', status: 'Waiting on Red Hat' });
  const older = h.portal.addComment(number, {
    body: 'First answer from Red Hat',
    createdAt: '2024-04-01T09:00:00.000Z',
  });
  const latest = h.portal.addComment(number, {
    body: 'Please collect an sosreport <now> & attach it',
    createdAt: '2024-04-02T09:00:00.000Z',
  });
  const customer = h.portal.addComment(number, {
    author: 'Doe, Jane',
    authorType: 'customer',
    body: 'Customer says hi',
    createdAt: '2024-04-03T09:00:00.000Z',
  });
  const draft = h.portal.addComment(number, {
    body: 'unsent draft',
    isDraft: true,
    createdAt: '2024-04-04T09:00:00.000Z',
  });
  return { older, latest, customer, draft };
}

describe('/add', () => {
  it('asks for /setup first when the chat has no credential', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, `/add ${CASE}`);
    assert.match(h.lastText(USER), /First connect your Red Hat account: send \/setup/);
    assert.equal(h.portal.count(), 0);
    assertClean(h);
  });

  it('follows a visible case, marks its comments seen and shows the latest one once', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    const c = seedCase(h);
    const mark = h.sent(USER).length;
    await h.say(USER, `/add ${CASE}`);

    const sub = h.store.read().chats[String(USER)]?.subscriptions[CASE];
    assert.ok(sub, 'subscribed');
    assert.deepEqual(seenIds(sub.seen).sort(), [c.older.id, c.latest.id, c.customer.id].sort());
    for (const seen of [c.older, c.latest, c.customer]) {
      assert.ok(sub.seen.includes(commentPrint(seen)), `print of ${seen.id} kept`);
    }
    assert.ok(!sub.seen.includes(commentPrint(c.draft)), 'the draft is not seen');
    assert.equal(sub.seenUpTo, c.customer.createdAt, 'seen up to the newest non-draft comment');
    assert.equal(sub.summary, 'Kernel panic <on> boot & "more"');
    assert.equal(sub.severity, '2 (High)');

    const replies = h.since(USER, mark);
    assert.equal(replies.length, 2, 'one answer and one context comment');
    assert.match(replies[0]?.text ?? '', /✅ 01234567 added: Kernel panic <on> boot & "more"/);
    assert.match(replies[0]?.text ?? '', /New comments will arrive here/);
    // Default audience: Red Hat staff, so the customer's newer comment is not the context.
    assert.match(replies[1]?.text ?? '', /Please collect an sosreport <now> & attach it/);
    assert.ok(buttonsOf(replies[1]).some((b) => b.data === `latest:${CASE}`));
    assertClean(h);
  });

  it('answers per case: added, already followed, not visible, invalid; keeps leading zeros', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: '00012345' });
    h.portal.addCase({ number: '07654321' });
    h.portal.addCase({ number: '05555555', visibleTo: ['someone-else'] });
    await h.say(USER, '/add 07654321');
    await h.say(USER, '/add 00012345, 07654321 05555555 12ab #07654321');
    const text = h.lastText(USER);
    assert.match(text, /✅ 00012345 added/);
    assert.match(text, /ℹ️ 07654321 already followed/);
    assert.match(text, /🚫 05555555: not visible to your account/);
    assert.match(text, /❓ 12ab is not a case number/);
    const subs = Object.keys(h.store.read().chats[String(USER)]?.subscriptions ?? {}).sort();
    assert.deepEqual(subs, ['00012345', '07654321']);
    assertClean(h);
  });

  it('asks for the number when none is given, and takes the next message', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: CASE });
    await h.say(USER, '/add');
    const question = h.sent(USER).at(-1);
    assert.match(question?.text ?? '', /Which case\?/);
    assert.equal(question?.replyMarkup?.force_reply, true);
    await h.say(USER, CASE);
    assert.match(h.lastText(USER), /✅ 01234567 added/);
    assertClean(h);
  });

  it('says what is wrong when the answer to "Which case?" holds no number', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.say(USER, '/add');
    await h.say(USER, 'the one from yesterday');
    assert.match(h.lastText(USER), /is not a case number/);
    assert.match(h.lastText(USER), /\/add 01234567/);
    assert.equal(h.portal.count('getCase'), 0);
  });

  it('stops asking the portal when it is unreachable and reports the rest as unchecked', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: '00000001' });
    h.portal.addCase({ number: '00000002' });
    h.portal.fail('getCase', 'transient');
    await h.say(USER, '/add 00000001 00000002');
    const text = h.lastText(USER);
    assert.match(text, /00000001: the portal could not be reached/);
    assert.match(text, /00000002 not checked/);
    assert.equal(h.portal.count('getCase'), 1);
    assert.deepEqual(h.store.read().chats[String(USER)]?.subscriptions, {});
    assertClean(h);
  });

  it('tells the chat to run /setup again when the portal rejects its credential', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: CASE });
    h.portal.validCredentials.delete(OFFLINE_TOKEN);
    await h.say(USER, `/add ${CASE}`);
    assert.match(h.lastText(USER), /rejected this chat’s login: run \/setup again/);
  });

  it('never floods: at most a few context comments, at most 20 cases per command', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    const numbers = Array.from({ length: MAX_CASES_PER_COMMAND + 2 }, (_, i) =>
      String(10_000_000 + i),
    );
    for (const n of numbers) {
      h.portal.addCase({ number: n });
      h.portal.addComment(n, { body: `context for ${n}` });
    }
    const mark = h.sent(USER).length;
    await h.say(USER, `/add ${numbers.join(' ')}`);
    const replies = h.since(USER, mark);
    const contexts = replies.filter((m) => m.text.includes('context for'));
    assert.equal(contexts.length, MAX_CONTEXT_MESSAGES);
    assert.match(replies[0]?.text ?? '', /2 more not handled: at most 20 cases at a time/);
    assert.match(replies.at(-1)?.text ?? '', /\/latest <case>/);
    assert.equal(
      Object.keys(h.store.read().chats[String(USER)]?.subscriptions ?? {}).length,
      MAX_CASES_PER_COMMAND,
    );
    assertClean(h);
  });

  it('splits a long answer rather than exceed 4096 characters', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    const numbers = Array.from({ length: MAX_CASES_PER_COMMAND }, (_, i) => String(30_000_000 + i));
    for (const n of numbers) h.portal.addCase({ number: n, summary: '<&>'.repeat(400) });
    const garbage = Array.from({ length: 20 }, (_, i) => `${'&'.repeat(30)}${i}`);
    const mark = h.sent(USER).length;
    await h.say(USER, `/add ${numbers.join(' ')} ${garbage.join(' ')}`);
    const replies = h.since(USER, mark);
    assert.ok(replies.length >= 2, 'more than one message');
    const added = replies.flatMap((m) => m.text.split('\n')).filter((l) => l.includes(' added: '));
    assert.equal(added.length, MAX_CASES_PER_COMMAND);
    assertClean(h);
  });

  it('in a group, follows cases for admins and refuses other members', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    h.portal.addCase({ number: CASE });
    await h.say(GROUP, `/add ${CASE}`, { fromId: MEMBER });
    assert.match(h.lastText(GROUP), /Only group admins/);
    assert.deepEqual(h.store.read().chats[String(GROUP)]?.subscriptions, {});
    await h.say(GROUP, `/add ${CASE}`, { fromId: ADMIN });
    assert.match(h.lastText(GROUP), /✅ 01234567 added/);
    assertClean(h);
  });

  it('in a group, takes the admin\'s reply to "Which case?" and ignores other members', async (t) => {
    const h = await startHarness(t);
    await connectGroup(h);
    h.portal.addCase({ number: CASE });
    await h.say(GROUP, '/add', { fromId: ADMIN });
    const question = h.sent(GROUP).at(-1);
    assert.equal(question?.replyMarkup?.selective, true);
    assert.ok(question?.replyToMessageId, 'the question replies to the admin');
    await h.say(GROUP, '07777777', { fromId: MEMBER });
    assert.equal(h.portal.count('getCase'), 0);
    await h.say(GROUP, CASE, { fromId: ADMIN });
    assert.match(h.lastText(GROUP), /✅ 01234567 added/);
  });
});

describe('/remove', () => {
  it('stops following and drops the messages still queued for that case', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: CASE, summary: 'Disk full' });
    h.portal.addCase({ number: '07654321' });
    await h.say(USER, `/add ${CASE} 07654321`);
    const now = new Date(h.clock.now()).toISOString();
    await h.store.update((d) => {
      for (const n of [CASE, '07654321']) {
        d.outbox.push({
          id: `telegram:${USER}:${n}:status`,
          chatId: USER,
          destination: 'telegram',
          kind: 'status',
          case: {
            number: n,
            summary: '',
            status: 'Closed',
            severity: '',
            product: '',
            closed: true,
            lastModifiedAt: now,
          },
          createdAt: now,
          attempts: 0,
        });
      }
    });
    await h.say(USER, `/remove ${CASE} 09999999 x1`);
    const text = h.lastText(USER);
    assert.match(text, /✅ Stopped following 01234567: Disk full/);
    assert.match(text, /ℹ️ 09999999 was not followed here/);
    assert.match(text, /❓ x1 is not a case number/);
    const state = h.store.read();
    assert.deepEqual(Object.keys(state.chats[String(USER)]?.subscriptions ?? {}), ['07654321']);
    assert.deepEqual(
      state.outbox.map((e) => e.case?.number),
      ['07654321'],
    );
    assertClean(h);
  });

  it('without a number offers one button per followed case', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: CASE });
    await h.say(USER, `/add ${CASE}`);
    await h.say(USER, '/remove');
    const message = h.sent(USER).at(-1);
    const [button] = buttonsOf(message);
    assert.equal(button?.data, `remove:${CASE}`);
    await h.press(USER, message?.messageId ?? 0, `remove:${CASE}`);
    assert.match(h.lastText(USER), /Stopped following 01234567/);
    assert.deepEqual(h.store.read().chats[String(USER)]?.subscriptions, {});
    assertClean(h);
  });

  it('says there is nothing to remove when the chat follows nothing', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/remove');
    assert.match(h.lastText(USER), /follows no case/);
  });
});

describe('/list', () => {
  it('shows each case with summary, status and severity, and buttons within 64 bytes', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seedCase(h);
    h.portal.addCase({
      number: '07654321',
      summary: 'Slow NFS',
      status: 'Waiting on Customer',
      severity: '4 (Low)',
    });
    await h.say(USER, `/add ${CASE} 07654321`);
    await h.say(USER, '/list');
    const message = h.sent(USER).at(-1);
    const text = message?.text ?? '';
    assert.match(text, /2 cases followed/);
    assert.match(
      text,
      /01234567 · 2 \(High\) · Waiting on Red Hat\nKernel panic <on> boot & "more"/,
    );
    assert.match(text, /07654321 · 4 \(Low\) · Waiting on Customer\nSlow NFS/);
    const data = buttonsOf(message).map((b) => b.data ?? '');
    assert.deepEqual(data, [
      `latest:${CASE}`,
      `remove:${CASE}`,
      'latest:07654321',
      'remove:07654321',
    ]);
    for (const d of data) assert.ok(Buffer.byteLength(d) <= 64);
    assertClean(h);
  });

  it('splits a long list into pages', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    const now = new Date(h.clock.now()).toISOString();
    await h.store.update((d) => {
      const chat = d.chats[String(USER)];
      for (let i = 0; i < LIST_PAGE_SIZE + 5; i++) {
        const n = String(20_000_000 + i);
        if (chat) {
          chat.subscriptions[n] = {
            caseNumber: n,
            addedAt: now,
            seen: [],
            summary: 'x'.repeat(500),
            status: 's'.repeat(200),
            severity: '3 (Normal)',
            product: '',
            closed: false,
          };
        }
      }
    });
    const mark = h.sent(USER).length;
    await h.say(USER, '/list');
    const pages = h.since(USER, mark);
    assert.equal(pages.length, 2);
    assert.equal(buttonsOf(pages[0]).length, LIST_PAGE_SIZE * 2);
    assert.equal(buttonsOf(pages[1]).length, 5 * 2);
    assertClean(h);
  });

  it('points to /add (and /setup) when nothing is followed', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, '/list');
    assert.match(h.lastText(USER), /follows no case yet/);
    assert.match(h.lastText(USER), /\/setup/);
  });
});

describe('/latest and the "Latest comment" button', () => {
  it("shows the newest comment for the chat's audience", async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seedCase(h);
    await h.say(USER, `/latest ${CASE}`);
    assert.match(h.lastText(USER), /Please collect an sosreport/);
    await h.say(USER, '/notify customer');
    await h.say(USER, `/latest ${CASE}`);
    assert.match(h.lastText(USER), /Customer says hi/);
    assertClean(h);
  });

  it('answers the button and sends the comment', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    seedCase(h);
    await h.say(USER, `/add ${CASE}`);
    await h.say(USER, '/list');
    const list = h.sent(USER).at(-1);
    const { callbackQueryId } = await h.press(USER, list?.messageId ?? 0, `latest:${CASE}`);
    assert.ok(h.fake.callbackAnswers.some((a) => a.id === callbackQueryId));
    assert.match(h.lastText(USER), /Please collect an sosreport/);
    assertClean(h);
  });

  it('explains a case the account cannot see, and a portal outage', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.say(USER, '/latest 09999999');
    assert.match(h.lastText(USER), /09999999: not visible to your account/);
    h.portal.addCase({ number: CASE });
    h.portal.fail('getCase', 'rate-limited');
    await h.say(USER, `/latest ${CASE}`);
    assert.match(h.lastText(USER), /slow down/);
    assertClean(h);
  });

  it('handles a missing or malformed number', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    await h.say(USER, '/latest abc');
    assert.match(h.lastText(USER), /abc is not a case number/);
    await h.say(USER, '/latest');
    assert.match(h.lastText(USER), /Which case\?/);
    // With exactly one followed case, /latest means that one.
    seedCase(h);
    await h.say(USER, `/add ${CASE}`);
    await h.say(USER, '/latest');
    assert.match(h.lastText(USER), /Please collect an sosreport/);
    assertClean(h);
  });

  it('says when there is no comment for the audience yet', async (t) => {
    const h = await startHarness(t);
    await connect(h, USER);
    h.portal.addCase({ number: CASE });
    h.portal.addComment(CASE, { authorType: 'customer', body: 'only the customer spoke' });
    await h.say(USER, `/latest ${CASE}`);
    assert.match(h.lastText(USER), /01234567 has no comment from Red Hat staff yet/);
  });

  it('asks for /setup first', async (t) => {
    const h = await startHarness(t);
    await h.say(USER, `/latest ${CASE}`);
    assert.match(h.lastText(USER), /send \/setup/);
  });
});
