// `check --case N`: the case and its newest comments through every path the daemon may read it
// by (GraphQL, the REST v3 case, the REST v3 comment list; or the configured v1-era API), each
// comment shown with what the daemon would do with it. Comment ids differ between the paths;
// the text, dates and authors should not.
import type { Audience, Case, CaseNumber, Comment } from '../domain.js';
import { postGraphql } from '../portal/graphql.js';
import { COMMENT_RELATION, casesQuery, parseCasesPage } from '../portal/graphql-schema.js';
import { PortalError, type PortalClient } from '../portal/types.js';
import type { AnswerLog } from './answers.js';
import type { GraphqlProbe, ProbeKit } from './portal-probes.js';
import { commentLine, failureText, httpPart, statusOf, type Report } from './report.js';

/** Comments shown per path. */
export const CASE_COMMENTS_SHOWN = 5;

interface CaseView {
  report: Report;
  answers: AnswerLog;
  caseNumber: CaseNumber;
  /** The chat's audience with --chat: "delivered" then means "to this chat". */
  audience: Audience | undefined;
}

function describeCase(kase: Case): string {
  const facts = [
    kase.status !== '' ? `status ${kase.status}` : '',
    kase.severity !== '' ? `severity ${kase.severity}` : '',
    kase.product,
    kase.closed ? 'closed' : '',
  ].filter((s) => s !== '');
  return `"${kase.summary}" (${facts.join(' · ')})`;
}

/** The case line, then one line per comment (the newest CASE_COMMENTS_SHOWN, oldest first). */
function show(
  view: CaseView,
  path: string,
  status: number | undefined,
  kase: Case | undefined,
  comments: readonly Comment[] | string,
  /** False when the portal has more comments than the answer carried (GraphQL's newest N). */
  complete = true,
): void {
  const subject = `case ${view.caseNumber} via ${path}${httpPart(status)}`;
  let summary: string;
  if (typeof comments === 'string') summary = comments;
  else if (comments.length === 0) summary = 'no comments';
  else if (!complete) summary = `newest ${comments.length} comments (more exist), oldest first:`;
  else if (comments.length <= CASE_COMMENTS_SHOWN) {
    summary = `${comments.length} comment${comments.length === 1 ? '' : 's'}, oldest first:`;
  } else summary = `newest ${CASE_COMMENTS_SHOWN} of ${comments.length} comments, oldest first:`;
  view.report.line(
    'PASS',
    subject,
    kase !== undefined ? `${describeCase(kase)}; ${summary}` : summary,
  );
  if (typeof comments === 'string') return;
  for (const c of comments.slice(-CASE_COMMENTS_SHOWN))
    view.report.detail(commentLine(c, view.audience));
}

async function attempt<T>(
  view: CaseView,
  path: string,
  run: () => Promise<T>,
  then: (value: T, status: number | undefined) => void,
): Promise<void> {
  const mark = view.answers.mark();
  try {
    const value = await run();
    then(value, view.answers.lastSince(mark)?.answer.status);
  } catch (err) {
    const entry = view.answers.lastSince(mark);
    view.report.line(
      'FAIL',
      `case ${view.caseNumber} via ${path}${httpPart(statusOf(err, entry))}`,
      failureText(err, entry),
    );
  }
}

/** Through GraphQL (with the fields the probe found readable), REST v3 case, REST v3 comments. */
export async function probeCaseV3(
  kit: ProbeKit,
  graphql: GraphqlProbe,
  caseNumber: CaseNumber,
  audience: Audience | undefined,
): Promise<void> {
  const view: CaseView = { report: kit.report, answers: kit.answers, caseNumber, audience };
  if (!graphql.works) {
    kit.report.line(
      'SKIP',
      `case ${caseNumber} via GraphQL`,
      'GraphQL does not work for this account (above)',
    );
  } else {
    await attempt(
      view,
      'GraphQL',
      async () => {
        const { data } = await postGraphql(
          kit.graphql,
          casesQuery({ comments: graphql.comments, dropped: graphql.dropped }),
          {
            where: { CaseNumber__c: { eq: caseNumber } },
            first: 1,
            ...(graphql.comments ? { comments: CASE_COMMENTS_SHOWN } : {}),
          },
        );
        const page = parseCasesPage(data, graphql.comments, () => () => undefined);
        if (!page.ok) {
          throw new PortalError(
            'unsupported',
            `Red Hat's GraphQL API answered in a shape the bot does not know (${page.detail}).`,
          );
        }
        return page.value.cases[0];
      },
      (found, status) => {
        if (found === undefined) {
          kit.report.line(
            'FAIL',
            `case ${caseNumber} via GraphQL${httpPart(status)}`,
            `absent from the answer: this account cannot see the case (or it does not exist). Check the number and the account's case groups.`,
          );
          return;
        }
        show(
          view,
          'GraphQL',
          status,
          found.kase,
          found.comments ?? `comments not readable through GraphQL (${COMMENT_RELATION} refused)`,
          found.commentsComplete,
        );
      },
    );
  }
  await attempt(
    view,
    'REST v3 case',
    () => kit.rest.readCase(caseNumber),
    (read, status) => show(view, 'REST v3 case', status, read.kase, read.comments),
  );
  await attempt(
    view,
    'REST v3 comments',
    () => kit.rest.listComments(caseNumber),
    (comments, status) => show(view, 'REST v3 comments', status, undefined, comments),
  );
}

/** Through the configured v1-era API (hydra or strata): the case, then its comment list. */
export async function probeCaseConfigured(
  client: PortalClient,
  api: string,
  view: Omit<CaseView, 'caseNumber'> & { caseNumber: CaseNumber },
): Promise<void> {
  await attempt(
    view,
    `${api} case`,
    () => client.getCase(view.caseNumber),
    (kase, status) => show(view, `${api} case`, status, kase, 'case readable'),
  );
  await attempt(
    view,
    `${api} comments`,
    () => client.listComments(view.caseNumber),
    (comments, status) => show(view, `${api} comments`, status, undefined, comments),
  );
}
