// Case numbers as users type them: "/add 01234567 01234568", "01234567, 01234568", "#01234567".
// Leading zeros are significant and kept.
import { CASE_NUMBER_PATTERN, type CaseNumber } from '../../domain.js';

/** One command handles at most this many cases: a paste of a whole list must not flood. */
export const MAX_CASES_PER_COMMAND = 20;
/** Invalid input is echoed back; cut it so a pasted paragraph does not come back whole. */
const MAX_ECHO_CHARS = 24;

export interface CaseArgs {
  valid: CaseNumber[];
  invalid: string[];
  /** Valid numbers beyond MAX_CASES_PER_COMMAND, not handled. */
  skipped: number;
}

export function parseCaseArgs(text: string): CaseArgs {
  const valid: CaseNumber[] = [];
  const invalid: string[] = [];
  let skipped = 0;
  for (const raw of text.split(/[\s,;]+/)) {
    if (raw === '') continue;
    const token = raw.replace(/^#/, '');
    if (!CASE_NUMBER_PATTERN.test(token)) {
      if (invalid.length < MAX_CASES_PER_COMMAND) {
        invalid.push(raw.length > MAX_ECHO_CHARS ? `${raw.slice(0, MAX_ECHO_CHARS)}…` : raw);
      }
      continue;
    }
    if (valid.includes(token)) continue;
    if (valid.length >= MAX_CASES_PER_COMMAND) skipped++;
    else valid.push(token);
  }
  return { valid, invalid, skipped };
}

export function isEmpty(args: CaseArgs): boolean {
  return args.valid.length === 0 && args.invalid.length === 0;
}

/** "01234567, 07654321 and 3 more": at most `max` numbers, in the given order. */
export function caseList(numbers: readonly CaseNumber[], max: number): string {
  const shown = numbers.slice(0, max).join(', ');
  const more = numbers.length - max;
  return more > 0 ? `${shown} and ${more} more` : shown;
}
