// "Which portal client speaks for this chat?" Most commands need the chat's credential; without
// one they say how to get one.
import type { Context } from 'telegraf';
import type { Case, Comment } from '../../domain.js';
import { audienceWants } from '../../domain.js';
import { formatComment, type OutgoingMessage } from '../../notify/telegram/format.js';
import type { PortalClient } from '../../portal/types.js';
import type { ChatState } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';
import type { BotServices } from '../context.js';
import { audienceOf, readChat } from './chat-state.js';
import { errorForLog } from './errors.js';
import { replyHtml } from './reply.js';

export interface ChatAccess {
  chat: DeepReadonly<ChatState>;
  client: PortalClient;
}

export function needsSetupText(chatType: string): string {
  return chatType === 'private'
    ? '🔑 First connect your Red Hat account: send /setup.'
    : '🔑 This group is not connected to Red Hat yet. An admin sends /setup here.';
}

/** The chat's portal client, or undefined after telling the user what to do. */
export async function requireCredential(
  ctx: Context,
  s: BotServices,
): Promise<ChatAccess | undefined> {
  const chat = ctx.chat;
  if (!chat) return undefined;
  const state = readChat(s.store.read(), chat.id);
  const credentialId = state?.credentialId;
  if (!state || credentialId === undefined) {
    await replyHtml(ctx, needsSetupText(chat.type));
    return undefined;
  }
  let client: PortalClient | undefined;
  try {
    client = s.vault.clientFor(credentialId);
  } catch (err) {
    // Typically: the operator changed PUSHBOT_SECRET_KEY, so stored secrets cannot be opened.
    s.log.error({ chatId: chat.id, err: errorForLog(err) }, 'cannot open the stored credential');
    await replyHtml(
      ctx,
      '⚠️ I cannot open the Red Hat login stored for this chat (the bot’s secret key changed?). Please run /setup again.',
    );
    return undefined;
  }
  if (!client) {
    await replyHtml(ctx, needsSetupText(chat.type));
    return undefined;
  }
  return { chat: state, client };
}

/** The newest published comment this chat's audience wants, if any. */
export function latestWanted(
  comments: readonly Comment[],
  chat: { audience: string } | undefined,
): Comment | undefined {
  const audience = audienceOf(chat);
  let best: Comment | undefined;
  for (const c of comments) {
    if (c.isDraft || !audienceWants(audience, c.authorType)) continue;
    if (!best || Date.parse(c.createdAt) >= Date.parse(best.createdAt)) best = c;
  }
  return best;
}

export function commentMessage(
  s: BotServices,
  chat: { maxCommentChars?: number } | undefined,
  kase: Case,
  comment: Comment,
): OutgoingMessage {
  return formatComment({
    kase,
    comment,
    maxChars: chat?.maxCommentChars ?? s.config.notify.maxCommentChars,
    caseUrl: s.links.caseUrl(kase.number),
    commentUrl: s.links.commentUrl(kase.number, comment.id),
  });
}

export function audienceLabel(audience: string): string {
  switch (audience) {
    case 'customer':
      return 'your side (customer)';
    case 'both':
      return 'everyone (Red Hat and customer)';
    default:
      return 'Red Hat staff';
  }
}
