// The verdict on the portal side: the daemon's own client, built by the daemon's factory, asked
// to verify the credential; the path it settles on is the one the daemon would poll through.
// And what a quiet poll cycle (nothing changed) costs Red Hat on that path.
import type { PortalClientFactory, PortalCredential, PortalPath } from '../portal/types.js';
import { BATCH_SIZE, describePath } from '../portal/v3.js';
import type { AnswerLog } from './answers.js';
import { failureText, httpPart, statusOf, type Report } from './report.js';

/** The path the daemon would use, or undefined (with a FAIL line) when none works. */
export async function checkPath(
  factory: PortalClientFactory,
  credential: PortalCredential,
  report: Report,
  answers: AnswerLog,
): Promise<PortalPath | undefined> {
  const mark = answers.mark();
  try {
    const { path } = await factory.create(credential).verify();
    if (path === undefined) {
      report.line(
        'FAIL',
        'path',
        'the portal accepted the credential but named no way to read cases.',
      );
      return undefined;
    }
    report.line(
      'PASS',
      'path',
      `${path}: the daemon would read cases through ${describePath(path)}`,
    );
    return path;
  } catch (err) {
    const entry = answers.lastSince(mark);
    report.line(
      'FAIL',
      `path${httpPart(statusOf(err, entry))}`,
      `no way to read cases works for this credential: ${failureText(err, entry)}`,
    );
    return undefined;
  }
}

/** Followed cases to price a cycle for: a chat's (with --chat), else a round 100. */
export interface CostBasis {
  cases: number;
  /** "chat 1001" when the count comes from a chat; undefined for the per-100 figure. */
  who?: string;
  /** Cases over every chat sharing the credential, when more than the chat's own. */
  byCredential?: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One sentence: requests per quiet cycle on this path, with the rule behind the number. */
export function quietCycleCost(
  path: PortalPath,
  basis: CostBasis,
  intervalSeconds: number,
): string {
  const every = `every ${intervalSeconds} s (poll.intervalSeconds)`;
  const cases = basis.byCredential ?? basis.cases;
  const forWhom =
    basis.who === undefined
      ? `per ${plural(cases, 'followed case')}`
      : basis.byCredential !== undefined
        ? `for the ${plural(cases, 'case')} followed with this credential (${basis.who} follows ${basis.cases})`
        : `for the ${plural(cases, 'case')} ${basis.who} follows`;
  let requests: number;
  let rule: string;
  let extra = '';
  switch (path) {
    case 'graphql':
      requests = Math.ceil(cases / BATCH_SIZE);
      rule = `graphql: ⌈cases/${BATCH_SIZE}⌉ per credential`;
      break;
    case 'graphql+rest':
      requests = Math.ceil(cases / BATCH_SIZE);
      rule = `graphql+rest: ⌈cases/${BATCH_SIZE}⌉ per credential`;
      extra = ', plus one REST v3 comment list per case that changed';
      break;
    case 'rest':
      requests = cases;
      rule = 'rest: one per followed case';
      break;
    case 'hydra':
    case 'strata':
      requests = 1;
      rule = `${path}: one "what changed" question per credential`;
      extra = ', plus the reads of the cases that changed';
      break;
  }
  return `${plural(requests, 'request')} ${every} ${forWhom} (${rule})${extra}`;
}
