// Reading followed cases' files (listAttachments), the read side of apply-attachments.ts. Right
// after a case's read worked (so the pass's requests stay queued back to back: a sweep does not
// slip in between), for the cases that moved only, and only when some chat following the case
// wants file notices (/attachments, on by default):
//   - the case's fields were read (a cycle's batch or readCase, a sweep): it moved when its
//     lastModifiedAt is a later one than the subscription's attachmentsReadAt;
//   - REST v3 alone reads only comments in a cycle: the case moved when they brought a comment
//     some such chat has not seen (the sweep's read, with the fields, catches the rest).
// A subscription without attachmentsReadAt (older than attachment notices) is not read for: the
// transaction records where the case is, and its next move is read. A quiet cycle reads none.
//
// A failed list is logged and read again at the case's next read that finds it moved (its
// attachmentsReadAt stays); 'unsupported' or 'gone' (the API is not there for this credential)
// stops attachment reads of the credential for ATTACHMENTS_RETRY_AFTER_MS.
import type { CaseNumber, Comment } from '../domain.js';
import type { ChatState } from '../store/schema.js';
import type { DeepReadonly } from '../store/store.js';
import { movedSince } from './apply-attachments.js';
import type { CredentialRun } from './context.js';
import { followers, wantsAttachments, type CaseResult } from './outcome.js';
import { applySideFailure } from './portal-failure.js';
import { holdsUnseen, request } from './read-case.js';

type OkResult = Extract<CaseResult, { kind: 'ok' }>;

/** A comment the chat has neither seen nor waiting in its outbox, and would be told about. */
function bringsNewComment(
  run: CredentialRun,
  chat: DeepReadonly<ChatState>,
  caseNumber: CaseNumber,
  comments: readonly Comment[],
): boolean {
  if (!chat.subscriptions[caseNumber]) return false;
  const deliverable = comments.filter(
    (c) =>
      c.isPublic && !c.isDraft && (c.authorType === 'associate' || c.authorType === 'customer'),
  );
  return deliverable.length > 0 && holdsUnseen(run, chat, caseNumber, deliverable);
}

/** Whether the case's files should be read now (see the header). */
export function movedForAttachments(
  run: CredentialRun,
  caseNumber: CaseNumber,
  result: OkResult,
): boolean {
  const chats = followers(run.chats, caseNumber, run.env.keepClosedCases).filter((chat) => {
    const readAt = chat.subscriptions[caseNumber]?.attachmentsReadAt;
    return wantsAttachments(chat) && readAt !== undefined;
  });
  if (chats.length === 0) return false;
  const { kase } = result;
  if (kase !== undefined) {
    return chats.some((chat) =>
      movedSince(chat.subscriptions[caseNumber]?.attachmentsReadAt, kase.lastModifiedAt),
    );
  }
  return (
    result.commentsFetched &&
    chats.some((chat) => bringsNewComment(run, chat, caseNumber, result.comments))
  );
}

/**
 * Reads the case's files when it moved (after its read worked), into run.outcome.attachments.
 * Returns the read's promise, or undefined when there is nothing to read.
 */
export function readAttachmentsIfMoved(
  run: CredentialRun,
  caseNumber: CaseNumber,
  result: OkResult,
): Promise<void> | undefined {
  const { rt, env } = run;
  if (run.halted) return undefined;
  if (rt.attachmentsRetryAt !== undefined && env.clock.now() < rt.attachmentsRetryAt) {
    return undefined;
  }
  if (!movedForAttachments(run, caseNumber, result)) return undefined;
  return (async () => {
    try {
      const files = await request(run, () => {
        run.pass.stats.attachmentReads++;
        return run.portal.listAttachments(caseNumber);
      });
      run.outcome.attachments.set(caseNumber, {
        files,
        lastModifiedAt: result.kase?.lastModifiedAt,
      });
      rt.failures.delete('*attachments');
      rt.attachmentsRetryAt = undefined;
    } catch (err) {
      if (applySideFailure(run, 'attachments', err, caseNumber) !== 'refused') return;
      const now = env.clock.now();
      // Logged once per pause (lists already queued when the first refusal came still go).
      if (rt.attachmentsRetryAt !== undefined && now < rt.attachmentsRetryAt) return;
      rt.attachmentsRetryAt = now + env.timing.attachmentsRetryAfterMs;
      run.log.warn(
        { err, retryInMs: env.timing.attachmentsRetryAfterMs },
        'this credential cannot read case attachments: no file notices for now',
      );
    }
  })();
}
