// A Telegram group that became a supergroup gets a new chat id: what the bot keeps for it, and
// its pending entries, move to that id.
import type { State } from '../store/schema.js';
import { mergeSeen } from '../store/seen.js';

/**
 * A group became a supergroup: its subscriptions, settings and pending entries move to the new
 * id. If the new chat already exists (the bot saw it first), the old one is merged into it.
 */
export function migrateChat(draft: State, oldId: number, newId: number): void {
  const old = draft.chats[String(oldId)];
  if (old) {
    const existing = draft.chats[String(newId)];
    if (!existing) {
      draft.chats[String(newId)] = { ...old, id: newId, type: 'supergroup' };
    } else {
      for (const [number, sub] of Object.entries(old.subscriptions)) {
        const target = existing.subscriptions[number];
        if (!target) existing.subscriptions[number] = sub;
        else mergeSeen(target, sub);
      }
      existing.credentialId ??= old.credentialId;
      existing.maxCommentChars ??= old.maxCommentChars;
      existing.slack ??= old.slack;
      existing.title ??= old.title;
    }
    delete draft.chats[String(oldId)];
  }
  const taken = new Set(draft.outbox.map((e) => e.id));
  draft.outbox = draft.outbox.filter((e) => {
    if (e.chatId !== oldId) return true;
    const prefix = `${e.destination}:${oldId}:`;
    const rest = e.id.startsWith(prefix) ? e.id.slice(prefix.length) : e.id;
    const id = `${e.destination}:${newId}:${rest}`;
    // Already pending for the new chat (the bot migrated first): keep one.
    if (taken.has(id)) return false;
    taken.add(id);
    e.id = id;
    e.chatId = newId;
    delete e.notBefore;
    return true;
  });
}
