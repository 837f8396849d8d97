// Red Hat's GraphQL case API (Salesforce UI-API style: `redhat_support_uiapi { query { … } }`,
// relay connections, every scalar wrapped as { value }) → domain types. The query text is
// built from a shape (with or without the comment relation, minus optional fields the portal
// refused), because the reference could only guess which fields a customer account may read.
// Strict about the envelope (a wrong one means our guess of the schema is wrong: 'unsupported'),
// tolerant of one bad case or comment (skipped and reported, the rest is used).
//
// Three queries: casesQuery (cases by number or "changed since", with or without comments: the
// per-cycle batch, kept lean), commentsQuery (one case's comments, page by page) and searchQuery
// (the follow rules' discovery, with each case's description, opener and creation date).
import { z } from 'zod';
import type { Case, CaseNumber, Comment } from '../domain.js';
import {
  caseFromWire,
  commentsFromWire,
  describeIssues,
  wireBoolean,
  wireCaseNumber,
  wireDate,
  type OnSkippedItem,
  type Parsed,
} from './convert.js';

/** Fields the bot can do without; the portal refusing one only drops it from the query. */
export const OPTIONAL_FIELDS = [
  'Product',
  'Group__r',
  'CreatedBy',
  'Description',
  'LastModifiedByName__c',
  'Visibility__c',
  'totalCount',
] as const;
export type OptionalField = (typeof OPTIONAL_FIELDS)[number];

export function isOptionalField(name: string | undefined): name is OptionalField {
  return (OPTIONAL_FIELDS as readonly string[]).includes(name ?? '');
}

/** The comment relation; refused, the path without comments ("graphql+rest") is next. */
export const COMMENT_RELATION = 'CaseComments__r';

export interface QueryShape {
  comments: boolean;
  /**
   * Description, CreatedBy and CreatedDate of each case: what a new-case alert shows. Off in the
   * per-cycle batch (a description can be kilobytes, and every quiet cycle would carry it).
   */
  details?: boolean;
  dropped: ReadonlySet<OptionalField>;
}

const optional = (shape: QueryShape, field: OptionalField, text: string): string =>
  shape.dropped.has(field) ? '' : ` ${text}`;

function commentFields(shape: QueryShape): string {
  return (
    'Id Body__c { value } CreatedDate { value } IsAssociate__c { value } IsCustomer__c { value }' +
    optional(shape, 'CreatedBy', 'CreatedBy { Name { value } }') +
    optional(shape, 'LastModifiedByName__c', 'LastModifiedByName__c { value }') +
    optional(shape, 'Visibility__c', 'Visibility__c { value }')
  );
}

function caseFields(shape: QueryShape, comments: string): string {
  return (
    'Id CaseNumber__c { value } Subject { value } Status { value } Priority { value }' +
    ' IsClosed { value } LastModifiedDate { value }' +
    optional(shape, 'Product', 'Product { Name { value } }') +
    optional(shape, 'Group__r', 'Group__r { Name { value } }') +
    (shape.details
      ? ' CreatedDate { value }' +
        optional(shape, 'CreatedBy', 'CreatedBy { Name { value } }') +
        optional(shape, 'Description', 'Description { value }')
      : '') +
    (shape.comments
      ? ` ${COMMENT_RELATION}${comments} { pageInfo { hasNextPage endCursor } edges { node { ${commentFields(shape)} } } }`
      : '')
  );
}

/**
 * Cases matching `$where` (a list of numbers, or "changed since"), `$first` per page, each with
 * its `$comments` newest comments when the shape has them. Variables: where, first, after,
 * comments.
 */
export function casesQuery(shape: QueryShape, order?: 'LastModifiedDate'): string {
  const commentArgs = '(first: $comments, orderBy: { CreatedDate: { order: DESC } })';
  const orderBy = order !== undefined ? `, orderBy: { ${order}: { order: DESC } }` : '';
  return (
    `query TicketsPushbotCases($where: RedHatSupportCase_Filter, $first: Int, $after: String${shape.comments ? ', $comments: Int' : ''}) {` +
    ' redhat_support_uiapi { query {' +
    ` RedHatSupportCase(where: $where, first: $first, after: $after${orderBy}) {` +
    ' pageInfo { hasNextPage endCursor }' +
    ` edges { node { ${caseFields(shape, commentArgs)} } } } } } }`
  );
}

