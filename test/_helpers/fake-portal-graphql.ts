// GraphQL of the fake portal ({graphqlUrl} = http://127.0.0.1:PORT/graphql), served by the
// reference implementation (graphql v16) from the schema in fake-portal-graphql-schema.ts over
// the shared model. HTTP behaviour as /work/shared/reference/redhat-portal-api-v3.md §3 and §9
// describe it:
// - bad or missing credential → 401 {"errors":[{"message":"Unauthorized"}]};
// - no apollographql-client-name/-version header → 400;
// - a query that does not parse or validate (unknown field…) or bad variables → 400 with
//   graphql's own error objects;
// - otherwise 200 {"data":…} (plus "errors" when a resolver refused, e.g. `first` out of range).
// Salesforce semantics: a user only ever sees the cases shared with them (others are silently
// absent); `first` defaults to 10 and must be 1..200 (both switchable: the real values are
// unknown, §12-Q7); `after` takes only cursors this fake issued (base64 of "v1:<offset>"), and
// pages by position, so a case modified between two pages may move across them, as on any
// offset-backed cursor. Comments: newest first by default, drafts never returned, internal
// comments returned with Visibility__c "Internal".
import { GraphQLError, executeSync, parse, validate, type DocumentNode } from 'graphql';
import { buildFakeSchema, type FakeGraphqlSchemaVariant } from './fake-portal-graphql-schema.js';
import { caseMatches, orderCases, type OrderKey } from './fake-portal-graphql-where.js';
import {
  ACCOUNT_NUMBER,
  CASE_TYPE,
  caseCreatorName,
  headerValue,
  isInternal,
  json,
  newestFirst,
  productName,
  visibleCases,
  type Answer,
  type ApiRequest,
  type CaseModel,
  type CommentModel,
  type ModelView,
  type UserModel,
} from './fake-portal-model.js';

export const GRAPHQL_PATH = '/graphql';
export const DEFAULT_FIRST = 10;
/** "Maximum recommended `first` batch size is 200" (§6.2); Salesforce's own maximum is higher. */
export const MAX_FIRST = 200;
export const APOLLO_HEADERS_REQUIRED =
  'apollographql-client-name and apollographql-client-version headers are required';
export const ACCESS_DENIED_HTML =
  '<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>' +
  "You don't have permission to access this server.<P>Reference&#32;#18.deadbeef</BODY></HTML>";

/** GraphQL's date form: milliseconds and "Z". */
const gqlDate = (ms: number): string => new Date(ms).toISOString();

type Scalar = string | boolean | null;
const wrap = (value: Scalar): { value: Scalar; displayValue: string | null } => ({
  value,
  displayValue: value === null ? null : String(value),
});

/** A GraphQL error envelope with one message, `{"errors":[{"message":...}]}`. */
export function graphqlError(
  status: number,
  message: string,
  headers?: Record<string, string>,
): Answer {
  return json(status, { errors: [{ message }] }, headers);
}

