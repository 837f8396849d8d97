// Whether a Telegram message rings the phone: `disable_notification`, decided at send time (not
// at enqueue time: a message that waited through a 429 or an outage is judged by the hour it
// actually goes out). Pure: the caller passes the clock's now. Slack has no per-message switch.
//
// In order:
//   1. a severity change that raises the case to Sev 1 is always loud, whatever mute and quiet say;
//   2. a case the chat muted (/mute) is silent;
//   3. during the chat's quiet hours (/quiet) everything is silent except a Sev 1 case;
//   4. anything else is loud.
// Notices (no case, or about the chat's setup) are not a case's notifications: mute does not
// apply to them, quiet hours do.
import { severityLevel } from '../../domain.js';
import { isQuietAt } from '../../rules/quiet.js';
import type { ChatState, OutboxEntry } from '../../store/schema.js';
import type { DeepReadonly } from '../../store/store.js';

export type Loudness = 'loud' | 'silent';

export function loudnessOf(
  entry: Pick<DeepReadonly<OutboxEntry>, 'kind' | 'case' | 'text'>,
  chat: Pick<DeepReadonly<ChatState>, 'subscriptions' | 'quiet'>,
  nowMs: number,
): Loudness {
  const level = entry.case ? severityLevel(entry.case.severity) : undefined;
  if (entry.kind === 'severity' && level === 1 && severityLevel(entry.text ?? '') !== 1) {
    return 'loud';
  }
  if (entry.kind !== 'notice' && entry.case && chat.subscriptions[entry.case.number]?.muted) {
    return 'silent';
  }
  if (chat.quiet && level !== 1 && quietNow(chat.quiet, nowMs)) return 'silent';
  return 'loud';
}

function quietNow(quiet: NonNullable<ChatState['quiet']>, nowMs: number): boolean {
  try {
    return isQuietAt(quiet, nowMs);
  } catch (err) {
    // RangeError: a zone this Node's Intl does not know (db.json edited by hand, an older ICU).
    // /quiet checked it when it was set; ring rather than fail the send over it.
    if (err instanceof RangeError) return false;
    throw err;
  }
}
