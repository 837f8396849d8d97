// The state file (db.json): schema, current version, and migrations from older versions.
// The file is validated on every load; an invalid file is refused, never replaced.
import { z } from 'zod';
import { AUDIENCES, CASE_NUMBER_PATTERN, type IdSpace } from '../domain.js';
import { ENCRYPTED_PATTERN } from '../secrets.js';
import { migrateV1ToV2 } from './migrate-v1.js';
import { migrateV2ToV3 } from './migrate-v2.js';

/**
 * 2: subscriptions know the id space of their `seen` ids and how far they were seen.
 * 3: follow rules, muted cases, quiet hours, attachment notices, forum topics.
 */
export const STATE_VERSION = 3;

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date');
/** A secret as stored: always AES-GCM sealed by SecretBox, never plaintext. */
const sealed = z.string().regex(ENCRYPTED_PATTERN, 'expected an encrypted secret (enc:v1:...)');
const caseNumber = z.string().regex(CASE_NUMBER_PATTERN, 'expected a case number (digits)');
const idSpace = z.enum(['v1', 'v3-rest', 'graphql'] as const satisfies readonly IdSpace[]);

export const credentialSchema = z.object({
  /** SecretBox.fingerprint of kind + secret: chats that enter the same credential share it. */
  id: z.string().min(1),
  kind: z.enum(['offline-token', 'basic']),
  /** offline-token: the token; basic: JSON {"username","password"}. Sealed. */
  secret: sealed,
  /** Safe to show: the username, or "offline token …1a2b". */
  label: z.string(),
  /** Portal account or login the credential saw when checked, if known. */
  account: z.string().optional(),
  createdAt: isoDate,
  /** Set when the portal rejected the credential: polling stops until /setup replaces it. */
  rejectedAt: isoDate.optional(),
  /**
   * Start of the last complete check of this credential's cases, saved when the daemon stops
   * cleanly: the next start asks the portal what changed since then instead of reading every
   * case again. Any older value is still safe (it only widens the question).
   */
  checkedAt: isoDate.optional(),
  /**
   * Follow rules: the LastModifiedDate (portal time) up to which this credential's cases were
   * searched for new matches. Absent until a chat using it has a rule.
   */
  discoveredUpTo: isoDate.optional(),
});

export const subscriptionSchema = z.object({
  caseNumber,
  addedAt: isoDate,
  /**
   * Comments already delivered, or present when the case was added: their ids, and their
   * prints ("fp:…", comment-identity.ts) so they are recognised under another API's ids.
   */
  seen: z.array(z.string()),
  /** Creation time of the newest comment in `seen` (what a path switch must not resend). */
  seenUpTo: isoDate.optional(),
  /** The id space of the ids in `seen` (v1, REST v3 or GraphQL); absent when none yet. */
  via: idSpace.optional(),
  summary: z.string().default(''),
  status: z.string().default(''),
  severity: z.string().default(''),
  product: z.string().default(''),
  closed: z.boolean().default(false),
  /** The portal said this credential cannot see the case: polling stopped, chat told once. */
  notVisibleAt: isoDate.optional(),
  // Fields of format 3, absent when unused (10,000 subscriptions should not carry defaults).
  /** Only rules brought this case in (no /add): it goes when the last of its rules goes. */
  auto: z.literal(true).optional(),
  /** Ids of the chat's rules that brought this case in. */
  rules: z.array(z.number().int().min(1)).optional(),
  /** /mute: its notifications arrive silently (a raise to severity 1 stays loud). */
  muted: z.literal(true).optional(),
  /** Uuids of attachments already announced. */
  attachmentsSeen: z.array(z.string()).optional(),
  /** Attachments created at or before this were there before: never announced. */
  attachmentsSince: isoDate.optional(),
  /** The case's lastModifiedAt when its attachments were last read: read again once it moves. */
  attachmentsReadAt: z.string().optional(),
});

export const ruleSchema = z.object({
  /** Stable within the chat (subscriptions name it); /rules numbers rules by position. */
  id: z.number().int().min(1),
  severities: z.array(z.number().int().min(1).max(4)).min(1).optional(),
  product: z.array(z.string().min(1)).min(1).optional(),
  group: z.array(z.string().min(1)).min(1).optional(),
  createdAt: isoDate,
  /** The chat was told this rule reached rules.maxCasesPerRule (told once until it drops). */
  limitReachedAt: isoDate.optional(),
});

export const quietSchema = z.object({
  from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  timeZone: z.string().min(1),
});

export const slackDestinationSchema = z.object({
  webhook: sealed,
  addedAt: isoDate,
  /** Slack said the webhook is gone (404/410): no more sends until /slack sets a new one. */
  disabledAt: isoDate.optional(),
  disabledReason: z.string().optional(),
});