/** One page of a Relay connection. */
type Connection<T> = {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

export interface FakeGraphql {
  setSchema(variant: FakeGraphqlSchemaVariant): void;
  answer(model: ModelView, req: ApiRequest): Answer;
}

export interface FakeGraphqlOptions {
  /** Page size when `first` is not given; default {@link DEFAULT_FIRST}. */
  defaultFirst?: number | undefined;
  /** Largest `first` accepted; default {@link MAX_FIRST}. */
  maxFirst?: number | undefined;
}

export function createFakeGraphql(options: FakeGraphqlOptions = {}): FakeGraphql {
  const defaultFirst = options.defaultFirst ?? DEFAULT_FIRST;
  const maxFirst = options.maxFirst ?? MAX_FIRST;
  let schema = buildFakeSchema();
  /** Every cursor handed out, so a forged or foreign `after` is refused. */
  const issuedCursors = new Set<string>();

  const cursorOf = (offset: number): string => {
    const cursor = Buffer.from(`v1:${offset}`, 'utf8').toString('base64');
    issuedCursors.add(cursor);
    return cursor;
  };

  /** A page of `items` as `first` (default 10, 1..200) and `after` ask. */
  const connection = <T, N>(items: T[], args: Record<string, unknown>, node: (item: T) => N) => {
    const first = args.first ?? defaultFirst;
    if (typeof first !== 'number' || first < 1 || first > maxFirst) {
      throw new GraphQLError(`Argument 'first' must be between 1 and ${maxFirst}`);
    }
    let start = 0;
    const after = args.after;
    if (typeof after === 'string') {
      const offset = /^v1:(\d+)$/.exec(Buffer.from(after, 'base64').toString('utf8'))?.[1];
      if (!issuedCursors.has(after) || offset === undefined) {
        throw new GraphQLError(`Invalid cursor: ${after}`);
      }
      start = Number(offset) + 1;
    }
    const page = items.slice(start, start + first);
    const edges = page.map((item, i) => ({ cursor: cursorOf(start + i), node: node(item) }));
    const result: Connection<N> = {
      totalCount: items.length,
      edges,
      pageInfo: {
        hasNextPage: start + page.length < items.length,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
    return result;
  };

  const commentNode = (c: CommentModel) => {
    const internal = isInternal(c);
    const type = c.authorType.toLowerCase();
    return {
      Id: `a2b${c.id.slice(3)}`,
      Body__c: wrap(c.body),
      CreatedDate: wrap(gqlDate(c.createdAt)),
      LastModifiedDate: wrap(gqlDate(c.modifiedAt)),
      CreatedBy: { Name: wrap(c.author) },
      LastModifiedByName__c: wrap(c.author),
      IsAssociate__c: wrap(internal || type === 'associate'),
      IsCustomer__c: wrap(!internal && type === 'customer'),
      Visibility__c: wrap(internal ? 'Internal' : 'Public'),
    };
  };

  const caseNode = (k: CaseModel) => ({
    Id: k.id,
    CaseNumber__c: wrap(k.number),
    Subject: wrap(k.summary),
    Description: wrap(k.description),
    Status: wrap(k.status),
    Priority: wrap(k.severity),
    Type: wrap(CASE_TYPE),
    IsClosed: wrap(k.closed),
    ClosedDate: wrap(k.closedAt !== undefined ? gqlDate(k.closedAt) : null),
    CreatedDate: wrap(gqlDate(k.createdAt)),
    LastModifiedDate: wrap(gqlDate(k.lastModifiedAt)),
    Account_Number__c: wrap(ACCOUNT_NUMBER),
    CreatedBy: { Name: wrap(caseCreatorName(k)) },
    Product: {
      // Unlike REST, GraphQL's product name includes the version (§4.1).
      Name: wrap(productName(k)),
      VersionName__c: wrap(k.version ?? null),
    },
    Group__r: k.group !== undefined ? { Name: wrap(k.group) } : null,
    RedHatSupportRecordType: { Name: wrap(k.recordType) },
    AccessRestrictions__c: wrap(k.accessRestrictions),
    // Called by graphql's default resolver with the field's arguments, only when selected.
    CaseComments__r: (args: Record<string, unknown>) => {
      const sent = k.comments.filter((c) => !c.isDraft).sort(newestFirst);
      if (orderOf(args.orderBy, 'CreatedDate') === 'ASC') sent.reverse();
      return connection(sent, args, commentNode);
    },
  });

  const rootFor = (model: ModelView, user: UserModel) => ({
    redhat_support_uiapi: {
      query: {
        RedHatSupportCase: (args: Record<string, unknown>) => {
          const matching = visibleCases(model, user).filter((k) => caseMatches(k, args.where));
          return connection(orderCases(matching, orderKeys(args.orderBy)), args, caseNode);
        },
      },
    },
  });

  const run = (model: ModelView, req: ApiRequest, user: UserModel): Answer => {
    let request: unknown;
    try {
      request = JSON.parse(req.body);
    } catch (err) {
      void err; // answered below
      return graphqlError(400, 'Request body is not valid JSON');
    }
    if (typeof request !== 'object' || request === null) {
      return graphqlError(400, 'Request body must be a JSON object');
    }
    const fields: Record<string, unknown> = { ...request };
    const { query, variables, operationName } = fields;
    if (typeof query !== 'string') return graphqlError(400, 'Must provide query string.');
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) {
      return graphqlError(400, 'Variables must be an object.');
    }
    if (operationName != null && typeof operationName !== 'string') {
      return graphqlError(400, 'Operation name must be a string.');
    }
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (err) {
      if (err instanceof GraphQLError) return json(400, { errors: [err] });
      throw err;
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) return json(400, { errors: invalid });
    const result = executeSync({
      schema,
      document,
      rootValue: rootFor(model, user),
      variableValues: variables ? { ...variables } : null,
      operationName: operationName ?? null,
    });
    // No data at all: the request never ran (bad variables, unknown operation) → 400.
    if (!('data' in result) || result.data === undefined) {
      return json(400, { errors: result.errors ?? [] });
    }
    return json(200, {
      data: result.data,
      ...(result.errors && result.errors.length > 0 ? { errors: result.errors } : {}),
    });
  };

  return {
    setSchema(variant) {
      schema = buildFakeSchema(variant);
    },
    answer(model, req) {
      const { auth } = req;
      if ('reason' in auth) {
        return graphqlError(401, 'Unauthorized', {
          'WWW-Authenticate': 'Bearer realm="redhat-external"',
        });
      }
      const name = headerValue(req.headers['apollographql-client-name']);
      const version = headerValue(req.headers['apollographql-client-version']);
      if (!name || !version) return graphqlError(400, APOLLO_HEADERS_REQUIRED);
      if (req.method !== 'POST') {
        return graphqlError(405, 'GraphQL requests must be POSTed', { Allow: 'POST' });
      }
      return run(model, req, auth.user);
    },
  };
}

function orderOf(orderBy: unknown, field: string): 'ASC' | 'DESC' | undefined {
  return orderKeys(orderBy).find((k) => k.field === field)?.order;
}

/** `{Field: {order: ASC|DESC}}` clauses in the order given; a clause without order is ASC. */
function orderKeys(orderBy: unknown): OrderKey[] {
  if (typeof orderBy !== 'object' || orderBy === null) return [];
  return Object.entries(orderBy).flatMap(([field, clause]: [string, unknown]) => {
    if (typeof clause !== 'object' || clause === null) return [];
    const order: unknown = 'order' in clause ? clause.order : undefined;
    return [{ field, order: order === 'DESC' ? 'DESC' : 'ASC' } as const];
  });
}

/** The envelope of 'graphql-errors': the real data (or empty edges when there is none) + error. */
export function withGraphqlErrors(answer: Answer): Answer {
  if (answer.status !== 200) return answer;
  let data: unknown = null;
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (typeof parsed === 'object' && parsed !== null && 'data' in parsed) data = parsed.data;
  } catch (err) {
    void err; // not JSON: the partial shape below
  }
  const partial = {
    redhat_support_uiapi: {
      query: {
        RedHatSupportCase: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } },
      },
    },
  };
  return json(
    200,
    { data: data ?? partial, errors: [{ message: 'Missing CRM contact' }] },
    answer.headers,
  );
}

export const GRAPHQL_TRANSIENT: Answer = json(200, {
  data: null,
  errors: [{ message: 'SUBREQUEST_HTTP_ERROR: 503 Service Unavailable' }],
});

/** 'bad-comment' for GraphQL: the first case's newest comment loses Id and CreatedDate. */
export function withBadGraphqlComment(answer: Answer): Answer {
  if (answer.status !== 200) return answer;
  const parsed: unknown = JSON.parse(answer.body);
  const at = (value: unknown, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>(
      (node, key) =>
        typeof node === 'object' && node !== null ? (Reflect.get(node, key) as unknown) : undefined,
      value,
    );
  const comment = at(
    parsed,
    'data',
    'redhat_support_uiapi',
    'query',
    'RedHatSupportCase',
    'edges',
    0,
    'node',
    'CaseComments__r',
    'edges',
    0,
    'node',
  );
  if (typeof comment === 'object' && comment !== null) {
    Reflect.deleteProperty(comment, 'Id');
    Reflect.deleteProperty(comment, 'CreatedDate');
  }
  return { ...answer, body: JSON.stringify(parsed) };
}
