// The bot under test, wired like main.ts does it but with fakes at the edges: the loopback fake
// Telegram Bot API server (every call the bot makes is recorded and validated: HTML, lengths,
// callback data), the in-memory portal, the memory store, a manual clock and a log collector.
// Updates are created by the fake (as a user would) and handed to bot.handleUpdate().
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Telegraf } from 'telegraf';
import type { Update } from 'telegraf/types';
import { parseConfig, type Config } from '../../src/config.js';
import { createCredentialVault, type CredentialVault } from '../../src/credentials.js';
import { createLinks, type Links } from '../../src/links.js';
import { createSecretBox, createSecretScrubber } from '../../src/secrets.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { StateStore } from '../../src/store/store.js';
import { createBot } from '../../src/bot/create-bot.js';
import { manualClock, type ManualClock } from '../_helpers/clock.js';
import {
  startFakeTelegram,
  type FakeTelegram,
  type SentMessage,
} from '../_helpers/fake-telegram.js';
import { collectLogs } from '../_helpers/logs.js';
import { MemoryPortal } from '../_helpers/memory-portal.js';

export const TOKEN = '7654321:AAH-bot-token-secret_value-for-tests';
export const BOT_USERNAME = 'cases_test_bot';
export const USER = 5_550_001;
export const OTHER_USER = 5_550_002;
export const GROUP = -1_001_234_567_890;
export const ADMIN = 5_550_010;
export const MEMBER = 5_550_011;
export const T0 = Date.parse('2024-05-01T10:00:00.000Z');
/** A realistic offline token shape: a JWT (long, three base64url parts). */
export const OFFLINE_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0LXVzZXItMDEiLCJ0eXAiOiJPZmZsaW5lIn0.c2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5LTEyMzQ1Njc4OTA';
export const PASSWORD = 'S3cret-Pa55word!';

export { manualClock, type ManualClock } from '../_helpers/clock.js';

export interface HarnessOptions {
  allowedChatIds?: number[];
  maxCommentChars?: number;
  /** config.rules (follow rules' limits). */
  rules?: { maxPerChat?: number; maxCasesPerRule?: number };
  /** Wrap the store, e.g. to make it fail. */
  wrapStore?: (store: StateStore) => StateStore;
}

export interface Harness {
  fake: FakeTelegram;
  bot: Telegraf;
  store: StateStore;
  portal: MemoryPortal;
  links: Links;
  vault: CredentialVault;
  clock: ManualClock;
  config: Config;
  logLines: string[];
  reactivations: { count: number };
  /** A user sends a text message; the bot handles it before this resolves. */
  say(
    chatId: number,
    text: string,
    opts?: { fromId?: number; chatTitle?: string; firstName?: string },
  ): Promise<{ messageId: number }>;
  /** A user presses an inline button; the bot handles it before this resolves. */
  press(
    chatId: number,
    messageId: number,
    data: string,
    fromId?: number,
  ): Promise<{ callbackQueryId: string }>;
  /** Hands a queued update (by id) to the bot. */
  deliver(updateId: number): Promise<void>;
  /** Bot messages in a chat, oldest first. */
  sent(chatId: number): SentMessage[];
  /** The plain text of the bot's last message in a chat. */
  lastText(chatId: number): string;
  /** Bot messages in a chat after `mark` messages (use sent(chat).length as a mark). */
  since(chatId: number, mark: number): SentMessage[];
  /** Everything the process would have persisted or logged, for secret scans. */
  everything(): string;
}

function asUpdate(raw: Record<string, unknown>): Update {
  // The fake builds updates in the Bot API's wire format; telegraf takes them as they come.
  return raw as unknown as Update;
}

