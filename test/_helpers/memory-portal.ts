// An in-memory PortalClientFactory for unit tests of the bot and the engine: the port's
// contract with a model the test controls, no HTTP. Protocol-level behaviour (JSON/XML,
// tokens, HTTP faults) is tested against the loopback fake portal server instead.
import type { Attachment, Case, CaseNumber, Comment } from '../../src/domain.js';
import {
  PortalError,
  type BatchRead,
  type ReadMode,
  type PortalClient,
  type PortalClientFactory,
  type PortalCredential,
  type PortalErrorKind,
} from '../../src/portal/types.js';

export interface MemoryCase extends Case {
  comments: Comment[];
  attachments: Attachment[];
  /** Credential keys (offline token or "user:password") allowed to see this case; empty = all. */
  visibleTo: string[];
}

type Operation =
  | 'verify'
  | 'getCase'
  | 'listComments'
  | 'changedCases'
  | 'readCases'
  | 'searchCases'
  | 'listAttachments';

/** The portal's largest search page (as the v3 client clamps `first`). */
const MAX_SEARCH_PAGE = 200;

export class MemoryPortal implements PortalClientFactory {
  readonly cases = new Map<CaseNumber, MemoryCase>();
  /** Valid credential keys: offline token, or "username:password". */
  readonly validCredentials = new Set<string>();
  readonly calls: { op: Operation; credential: string; caseNumber?: string }[] = [];
  private readonly faults: {
    op: Operation;
    kind: PortalErrorKind;
    times: number;
    caseNumber?: string;
  }[] = [];
  private commentSeq = 0;
  private attachmentSeq = 0;
  /** Whether a case answer embeds its comments (readCase), as the real portal's does. */
  embedComments = true;
  /**
   * How clients read (the port's readMode): the v1 filter by default; a batch mode makes
   * readCases answer from the model, at most `batchComments` newest comments per case.
   */
  mode: ReadMode = { kind: 'filter', path: 'hydra' };
  batchComments = 20;
  /**
   * What canSearch() answers, independent of `mode` (a test of follow rules sets what it needs);
   * false also makes searchCases throw 'unsupported', as the v3 client on REST alone does.
   */
  searchable = true;

  static keyOf(credential: PortalCredential): string {
    return credential.kind === 'offline-token'
      ? credential.offlineToken
      : `${credential.username}:${credential.password}`;
  }

  addCase(partial: Partial<MemoryCase> & { number: CaseNumber }): MemoryCase {
    const kase: MemoryCase = {
      summary: `Case ${partial.number}`,
      status: 'Waiting on Red Hat',
      severity: '3 (Normal)',
      product: 'Red Hat Enterprise Linux',
      closed: false,
      lastModifiedAt: new Date().toISOString(),
      comments: [],
      attachments: [],
      visibleTo: [],
      ...partial,
    };
    this.cases.set(kase.number, kase);
    return kase;
  }

  addComment(caseNumber: CaseNumber, partial: Partial<Comment> = {}): Comment {
    const kase = this.cases.get(caseNumber);
    if (!kase) throw new Error(`no case ${caseNumber}`);
    this.commentSeq++;
    const createdAt = partial.createdAt ?? new Date(Date.now() + this.commentSeq).toISOString();
    const comment: Comment = {
      id: `a0a${String(this.commentSeq).padStart(15, '0')}`,
      caseNumber,
      author: 'Engineer, Red Hat',
      authorType: 'associate',
      body: `Comment ${this.commentSeq}`,
      createdAt,
      isPublic: true,
      isDraft: false,
      ...partial,
    };
    kase.comments.push(comment);
    kase.lastModifiedAt = createdAt;
    return comment;
  }

  /** Adds a file to the case and moves its lastModifiedAt, as a comment does. */
  addAttachment(caseNumber: CaseNumber, partial: Partial<Attachment> = {}): Attachment {
    const kase = this.cases.get(caseNumber);
    if (!kase) throw new Error(`no case ${caseNumber}`);
    this.attachmentSeq++;
    const createdAt = partial.createdAt ?? new Date(Date.now() + this.attachmentSeq).toISOString();
    const attachment: Attachment = {
      id: `6f1c0c9e-0000-4000-8000-${String(this.attachmentSeq).padStart(12, '0')}`,
      caseNumber,
      fileName: `file-${this.attachmentSeq}.txt`,
      size: 1024,
      author: 'Example Customer',
      authorType: 'unknown',
      createdAt,
      isPrivate: false,
      ...partial,
    };
    kase.attachments.push(attachment);
    kase.lastModifiedAt = createdAt;
    return attachment;
  }

  /** The next `times` calls of `op` (optionally for one case) fail with `kind`. */
  fail(op: Operation, kind: PortalErrorKind, times = 1, caseNumber?: string): void {
    this.faults.push({ op, kind, times, ...(caseNumber !== undefined ? { caseNumber } : {}) });
  }

  count(op?: Operation): number {
    return op ? this.calls.filter((c) => c.op === op).length : this.calls.length;
  }

  caseUrl(caseNumber: CaseNumber): string {
    return `https://portal.invalid/case/${caseNumber}`;
  }