/**
 * One page of the cases matching `$where`, with their details and `totalCount`, least recently
 * modified first when `ordered` (dropped when the portal refuses the orderBy argument). No
 * comments. Variables: where, first, after.
 */
export function searchQuery(shape: QueryShape, ordered: boolean): string {
  const orderBy = ordered ? ', orderBy: { LastModifiedDate: { order: ASC } }' : '';
  const fields = caseFields({ ...shape, comments: false, details: true }, '');
  return (
    'query TicketsPushbotSearch($where: RedHatSupportCase_Filter, $first: Int, $after: String) {' +
    ' redhat_support_uiapi { query {' +
    ` RedHatSupportCase(where: $where, first: $first, after: $after${orderBy}) {` +
    optional(shape, 'totalCount', 'totalCount') +
    ' pageInfo { hasNextPage endCursor }' +
    ` edges { node { ${fields} } } } } } }`
  );
}

/** One case's comments, oldest first, a page at a time. Variables: where, comments, after. */
export function commentsQuery(shape: QueryShape): string {
  const args = '(first: $comments, after: $after, orderBy: { CreatedDate: { order: ASC } })';
  return (
    'query TicketsPushbotComments($where: RedHatSupportCase_Filter, $comments: Int, $after: String) {' +
    ' redhat_support_uiapi { query { RedHatSupportCase(where: $where, first: 1) {' +
    ` edges { node { ${caseFields({ ...shape, comments: true }, args)} } } } } } }`
  );
}

const wrapped = <T extends z.ZodType>(inner: T) => z.object({ value: inner.nullish() }).nullish();

const pageInfoSchema = z
  .object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() })
  .nullish();

const connectionSchema = z.object({
  totalCount: z.number().int().nonnegative().nullish(),
  pageInfo: pageInfoSchema,
  edges: z.array(z.object({ node: z.unknown() }).nullable()),
});

const envelopeSchema = z.object({
  redhat_support_uiapi: z.object({
    query: z.object({ RedHatSupportCase: connectionSchema }),
  }),
});

const caseNodeSchema = z.object({
  Id: z.string().min(1),
  CaseNumber__c: z.object({ value: wireCaseNumber }),
  Subject: wrapped(z.string()),
  Status: wrapped(z.string()),
  Priority: wrapped(z.string()),
  IsClosed: wrapped(wireBoolean),
  LastModifiedDate: z.object({ value: wireDate }),
  Product: z.object({ Name: wrapped(z.string()) }).nullish(),
  Group__r: z.object({ Name: wrapped(z.string()) }).nullish(),
  // Details (shape.details): only shown, so a value we cannot read is left out, not fatal.
  Description: wrapped(z.string()).catch(undefined),
  CreatedBy: z
    .object({ Name: wrapped(z.string()) })
    .nullish()
    .catch(undefined),
  CreatedDate: wrapped(wireDate).catch(undefined),
  [COMMENT_RELATION]: connectionSchema.nullish(),
});

const commentNodeSchema = z.object({
  Id: z.string().min(1),
  Body__c: wrapped(z.string()),
  CreatedDate: z.object({ value: wireDate }),
  CreatedBy: z.object({ Name: wrapped(z.string()) }).nullish(),
  LastModifiedByName__c: wrapped(z.string()),
  IsAssociate__c: wrapped(wireBoolean),
  IsCustomer__c: wrapped(wireBoolean),
  Visibility__c: wrapped(z.string()),
});
type CommentNode = z.infer<typeof commentNodeSchema>;

/** IsAssociate__c / IsCustomer__c → an author kind; both or neither set is 'unknown'. */
function authorKind(node: CommentNode): string | undefined {
  const associate = node.IsAssociate__c?.value === true;
  const customer = node.IsCustomer__c?.value === true;
  if (associate === customer) return undefined;
  return associate ? 'associate' : 'customer';
}

function idOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || !('Id' in item)) return undefined;
  return typeof item.Id === 'string' && /^[A-Za-z0-9]{1,40}$/.test(item.Id) ? item.Id : undefined;
}

export interface GraphqlCase {
  kase: Case;
  /** Present when the query asked for comments; oldest first. */
  comments?: Comment[];
  /** All of the case's comments are in `comments` (no further page, none skipped). */
  commentsComplete: boolean;
  /** The comment connection's cursor for the next page. */
  commentsCursor: string | undefined;
}

export interface GraphqlPage {
  cases: GraphqlCase[];
  /** The connection's totalCount, when the query asked and the portal told. */
  totalCount: number | undefined;
  hasNextPage: boolean;
  endCursor: string | undefined;
}

function parseCaseNode(
  value: unknown,
  withComments: boolean,
  onSkipped: (what: 'case' | 'comment', caseNumber?: CaseNumber) => OnSkippedItem,
  index: number,
): GraphqlCase | undefined {
  const node = caseNodeSchema.safeParse(value);
  if (!node.success) {
    const id = idOf(value);
    onSkipped('case')({
      index,
      ...(id !== undefined ? { id } : {}),
      detail: describeIssues(node.error),
    });
    return undefined;
  }
  const n = node.data;
  const caseNumber = n.CaseNumber__c.value;
  const kase = caseFromWire(caseNumber, {
    summary: n.Subject?.value,
    status: n.Status?.value,
    severity: n.Priority?.value,
    // GraphQL's product name includes the version ("Red Hat Enterprise Linux 9.8").
    product: n.Product?.Name?.value,
    closed: n.IsClosed?.value,
    lastModifiedAt: n.LastModifiedDate.value,
    groupName: n.Group__r?.Name?.value,
    description: n.Description?.value,
    createdBy: n.CreatedBy?.Name?.value,
    createdAt: n.CreatedDate?.value,
  });
  if (!withComments) return { kase, commentsComplete: false, commentsCursor: undefined };
  const connection = n[COMMENT_RELATION];
  let skipped = 0;
  const report = onSkipped('comment', caseNumber);
  const comments = commentsFromWire(
    (connection?.edges ?? []).map((edge) => edge?.node),
    caseNumber,
    {
      schema: commentNodeSchema,
      idOf,
      idSpace: 'graphql',
      fields: (c) => ({
        id: c.Id,
        body: c.Body__c?.value,
        author: c.CreatedBy?.Name?.value ?? c.LastModifiedByName__c?.value,
        authorType: authorKind(c),
        createdAt: c.CreatedDate.value,
        visibility: c.Visibility__c?.value,
      }),
    },
    (item) => {
      skipped++;
      report(item);
    },
  );
  const hasNextPage = connection?.pageInfo?.hasNextPage ?? false;
  return {
    kase,
    comments,
    commentsComplete:
      connection !== null && connection !== undefined && !hasNextPage && skipped === 0,
    commentsCursor: connection?.pageInfo?.endCursor ?? undefined,
  };
}

/** The `data` of a cases or comments query → one page of cases. */
export function parseCasesPage(
  data: unknown,
  withComments: boolean,
  onSkipped: (what: 'case' | 'comment', caseNumber?: CaseNumber) => OnSkippedItem,
): Parsed<GraphqlPage> {
  const envelope = envelopeSchema.safeParse(data);
  if (!envelope.success) {
    return { ok: false, detail: `case list: ${describeIssues(envelope.error)}` };
  }
  const connection = envelope.data.redhat_support_uiapi.query.RedHatSupportCase;
  const cases: GraphqlCase[] = [];
  connection.edges.forEach((edge, index) => {
    const parsed = parseCaseNode(edge?.node, withComments, onSkipped, index);
    if (parsed) cases.push(parsed);
  });
  return {
    ok: true,
    value: {
      cases,
      totalCount: connection.totalCount ?? undefined,
      hasNextPage: connection.pageInfo?.hasNextPage ?? false,
      endCursor: connection.pageInfo?.endCursor ?? undefined,
    },
  };
}
