// Recognising a comment by more than its id. REST v3, GraphQL and the old v1 API give the same
// comment different ids, so a comment delivered through one path must still be recognised when
// another path returns it: by its case, creation instant (to the second: the APIs write
// different precisions), author and text, each normalised so that HTML vs plain text, entity
// escaping, case and spacing do not matter.
import { createHash } from 'node:crypto';
import type { Comment } from './domain.js';

/** Prints live in a subscription's `seen` list beside ids; ids never contain a colon. */
export const PRINT_PREFIX = 'fp:';
/** Characters of normalised text that enter the print: enough to tell two comments apart. */
const PRINT_TEXT_CHARS = 200;
const PRINT_HASH_CHARS = 22;
const MS_PER_SECOND = 1000;

/** Letters and digits only, lower case, compatibility-folded ("Ｆｏｏ &amp; bar" ≈ "foo bar"). */
function letters(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

export type PrintInput = Pick<Comment, 'caseNumber' | 'createdAt' | 'author' | 'body'>;

/** "fp:…": equal for the same comment read through any API. */
export function commentPrint(c: PrintInput): string {
  const at = Date.parse(c.createdAt);
  const second = Number.isNaN(at) ? c.createdAt : String(Math.floor(at / MS_PER_SECOND));
  const material = [
    c.caseNumber,
    second,
    letters(c.author),
    letters(c.body).slice(0, PRINT_TEXT_CHARS),
  ].join('\n');
  const hash = createHash('sha256').update(material, 'utf8').digest('base64url');
  return `${PRINT_PREFIX}${hash.slice(0, PRINT_HASH_CHARS)}`;
}

/** The keys a comment is known by: its id and its print. */
export function commentKeys(c: PrintInput & Pick<Comment, 'id'>): [string, string] {
  return [c.id, commentPrint(c)];
}
