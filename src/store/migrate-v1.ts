// db.json format 1 → 2: the upgrade from the v1-API daemon. Works on the raw JSON (before
// validation), so it reads only what format 1 is known to hold and leaves the rest alone.
//
// What changes and why:
// - every subscription gets `via: "v1"`: its `seen` ids are v1 ids, and REST v3 and GraphQL
//   may give the same comments other ids;
// - every subscription gets `seenUpTo`, the creation time up to which its comments count as
//   handled, so the first read through the new API does not resend history it cannot match
//   by id. Format 1 kept no such time; the best bound it holds is the credential's
//   `checkedAt` (start of its last complete check, saved at a clean stop) plus
//   CHECKPOINT_SLACK_MS (the stop came at most about one poll cycle later), never later than
//   the v1 switch-off (nothing after it reached anyone through v1) and never earlier than the
//   case was added (its comments were marked seen then);
// - "not visible" marks and credential rejections dated from Red Hat's cut-over on are
//   dropped: the switched-off v1 API answered every case with an error, which the old daemon
//   took for lost access. Polling resumes; a real loss of access is found again by the new API.
import { V1_SWITCH_OFF_DATE } from '../domain.js';

/** Red Hat's CRM cut-over began with a read-only portal on 2026-09-19 (reference §1). */
export const V1_CUTOVER_START = '2026-09-19T00:00:00.000Z';
export const V1_SWITCH_OFF = `${V1_SWITCH_OFF_DATE}T00:00:00.000Z`;
/** A clean stop follows the last complete check within about one cycle (60 s by default). */
export const CHECKPOINT_SLACK_MS = 2 * 60_000;

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function time(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function migrateV1ToV2(raw: Raw): Raw {
  const cutover = Date.parse(V1_CUTOVER_START);
  const switchOff = Date.parse(V1_SWITCH_OFF);
  const credentials = isRecord(raw.credentials) ? raw.credentials : {};
  for (const cred of Object.values(credentials)) {
    if (!isRecord(cred)) continue;
    const rejected = time(cred.rejectedAt);
    if (rejected !== undefined && rejected >= cutover) delete cred.rejectedAt;
  }
  const chats = isRecord(raw.chats) ? raw.chats : {};
  for (const chat of Object.values(chats)) {
    if (!isRecord(chat) || !isRecord(chat.subscriptions)) continue;
    const cred = typeof chat.credentialId === 'string' ? credentials[chat.credentialId] : undefined;
    const checked = isRecord(cred) ? time(cred.checkedAt) : undefined;
    const handledUpTo = Math.min(
      switchOff,
      checked !== undefined ? checked + CHECKPOINT_SLACK_MS : switchOff,
    );
    for (const sub of Object.values(chat.subscriptions)) {
      if (!isRecord(sub)) continue;
      sub.via = 'v1';
      const added = time(sub.addedAt) ?? handledUpTo;
      sub.seenUpTo = new Date(Math.max(handledUpTo, added)).toISOString();
      const hidden = time(sub.notVisibleAt);
      if (hidden !== undefined && hidden >= cutover) delete sub.notVisibleAt;
    }
  }
  return { ...raw, version: 2 };
}
