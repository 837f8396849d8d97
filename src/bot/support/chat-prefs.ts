// How a chat wants its notifications delivered: muted cases (/mute), quiet hours (/quiet) and
// file notices (/attachments). Plain functions on a store draft, like chat-state.ts; the
// notifier reads these fields when it sends (notify/telegram/loudness.ts).
import type { CaseNumber } from '../../domain.js';
import type { QuietHours } from '../../rules/quiet.js';
import type { State } from '../../store/schema.js';
import { chatKey, ensureChat } from './chat-state.js';
import type { ChatTarget } from './pending.js';

export type MuteResult =
  /** Every case was followed: `changed` are the ones whose flag moved. */
  | { ok: true; changed: CaseNumber[] }
  /** Some cases are not followed here: nothing was changed, for any case. */
  | { ok: false; notFollowed: CaseNumber[] };

/** /mute (muted = true) or /unmute: all the cases, or none of them. */
export function setMuted(
  draft: State,
  chatId: number,
  numbers: readonly CaseNumber[],
  muted: boolean,
): MuteResult {
  const subs = draft.chats[chatKey(chatId)]?.subscriptions ?? {};
  const notFollowed = numbers.filter((n) => subs[n] === undefined);
  if (notFollowed.length > 0) return { ok: false, notFollowed };
  const changed: CaseNumber[] = [];
  for (const n of numbers) {
    const sub = subs[n];
    if (!sub || (sub.muted === true) === muted) continue;
    if (muted) sub.muted = true;
    else delete sub.muted;
    changed.push(n);
  }
  return { ok: true, changed };
}

/** undefined = no quiet hours. */
export function setQuiet(
  draft: State,
  target: ChatTarget,
  quiet: QuietHours | undefined,
  nowIso: string,
): void {
  const chat = ensureChat(draft, target, nowIso);
  if (quiet === undefined) delete chat.quiet;
  else chat.quiet = { from: quiet.from, to: quiet.to, timeZone: quiet.timeZone };
}

/** On is the default, stored as the field's absence. */
export function setAttachments(
  draft: State,
  target: ChatTarget,
  on: boolean,
  nowIso: string,
): void {
  const chat = ensureChat(draft, target, nowIso);
  if (on) delete chat.attachments;
  else chat.attachments = false;
}

/** The chat's file-notice setting (absent: on). */
export function attachmentsOn(chat: { attachments?: boolean } | undefined): boolean {
  return chat?.attachments !== false;
}
