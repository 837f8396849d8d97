// What a cycle and a sweep report: the fields of their debug log lines ("poll cycle done",
// "sweep done") and of what runCycle/runSweep return. Schemas, so that a reader of those lines
// (the benchmark) parses them against the daemon's own definition instead of a copy.
import { z } from 'zod';

export const CYCLE_DONE_MSG = 'poll cycle done';
export const SWEEP_DONE_MSG = 'sweep done';

/** What one pass (a cycle or a sweep) cost and did. */
export const passCountersSchema = z.object({
  /** Credentials that had followed cases (or follow rules) and were not paused. */
  credentials: z.number().int(),
  portalRequests: z.number().int(),
  casesFetched: z.number().int(),
  /** Portal failures this cycle (any kind). */
  portalFailures: z.number().int(),
  /** Store transactions this cycle committed (0 in a quiet cycle). */
  storeWrites: z.number().int(),
  /** Outbox entries this cycle added. */
  enqueued: z.number().int(),
  /** Cases whose comments were read (listComments); the others had not moved. */
  commentReads: z.number().int(),
  /** Follow rules' searches asked (at most one per credential per cycle; in portalRequests). */
  searches: z.number().int(),
  /** Attachment lists asked, one per case that moved (in portalRequests). */
  attachmentReads: z.number().int(),
});
export type PassCounters = z.infer<typeof passCountersSchema>;

export const cycleStatsSchema = passCountersSchema.extend({
  cycle: z.number().int(),
  /** Some credential was read in full in this cycle (its first check since start). */
  fullSweep: z.boolean(),
  /** A background sweep was running when this cycle started. */
  sweepRunning: z.boolean(),
  startedAt: z.string(),
  durationMs: z.number(),
});
export type CycleStats = z.infer<typeof cycleStatsSchema>;

export const sweepStatsSchema = passCountersSchema.extend({
  sweep: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number(),
  /** Stopped before the end (shutdown). */
  aborted: z.boolean(),
});
export type SweepStats = z.infer<typeof sweepStatsSchema>;

export function newCounters(): PassCounters {
  return {
    credentials: 0,
    portalRequests: 0,
    casesFetched: 0,
    portalFailures: 0,
    storeWrites: 0,
    enqueued: 0,
    commentReads: 0,
    searches: 0,
    attachmentReads: 0,
  };
}
