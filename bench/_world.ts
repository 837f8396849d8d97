// The benchmark's world: N chats, each with its own portal account (an offline token) and M
// followed cases, registered in the fake portal and pre-written to db.json, so the daemon starts
// with every subscription in place and every existing comment already seen.
//
// Creating 10,000 subscriptions through the bot (/setup, /add) would take longer than the
// measurement; the state is written instead, exactly as the daemon would have written it:
// credentials are sealed by the daemon's own CredentialVault (same secret box, same ids and
// fingerprints); each chat's comments are read through the daemon's own portal client for that
// credential, on the API and path the daemon will use (the fake is configured before), and the
// subscriptions are added by the bot's own addSubscriptions (seen = ids and prints through
// markSeen, seenUpTo, via), as /add does; the file is written by the JSON file store (validated
// by the state schema, format STATE_VERSION). Chat 0's first case is also read with getCase, and
// its fields must match what was stored (else the first sweep would write).
import PQueue from 'p-queue';
import { pino } from 'pino';
import { addSubscriptions, type NewSubscription } from '../src/bot/support/chat-state.js';
import type { Config } from '../src/config.js';
import { createCredentialVault } from '../src/credentials.js';
import { systemClock, type Case, type CaseNumber, type Comment } from '../src/domain.js';
import { createPortalClientFactory } from '../src/portal/index.js';
import type { PortalClient } from '../src/portal/types.js';
import { createSecretBox, createSecretScrubber } from '../src/secrets.js';
import { openJsonFileStore } from '../src/store/json-file-store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { emptyState, parseState, type State } from '../src/store/schema.js';
import type { FakePortal } from '../test/_helpers/fake-portal.js';

/** Private chat ids start here (Telegram user ids are positive). */
const FIRST_CHAT_ID = 700_000_000;
/** Case numbers are 8 digits, as on the portal. */
const FIRST_CASE_NUMBER = 10_000_000;
/** Existing comments and the cases' last change are this old: outside any `since` window. */
const HISTORY_AGE_MS = 24 * 60 * 60_000;
const HISTORY_SPACING_MS = 60_000;
/** Portal reads in flight while the world is seeded. */
const SEED_CONCURRENCY = 16;
/** Cases per readCases call when the path reads batches with comments. */
const SEED_BATCH = 100;

const SUMMARIES = [
  'Cluster upgrade stuck at 87%',
  'Kernel panic after updating to the latest z-stream',
  'Satellite content view publish fails with a timeout',
  'Pods evicted under memory pressure on worker nodes',
  'LVM volume group not activated at boot',
];

export interface BenchChat {
  chatId: number;
  username: string;
  credentialId: string;
  cases: CaseNumber[];
}

export interface World {
  chats: BenchChat[];
  /** Subscriptions in the state (chats × cases). */
  subscriptions: number;
  /** Portal config the daemon gets (and the world's own check uses). */
  portal: Config['portal'];
  /** Chats per path their client settled on when the world read their comments (verify). */
  seededPaths: ReadonlyMap<string, number>;
  /** Portal requests the seeding took (token exchanges included), and how long. */
  seedRequests: number;
  seedMs: number;
}

export type BenchApi = 'v3' | 'hydra';

function caseNumberOf(chat: number, k: number, casesPerChat: number): CaseNumber {
  return String(FIRST_CASE_NUMBER + chat * casesPerChat + k);
}

/**
 * Registers users, cases and their history in the fake portal, writes db.json at `dbPath`, and
 * checks chat 0's sealed credential opens and reads a case as the daemon will.
 */
