// /setup: connect a chat to the Red Hat portal.
//
// Private chat: the wizard explains the two ways (offline token, or "username password"),
// takes the chat's NEXT message as the credential, deletes it at once, checks it against the
// portal and stores it (sealed) only if the check passed.
//
// Group: secrets are never typed in a group. /setup there answers with a button that opens a
// private chat through a deep link (/start setup-<group id>); the wizard runs privately, checks
// the person is an admin of the group, and stores the credential FOR THE GROUP. For 10 minutes
// after /setup in a group, group messages that look like secrets are deleted with a warning.
import { Composer, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import { isGroup } from '../../lib/chat-kind.js';
import { escapeHtml } from '../../notify/telegram/format.js';
import type { PortalCredential } from '../../portal/types.js';
import type { BotServices } from '../context.js';
import { isAllowedChat } from '../support/access.js';
import { linkCredential } from '../support/chat-state.js';
import { commandOf, isKnownCommand } from '../support/commands.js';
import { decodeSetupPayload, setupDeepLink } from '../support/deep-link.js';
import { errorForLog, isTelegramError } from '../support/errors.js';
import { isChatAdmin, requireAdmin, targetOf } from '../support/group-admin.js';
import { inputKey, INPUT_TTL_MS, type ChatTarget } from '../support/pending.js';
import { credentialCheckProblem, tryPortal } from '../support/portal-replies.js';
import { replyHtml, sendHtml } from '../support/reply.js';
import { looksLikeCredentialPair, looksLikeToken } from '../support/secret-shapes.js';

/** Shorter than this, one word is not an offline token (they are JWTs, hundreds of chars). */
export const MIN_OFFLINE_TOKEN_CHARS = 20;
const TTL_MINUTES = Math.round(INPUT_TTL_MS / 60_000);
const TOKEN_PAGE = 'https://access.redhat.com/management/api';

export type ParsedCredential =
  { ok: true; credential: PortalCredential } | { ok: false; reason: 'empty' | 'too-short' };

/** One word = an offline token; two or more = "username password" (the password may hold spaces). */
export function parseCredential(text: string): ParsedCredential {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  const [first = ''] = trimmed.split(/\s+/, 1);
  const password = trimmed.slice(first.length).trim();
  if (password === '') {
    return first.length >= MIN_OFFLINE_TOKEN_CHARS
      ? { ok: true, credential: { kind: 'offline-token', offlineToken: first } }
      : { ok: false, reason: 'too-short' };
  }
  return { ok: true, credential: { kind: 'basic', username: first, password } };
}

function wizardIntro(target: ChatTarget, privateChatId: number): string {
  const head =
    target.id === privateChatId
      ? '🔐 <b>Connect your Red Hat account</b>'
      : `🔐 <b>Connect the group “${escapeHtml(target.title ?? String(target.id))}” to Red Hat</b>`;
  return [
    head,
    '',
    'Send me ONE message with either:',
    `• an <b>offline token</b> (one long word) from ${TOKEN_PAGE}`,
    '• or <code>username password</code> (two words)',
    '',
    '💡 Best: a read-only service user limited to the Case Groups you need.',
    '',
    `I delete your message at once and keep the secret encrypted. /cancel stops; this expires in ${TTL_MINUTES} minutes.`,
  ].join('\n');
}

async function deleteQuietly(
  ctx: Context,
  chatId: number,
  messageId: number,
  s: BotServices,
): Promise<boolean> {
  try {
    await ctx.telegram.deleteMessage(chatId, messageId);
    return true;
  } catch (err) {
    s.log.warn({ chatId, err: errorForLog(err) }, 'could not delete a message holding a secret');
    return false;
  }
}

function startWizard(
  s: BotServices,
  privateChatId: number,
  userId: number,
  target: ChatTarget,
): void {
  s.pending.set(inputKey(privateChatId, userId), { kind: 'credential', target });
}

/**
 * Checks a credential with the portal and, only if it passes, stores it for `target`.
 * The message that carried it is already deleted.
 */
async function checkAndStore(
  ctx: Context,
  s: BotServices,
  target: ChatTarget,
  credential: PortalCredential,
  deleted: boolean,
): Promise<void> {
  const chatId = ctx.chat?.id;
  const from = ctx.from;
  if (chatId === undefined || !from) return;
  const lead = deleted
    ? '🧹 I deleted your message. Checking it with the Red Hat portal…'
    : '⚠️ I could not delete your message: please delete it yourself. Checking it with the Red Hat portal…';
  await replyHtml(ctx, lead);

  const client = s.vault.clientForUnsaved(credential);
  const checked = await tryPortal(s.log, 'verify', () => client.verify());
  if (!checked.ok) {
    await replyHtml(ctx, credentialCheckProblem(checked.error, credential));
    return;
  }

  const forGroup = target.id !== chatId;
  if (forGroup) {
    let admin = false;
    try {
      admin = await isChatAdmin(ctx.telegram, target.id, from.id);
    } catch (err) {
      s.log.warn({ chatId: target.id, err: errorForLog(err) }, 'cannot check group admin rights');
    }
    if (!admin) {
      s.pending.delete(inputKey(chatId, from.id));
      await replyHtml(ctx, '🔒 Only admins of that group can connect it. Nothing was saved.');
      return;
    }
  }

  const account = checked.value.account;
  const sealed = s.vault.seal(credential, account);
  const nowIso = s.nowIso();
  await s.store.update((draft) => linkCredential(draft, target, sealed, nowIso));
  s.pending.delete(inputKey(chatId, from.id));
  s.log.info({ chatId: target.id, credentialId: sealed.id }, 'credential stored for a chat');

  const as = account !== undefined && account !== '' ? ` as <b>${escapeHtml(account)}</b>` : '';
  if (!forGroup) {
    await replyHtml(
      ctx,
      `✅ Connected to Red Hat${as}.\n\nNow follow a case: send <code>/add 01234567</code> with your case number.`,
    );
    return;
  }
  const title = escapeHtml(target.title ?? 'the group');
  await replyHtml(
    ctx,
    `✅ “${title}” is connected to Red Hat${as}.\n\nGo back to the group and send <code>/add 01234567</code> there.`,
  );
  try {
    await sendHtml(
      ctx.telegram,
      target.id,
      `✅ ${escapeHtml(from.first_name)} connected this group to Red Hat. Admins can now follow a case: <code>/add 01234567</code>`,
    );
  } catch (err) {
    s.log.warn(
      { chatId: target.id, err: errorForLog(err) },
      'could not tell the group it is connected',
    );
  }
}

export function setupFeature(s: BotServices): Composer<Context> {
  const bot = new Composer<Context>();

  // Deep link from a group's /setup button: /start setup-<group id>, in the private chat.
  bot.start(async (ctx, next) => {
    const groupId = decodeSetupPayload(ctx.payload);
    if (groupId === undefined || ctx.chat.type !== 'private') return next();
    if (!isAllowedChat(s, groupId)) {
      await replyHtml(ctx, '🔒 That group may not use this bot. Ask its operator.');
      return;
    }
    let target: ChatTarget;
    try {
      const group = await ctx.telegram.getChat(groupId);
      if (!isGroup(group.type) || !('title' in group)) {
        await replyHtml(ctx, 'That link is not for a group. Send /setup in the group itself.');
        return;
      }
      target = {
        id: group.id,
        type: group.type,
        title: group.title,
        ...(group.type === 'supergroup'
          ? { forum: 'is_forum' in group && group.is_forum === true }
          : {}),
      };
      if (!(await isChatAdmin(ctx.telegram, groupId, ctx.from.id))) {
        await replyHtml(
          ctx,
          `🔒 Only admins of “${escapeHtml(group.title)}” can connect it to Red Hat.`,
        );
        return;
      }
    } catch (err) {
      if (!isTelegramError(err)) throw err;
      s.log.info(
        { chatId: groupId, err: errorForLog(err) },
        'group setup link for a group I cannot see',
      );
      await replyHtml(
        ctx,
        '⚠️ I cannot see that group. Add me to the group first, then send /setup there.',
      );
      return;
    }
    startWizard(s, ctx.chat.id, ctx.from.id, target);
    await replyHtml(ctx, wizardIntro(target, ctx.chat.id));
  });

  bot.command('setup', async (ctx) => {
    const target = targetOf(ctx);
    if (!target) return;
    if (isGroup(ctx.chat.type)) {
      s.groupWatch.set(ctx.chat.id, { setupUserId: ctx.from.id, firstMessagePending: true });
      if (ctx.payload.trim() !== '') {
        // "/setup user password" typed in the group itself.
        const deleted = await deleteQuietly(ctx, ctx.chat.id, ctx.message.message_id, s);
        await replyHtml(ctx, groupSecretWarning(deleted));
      }
      if (!(await requireAdmin(ctx, s))) return;
      await replyHtml(
        ctx,
        '🔐 Passwords never go in a group. Tap the button: we set up this group in a private chat.',
        { buttons: [[{ text: '🔐 Set up privately', url: setupDeepLink(ctx.me, ctx.chat.id) }]] },
      );
      return;
    }
    if (ctx.chat.type !== 'private') return;
    startWizard(s, ctx.chat.id, ctx.from.id, target);
    if (ctx.payload.trim() !== '') {
      // "/setup <token>": the credential came with the command. Same rules: delete, check.
      const deleted = await deleteQuietly(ctx, ctx.chat.id, ctx.message.message_id, s);
      const parsed = parseCredential(ctx.payload);
      if (parsed.ok) {
        await checkAndStore(ctx, s, target, parsed.credential, deleted);
        return;
      }
    }
    await replyHtml(ctx, wizardIntro(target, ctx.chat.id));
  });

  bot.command('cancel', async (ctx) => {
    const key = inputKey(ctx.chat.id, ctx.from.id);
    const pending = s.pending.peek(key);
    s.pending.delete(key);
    const text =
      pending && !pending.expired
        ? pending.value.kind === 'credential'
          ? '👍 Cancelled. Nothing was saved.'
          : '👍 Cancelled.'
        : 'Nothing to cancel. /help lists what I can do.';
    await replyHtml(ctx, text);
  });

  // The wizard's answer: the next text message of the person who ran /setup in this chat.
  bot.on(message('text'), async (ctx, next) => {
    const key = inputKey(ctx.chat.id, ctx.from.id);
    const pending = s.pending.peek(key);
    if (!pending || pending.value.kind !== 'credential') return next();
    const text = ctx.message.text;
    // Commands keep working during the wizard; anything else is the credential.
    if (isKnownCommand(commandOf(text, ctx.me))) return next();
    const target = pending.value.target;
    const deleted = await deleteQuietly(ctx, ctx.chat.id, ctx.message.message_id, s);
    if (pending.expired) {
      s.pending.delete(key);
      await replyHtml(
        ctx,
        `⌛ The setup expired (${TTL_MINUTES} minutes), so I did not use your message${deleted ? ' and deleted it to be safe' : ''}. Send /setup to start again.`,
      );
      return;
    }
    const parsed = parseCredential(text);
    if (!parsed.ok) {
      await replyHtml(
        ctx,
        '🤔 That is not a credential I can use. Send an offline token (one long word), or <code>username password</code>. /cancel stops.',
      );
      return;
    }
    await checkAndStore(ctx, s, target, parsed.credential, deleted);
  });

  // After /setup in a group: delete what looks like a secret typed there anyway.
  bot.on(message('text'), async (ctx, next) => {
    if (!isGroup(ctx.chat.type)) return next();
    const watch = s.groupWatch.peek(ctx.chat.id);
    if (!watch || watch.expired || ctx.message.text.startsWith('/')) return next();
    const fromSetupUser = ctx.from.id === watch.value.setupUserId;
    const firstAnswer = fromSetupUser && watch.value.firstMessagePending;
    if (fromSetupUser) watch.value.firstMessagePending = false;
    const text = ctx.message.text;
    if (!looksLikeToken(text) && !(firstAnswer && looksLikeCredentialPair(text))) return next();
    const deleted = await deleteQuietly(ctx, ctx.chat.id, ctx.message.message_id, s);
    await replyHtml(ctx, groupSecretWarning(deleted));
  });

  return bot;
}

function groupSecretWarning(deleted: boolean): string {
  return deleted
    ? '🔒 I deleted a message that looked like a password or token. Never type secrets in a group: use the “Set up privately” button. If it was real, change it: others may have seen it.'
    : '⚠️ That message looks like a password or token and I cannot delete it (I need the admin right “Delete messages”). Please delete it now and change that password.';
}
