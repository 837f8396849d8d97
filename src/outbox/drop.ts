// Entries that will never be sent: the user said stop (/forget, /remove, /slack off), or the
// destination is gone (a disabled webhook, a chat deleted while the worker looked away).
//
// Two kinds of drop, on purpose: with a chat or a subscription its seen record goes too, so the
// entries simply leave; with one destination the chat stays, so each entry is settled
// (settle.ts) and a comment that another destination delivered becomes seen.
import type { CaseNumber } from '../domain.js';
import type { OutboxEntry, State } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import { destinationsOf, type Destination } from './entries.js';
import { settleEntry } from './settle.js';

/** /forget: every entry of the chat. Returns how many were dropped. */
export function dropForChat(draft: State, chatId: number): number {
  const before = draft.outbox.length;
  draft.outbox = draft.outbox.filter((e) => e.chatId !== chatId);
  return before - draft.outbox.length;
}

/** /remove: the chat's entries about these cases. Returns how many were dropped. */
export function dropForCases(
  draft: State,
  chatId: number,
  numbers: ReadonlySet<CaseNumber>,
): number {
  const before = draft.outbox.length;
  draft.outbox = draft.outbox.filter(
    (e) => !(e.chatId === chatId && e.case !== undefined && numbers.has(e.case.number)),
  );
  return before - draft.outbox.length;
}

/** /slack off, or a webhook Slack disabled: the chat's entries for that destination, settled. */
export function dropForDestination(
  draft: State,
  chatId: number,
  destination: Destination,
  keepClosedCases: boolean,
): number {
  const ids = draft.outbox
    .filter((e) => e.chatId === chatId && e.destination === destination)
    .map((e) => e.id);
  for (const id of ids) settleEntry(draft, id, keepClosedCases);
  return ids.length;
}

/**
 * An entry nobody can deliver any more: its chat was deleted (/forget raced with the poller),
 * or its destination was removed from the chat (/slack off).
 */
export function isUndeliverable(state: DeepReadonly<State>, e: DeepReadonly<OutboxEntry>): boolean {
  const chat = state.chats[String(e.chatId)];
  return chat === undefined || destinationsOf(chat, [e.destination]).length === 0;
}

/**
 * Drops and settles every undeliverable entry, so the comment counts as seen once the other
 * destinations are done. Returns the entries dropped.
 */
export function dropUndeliverable(draft: State, keepClosedCases: boolean): OutboxEntry[] {
  const ids = draft.outbox.filter((e) => isUndeliverable(draft, e)).map((e) => e.id);
  return ids.flatMap((id) => settleEntry(draft, id, keepClosedCases) ?? []);
}