export async function buildWorld(options: {
  portal: FakePortal;
  api: BenchApi;
  chats: number;
  casesPerChat: number;
  historyPerCase: number;
  /** Follow rules per chat; none of them matches a bench case. */
  rulesPerChat: number;
  secretKey: string;
  dbPath: string;
}): Promise<World> {
  const { portal } = options;
  const silent = pino({ level: 'silent' });
  const portalConfig: Config['portal'] = {
    api: options.api,
    baseUrl: options.api === 'v3' ? portal.v3BaseUrl : portal.hydraBaseUrl,
    // Always the fake's: the default is Red Hat's real endpoint, never to be reached from here.
    graphqlUrl: portal.graphqlUrl,
    tokenUrl: portal.tokenUrl,
    timeoutSeconds: 30,
    maxResponseBytes: 20 * 1024 * 1024,
    caseUrlTemplate: 'https://access.redhat.com/support/cases/#/case/{caseNumber}',
    commentUrlTemplate:
      'https://access.redhat.com/support/cases/#/case/{caseNumber}?commentId={commentId}',
  };
  const portalClients = createPortalClientFactory({
    portal: portalConfig,
    logger: silent,
    userAgent: 'tickets-pushbot-bench',
    version: '0.0.0-bench',
    env: {},
  });
  const secretBox = createSecretBox(options.secretKey);
  const memory = createMemoryStore();
  const vault = createCredentialVault({
    store: memory,
    secretBox,
    portal: portalClients,
    scrubber: createSecretScrubber(),
    clock: systemClock,
  });

  const historyStart = portal.now() - HISTORY_AGE_MS;
  const createdAt = new Date(historyStart).toISOString();
  const state: State = emptyState();
  const chats: BenchChat[] = [];
  /** The case fields the fake portal will answer, as the subscriptions store them. */
  const fields = new Map<CaseNumber, Case>();

  for (let c = 0; c < options.chats; c++) {
    const username = `bench-user-${c}`;
    const offlineToken = `bench-offline-token-${c}-${'x'.repeat(40)}`;
    const cases = Array.from({ length: options.casesPerChat }, (_, k) =>
      caseNumberOf(c, k, options.casesPerChat),
    );
    // Each chat is a different customer account: it sees its own cases only, as on the portal.
    portal.addUser({ username, offlineToken, visibleCases: cases });
    const credential = vault.seal({ kind: 'offline-token', offlineToken }, username);
    state.credentials[credential.id] = credential;

    cases.forEach((caseNumber, k) => {
      const summary = `${SUMMARIES[k % SUMMARIES.length] ?? 'Case'} (${caseNumber})`;
      portal.addCase({ number: caseNumber, summary, lastModifiedAt: createdAt });
      for (let h = 0; h < options.historyPerCase; h++) {
        portal.addComment(caseNumber, {
          createdAt: new Date(historyStart + (h + 1) * HISTORY_SPACING_MS).toISOString(),
          authorType: h % 2 === 0 ? 'Associate' : 'Customer',
          body: `Earlier comment ${h + 1} on ${caseNumber}.`,
        });
      }
      fields.set(caseNumber, {
        number: caseNumber,
        summary,
        status: 'Waiting on Red Hat',
        severity: '3 (Normal)',
        product: 'Red Hat Enterprise Linux',
        closed: false,
        // The fake moves a case's lastModifiedAt to each comment's time, as Red Hat may: the
        // stored case must say the same, or the first cycle sees every case "moved" (and
        // reads its attachments).
        lastModifiedAt: new Date(
          historyStart + options.historyPerCase * HISTORY_SPACING_MS,
        ).toISOString(),
      });
    });
    const chatId = FIRST_CHAT_ID + c;
    state.chats[String(chatId)] = {
      id: chatId,
      type: 'private',
      active: true,
      audience: 'associate',
      credentialId: credential.id,
      subscriptions: {},
      createdAt,
      // Rules as /follow stores them, on a product no bench case has: discovery runs and
      // costs what it costs, and follows nothing.
      ...(options.rulesPerChat > 0
        ? {
            rules: Array.from({ length: options.rulesPerChat }, (_, i) => ({
              id: i + 1,
              product: ['bench', `rule${i + 1}`],
              createdAt,
            })),
          }
        : {}),
    };
    // Searched up to the cases' last change, as /follow leaves it: the first search is a
    // quiet one too.
    if (options.rulesPerChat > 0) {
      credential.discoveredUpTo = new Date(
        historyStart + options.historyPerCase * HISTORY_SPACING_MS,
      ).toISOString();
    }
    chats.push({ chatId, username, credentialId: credential.id, cases });
  }

  // The clients open the credentials from the vault's store, as the daemon's do.
  await memory.update((draft) => {
    Object.assign(draft.credentials, state.credentials);
  });
  portal.resetCounters();
  const seedStart = performance.now();
  // p-queue, the daemon's own limiter: add() resolves with the task's result.
  const queue = new PQueue({ concurrency: SEED_CONCURRENCY });
  const seededPaths = new Map<string, number>();
  await Promise.all(
    chats.map(async (chat) => {
      const client = vault.clientFor(chat.credentialId);
      if (!client) throw new Error(`bench world: no client for chat ${chat.chatId}`);
      // verify() settles the client on its path (v3), so the reads below take that path.
      const { path } = await queue.add(() => client.verify());
      const key = path ?? 'unknown';
      seededPaths.set(key, (seededPaths.get(key) ?? 0) + 1);
      const seen = await readExistingComments(client, chat.cases, queue);
      const items: NewSubscription[] = chat.cases.map((n) => {
        const comments = seen.get(n) ?? [];
        if (comments.length !== options.historyPerCase) {
          throw new Error(
            `bench world: case ${n} read ${comments.length} comments through ${key}, expected ${options.historyPerCase}`,
          );
        }
        return { kase: fields.get(n)!, seenComments: comments.filter((c) => !c.isDraft) };
      });
      addSubscriptions(state, chat.chatId, items, createdAt);
    }),
  );
  const seedMs = performance.now() - seedStart;
  const seedRequests = portal.requests.length;

  const valid = parseState(state);
  const store = await openJsonFileStore({ path: options.dbPath, logger: silent });
  try {
    await store.update((draft) => {
      Object.assign(draft, valid);
    });
  } finally {
    await store.close();
  }

  // One case as the daemon's client reads it: its fields must be those stored.
  const first = chats[0];
  if (first) {
    const client = vault.clientFor(first.credentialId);
    const caseNumber = first.cases[0];
    if (!client || caseNumber === undefined) throw new Error('bench world: no client for chat 0');
    const kase = await client.getCase(caseNumber);
    const sub = valid.chats[String(first.chatId)]?.subscriptions[caseNumber];
    const mismatch = (['summary', 'status', 'severity', 'product', 'closed'] as const).filter(
      (field) => sub?.[field] !== kase[field],
    );
    if (mismatch.length > 0) {
      throw new Error(
        `bench world: the stored subscription differs from the portal's case in ${mismatch.join(', ')}; the first sweep would write`,
      );
    }
  }
  portal.resetCounters();
  return {
    chats,
    subscriptions: options.chats * options.casesPerChat,
    portal: portalConfig,
    seededPaths,
    seedRequests,
    seedMs,
  };
}

/**
 * The comments on each case as this client's path returns them: in batches when the path's
 * batch carries comments (GraphQL), else one comment list per case (REST v3, Hydra).
 */
async function readExistingComments(
  client: PortalClient,
  cases: readonly CaseNumber[],
  queue: PQueue,
): Promise<Map<CaseNumber, readonly Comment[]>> {
  const out = new Map<CaseNumber, readonly Comment[]>();
  const mode = client.readMode();
  if (mode.kind === 'batch' && mode.withComments) {
    for (let i = 0; i < cases.length; i += SEED_BATCH) {
      const read = await queue.add(() => client.readCases(cases.slice(i, i + SEED_BATCH)));
      for (const [n, found] of read.cases) {
        if (found.comments !== undefined && found.commentsComplete) out.set(n, found.comments);
      }
    }
  }
  await Promise.all(
    cases
      .filter((n) => !out.has(n))
      .map(async (n) => out.set(n, await queue.add(() => client.listComments(n)))),
  );
  return out;
}