  commentUrl(caseNumber: CaseNumber, commentId: string): string {
    return `https://portal.invalid/case/${caseNumber}?commentId=${commentId}`;
  }

  create(credential: PortalCredential): PortalClient {
    const key = MemoryPortal.keyOf(credential);
    const enter = (op: Operation, caseNumber?: string): void => {
      this.calls.push({ op, credential: key, ...(caseNumber !== undefined ? { caseNumber } : {}) });
      const fault = this.faults.find(
        (f) =>
          f.op === op && f.times > 0 && (f.caseNumber === undefined || f.caseNumber === caseNumber),
      );
      if (fault) {
        fault.times--;
        throw new PortalError(fault.kind, `injected ${fault.kind}`, {
          ...(fault.kind === 'rate-limited' ? { retryAfterMs: 1000 } : {}),
        });
      }
      if (!this.validCredentials.has(key)) {
        throw new PortalError('auth', 'The portal rejected the credential', { status: 401 });
      }
    };
    const visible = (caseNumber: CaseNumber): MemoryCase => {
      const kase = this.cases.get(caseNumber);
      if (!kase || (kase.visibleTo.length > 0 && !kase.visibleTo.includes(key))) {
        throw new PortalError('not-visible', `Case ${caseNumber} is not visible`, { status: 404 });
      }
      return kase;
    };
    return {
      verify: async () => {
        enter('verify');
        return { account: credential.kind === 'basic' ? credential.username : 'token-user' };
      },
      getCase: async (caseNumber) => {
        enter('getCase', caseNumber);
        return fieldsOf(visible(caseNumber));
      },
      // The same request as getCase ('getCase' in the call log).
      readCase: async (caseNumber) => {
        enter('getCase', caseNumber);
        const kase = visible(caseNumber);
        const { comments } = kase;
        return {
          kase: fieldsOf(kase),
          comments: this.embedComments
            ? comments.map((c) => ({ ...c })).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
            : [],
        };
      },
      listComments: async (caseNumber, options) => {
        enter('listComments', caseNumber);
        const since = options?.since?.getTime();
        return visible(caseNumber)
          .comments.filter((c) => since === undefined || Date.parse(c.createdAt) >= since)
          .map((c) => ({ ...c }))
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      },
      readMode: () => this.mode,
      readCases: async (numbers) => {
        enter('readCases');
        const mode = this.mode;
        if (mode.kind !== 'batch') throw new PortalError('unsupported', 'no batch path', {});
        const read: BatchRead = {
          mode,
          cases: new Map(),
          notVisible: [],
          failed: new Map(),
          requests: 1,
        };
        for (const n of numbers) {
          let kase: MemoryCase;
          try {
            kase = visible(n);
          } catch {
            read.notVisible.push(n);
            continue;
          }
          const { comments } = kase;
          const fields = fieldsOf(kase);
          const newest = [...comments]
            .filter((c) => !c.isDraft)
            .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
          const carried = newest.slice(0, this.batchComments).reverse();
          read.cases.set(n, {
            kase: { ...fields },
            ...(mode.withComments ? { comments: carried.map((c) => ({ ...c })) } : {}),
            commentsComplete: mode.withComments && carried.length === newest.length,
          });
        }
        return read;
      },
      changedCases: async (since) => {
        enter('changedCases');
        return [...this.cases.values()]
          .filter((k) => k.visibleTo.length === 0 || k.visibleTo.includes(key))
          .filter((k) => Date.parse(k.lastModifiedAt) >= since.getTime())
          .map((k) => k.number);
      },
      canSearch: () => this.searchable,
      // Least recently modified first; the cursor is the index of a page's last case.
      searchCases: async (search) => {
        enter('searchCases');
        if (!this.searchable) throw new PortalError('unsupported', 'no search path', {});
        const after = search.modifiedAfter?.getTime();
        const matching = [...this.cases.values()]
          .filter((k) => k.visibleTo.length === 0 || k.visibleTo.includes(key))
          .filter((k) => after === undefined || Date.parse(k.lastModifiedAt) > after)
          .filter((k) => !search.openOnly || !k.closed)
          .sort(
            (a, b) =>
              a.lastModifiedAt.localeCompare(b.lastModifiedAt) || a.number.localeCompare(b.number),
          );
        const start = search.after !== undefined ? Number(search.after) + 1 : 0;
        const first = Math.min(MAX_SEARCH_PAGE, Math.max(1, Math.trunc(search.first)));
        const page = matching.slice(start, start + first);
        const end = start + page.length;
        return {
          cases: page.map(fieldsOf),
          totalCount: matching.length,
          hasNextPage: end < matching.length,
          endCursor: page.length > 0 ? String(end - 1) : undefined,
          requests: 1,
        };
      },
      listAttachments: async (caseNumber) => {
        enter('listAttachments', caseNumber);
        return visible(caseNumber)
          .attachments.map((a) => ({ ...a }))
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      },
    };
  }
}

/** The case as the port returns it: its fields, without the model's lists. */
function fieldsOf(kase: MemoryCase): Case {
  const { comments: _c, attachments: _a, visibleTo: _v, ...fields } = kase;
  return { ...fields };
}
