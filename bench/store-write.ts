// How long one committed write of a large state takes in the JSON file store.
//
// State: 1,000 chats × 10 followed cases (10,000 subscriptions), each with 5 seen comment ids of
// 18 characters, and one sealed credential per chat. Measures 50 writes that each change one
// seen list, then 50 updates that change nothing (no file write), and, for comparison, the
// whole-state steps an update took before transactions became copy-on-write (a copy, a
// validation and a serialisation of everything; a load still parses and validates it all once).
//
// Run: node --import tsx bench/store-write.ts
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createSecretBox } from '../src/secrets.js';
import { openJsonFileStore } from '../src/store/json-file-store.js';
import { emptyState, parseState, type State } from '../src/store/schema.js';

const CHATS = 1_000;
const CASES_PER_CHAT = 10;
const SEEN_PER_CASE = 5;
const RUNS = 50;

function commentId(n: number): string {
  // 18 characters, like the portal's comment ids.
  return `a0a6R00000${n.toString(36).padStart(8, '0')}`;
}

function buildState(): State {
  const box = createSecretBox('bench-key-material-0123456789');
  const state = emptyState();
  const createdAt = new Date('2024-05-01T10:00:00Z').toISOString();
  let comment = 0;
  for (let c = 0; c < CHATS; c++) {
    const credentialId = `cred${c.toString().padStart(12, '0')}`;
    state.credentials[credentialId] = {
      id: credentialId,
      kind: 'offline-token',
      secret: box.encrypt(`offline-token-${c}-${'x'.repeat(600)}`),
      label: `offline token …${c.toString().padStart(4, '0')}`,
      createdAt,
    };
    const subscriptions: State['chats'][string]['subscriptions'] = {};
    for (let k = 0; k < CASES_PER_CHAT; k++) {
      const caseNumber = String(3_000_000 + c * CASES_PER_CHAT + k).padStart(8, '0');
      subscriptions[caseNumber] = {
        caseNumber,
        addedAt: createdAt,
        seen: Array.from({ length: SEEN_PER_CASE }, () => commentId(comment++)),
        summary: `Cluster upgrade stuck at 87% on node ${k}`,
        status: 'Waiting on Red Hat',
        severity: '3 (Normal)',
        product: 'OpenShift Container Platform',
        closed: false,
      };
    }
    state.chats[String(100_000 + c)] = {
      id: 100_000 + c,
      type: 'private',
      active: true,
      audience: 'associate',
      credentialId,
      subscriptions,
      createdAt,
    };
  }
  return parseState(state);
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const max = sorted[sorted.length - 1] ?? NaN;
  return `median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pushbot-bench-'));
  const path = join(dir, 'db.json');
  const store = await openJsonFileStore({ path, logger: pino({ level: 'silent' }) });
  try {
    const big = buildState();
    await store.update((draft) => {
      Object.assign(draft, structuredClone(big));
    });
    const size = (await stat(path)).size;
    console.log(
      `db.json: ${(size / 1024 / 1024).toFixed(2)} MiB, ${CHATS * CASES_PER_CHAT} subscriptions, ${CHATS} credentials`,
    );

    const writes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const chat = String(100_000 + (i % CHATS));
      const start = performance.now();
      await store.update((draft) => {
        const subscriptions = draft.chats[chat]!.subscriptions;
        const first = Object.values(subscriptions)[0]!;
        first.seen.push(commentId(1_000_000 + i));
      });
      writes.push(performance.now() - start);
    }
    console.log(`write (one change):      ${stats(writes)}  [${RUNS} runs]`);

    const before = store.writeCount;
    const noops: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      await store.update(() => undefined);
      noops.push(performance.now() - start);
    }
    if (store.writeCount !== before) throw new Error('an update that changed nothing wrote');
    console.log(`update (no change):      ${stats(noops)}  [${RUNS} runs]`);

    // What whole-state steps would cost on this state (CPU only); src/store/transaction.ts
    // copies, validates and re-serialises only the entries a transaction changed.
    console.log('whole-state steps, for comparison (no longer taken per update):');
    const state = store.read() as State;
    const text = JSON.stringify(state);
    const clone: number[] = [];
    const copy: number[] = [];
    const parse: number[] = [];
    const serialize: number[] = [];
    for (let i = 0; i < 20; i++) {
      clone.push(time(() => structuredClone(state)));
      copy.push(time(() => JSON.parse(text)));
      parse.push(time(() => parseState(state)));
      serialize.push(time(() => JSON.stringify(state)));
    }
    console.log(`  structuredClone:       ${stats(clone)}`);
    console.log(`  JSON.parse (the copy): ${stats(copy)}`);
    console.log(`  parseState (zod):      ${stats(parse)}`);
    console.log(`  JSON.stringify:        ${stats(serialize)}`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
