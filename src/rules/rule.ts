// Follow rules: what `/follow` accepts, what a stored rule looks like, and whether a case
// matches it. Pure: the bot parses with it, the poller matches with it.
//
// A rule is a set of conditions that must all hold; no condition at all is `/follow all`.
// Severity matches the leading number of the portal's value ("1 (Urgent)"); product and group
// match on words, case-insensitively: every word of the rule must be a word of the case's
// value ("openshift" matches "Red Hat OpenShift Container Platform", "open" does not).
import { severityLevel, type Case } from '../domain.js';

export interface RuleConditions {
  /** Severity levels 1–4; absent: any. */
  severities?: readonly number[];
  /** Lower-case words that must all be in the product's name; absent: any. */
  product?: readonly string[];
  /** Lower-case words that must all be in the case group's name; absent: any. */
  group?: readonly string[];
}

export type ParsedRule = { ok: true; rule: RuleConditions } | { ok: false; error: string };

export const RULE_EXAMPLES = [
  '/follow all',
  '/follow sev 1,2',
  '/follow product openshift',
  '/follow group emea platform',
  '/follow sev 1 product openshift',
] as const;

const KEYWORDS = new Set(['sev', 'severity', 'product', 'group']);
const MAX_WORDS = 10;
const MAX_WORD_CHARS = 40;

/** Words as the matcher compares them: letters and digits, lower-case. */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

function refuse(error: string): ParsedRule {
  return { ok: false, error };
}

/** Parses the text after `/follow`. Every refusal names the problem and shows an example. */
export function parseRule(text: string): ParsedRule {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (tokens.length === 0) {
    return refuse(`Say what to follow, for example ${RULE_EXAMPLES[1]}.`);
  }
  if (tokens[0]?.toLowerCase() === 'all') {
    if (tokens.length > 1) {
      return refuse(
        `"all" stands alone: /follow all. To narrow it, use conditions instead, for example ${RULE_EXAMPLES[4]}.`,
      );
    }
    return { ok: true, rule: {} };
  }
  const rule: RuleConditions = {};
  let i = 0;
  while (i < tokens.length) {
    const keyword = (tokens[i] ?? '').toLowerCase();
    if (!KEYWORDS.has(keyword)) {
      return refuse(
        `I don't know "${tokens[i]}". A rule is built from sev, product and group, for example ${RULE_EXAMPLES[4]}.`,
      );
    }
    let j = i + 1;
    while (j < tokens.length && !KEYWORDS.has((tokens[j] ?? '').toLowerCase())) j++;
    const args = tokens.slice(i + 1, j).join(' ');
    i = j;
    if (keyword === 'sev' || keyword === 'severity') {
      if (rule.severities) return refuse('Give the severities once, for example /follow sev 1,2.');
      const parts = args.split(/[\s,]+/).filter((p) => p !== '');
      if (parts.length === 0) return refuse('Which severities? For example /follow sev 1,2.');
      const levels = new Set<number>();
      for (const p of parts) {
        if (!/^[1-4]$/.test(p)) {
          return refuse(`Severity "${p}" does not exist: use 1 to 4, for example /follow sev 1,2.`);
        }
        levels.add(Number(p));
      }
      rule.severities = [...levels].sort();
      continue;
    }
    const field = keyword as 'product' | 'group';
    if (rule[field]) {
      return refuse(`Give the ${field} once, for example /follow ${field} openshift.`);
    }
    const words = wordsOf(args);
    if (words.length === 0) {
      return refuse(`Which ${field}? For example /follow ${field} openshift.`);
    }
    if (words.length > MAX_WORDS || words.some((w) => w.length > MAX_WORD_CHARS)) {
      return refuse(
        `That ${field} is too long: a few words are enough, for example /follow ${field} openshift.`,
      );
    }
    rule[field] = [...new Set(words)];
  }
  return { ok: true, rule };
}

function hasWords(value: string | undefined, words: readonly string[] | undefined): boolean {
  if (words === undefined) return true;
  if (value === undefined) return false;
  const have = new Set(wordsOf(value));
  return words.every((w) => have.has(w));
}

/** True when the case meets every condition of the rule. Closed cases never match. */
export function ruleMatches(rule: Readonly<RuleConditions>, kase: Readonly<Case>): boolean {
  if (kase.closed) return false;
  if (rule.severities !== undefined) {
    const level = severityLevel(kase.severity);
    if (level === undefined || !rule.severities.includes(level)) return false;
  }
  const product = kase.version !== undefined ? `${kase.product} ${kase.version}` : kase.product;
  return hasWords(product, rule.product) && hasWords(kase.group, rule.group);
}

/** The rule as a person would type it, without the command: "sev 1,2 · product openshift". */
export function describeRule(rule: Readonly<RuleConditions>): string {
  const parts: string[] = [];
  if (rule.severities) parts.push(`sev ${rule.severities.join(',')}`);
  if (rule.product) parts.push(`product ${rule.product.join(' ')}`);
  if (rule.group) parts.push(`group ${rule.group.join(' ')}`);
  return parts.length === 0 ? 'all open cases' : parts.join(' · ');
}

/** Same conditions (order of words and severities aside): a second /follow of it adds nothing. */
export function sameRule(a: Readonly<RuleConditions>, b: Readonly<RuleConditions>): boolean {
  const key = (r: Readonly<RuleConditions>): string =>
    JSON.stringify([
      [...(r.severities ?? [])].sort(),
      r.product ? [...r.product].sort() : null,
      r.group ? [...r.group].sort() : null,
    ]);
  return key(a) === key(b);
}
