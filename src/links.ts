// Web links to a case and to one comment on the customer portal, from the operator's templates
// (portal.caseUrlTemplate, portal.commentUrlTemplate). Built once by main.ts and handed to the
// notifiers and the bot, so neither needs portal/ for a link.
import type { Config } from './config.js';
import type { CaseNumber } from './domain.js';

export interface Links {
  caseUrl(caseNumber: CaseNumber): string;
  commentUrl(caseNumber: CaseNumber, commentId: string): string;
}

// Values are URL-encoded: a case number or comment id comes from the portal's answers and must
// not change the link's structure. An unknown placeholder is left as written.
function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(caseNumber|commentId)\}/g, (whole, name: string) => {
    const value = values[name];
    return value !== undefined ? encodeURIComponent(value) : whole;
  });
}

export function createLinks(
  portal: Pick<Config['portal'], 'caseUrlTemplate' | 'commentUrlTemplate'>,
): Links {
  return {
    caseUrl: (caseNumber) => fillTemplate(portal.caseUrlTemplate, { caseNumber }),
    commentUrl: (caseNumber, commentId) =>
      fillTemplate(portal.commentUrlTemplate, { caseNumber, commentId }),
  };
}
