// The project's own vocabulary. Nothing here knows Red Hat's wire formats or Telegram's API:
// portal/ converts vendor payloads into these types at the edge.

/** A support case number: digits only, leading zeros significant ("00012345"). */
export type CaseNumber = string;

export const CASE_NUMBER_PATTERN = /^\d{1,12}$/;

/** Who a chat wants to hear from: Red Hat staff, the customer side, or both. */
export type Audience = 'associate' | 'customer' | 'both';
export const AUDIENCES: readonly Audience[] = ['associate', 'customer', 'both'];
export const DEFAULT_AUDIENCE: Audience = 'associate';

export type AuthorType = 'associate' | 'customer' | 'unknown';

export interface Case {
  number: CaseNumber;
  summary: string;
  status: string;
  severity: string;
  product: string;
  /** Product version as the portal writes it ("8.10" stays "8.10"); absent when not given. */
  version?: string;
  closed: boolean;
  /** ISO-8601 UTC. */
  lastModifiedAt: string;
  group?: string;
}

export interface Comment {
  id: string;
  caseNumber: CaseNumber;
  author: string;
  authorType: AuthorType;
  body: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  isPublic: boolean;
  isDraft: boolean;
}

/** True when a comment of this author type is meant for this audience. */
export function audienceWants(audience: Audience, authorType: AuthorType): boolean {
  if (audience === 'both') return true;
  // An author we cannot classify is shown to everyone rather than silently dropped.
  if (authorType === 'unknown') return true;
  return authorType === audience;
}

/** Injected time source: code never reads Date.now() directly where tests need control. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
