import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createLinks } from '../../src/links.js';
import { createPacer } from '../../src/notify/telegram/pacing.js';
import { createTelegramNotifier } from '../../src/notify/telegram/notifier.js';
import type { ChatState, OutboxEntry } from '../../src/store/schema.js';
import { startFakeTelegram } from '../_helpers/fake-telegram.js';
import { BOT_TOKEN, collectLogs, testConfig } from '../poller/_support.js';

// Timers may fire a little early relative to Date.now(); allow this much.
const SLACK_MS = 15;

/** Runs the jobs at once; returns when each ran, in ms after they were scheduled. */
async function run(
  pacer: ReturnType<typeof createPacer>,
  jobs: { id: number; type: ChatState['type'] }[],
): Promise<{ id: number; at: number }[]> {
  const out: { id: number; at: number }[] = [];
  const scheduledAt = Date.now();
  await Promise.all(
    jobs.map((chat) =>
      pacer.schedule(chat, async () => {
        out.push({ id: chat.id, at: Date.now() - scheduledAt });
      }),
    ),
  );
  return out;
}

/**
 * The pace is checked on the last start, not on each gap: a busy event loop can run one job
 * late and the next on time, which shortens a measured gap without the pacer being wrong. The
 * last of n jobs can never start before (n - 1) intervals.
 */
function lastStart(done: { id: number; at: number }[], id?: number): number {
  return Math.max(...done.filter((d) => id === undefined || d.id === id).map((d) => d.at));
}

