// The fake portal's state and the test-side operations on it (addUser, addCase, addComment,
// addAttachment, setSeverity…), independent of any API: every API renders this one state.
//
// lastModifiedAt: creating a case sets it (default now); a status, severity or close change
// bumps it to now; a comment (new, edited or published) bumps it to the comment's time only
// with commentsBumpCaseModified, and an attachment only with attachmentsBumpCaseModified (both
// default true; the reference does not know, §12-Q3). A bump never moves it backwards.
import type {
  FakeAttachmentInput,
  FakeCaseInput,
  FakeCommentInput,
  FakePortal,
  FakeUserInput,
} from './fake-portal-types.js';
import type { CaseModel, CommentModel, PortalState } from './fake-portal-model.js';

export const DEFAULT_RECORD_TYPE = 'Technical Support';
export const DEFAULT_ACCESS_RESTRICTIONS = 'None';
const DEFAULT_ATTACHMENT_BYTES = 1024;
const DEFAULT_ATTACHMENT_AUTHOR = 'Example Customer';

export type FakeModelOps = Pick<
  FakePortal,
  | 'addUser'
  | 'addCase'
  | 'addComment'
  | 'editComment'
  | 'publishComment'
  | 'addAttachment'
  | 'setStatus'
  | 'setSeverity'
  | 'closeCase'
  | 'now'
  | 'advanceTime'
>;

export interface FakeModelOptions {
  startTime?: number | undefined;
  commentsBumpCaseModified?: boolean | undefined;
  attachmentsBumpCaseModified?: boolean | undefined;
}

function parseDate(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`fake portal: not a date: ${text}`);
  return ms;
}

/** A base-36 sequence number, upper case, padded to `width`. */
const seq36 = (n: number, width: number): string =>
  n.toString(36).toUpperCase().padStart(width, '0');

