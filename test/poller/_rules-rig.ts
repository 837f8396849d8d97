// A rig for the poller's follow rules, severity and attachment notices: the real v3 client over
// the loopback fake portal (GraphQL + REST v3), one credential, chats set up the way /setup,
// /follow and /add leave them, and a cycle that moves both clocks a minute and says what it
// cost at the network.
import { addSubscriptions } from '../../src/bot/support/chat-state.js';
import type { Audience, CaseNumber } from '../../src/domain.js';
import { settleEntry } from '../../src/outbox/index.js';
import { createPoller, type Poller } from '../../src/poller/poller.js';
import type { CycleStats } from '../../src/poller/stats.js';
import { parseRule } from '../../src/rules/rule.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { OutboxEntry, RuleState } from '../../src/store/schema.js';
import type { StateStore } from '../../src/store/store.js';
import {
  startFakePortal,
  type FakeEndpoint,
  type FakePortal,
  type FakePortalOptions,
} from '../_helpers/fake-portal.js';
import {
  collectLogs,
  manualClock,
  recordingReporter,
  testConfig,
  v3Portal,
  vaultFor,
  type LogCollector,
  type ManualClock,
} from './_support.js';

export const START = Date.parse('2026-12-03T09:00:00Z');
export const MINUTE = 60_000;
const TOKEN = 'rules-rig-offline-token-abcdefghijklmnopqrstuvwxyz';

export interface ChatSetup {
  chatId: number;
  audience?: Audience;
  /** /follow rules, as typed after the command ("sev 1,2", "all"). */
  rules?: string[];
  /** Cases added by hand (/add), read from the portal now. */
  cases?: CaseNumber[];
  /** /attachments off. */
  attachmentsOff?: boolean;
}

export interface CycleCost {
  /** Portal requests (token exchanges aside). */
  requests: number;
  /** GraphQL requests (the batches and the search). */
  graphql: number;
  /** REST v3 attachment lists. */
  attachments: number;
  writes: number;
  stats: CycleStats;
}

export interface RulesRig {
  fake: FakePortal;
  clock: ManualClock;
  store: StateStore;
  poller: Poller;
  logs: LogCollector;
  credentialId: string;
  addChat(setup: ChatSetup): Promise<void>;
  /** Moves both clocks a minute, runs a cycle, and says what it cost. */
  cycle(): Promise<CycleCost>;
  /** Every entry now in the outbox, then settled (delivered), as the worker would. */
  deliver(): Promise<OutboxEntry[]>;
  /** A comment on the fake portal, a second after the previous one (default: an associate's). */
  comment(caseNumber: CaseNumber, body: string, authorType?: string): void;
}

export function ruleOf(text: string, id: number, createdAt = START): RuleState {
  const parsed = parseRule(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return {
    id,
    ...(parsed.rule.severities ? { severities: [...parsed.rule.severities] } : {}),
    ...(parsed.rule.product ? { product: [...parsed.rule.product] } : {}),
    ...(parsed.rule.group ? { group: [...parsed.rule.group] } : {}),
    createdAt: new Date(createdAt).toISOString(),
  };
}

export async function rulesRig(
  options: FakePortalOptions & { maxCasesPerRule?: number } = {},
): Promise<RulesRig> {
  const { maxCasesPerRule = 200, ...fakeOptions } = options;
  const fake = await startFakePortal({ startTime: START, ...fakeOptions });
  fake.addUser({ username: 'reader', offlineToken: TOKEN });
  const clock = manualClock(START);
  const store = createMemoryStore();
  const logs = collectLogs('debug');
  const base = testConfig({ poll: { fullSweepEvery: 1000 } });
  const config = { ...base, rules: { maxPerChat: 10, maxCasesPerRule } };
  const vault = vaultFor(store, v3Portal(fake, config, logs.logger, clock), clock);
  const credential = vault.seal({ kind: 'offline-token', offlineToken: TOKEN }, 'reader');
  await store.update((d) => {
    d.credentials[credential.id] = credential;
  });
  const poller = createPoller({
    config,
    store,
    vault,
    logger: logs.logger,
    clock,
    reporter: recordingReporter(),
    destinations: ['telegram'],
  });
  let seconds = 0;
  const count = (endpoint: FakeEndpoint) => fake.count({ endpoint });

  return {
    fake,
    clock,
    store,
    poller,
    logs,
    credentialId: credential.id,
    async addChat(setup) {
      const client = vault.clientForUnsaved({ kind: 'offline-token', offlineToken: TOKEN });
      const added = await Promise.all(
        (setup.cases ?? []).map(async (n) => ({
          kase: await client.getCase(n),
          seenComments: await client.listComments(n),
        })),
      );
      const nowIso = new Date(clock.now()).toISOString();
      await store.update((d) => {
        d.chats[String(setup.chatId)] = {
          id: setup.chatId,
          type: setup.chatId > 0 ? 'private' : 'group',
          active: true,
          audience: setup.audience ?? 'both',
          credentialId: credential.id,
          subscriptions: {},
          createdAt: nowIso,
          ...(setup.rules ? { rules: setup.rules.map((r, i) => ruleOf(r, i + 1)) } : {}),
          ...(setup.attachmentsOff === true ? { attachments: false } : {}),
        };
        addSubscriptions(d, setup.chatId, added, nowIso);
        // What /add does in format 3: the case's files so far are history.
        for (const { kase } of added) {
          const sub = d.chats[String(setup.chatId)]?.subscriptions[kase.number];
          if (!sub) continue;
          sub.attachmentsSince = nowIso;
          sub.attachmentsReadAt = kase.lastModifiedAt;
        }
      });
    },
    async cycle() {
      await clock.advance(MINUTE);
      fake.advanceTime(MINUTE);
      fake.resetCounters();
      const writes = store.writeCount;
      const stats = await poller.runCycle();
      return {
        requests: fake.requests.filter((r) => r.endpoint !== 'token').length,
        graphql: count('graphql'),
        attachments: count('v3-attachments'),
        writes: store.writeCount - writes,
        stats,
      };
    },
    async deliver() {
      const entries = store.read().outbox.map((e) => structuredClone(e) as OutboxEntry);
      await store.update((d) => {
        for (const e of entries) settleEntry(d, e.id, false);
      });
      return entries;
    },
    comment(caseNumber, body, authorType = 'Associate') {
      seconds++;
      fake.addComment(caseNumber, {
        body,
        author: 'Bob Engineer',
        authorType,
        createdAt: new Date(fake.now() + seconds * 1000).toISOString(),
      });
    },
  };
}

/** The bodies of the comment entries among `entries`. */
export const bodies = (entries: readonly OutboxEntry[]): string[] =>
  entries.flatMap((e) => (e.kind === 'comment' && e.comment ? [e.comment.body] : []));

/** The entries of one kind. */
export const ofKind = (entries: readonly OutboxEntry[], kind: OutboxEntry['kind']): OutboxEntry[] =>
  entries.filter((e) => e.kind === kind);
