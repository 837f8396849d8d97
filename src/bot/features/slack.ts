// /slack: mirror this chat's notifications to a Slack channel through an incoming webhook.
//   /slack            the state: off, on (since when), or paused by Slack (and why); never the URL
//   /slack <url>      set it: the message is deleted at once (the URL is a secret), the URL is
//                     validated, a test message is posted, and only if Slack took it is the URL
//                     stored (sealed with the SecretBox)
//   /slack off        remove it (and the Slack messages still queued)
// In a group, setting and removing are for admins, like following cases; anyone may see the state.
// A webhook URL pasted without the command is deleted too, with a pointer to /slack.
import { Composer, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import { isGroup } from '../../lib/chat-kind.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import { removeSlackWebhook, setSlackWebhook } from '../../notify/slack/state.js';
import {
  describeSlackProblem,
  sendTestMessage,
  validateWebhookUrl,
  webhookKey,
  webhookSecrets,
} from '../../notify/slack/webhook.js';
import { formatUtc } from '../../text.js';
import type { BotServices, SlackFeatureDeps } from '../context.js';
import { ensureChat, readChat } from '../support/chat-state.js';
import { errorForLog } from '../support/errors.js';
import { requireAdmin, targetOf } from '../support/group-admin.js';
import { replyHtml } from '../support/reply.js';

const WEBHOOK_HELP_URL = 'https://api.slack.com/messaging/webhooks';
const OFF_WORDS = new Set(['off', 'remove', 'stop', 'delete', 'disable']);
// "/slack on" without an address: show the state and how to set one up.
const STATE_WORDS = new Set(['status', 'state', 'show', 'on']);
// A Slack webhook anywhere in a message: /services/<team>/<bot>/<secret> after a host.
const WEBHOOK_IN_TEXT =
  /https?:\/\/[^\s/]+\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]{8,}/i;

function howToText(chatType: string): string {
  const who = isGroup(chatType) ? 'An admin sends' : 'Send';
  return [
    'To get this chat’s notifications in a Slack channel too:',
    `1. In Slack, create an <a href="${WEBHOOK_HELP_URL}">incoming webhook</a> for the channel`,
    `2. ${who} <code>/slack https://hooks.slack.com/services/…</code> here`,
    '',
    'I delete that message at once: the webhook address is a secret.',
  ].join('\n');
}

function stateText(s: BotServices, chatId: number, chatType: string): string {
  const state = s.store.read();
  const chat = readChat(state, chatId);
  const slack = chat?.slack;
  if (!slack) return `💬 Slack: <b>off</b>.\n\n${howToText(chatType)}`;
  if (slack.disabledAt !== undefined) {
    const why = describeSlackProblem(slack.disabledReason ?? 'Slack stopped taking messages');
    return [
      `⚠️ Slack: <b>paused</b> since ${formatUtc(slack.disabledAt, 'an unknown date')}: ${escapeHtml(why)}.`,
      '',
      'Notifications keep coming here. Send <code>/slack &lt;new webhook URL&gt;</code> to set a new webhook, or /slack off.',
    ].join('\n');
  }
  const waiting = state.outbox.filter(
    (e) => e.chatId === chatId && e.destination === 'slack',
  ).length;
  return [
    `✅ Slack: <b>on</b> since ${formatUtc(slack.addedAt, 'an unknown date')}. New notifications of this chat also go to the Slack channel of its webhook.`,
    ...(waiting > 0
      ? [`${waiting} message${waiting === 1 ? '' : 's'} waiting to go to Slack.`]
      : []),
    '',
    '/slack off stops it.',
  ].join('\n');
}

async function deleteMessage(ctx: Context, s: BotServices): Promise<boolean> {
  try {
    await ctx.deleteMessage();
    return true;
  } catch (err) {
    s.log.warn(
      { chatId: ctx.chat?.id, err: errorForLog(err) },
      'could not delete a message holding a Slack webhook',
    );
    return false;
  }
}

