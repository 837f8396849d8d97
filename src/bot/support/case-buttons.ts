// Cases offered as inline buttons, one row per case: /list (latest + remove), /remove and
// /latest without a case number. /list and /latest both page by LIST_PAGE_SIZE, so it lives
// here rather than in either feature.
import type { InlineKeyboardButton } from 'telegraf/types';
import type { CaseNumber } from '../../domain.js';
import { callbackData } from '../../notify/telegram/format.js';

/** /list shows this many cases per message (text under 4096 characters, buttons on screen). */
export const LIST_PAGE_SIZE = 15;

/** "💬 <case>": shows the latest comment (handled by features/latest.ts). */
export function latestButton(caseNumber: CaseNumber): InlineKeyboardButton {
  return { text: `💬 ${caseNumber}`, callback_data: callbackData.latest(caseNumber) };
}

/** "🗑 Remove <case>": stops following it (handled by features/subscriptions.ts). */
export function removeButton(caseNumber: CaseNumber): InlineKeyboardButton {
  return { text: `🗑 Remove ${caseNumber}`, callback_data: callbackData.remove(caseNumber) };
}