export const chatSchema = z.object({
  id: z.number().int(),
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
  title: z.string().optional(),
  /** False after Telegram answered 403 (blocked / kicked): no sends, no polling, data kept. */
  active: z.boolean().default(true),
  inactiveSince: isoDate.optional(),
  audience: z.enum(AUDIENCES as [string, ...string[]]).default('associate'),
  /** /length override of notify.maxCommentChars; 0 = privacy mode (no comment text). */
  maxCommentChars: z.number().int().min(0).optional(),
  credentialId: z.string().optional(),
  /** The chat was told its credential was rejected (so it is told once). */
  credentialRejectedNotifiedAt: isoDate.optional(),
  slack: slackDestinationSchema.optional(),
  subscriptions: z.record(z.string(), subscriptionSchema).default({}),
  createdAt: isoDate,
  // Fields of format 3, absent when unused.
  /** /follow rules, in the order /rules numbers them. */
  rules: z.array(ruleSchema).optional(),
  /** Cases the chat removed with /remove: rules do not bring them back. */
  excluded: z.array(caseNumber).optional(),
  /** /quiet: notifications arrive silently in this daily window. */
  quiet: quietSchema.optional(),
  /** /attachments off: no notices of new files (absent: on). */
  attachments: z.boolean().optional(),
  /** A Telegram group with topics (a forum): each case gets its own topic. */
  forum: z.literal(true).optional(),
  /** Case number → the forum topic (message_thread_id) its notifications go to. */
  topics: z.record(z.string(), z.number().int()).optional(),
  /** The bot may not create topics here: posts go to the general topic; admins told once. */
  topicsRefusedAt: isoDate.optional(),
});

const caseSnapshotSchema = z.object({
  number: caseNumber,
  summary: z.string(),
  status: z.string(),
  severity: z.string(),
  product: z.string(),
  closed: z.boolean(),
  lastModifiedAt: z.string(),
  group: z.string().optional(),
  version: z.string().optional(),
  /** new-case: the first lines of the description, who opened it. */
  description: z.string().optional(),
  openedBy: z.string().optional(),
});

const attachmentSnapshotSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  size: z.number().int().min(0).optional(),
  author: z.string(),
  authorType: z.enum(['associate', 'customer', 'internal', 'unknown']),
  createdAt: z.string(),
});

const commentSnapshotSchema = z.object({
  id: z.string(),
  caseNumber,
  author: z.string(),
  authorType: z.enum(['associate', 'customer', 'internal', 'unknown']),
  body: z.string(),
  createdAt: z.string(),
  isPublic: z.boolean(),
  isDraft: z.boolean(),
  idSpace: idSpace.optional(),
});

export const outboxEntrySchema = z.object({
  /** Unique, stable id: "<destination>:<chatId>:<case>:<comment id | event>". */
  id: z.string(),
  chatId: z.number().int(),
  destination: z.enum(['telegram', 'slack']),
  /**
   * comment: a new comment; status: status changed; closed: the case closed; notice: plain
   * text; new-case: a rule brought the case in; severity: its severity changed; attachment: a
   * new file.
   */
  kind: z.enum(['comment', 'status', 'closed', 'notice', 'new-case', 'severity', 'attachment']),
  case: caseSnapshotSchema.optional(),
  comment: commentSnapshotSchema.optional(),
  attachment: attachmentSnapshotSchema.optional(),
  /** new-case: the rule number that matched, as /rules showed it then. */
  rule: z.string().optional(),
  /** status: the previous status; severity: the previous severity. notice: the text (HTML-safe). */
  text: z.string().optional(),
  createdAt: isoDate,
  attempts: z.number().int().min(0).default(0),
  /** Not before this time (backoff after a failure). */
  notBefore: isoDate.optional(),
  lastError: z.string().optional(),
});

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  chats: z.record(z.string(), chatSchema),
  credentials: z.record(z.string(), credentialSchema),
  outbox: z.array(outboxEntrySchema),
});

export type State = z.infer<typeof stateSchema>;
export type ChatState = z.infer<typeof chatSchema>;
export type SubscriptionState = z.infer<typeof subscriptionSchema>;
export type CredentialState = z.infer<typeof credentialSchema>;
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;
export type SlackDestination = z.infer<typeof slackDestinationSchema>;
export type RuleState = z.infer<typeof ruleSchema>;
export type QuietState = z.infer<typeof quietSchema>;

export function emptyState(): State {
  return { version: STATE_VERSION, chats: {}, credentials: {}, outbox: [] };
}

/**
 * Migrations, keyed by the version they start from. Each takes the raw object of version N and
 * returns the raw object of version N+1; the result is validated by stateSchema afterwards.
 */
export const MIGRATIONS: Readonly<
  Record<number, (raw: Record<string, unknown>) => Record<string, unknown>>
> = { 1: migrateV1ToV2, 2: migrateV2ToV3 };

export class StateFormatError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'StateFormatError';
    this.problems = problems;
  }
}

/** Validates raw JSON from db.json, applying migrations; throws StateFormatError. */
export function parseState(raw: unknown): State {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StateFormatError(['expected a JSON object']);
  }
  let current = raw as Record<string, unknown>;
  const version = current.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new StateFormatError(['"version" is missing or not a whole number']);
  }
  if (version > STATE_VERSION) {
    throw new StateFormatError([
      `written by a newer tickets-pushbot (format ${version}; this one reads up to ${STATE_VERSION})`,
    ]);
  }
  for (let v = version; v < STATE_VERSION; v++) {
    const migrate = MIGRATIONS[v];
    if (!migrate) throw new StateFormatError([`no migration from format ${v}`]);
    current = migrate(current);
  }
  const parsed = stateSchema.safeParse(current);
  if (!parsed.success) {
    throw new StateFormatError(
      parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
    );
  }
  return parsed.data;
}
