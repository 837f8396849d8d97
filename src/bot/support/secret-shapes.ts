// Recognising text that is probably a secret, so the bot can delete it from a chat where it
// must not stay (a group, or a private chat outside the /setup wizard). Heuristics: a false
// positive costs a deleted message and a short note; a false negative leaves a password in a
// group, so the group rules are deliberately eager while the /setup watch is on.

// A JSON Web Token (Red Hat offline tokens are JWTs): three base64url parts, the first "eyJ".
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;
// An API-key-like word: long, from the usual token alphabet, mixing letters and digits.
const TOKEN_ALPHABET = /^[A-Za-z0-9._~+/=-]+$/;
export const MIN_TOKEN_LIKE_CHARS = 24;

function isTokenLikeWord(word: string): boolean {
  return (
    word.length >= MIN_TOKEN_LIKE_CHARS &&
    TOKEN_ALPHABET.test(word) &&
    /[A-Za-z]/.test(word) &&
    /[0-9]/.test(word)
  );
}

/** Unmistakably a token (a JWT): deleted wherever it appears outside the wizard. */
export function containsJwt(text: string): boolean {
  return JWT.test(text);
}

/** A JWT or a long token-like word anywhere in the text. */
export function looksLikeToken(text: string): boolean {
  return containsJwt(text) || text.split(/\s+/).some(isTokenLikeWord);
}

/** Exactly two words, not a command: the shape of "username password". */
export function looksLikeCredentialPair(text: string): boolean {
  const words = text.trim().split(/\s+/);
  return words.length === 2 && !text.trim().startsWith('/');
}
