// What may be read from a thrown value, written once: its errno-style code, its name and
// message, and for admin reports a scrubbed description with its causes. Only an error's own
// fields are read; an error object is never serialised (an HTTP library's error holds the
// request, headers included).

/** Primitive properties worth showing of well-known errors (PortalError, TelegramError). */
const REPORTED_PROPERTIES = ['kind', 'status', 'code', 'endpoint', 'description', 'method'];
/** A reported property's value is cut to this many characters. */
const PROPERTY_MAX_CHARS = 200;
/** Causes followed below the error itself. */
const MAX_CAUSE_DEPTH = 3;

/**
 * The error's string `code` (ENOENT, ECONNREFUSED, ...), or undefined. With `shape`, only a code
 * matching it: a caller that copies the code into a message keeps arbitrary text out that way.
 */
export function errorCode(err: unknown, shape?: RegExp): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const { code } = err;
  if (typeof code !== 'string') return undefined;
  return shape === undefined || shape.test(code) ? code : undefined;
}

/** An Error's name, or the type of whatever else was thrown. */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** An Error's message, or whatever else was thrown as text. Not scrubbed. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Anything that removes known secrets from a text (secrets.ts SecretScrubber). */
export interface Scrubber {
  scrub(text: string): string;
}

/** A thrown value, described for an admin report and its log line; every string is scrubbed. */
export interface ErrorFacts {
  name: string;
  message: string;
  /** Scrubbed stack (with causes), may be empty. */
  stack: string;
  /** Extra primitive facts: kind, status, code, ... */
  extra: Record<string, string>;
  forLog: Record<string, unknown>;
}

/**
 * Like errorMessage, but a thrown object other than an Error is shown as JSON. Not scrubbed: for
 * admin reports, which scrub what they show.
 */
export function errorMessageOrJson(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Name, message, a few primitive properties and the stack with up to MAX_CAUSE_DEPTH causes,
 * each passed through `scrubber` before it is returned.
 */
export function describeError(error: unknown, scrubber: Scrubber): ErrorFacts {
  const name = scrubber.scrub(errorName(error));
  const message = scrubber.scrub(errorMessageOrJson(error));
  const extra: Record<string, string> = {};
  if (error !== null && typeof error === 'object') {
    for (const k of REPORTED_PROPERTIES) {
      const v: unknown = (error as Record<string, unknown>)[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        extra[k] = scrubber.scrub(String(v)).slice(0, PROPERTY_MAX_CHARS);
      }
    }
  }
  const stackParts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== undefined; depth++) {
    const text =
      current instanceof Error
        ? (current.stack ?? `${current.name}: ${current.message}`)
        : errorMessageOrJson(current);
    stackParts.push(depth === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  const stack = scrubber.scrub(stackParts.join('\n'));
  return { name, message, stack, extra, forLog: { name, message, stack, ...extra } };
}