export function createFakeModel(options: FakeModelOptions = {}): {
  state: PortalState;
  ops: FakeModelOps;
} {
  const commentsBump = options.commentsBumpCaseModified ?? true;
  const attachmentsBump = options.attachmentsBumpCaseModified ?? true;
  const state: PortalState = {
    users: new Map(),
    cases: new Map(),
    clock: options.startTime ?? Math.floor(Date.now() / 1000) * 1000,
  };
  let commentSeq = 0;
  let caseSeq = 0;
  let attachmentSeq = 0;

  const caseOf = (number: string): CaseModel => {
    const found = state.cases.get(number);
    if (!found) throw new Error(`fake portal: no case ${number}`);
    return found;
  };
  const commentOf = (number: string, id: string): { kase: CaseModel; comment: CommentModel } => {
    const kase = caseOf(number);
    const comment = kase.comments.find((c) => c.id === id);
    if (!comment) throw new Error(`fake portal: no comment ${id} on case ${number}`);
    return { kase, comment };
  };
  const bump = (kase: CaseModel, at: number): void => {
    kase.lastModifiedAt = Math.max(kase.lastModifiedAt, at);
  };

  const ops: FakeModelOps = {
    addUser(input: FakeUserInput) {
      state.users.set(input.username, {
        username: input.username,
        password: input.password,
        offlineToken: input.offlineToken,
        visibleCases:
          input.visibleCases === undefined || input.visibleCases === 'all'
            ? 'all'
            : new Set(input.visibleCases),
        email: input.email ?? `${input.username}@example.com`,
      });
    },

    addCase(input: FakeCaseInput) {
      const viewers = (input.visibleTo ?? []).map((username) => {
        const user = state.users.get(username);
        if (!user) throw new Error(`fake portal: no user ${username} to show case ${input.number}`);
        return user;
      });
      caseSeq++;
      const modified = parseDate(input.lastModifiedAt, state.clock);
      const created = parseDate(input.createdAt, Math.min(modified, state.clock));
      if (created > modified) {
        throw new Error(`fake portal: case ${input.number} created after its last modification`);
      }
      const summary = input.summary ?? `Case ${input.number}`;
      state.cases.set(input.number, {
        id: `5006R00000${seq36(caseSeq, 5)}QAA`,
        number: input.number,
        summary,
        description: input.description ?? `Description of ${summary}`,
        status: input.status ?? (input.closed === true ? 'Closed' : 'Waiting on Red Hat'),
        severity: input.severity ?? '3 (Normal)',
        product: input.product ?? 'Red Hat Enterprise Linux',
        version: input.version,
        createdBy: input.createdBy,
        recordType: input.recordType ?? DEFAULT_RECORD_TYPE,
        accessRestrictions: input.accessRestrictions ?? DEFAULT_ACCESS_RESTRICTIONS,
        closed: input.closed ?? false,
        closedAt: input.closed === true ? modified : undefined,
        createdAt: created,
        lastModifiedAt: modified,
        group: input.group,
        groupNumber: input.groupNumber,
        comments: [],
        attachments: [],
      });
      for (const user of viewers) {
        if (user.visibleCases !== 'all') user.visibleCases.add(input.number);
      }
    },

    addComment(caseNumber: string, input: FakeCommentInput = {}) {
      const kase = caseOf(caseNumber);
      commentSeq++;
      const id = input.id ?? `a0a6R00000${seq36(commentSeq, 5)}QAX`;
      const createdAt = parseDate(input.createdAt, state.clock);
      kase.comments.push({
        id,
        author: input.author ?? 'Engineer, Red Hat',
        authorType: input.authorType ?? 'Associate',
        body: input.body ?? `Comment ${commentSeq}`,
        createdAt,
        modifiedAt: createdAt,
        edited: false,
        isPublic: input.isPublic ?? true,
        isDraft: input.isDraft ?? false,
        contentType: input.contentType ?? 'plaintext',
      });
      if (commentsBump) bump(kase, createdAt);
      return id;
    },

    editComment(caseNumber: string, id: string, body: string) {
      const { kase, comment } = commentOf(caseNumber, id);
      comment.body = body;
      comment.modifiedAt = state.clock;
      comment.edited = true;
      if (commentsBump) bump(kase, state.clock);
    },

    publishComment(caseNumber: string, id: string) {
      const { kase, comment } = commentOf(caseNumber, id);
      comment.isDraft = false;
      comment.modifiedAt = state.clock;
      comment.edited = true;
      if (commentsBump) bump(kase, state.clock);
    },

    addAttachment(caseNumber: string, input: FakeAttachmentInput = {}) {
      const kase = caseOf(caseNumber);
      attachmentSeq++;
      const uuid =
        input.uuid ?? `6f1c0c9e-0000-4000-8000-${attachmentSeq.toString(16).padStart(12, '0')}`;
      const createdAt = parseDate(input.createdAt, state.clock);
      kase.attachments.push({
        uuid,
        fileName: input.fileName ?? `file-${attachmentSeq}.txt`,
        description: input.description ?? '',
        size: input.size ?? DEFAULT_ATTACHMENT_BYTES,
        createdBy: input.createdBy ?? DEFAULT_ATTACHMENT_AUTHOR,
        createdByType: input.createdByType,
        isPrivate: input.isPrivate,
        createdAt,
      });
      if (attachmentsBump) bump(kase, createdAt);
      return uuid;
    },

    setStatus(caseNumber: string, status: string) {
      const kase = caseOf(caseNumber);
      kase.status = status;
      bump(kase, state.clock);
    },

    setSeverity(caseNumber: string, severity: string) {
      const kase = caseOf(caseNumber);
      kase.severity = severity;
      bump(kase, state.clock);
    },

    closeCase(caseNumber: string) {
      const kase = caseOf(caseNumber);
      kase.closed = true;
      kase.closedAt ??= state.clock;
      kase.status = 'Closed';
      bump(kase, state.clock);
    },

    now: () => state.clock,
    advanceTime(ms: number) {
      state.clock += ms;
    },
  };
  return { state, ops };
}
