// One GraphQL case query (text from graphql-schema.ts) over the transport (graphql.ts), for the
// v3 client's reads and its search. An optional field the portal refuses ("Cannot query field
// "Group__r" …") is dropped from the query and the query asked again; the drop is remembered
// for the client's life, so the next query leaves the field out from the start. An answer of a
// shape the schema does not know is 'unsupported': our guess of this portal's schema is wrong.
import type { CaseNumber } from '../domain.js';
import type { Logger } from '../logger.js';
import {
  isOptionalField,
  parseCasesPage,
  type GraphqlPage,
  type OptionalField,
  type QueryShape,
} from './graphql-schema.js';
import { postGraphql, type GraphqlEndpoint } from './graphql.js';
import { skippedItemLogger } from './session.js';
import { PortalError } from './types.js';

/**
 * Runs the query `build` writes for the current shape; `onRequest` is called once per HTTP
 * request (a query asked again without a refused field takes two).
 */
export type CaseQuery = (
  withComments: boolean,
  build: (shape: QueryShape) => string,
  variables: Readonly<Record<string, unknown>>,
  onRequest?: () => void,
) => Promise<GraphqlPage>;

export function createCaseQuery(graphql: GraphqlEndpoint, log: Logger): CaseQuery {
  const dropped = new Set<OptionalField>();
  const skipped = (what: 'case' | 'comment', caseNumber?: CaseNumber) =>
    skippedItemLogger(log, what, caseNumber);

  return async (withComments, build, variables, onRequest) => {
    for (;;) {
      const shape: QueryShape = { comments: withComments, dropped };
      try {
        onRequest?.();
        const { data, response } = await postGraphql(graphql, build(shape), variables);
        const page = parseCasesPage(data, withComments, skipped);
        if (!page.ok) {
          throw new PortalError(
            'unsupported',
            `Red Hat's GraphQL API answered in a shape the bot does not know (${page.detail}).`,
            { status: response.status, endpoint: response.endpoint },
          );
        }
        return page.value;
      } catch (err) {
        const field =
          err instanceof PortalError && err.kind === 'unsupported' ? err.field : undefined;
        if (isOptionalField(field) && !dropped.has(field)) {
          dropped.add(field);
          log.info({ field }, 'the portal refused an optional field: asking without it');
          continue;
        }
        throw err;
      }
    }
  };
}

/** True for an answer that says "this path does not work here", as opposed to "not now". */
export function stepsDown(err: unknown): err is PortalError {
  return err instanceof PortalError && (err.kind === 'unsupported' || err.kind === 'gone');
}