describe('telegram pacing', () => {
  it('spaces messages to one private chat, and more widely to a group', async () => {
    const pacer = createPacer({
      privateChatMinIntervalMs: 60,
      groupChatMinIntervalMs: 120,
      globalMinIntervalMs: 0,
    });
    after(() => pacer.stop());
    const done = await run(pacer, [
      { id: 1, type: 'private' },
      { id: 1, type: 'private' },
      { id: 1, type: 'private' },
      { id: -2, type: 'group' },
      { id: -2, type: 'group' },
    ]);
    assert.ok(lastStart(done, 1) >= 2 * 60 - SLACK_MS, `private: ${lastStart(done, 1)} ms`);
    assert.ok(lastStart(done, -2) >= 120 - SLACK_MS, `group: ${lastStart(done, -2)} ms`);
    assert.deepEqual(done.filter((d) => d.id === 1).length, 3);
  });

  it('spaces one chat by the time its sends start, also when the bot-wide queue is long', async () => {
    const pacer = createPacer({
      privateChatMinIntervalMs: 100,
      groupChatMinIntervalMs: 300,
      globalMinIntervalMs: 40,
    });
    after(() => pacer.stop());
    // Eight other chats fill the bot-wide queue first; chat 1's three sends queue behind them.
    const others = Array.from({ length: 8 }, (_, i) => ({ id: 100 + i, type: 'private' as const }));
    const mine = Array.from({ length: 3 }, () => ({ id: 1, type: 'private' as const }));
    const done = await run(pacer, [...others, ...mine]);
    const starts = done.filter((d) => d.id === 1).map((d) => d.at);
    for (let i = 1; i < starts.length; i++) {
      const gap = starts[i]! - starts[i - 1]!;
      assert.ok(
        gap >= 100 - SLACK_MS,
        `two sends to one chat ${gap} ms apart: ${starts.join(', ')}`,
      );
    }
  });

  it('does not make one chat wait for another', async () => {
    const pacer = createPacer({
      privateChatMinIntervalMs: 500,
      groupChatMinIntervalMs: 500,
      globalMinIntervalMs: 0,
    });
    after(() => pacer.stop());
    const started = Date.now();
    const done = await run(
      pacer,
      [1, 2, 3, 4].map((id) => ({ id, type: 'private' as const })),
    );
    assert.equal(done.length, 4);
    assert.ok(Date.now() - started < 250, 'four chats, one message each: no per-chat wait');
  });

  it('keeps the bot-wide rate across chats', async () => {
    const pacer = createPacer({
      privateChatMinIntervalMs: 0,
      groupChatMinIntervalMs: 0,
      globalMinIntervalMs: 40,
    });
    after(() => pacer.stop());
    const done = await run(
      pacer,
      [1, 2, 3, 4].map((id) => ({ id, type: 'private' as const })),
    );
    assert.ok(lastStart(done) >= 3 * 40 - SLACK_MS, `global: ${lastStart(done)} ms`);
  });

  it('refuses new work and drops waiting work once stopped', async () => {
    const pacer = createPacer({
      privateChatMinIntervalMs: 10_000,
      groupChatMinIntervalMs: 0,
      globalMinIntervalMs: 0,
    });
    const first = pacer.schedule({ id: 1, type: 'private' }, async () => 'ran');
    const waiting = pacer.schedule({ id: 1, type: 'private' }, async () => 'ran too');
    assert.equal(await first, 'ran');
    await pacer.stop();
    await assert.rejects(waiting);
    await assert.rejects(
      pacer.schedule({ id: 3, type: 'private' }, async () => 'no'),
      /shutting down/,
    );
  });

  it('lets a send that already started finish when stopped, and drops the ones waiting for the bot-wide rate', async () => {
    const pacer = createPacer({
      privateChatMinIntervalMs: 0,
      groupChatMinIntervalMs: 0,
      globalMinIntervalMs: 10_000,
    });
    let release: (value: string) => void = () => undefined;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const inFlight = pacer.schedule({ id: 1, type: 'private' }, () => {
      started();
      return new Promise<string>((resolve) => (release = resolve));
    });
    // Another chat: not held by chat 1, but by the bot-wide rate (10 s).
    let ranLate = false;
    const behindGlobal = pacer.schedule({ id: 2, type: 'private' }, async () => {
      ranLate = true;
    });
    await running;
    await pacer.stop();
    await assert.rejects(behindGlobal, { name: 'PacingStoppedError' });
    release('sent');
    assert.equal(await inFlight, 'sent', 'a send already under way is not turned into a failure');
    assert.equal(ranLate, false);
  });

  it('delivers a burst to one chat without tripping a per-chat rate limit', async () => {
    const fake = await startFakeTelegram({ token: BOT_TOKEN });
    after(() => fake.close());
    // The fake answers 429 past 1 message per 50 ms to chat 7; we pace at 200 ms, leaving room
    // for network jitter on a busy machine.
    fake.rateLimit({ chatId: 7, max: 1, windowMs: 50 });
    const notifier = createTelegramNotifier({
      config: testConfig({ apiRoot: fake.apiRoot }),
      links: createLinks(testConfig().portal),
      logger: collectLogs('warn').logger,
      pacing: {
        privateChatMinIntervalMs: 200,
        groupChatMinIntervalMs: 100,
        globalMinIntervalMs: 0,
      },
    });
    after(() => notifier.close());
    const chat: ChatState = {
      id: 7,
      type: 'private',
      active: true,
      audience: 'associate',
      subscriptions: {},
      createdAt: '2026-03-01T12:00:00Z',
    };
    const entries: OutboxEntry[] = [1, 2, 3, 4].map((i) => ({
      id: `telegram:7:-:notice:${i}`,
      chatId: 7,
      destination: 'telegram',
      kind: 'notice',
      text: `message ${i}`,
      createdAt: '2026-03-01T12:00:00Z',
      attempts: 0,
    }));
    const outcomes = await Promise.all(entries.map((e) => notifier.send(e, chat)));
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['ok', 'ok', 'ok', 'ok'],
    );
    assert.equal(fake.callsTo('sendMessage').filter((c) => c.status === 429).length, 0);
    assert.deepEqual(
      fake.messages(7).map((m) => m.text),
      ['message 1', 'message 2', 'message 3', 'message 4'],
    );
  });
});