export async function startHarness(t: TestContext, options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeTelegram({ token: TOKEN, botUsername: BOT_USERNAME });
  const config = parseConfig(
    {
      telegram: { apiRoot: fake.apiRoot, allowedChatIds: options.allowedChatIds ?? [] },
      notify: { maxCommentChars: options.maxCommentChars ?? 1000 },
      ...(options.rules ? { rules: options.rules } : {}),
    },
    { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_SECRET_KEY: 'harness-secret-key-0123456789' },
    () => {
      throw new Error('no files in this test');
    },
  );
  const clock = manualClock(T0);
  const scrubber = createSecretScrubber([TOKEN]);
  const { logger, lines: logLines } = collectLogs({ level: 'debug', scrubber });
  const memory = createMemoryStore();
  const store = options.wrapStore ? options.wrapStore(memory) : memory;
  const portal = new MemoryPortal();
  const vault = createCredentialVault({
    store,
    secretBox: createSecretBox(config.secretKey ?? 'unused-key-material'),
    portal,
    scrubber,
    clock,
  });
  const links = createLinks(config.portal);
  const reactivations = { count: 0 };
  const bot = createBot({
    config,
    store,
    vault,
    links,
    logger,
    clock,
    onChatReactivated: () => {
      reactivations.count++;
    },
  });
  bot.botInfo = {
    id: fake.botId,
    is_bot: true,
    first_name: 'Cases Test',
    username: BOT_USERNAME,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };
  t.after(() => fake.close());

  const deliver = async (updateId: number) => {
    const raw = fake.pendingUpdates().find((u) => u.update_id === updateId);
    assert.ok(raw, `update ${updateId} is queued`);
    await bot.handleUpdate(asUpdate(raw));
  };
  const sent = (chatId: number) => fake.messages(chatId);
  return {
    fake,
    bot,
    store,
    portal,
    links,
    vault,
    clock,
    config,
    logLines,
    reactivations,
    async say(chatId, text, opts = {}) {
      const { updateId, messageId } = fake.sendUserMessage({
        chatId,
        text,
        ...(opts.fromId !== undefined ? { fromId: opts.fromId } : {}),
        ...(opts.chatTitle !== undefined ? { chatTitle: opts.chatTitle } : {}),
        ...(opts.firstName !== undefined ? { firstName: opts.firstName } : {}),
      });
      await deliver(updateId);
      return { messageId };
    },
    async press(chatId, messageId, data, fromId) {
      const { updateId, callbackQueryId } = fake.pressButton({
        chatId,
        messageId,
        data,
        ...(fromId !== undefined ? { fromId } : {}),
      });
      await deliver(updateId);
      return { callbackQueryId };
    },
    deliver,
    sent,
    lastText(chatId) {
      const all = sent(chatId);
      const last = all[all.length - 1];
      assert.ok(last, `the bot sent something to chat ${chatId}`);
      return last.text;
    },
    since(chatId, mark) {
      return sent(chatId).slice(mark);
    },
    everything() {
      return [JSON.stringify(store.read()), ...logLines].join('\n');
    },
  };
}

/** Connects a private chat (or a group, through the deep link) with a valid credential. */
export async function connect(
  h: Harness,
  chatId: number,
  credential = OFFLINE_TOKEN,
): Promise<void> {
  h.portal.validCredentials.add(
    credential.includes(' ') ? credential.replace(' ', ':') : credential,
  );
  await h.say(chatId, '/setup');
  await h.say(chatId, credential);
  assert.match(h.lastText(chatId), /Connected to Red Hat/);
}

/** Connects GROUP through an admin's private chat. The admin and the bot are group admins. */
export async function connectGroup(h: Harness, credential = OFFLINE_TOKEN): Promise<void> {
  h.fake.setChatAdmins(GROUP, [ADMIN, h.fake.botId]);
  h.portal.validCredentials.add(credential);
  await h.say(ADMIN, `/start setup-n${Math.abs(GROUP)}`);
  await h.say(ADMIN, credential);
  assert.match(h.lastText(ADMIN), /is connected to Red Hat/);
}

/** No API call failed and no handler error was logged: the bot's own messages were all valid. */
export function assertClean(h: Harness, allowed: { method: string; status: number }[] = []): void {
  const failures = h.fake.calls.filter(
    (c) => c.status >= 400 && !allowed.some((a) => a.method === c.method && a.status === c.status),
  );
  assert.deepEqual(
    failures.map((c) => `${c.method} → ${c.status}`),
    [],
    'every Bot API call succeeded',
  );
  assert.deepEqual(h.fake.unansweredCallbacks(), [], 'every callback query was answered');
  assert.equal(
    h.logLines.filter((l) => l.includes('update handler failed')).length,
    0,
    'no handler failed',
  );
}

export function buttonsOf(
  message: SentMessage | undefined,
): { text: string; data?: string; url?: string }[] {
  return (message?.replyMarkup?.inline_keyboard ?? []).flat().map((b) => ({
    text: b.text,
    ...(b.callback_data !== undefined ? { data: b.callback_data } : {}),
    ...(b.url !== undefined ? { url: b.url } : {}),
  }));
}
