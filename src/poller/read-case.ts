// Reading one case for a credential's pass, and recording what came back in the run's outcome.
// readCase, then listComments only when the case moved since its comments were last read, or
// its answer embeds a comment no chat has seen.
import type { Case, CaseNumber, Comment } from '../domain.js';
import { PendingComments } from '../outbox/index.js';
import type { CaseRead } from '../portal/types.js';
import type { ChatState } from '../store/schema.js';
import { holds } from '../store/seen.js';
import type { DeepReadonly } from '../store/store.js';
import type { CredentialRun } from './context.js';
import { isPaused } from './credential-runtime.js';
import { followers } from './outcome.js';
import { applyFailure, haltsCredential, HaltedError } from './portal-failure.js';

/** Runs one portal request within the pass's limiter, counted; halts the run on auth or 429. */
export function request<T>(run: CredentialRun, fn: () => Promise<T>): Promise<T> {
  const { pass, env } = run;
  return pass.schedule(async () => {
    // Requests already queued when the portal said 429 (or rejected the credential) are
    // not sent: it asked us to stop. `halted` is set here, before the limiter starts the
    // next queued request. A 429 met by another pass pauses this one too.
    if (run.halted || pass.signal?.aborted || isPaused(run.rt, env.clock.now())) {
      throw new HaltedError();
    }
    pass.stats.portalRequests++;
    try {
      return await fn();
    } catch (err) {
      if (haltsCredential(err)) run.halted = true;
      throw err;
    }
  });
}

/** Records a failed read of the case (as portal-failure.ts decides). */
export function fail(run: CredentialRun, caseNumber: CaseNumber, err: unknown): void {
  const r = applyFailure(run, caseNumber, err);
  if (r) run.outcome.results.set(caseNumber, r);
}

/** Records a read of the case; `comments` undefined: its comments were not read. */
export function ok(
  run: CredentialRun,
  caseNumber: CaseNumber,
  kase: Case | undefined,
  comments: readonly Comment[] | undefined,
  readAt: number,
): void {
  const result = {
    kind: 'ok',
    kase,
    comments: comments ?? [],
    commentsFetched: comments !== undefined,
    readAt,
  } as const;
  run.outcome.results.set(caseNumber, result);
  run.onRead(caseNumber, result);
}

/** Comments of a case, recorded as the case's result (with its fields when known). */
export async function readComments(
  run: CredentialRun,
  caseNumber: CaseNumber,
  kase: Case | undefined,
  readAt: number,
): Promise<void> {
  if (run.halted) return;
  try {
    const comments = await request(run, () => run.portal.listComments(caseNumber));
    run.pass.stats.commentReads++;
    ok(run, caseNumber, kase, comments, readAt);
  } catch (err) {
    fail(run, caseNumber, err);
  }
}

/**
 * readCase, then listComments unless the case has not moved since its comments were last
 * read (well after its last modification) and its answer embeds nothing unseen. A
 * credential's first check reads every case's comments: nothing is known of them yet.
 */
export async function fetchCase(run: CredentialRun, caseNumber: CaseNumber): Promise<void> {
  if (run.halted) return;
  const readAt = run.env.clock.now();
  let read: CaseRead;
  try {
    read = await request(run, () => run.portal.readCase(caseNumber));
  } catch (err) {
    fail(run, caseNumber, err);
    return;
  }
  const { kase } = read;
  run.pass.stats.casesFetched++;
  if (!changedSinceRead(run, caseNumber, kase, read.comments)) {
    ok(run, caseNumber, kase, undefined, readAt);
    return;
  }
  await readComments(run, caseNumber, kase, readAt);
}

/** Whether the case's comments must be read again (the negation of "unchanged" below). */
export function changedSinceRead(
  run: CredentialRun,
  caseNumber: CaseNumber,
  kase: Case,
  embedded: readonly Comment[],
): boolean {
  return (
    !unchangedSinceRead(
      run.rt.modified.get(caseNumber),
      kase.lastModifiedAt,
      run.env.timing.sinceSafetyMarginMs,
    ) || embedsUnseen(run, caseNumber, embedded)
  );
}

/**
 * True when a case's comments need not be read again: its lastModifiedAt is the one seen at the
 * last read, and that read started well after the modification. Portal dates have one-second
 * resolution and the portal's clock is not ours, so a read soon after a modification may have
 * missed a comment written in the same second: such a case is read again until the margin has
 * passed.
 */
export function unchangedSinceRead(
  last: { lastModifiedAt: string; readAt: number } | undefined,
  lastModifiedAt: string,
  marginMs: number,
): boolean {
  if (last === undefined || last.lastModifiedAt !== lastModifiedAt) return false;
  const modifiedAt = Date.parse(lastModifiedAt);
  return !Number.isNaN(modifiedAt) && last.readAt - modifiedAt >= marginMs;
}

/**
 * True when a case answer embeds a public comment that some chat following the case with
 * this credential has neither seen nor waiting in its outbox: the answer shows something new,
 * whatever lastModifiedAt says. `run.pending` is built only when a comment is not in `seen`.
 */
export function embedsUnseen(
  run: CredentialRun,
  caseNumber: CaseNumber,
  embedded: readonly Comment[],
): boolean {
  const visible = embedded.filter((c) => c.isPublic && !c.isDraft);
  if (visible.length === 0) return false;
  return followers(run.chats, caseNumber, run.env.keepClosedCases).some((chat) =>
    holdsUnseen(run, chat, caseNumber, visible),
  );
}

/**
 * True when `comments` hold one this chat has neither seen (by id or print, or handled under
 * another API's ids, diff.ts) nor waiting in its outbox. `run.pending` is built only when a
 * comment is not in `seen`.
 */
export function holdsUnseen(
  run: CredentialRun,
  chat: DeepReadonly<ChatState>,
  caseNumber: CaseNumber,
  comments: readonly Comment[],
): boolean {
  const sub = chat.subscriptions[caseNumber];
  const seen = new Set(sub?.seen ?? []);
  const upTo = sub?.seenUpTo !== undefined ? Date.parse(sub.seenUpTo) : Number.NaN;
  const unseen = comments.filter(
    (c) =>
      !holds(seen, c) && !((c.idSpace ?? 'v1') !== sub?.via && Date.parse(c.createdAt) <= upTo),
  );
  if (unseen.length === 0) return false;
  run.pending ??= new PendingComments(run.state.outbox);
  const waiting = run.pending.of(chat.id, caseNumber);
  return unseen.some((c) => !holds(waiting, c));
}