function deletedLine(deleted: boolean, chatType: string): string {
  if (!deleted) {
    return isGroup(chatType)
      ? '⚠️ I could not delete your message (I need the admin right “Delete messages”): please delete it now. Anyone who saw it can post to your Slack channel.'
      : '⚠️ I could not delete your message: please delete it yourself, the webhook address is a secret.';
  }
  return isGroup(chatType)
    ? '🧹 I deleted your message: the webhook address is a secret. (Group members may have seen it for a moment; if that worries you, create a new webhook in Slack.)'
    : '🧹 I deleted your message: the webhook address is a secret.';
}

export function slackFeature(s: BotServices, deps: SlackFeatureDeps): Composer<Context> {
  const bot = new Composer<Context>();
  const remember = (text: string) => {
    deps.scrubber.add(text);
    for (const secret of webhookSecrets(text)) deps.scrubber.add(secret);
  };

  bot.command('slack', async (ctx) => {
    const arg = ctx.payload.trim();
    const word = arg.toLowerCase();
    if (arg === '' || STATE_WORDS.has(word)) {
      await replyHtml(ctx, stateText(s, ctx.chat.id, ctx.chat.type));
      return;
    }

    if (OFF_WORDS.has(word)) {
      if (!(await requireAdmin(ctx, s))) return;
      const chatId = ctx.chat.id;
      const keepClosed = s.config.poll.keepClosedCases;
      const result = await s.store.update((d) => removeSlackWebhook(d, chatId, keepClosed));
      if (result.removed) s.log.info({ chatId, dropped: result.dropped }, 'Slack webhook removed');
      await replyHtml(
        ctx,
        result.removed
          ? '👍 Slack is off for this chat. Notifications keep coming here.'
          : 'Slack was not set up for this chat.',
      );
      return;
    }

    // Anything else is taken for a webhook address: a secret, so it leaves the chat first.
    remember(arg);
    const deleted = await deleteMessage(ctx, s);
    const lead = deletedLine(deleted, ctx.chat.type);
    if (!(await requireAdmin(ctx, s))) return;

    const valid = validateWebhookUrl(arg, s.config.slack.allowedWebhookHosts);
    if (!valid.ok) {
      await replyHtml(
        ctx,
        `${lead}\n\n❌ ${escapeHtml(valid.reason)}\n\n${howToText(ctx.chat.type)}`,
      );
      return;
    }
    remember(valid.url);
    await replyHtml(ctx, `${lead}\n\n⏳ Sending a test message to Slack…`);

    const result = await sendTestMessage(valid.url, deps.webhook ?? {});
    if (!result.ok) {
      s.log.info(
        { chatId: ctx.chat.id, webhookId: webhookKey(valid.url), problem: result.problem },
        'Slack webhook test failed',
      );
      const next =
        result.problem === 'unreachable' || result.problem === 'rate-limited'
          ? 'Nothing was saved. Try again in a few minutes.'
          : 'Nothing was saved. Check the webhook in Slack (or create a new one) and send /slack with it again.';
      await replyHtml(ctx, `❌ ${escapeHtml(result.detail)}\n\n${next}`);
      return;
    }

    const target = targetOf(ctx);
    if (!target) return;
    const sealed = deps.secretBox.encrypt(valid.url);
    const nowIso = s.nowIso();
    await s.store.update((d) => setSlackWebhook(ensureChat(d, target, nowIso), sealed, nowIso));
    s.log.info({ chatId: target.id, webhookId: webhookKey(valid.url) }, 'Slack webhook stored');
    await replyHtml(
      ctx,
      '✅ Slack is connected: the test message is in your channel. From now on, new notifications of this chat go there too.\n\n/slack shows the state, /slack off stops it.',
    );
  });

  // A webhook pasted without /slack: delete it and say how to use it.
  bot.on(message('text'), async (ctx, next) => {
    const text = ctx.message.text;
    if (text.startsWith('/') || !WEBHOOK_IN_TEXT.test(text)) return next();
    const match = WEBHOOK_IN_TEXT.exec(text);
    if (match) remember(match[0]);
    const deleted = await deleteMessage(ctx, s);
    await replyHtml(
      ctx,
      `${deletedLine(deleted, ctx.chat.type)}\n\nTo connect Slack, send it with the command: <code>/slack &lt;webhook URL&gt;</code>.`,
    );
  });

  return bot;
}
