// Shared pieces for the engine's tests (poller, delivery, Telegram notifier): a config, a vault
// over a MemoryPortal, and store seeding the way /setup and /add leave it. The manual clock, the
// log collector and temp folders are the suite's own (test/_helpers/), re-exported here.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config, type LogLevel } from '../../src/config.js';
import { createCredentialVault, type CredentialVault } from '../../src/credentials.js';
import type { AdminReport, AdminReporter, Audience, Clock, Comment } from '../../src/domain.js';
import type { Logger } from '../../src/logger.js';
import { createPortalClientFactory } from '../../src/portal/index.js';
import type { PortalClientFactory } from '../../src/portal/types.js';
import { createSecretBox, createSecretScrubber, type SecretBox } from '../../src/secrets.js';
import { emptyState, type ChatState, type State } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import type { FakePortal } from '../_helpers/fake-portal.js';
import { collectLogs as collectAllLogs, type LogCollector } from '../_helpers/logs.js';
import type { MemoryPortal } from '../_helpers/memory-portal.js';
import { waitUntil } from '../_helpers/wait.js';

export { manualClock, type ManualClock } from '../_helpers/clock.js';
export type { LogCollector } from '../_helpers/logs.js';
export { tempDir } from '../_helpers/temp-dir.js';

export const BOT_TOKEN = '123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ';
/** scrypt is slow on purpose: one box per test process. */
let box: SecretBox | undefined;
export function secretBox(): SecretBox {
  box ??= createSecretBox('engine-tests-secret-key-material');
  return box;
}

/** The suite's log collector, its scrubber knowing the bot token as the daemon's does. */
export function collectLogs(level: LogLevel = 'debug'): LogCollector {
  return collectAllLogs({ level, scrubber: createSecretScrubber([BOT_TOKEN]) });
}

export interface RecordingReporter extends AdminReporter {
  reports: AdminReport[];
}

export function recordingReporter(): RecordingReporter {
  const reports: AdminReport[] = [];
  return { reports, report: (r) => reports.push(r) };
}

export function testConfig(
  overrides: {
    apiRoot?: string;
    poll?: Partial<Config['poll']>;
    maxCommentChars?: number;
    dbPath?: string;
    portal?: Record<string, unknown>;
  } = {},
): Config {
  return parseConfig(
    {
      telegram: {
        token: BOT_TOKEN,
        ...(overrides.apiRoot !== undefined ? { apiRoot: overrides.apiRoot } : {}),
      },
      ...(overrides.portal ? { portal: overrides.portal } : {}),
      poll: { intervalSeconds: 60, concurrency: 4, fullSweepEvery: 10, ...overrides.poll },
      notify: { maxCommentChars: overrides.maxCommentChars ?? 1000 },
      dbPath: overrides.dbPath ?? join(tmpdir(), 'pushbot-engine-tests', 'db.json'),
    },
    {},
    () => '',
  );
}

export function vaultFor(
  store: StateStore,
  portal: PortalClientFactory,
  clock: Clock,
): CredentialVault {
  return createCredentialVault({
    store,
    secretBox: secretBox(),
    portal,
    scrubber: createSecretScrubber(),
    clock,
  });
}

export interface ChatSeed {
  chatId: number;
  /** Offline token (a MemoryPortal credential key). */
  token: string;
  cases: string[];
  audience?: Audience;
  type?: ChatState['type'];
  /** Comment ids already seen per case; default: every comment the portal has now. */
  seen?: Record<string, string[]>;
}

/**
 * A state as /setup and /add leave it: the credential sealed, each case subscribed with its
 * current comments seen and its current fields, its files so far history (attachmentsSince, and
 * attachmentsReadAt at the case's lastModifiedAt, as db.json format 3 has them).
 */
export function seedState(
  portal: MemoryPortal,
  vault: CredentialVault,
  chats: ChatSeed[],
  at = new Date(),
): State {
  const state = emptyState();
  const iso = at.toISOString();
  for (const seed of chats) {
    const cred = vault.seal({ kind: 'offline-token', offlineToken: seed.token }, 'user');
    state.credentials[cred.id] ??= cred;
    const chat: ChatState = {
      id: seed.chatId,
      type: seed.type ?? (seed.chatId > 0 ? 'private' : 'group'),
      active: true,
      audience: seed.audience ?? 'associate',
      credentialId: cred.id,
      subscriptions: {},
      createdAt: iso,
    };
    for (const n of seed.cases) {
      const kase = portal.cases.get(n);
      chat.subscriptions[n] = {
        caseNumber: n,
        addedAt: iso,
        seen: seed.seen?.[n] ?? kase?.comments.map((c) => c.id) ?? [],
        summary: kase?.summary ?? '',
        status: kase?.status ?? '',
        severity: kase?.severity ?? '',
        product: kase?.product ?? '',
        closed: kase?.closed ?? false,
        attachmentsSince: iso,
        ...(kase ? { attachmentsReadAt: kase.lastModifiedAt } : {}),
      };
    }
    state.chats[String(seed.chatId)] = chat;
  }
  return state;
}

/** A comment dated by the engine's clock (the filter compares portal dates with it). */
export function addComment(
  portal: MemoryPortal,
  clock: Clock,
  caseNumber: string,
  partial: Partial<Comment> = {},
): Comment {
  return portal.addComment(caseNumber, {
    createdAt: new Date(clock.now()).toISOString(),
    ...partial,
  });
}

/** Polls `fn` until it returns something truthy (a failed assertion counts as "not yet"). */
export async function waitFor<T>(
  fn: () => T | undefined | null | false,
  timeoutMs = 5000,
): Promise<T> {
  return waitUntil(fn, { timeoutMs, intervalMs: 5 });
}

/** The daemon's portal factory on the v3 API of a loopback fake portal. */
export function v3Portal(
  fake: Pick<FakePortal, 'v3BaseUrl' | 'graphqlUrl' | 'tokenUrl'>,
  config: Config,
  logger: Logger,
  clock: Clock,
): PortalClientFactory {
  return createPortalClientFactory({
    portal: {
      ...config.portal,
      api: 'v3',
      baseUrl: fake.v3BaseUrl,
      graphqlUrl: fake.graphqlUrl,
      tokenUrl: fake.tokenUrl,
    },
    logger,
    userAgent: 'tickets-pushbot/test',
    version: '0.0.0-test',
    env: {},
    clock,
  });
}
