// db.json format 2 → 3: follow rules, mute, quiet hours, attachment notices, forum topics.
// Every new field has a default in the schema (no rules, nothing muted, attachments on, every
// existing subscription added by hand) except one that needs a choice:
// - `attachmentsSince`: files created before it are old news. Format 2 never read attachments,
//   so the best bound it holds is how far the chat has seen the case: the newest seen comment
//   (`seenUpTo`), else when the case was added. A file attached since then, while this version
//   was not running, is announced once at the first read.
type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function migrateV2ToV3(raw: Raw): Raw {
  const chats = isRecord(raw.chats) ? raw.chats : {};
  for (const chat of Object.values(chats)) {
    if (!isRecord(chat) || !isRecord(chat.subscriptions)) continue;
    for (const sub of Object.values(chat.subscriptions)) {
      if (!isRecord(sub)) continue;
      const since = typeof sub.seenUpTo === 'string' ? sub.seenUpTo : sub.addedAt;
      if (typeof since === 'string' && sub.attachmentsSince === undefined) {
        sub.attachmentsSince = since;
      }
    }
  }
  return { ...raw, version: 3 };
}
