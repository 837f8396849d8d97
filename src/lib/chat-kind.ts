// What kind of Telegram chat an id belongs to, decided in one place: who may change things
// depends on it (bot/), and so does how fast the bot may post there (notify/telegram/).

/** A group or supergroup: members and admins, and only admins change what it receives. */
export function isGroup(type: string): boolean {
  return type === 'group' || type === 'supergroup';
}

/**
 * Telegram allows about 20 messages a minute in any chat that is not a private one (groups,
 * supergroups and channels alike), against about one a second in a private chat.
 */
export function hasGroupRateLimit(type: string): boolean {
  return type !== 'private';
}
