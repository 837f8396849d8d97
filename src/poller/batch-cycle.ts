// The cycle of a credential on a batch path (v3 GraphQL): its due cases in requests of
// mode.batchSize, each answer giving every case's fields (and, on path "graphql", its newest
// comments). A quiet cycle is ⌈cases / batchSize⌉ requests. Comments are read one case at a
// time only when the batch cannot show everything new:
//   - path "graphql": the case has more comments than the answer carried, and some of those it
//     carried are not known yet (so older unknown ones may exist beyond them);
//   - path "graphql+rest": the case moved since its comments were last read (or nothing is
//     known of them yet), as the filter path decides.
import type { Case, CaseNumber, Comment } from '../domain.js';
import {
  isPortalError,
  type BatchRead,
  type PortalClient,
  type ReadMode,
} from '../portal/types.js';

export interface BatchCycleContext {
  cases: readonly CaseNumber[];
  mode: Extract<ReadMode, { kind: 'batch' }>;
  portal: PortalClient;
  /** Runs one portal call within the pass's limiter (counts one request, may halt). */
  request<T>(fn: () => Promise<T>): Promise<T>;
  stats: { portalRequests: number; casesFetched: number };
  now(): number;
  halted(): boolean;
  onBatchOk(): void;
  fail(caseNumber: CaseNumber, err: unknown): void;
  notVisible(caseNumber: CaseNumber): void;
  ok(
    caseNumber: CaseNumber,
    kase: Case,
    comments: readonly Comment[] | undefined,
    readAt: number,
  ): void;
  readComments(caseNumber: CaseNumber, kase: Case, readAt: number): Promise<void>;
  /** Whether the case's comment list must be read: `returned` is what the batch carried. */
  needsComments(
    caseNumber: CaseNumber,
    kase: Case,
    returned: readonly Comment[] | undefined,
  ): boolean;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Reads every case through batches. Returns the cases to read one by one instead, because
 * the client found no batch path that works for this credential (it already switched mode).
 */
export async function readBatches(ctx: BatchCycleContext): Promise<CaseNumber[]> {
  const stepDown: CaseNumber[] = [];
  await Promise.all(
    chunks(ctx.cases, Math.max(1, ctx.mode.batchSize)).map(async (batch) => {
      if (ctx.halted()) return;
      const readAt = ctx.now();
      let read: BatchRead;
      try {
        read = await ctx.request(() => ctx.portal.readCases(batch));
      } catch (err) {
        if (isPortalError(err) && err.kind === 'unsupported') {
          stepDown.push(...batch);
          return;
        }
        for (const n of batch) ctx.fail(n, err);
        return;
      }
      ctx.onBatchOk();
      // The first request was counted by ctx.request; pages and confirmations are extra.
      ctx.stats.portalRequests += Math.max(0, read.requests - 1);
      for (const n of read.notVisible) ctx.notVisible(n);
      for (const [n, err] of read.failed) ctx.fail(n, err);
      const fullReads: Promise<void>[] = [];
      for (const [n, found] of read.cases) {
        ctx.stats.casesFetched++;
        const returned = read.mode.withComments ? found.comments : undefined;
        const complete = returned !== undefined && found.commentsComplete;
        if (complete || !ctx.needsComments(n, found.kase, returned)) {
          // On path "graphql" the carried comments are what is new (or nothing is); without
          // comments, an unmoved case keeps what its last read found.
          ctx.ok(n, found.kase, returned, readAt);
        } else {
          fullReads.push(ctx.readComments(n, found.kase, readAt));
        }
      }
      await Promise.all(fullReads);
    }),
  );
  return stepDown;
}

/** Runs `read` for every case (the limiter in `read` bounds the concurrency). */
export async function readEachCase(
  cases: readonly CaseNumber[],
  read: (caseNumber: CaseNumber) => Promise<void>,
): Promise<void> {
  await Promise.all(cases.map((n) => read(n)));
}
