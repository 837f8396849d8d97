// The Slack destination of a chat in the state, as plain functions on a draft (called inside
// store.update(), which must stay synchronous). Fan-out (destinationsOf) and dropping a
// destination's entries live in src/outbox/; disabling on a "disabled" outcome in delivery.ts;
// the notice that tells the chat is slackDisabledNotice() in webhook.ts.
import { dropForDestination } from '../../outbox/index.js';
import type { ChatState, State } from '../../store/schema.js';

/** Sets (or replaces) the chat's webhook, sealed; a replaced or disabled one is forgotten. */
export function setSlackWebhook(chat: ChatState, sealedWebhook: string, nowIso: string): void {
  chat.slack = { webhook: sealedWebhook, addedAt: nowIso };
}

/**
 * /slack off: the chat's webhook goes, and so do its Slack messages still queued (the user said
 * stop). Each is settled as delivery settles a finished entry, so a comment already delivered to
 * Telegram becomes "seen" and is never enqueued again. Returns whether there was a webhook and
 * how many queued messages were dropped.
 */
export function removeSlackWebhook(
  draft: State,
  chatId: number,
  keepClosedCases: boolean,
): { removed: boolean; dropped: number } {
  const chat = draft.chats[String(chatId)];
  const removed = chat?.slack !== undefined;
  if (chat) delete chat.slack;
  const dropped = dropForDestination(draft, chatId, 'slack', keepClosedCases);
  return { removed, dropped };
}
