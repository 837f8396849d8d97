// The benchmark's world: N chats, each with its own portal account (an offline token) and M
// followed cases, registered in the fake portal and pre-written to db.json, so the daemon starts
// with every subscription in place and every existing comment already seen.
//
// Creating 10,000 subscriptions through the bot (/setup, /add) would take longer than the
// measurement; the state is written instead, exactly as the daemon would have written it:
// credentials are sealed by the daemon's own CredentialVault (same secret box, same ids and
// fingerprints), the file is written by the JSON file store (validated by the state schema),
// and one stored credential is checked against the fake portal through the daemon's own portal
// client before the daemon starts.
import { pino } from 'pino';
import type { Config } from '../src/config.js';
import { createCredentialVault } from '../src/credentials.js';
import { systemClock, type CaseNumber } from '../src/domain.js';
import { createPortalClientFactory } from '../src/portal/index.js';
import { createSecretBox, createSecretScrubber } from '../src/secrets.js';
import { openJsonFileStore } from '../src/store/json-file-store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { emptyState, parseState, type ChatState, type State } from '../src/store/schema.js';
import type { FakePortal } from '../test/_helpers/fake-portal.js';

/** Private chat ids start here (Telegram user ids are positive). */
const FIRST_CHAT_ID = 700_000_000;
/** Case numbers are 8 digits, as on the portal. */
const FIRST_CASE_NUMBER = 10_000_000;
/** Existing comments and the cases' last change are this old: outside any `since` window. */
const HISTORY_AGE_MS = 24 * 60 * 60_000;
const HISTORY_SPACING_MS = 60_000;

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
}

function caseNumberOf(chat: number, k: number, casesPerChat: number): CaseNumber {
  return String(FIRST_CASE_NUMBER + chat * casesPerChat + k);
}

/**
 * Registers users, cases and their history in the fake portal, writes db.json at `dbPath`, and
 * checks chat 0's sealed credential opens and reads a case as the daemon will.
 */
export async function buildWorld(options: {
  portal: FakePortal;
  chats: number;
  casesPerChat: number;
  historyPerCase: number;
  secretKey: string;
  dbPath: string;
}): Promise<World> {
  const { portal } = options;
  const silent = pino({ level: 'silent' });
  const portalConfig: Config['portal'] = {
    api: 'hydra',
    baseUrl: portal.hydraBaseUrl,
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

    const subscriptions: ChatState['subscriptions'] = {};
    cases.forEach((caseNumber, k) => {
      const summary = `${SUMMARIES[k % SUMMARIES.length] ?? 'Case'} (${caseNumber})`;
      portal.addCase({ number: caseNumber, summary, lastModifiedAt: createdAt });
      const seen: string[] = [];
      for (let h = 0; h < options.historyPerCase; h++) {
        seen.push(
          portal.addComment(caseNumber, {
            createdAt: new Date(historyStart + (h + 1) * HISTORY_SPACING_MS).toISOString(),
            authorType: h % 2 === 0 ? 'Associate' : 'Customer',
            body: `Earlier comment ${h + 1} on ${caseNumber}.`,
          }),
        );
      }
      // What the portal will answer for the case, so the first sweep finds nothing to store.
      subscriptions[caseNumber] = {
        caseNumber,
        addedAt: createdAt,
        seen,
        summary,
        status: 'Waiting on Red Hat',
        severity: '3 (Normal)',
        product: 'Red Hat Enterprise Linux',
        closed: false,
      };
    });
    const chatId = FIRST_CHAT_ID + c;
    state.chats[String(chatId)] = {
      id: chatId,
      type: 'private',
      active: true,
      audience: 'associate',
      credentialId: credential.id,
      subscriptions,
      createdAt,
    };
    chats.push({ chatId, username, credentialId: credential.id, cases });
  }

  const valid = parseState(state);
  const store = await openJsonFileStore({ path: options.dbPath, logger: silent });
  try {
    await store.update((draft) => {
      Object.assign(draft, valid);
    });
  } finally {
    await store.close();
  }

  // One credential end to end, as the daemon will use it: unseal, token exchange, getCase.
  const first = chats[0];
  if (first) {
    await memory.update((draft) => {
      const credential = valid.credentials[first.credentialId];
      if (credential) draft.credentials[credential.id] = credential;
    });
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
    portal.resetCounters();
  }
  return { chats, subscriptions: options.chats * options.casesPerChat, portal: portalConfig };
}
