// The /start payload that opens the private /setup wizard for a group:
// https://t.me/<bot>?start=setup-<encoded group id>. Telegram allows 1..64 characters of
// [A-Za-z0-9_-] in a start payload. Group ids are negative ("-1001234567890"); the minus sign
// is written "n" so the payload never holds a "--" that some clients mangle.

const PREFIX = 'setup-';
const PAYLOAD = /^setup-(n?)(\d{1,20})$/;

export function encodeSetupPayload(groupId: number): string {
  return `${PREFIX}${groupId < 0 ? 'n' : ''}${Math.abs(groupId)}`;
}

/** The group id of a setup payload; undefined for anything else. Also accepts "setup--123". */
export function decodeSetupPayload(payload: string): number | undefined {
  const text = payload.trim().replace(/^setup--/, 'setup-n');
  const match = PAYLOAD.exec(text);
  if (!match) return undefined;
  const id = Number(match[2]);
  if (!Number.isSafeInteger(id) || id === 0) return undefined;
  return match[1] === 'n' ? -id : id;
}

export function setupDeepLink(botUsername: string, groupId: number): string {
  return `https://t.me/${encodeURIComponent(botUsername)}?start=${encodeSetupPayload(groupId)}`;
}
