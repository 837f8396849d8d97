// One state transaction, shared by the JSON file store and the memory store: a copy-on-write
// draft for fn, then validation of what fn changed, and nothing else.
//
// Why copy-on-write (immer) instead of a deep copy per update: at 10,000 subscriptions the state
// is ~3.7 MiB of JSON. Copying, validating and comparing all of it on every update allocated
// three copies of the state per write, and V8 sized the daemon's heap to that churn (hundreds of
// MB of RSS for a live heap of ~50 MB; docs/benchmarks.md). With a draft that copies only the
// objects fn writes to, an update costs what it changes.
//
// Why validating only the changed parts is enough (the guarantee "every committed state matches
// the schema" holds):
//   1. The committed state is deeply frozen (freezeState), so no one, inside or outside a
//      transaction, can change an object of it in place.
//   2. immer returns the same reference for every subtree fn did not write to, and a new object
//      for every subtree it did (a write anywhere below makes every ancestor new).
//   3. stateSchema is an object of independent fields: a literal version, two records and an
//      array whose entries are each checked on their own (no refinement across entries).
// So an entry of `chats`, `credentials` or `outbox` that is the very object of the committed
// state was validated when it was committed and is unchanged; every other entry is validated
// here with its own schema, whose output (defaults filled, unknown keys dropped, a fresh copy)
// is what gets committed. Anything unexpected at the top level (a replaced version, an extra
// key, a record that is not an object) goes through the whole-state parseState instead.
import { Immer, isDraft, current } from 'immer';
import type { z } from 'zod';
import {
  STATE_VERSION,
  StateFormatError,
  chatSchema,
  credentialSchema,
  outboxEntrySchema,
  parseState,
  type State,
} from './schema.js';
import { StoreError, type DeepReadonly } from './store.js';

/** Problems listed in a StateFormatError, as parseState does. */
const MAX_PROBLEMS = 10;
const TOP_LEVEL_KEYS: readonly string[] = ['version', 'chats', 'credentials', 'outbox'];

// autoFreeze off: immer would also freeze objects the caller built and assigned into the draft
// (its own objects, which it may go on using). The committed copies are frozen here instead.
const immer = new Immer({ autoFreeze: false });

export interface TransactionOutcome<T> {
  result: T;
  /** The new committed state (deeply frozen), or undefined when nothing changed. */
  next: DeepReadonly<State> | undefined;
}

/**
 * Runs fn on a private copy-on-write draft of `committed` (which must come from freezeState or
 * an earlier transaction). Throws what fn throws, StoreError when fn is not synchronous, or
 * StateFormatError when the changed state breaks the schema; `committed` is never modified.
 */
export function runTransaction<T>(
  committed: DeepReadonly<State>,
  fn: (draft: State) => T,
): TransactionOutcome<T> {
  let result: T | undefined;
  // The recipe may only return undefined (anything else would replace the state), so fn's
  // result travels outside it. Drafts are revoked when produce returns: a result holding a
  // draft gets a plain copy of it instead (detach).
  const produced: unknown = immer.produce(committed as State, (draft: State) => {
    const value = fn(draft);
    if (isThenable(value)) {
      // The caller's promise would otherwise reject unobserved (its draft is revoked) and
      // crash the daemon; this transaction is refused below, which is what the caller learns.
      Promise.resolve(value).catch(() => undefined);
      throw new StoreError('update(fn): fn must be synchronous (it returned a promise)');
    }
    result = detach(value);
  });
  if (produced === committed) return { result: result as T, next: undefined };
  const next = validateChanges(committed, produced);
  return { result: result as T, next: next === committed ? undefined : freezeState(next) };
}

/** Deeply freezes a validated state; already frozen subtrees (shared ones) are skipped. */
export function freezeState(state: State | DeepReadonly<State>): DeepReadonly<State> {
  deepFreeze(state);
  return state;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  // Children first: a frozen object then always means a frozen subtree.
  for (const child of Object.values(value)) deepFreeze(child);
  Object.freeze(value);
}

/**
 * The committed state after fn: `prev` itself when nothing changed in content, else a new
 * state sharing every unchanged entry with `prev`. Throws StateFormatError.
 */
function validateChanges(prev: DeepReadonly<State>, produced: unknown): DeepReadonly<State> {
  if (!isPlainObject(produced) || !hasOnlyStateKeys(produced)) return parseState(produced);
  if (produced.version !== STATE_VERSION) return parseState(produced);
  const problems: string[] = [];
  const chats = validateRecord('chats', prev.chats, produced.chats, chatSchema, problems);
  const credentials = validateRecord(
    'credentials',
    prev.credentials,
    produced.credentials,
    credentialSchema,
    problems,
  );
  const outbox = validateArray('outbox', prev.outbox, produced.outbox, outboxEntrySchema, problems);
  if (chats === undefined || credentials === undefined || outbox === undefined) {
    // Not even the right container (a record replaced by an array, say): the whole-state parse
    // gives the same messages as a load would.
    return parseState(produced);
  }
  if (problems.length > 0) throw new StateFormatError(problems.slice(0, MAX_PROBLEMS));
  if (chats === prev.chats && credentials === prev.credentials && outbox === prev.outbox) {
    return prev;
  }
  // Keys in the order JSON.stringify of a parsed state has them (the schema's).
  return { version: STATE_VERSION, chats, credentials, outbox } as DeepReadonly<State>;
}

type Validated<T> = T | undefined;

/**
 * A record of the committed state after fn: `prev` if no entry changed in content (added,
 * removed or different), else a new record. Keys whose value is undefined count as absent, as
 * in JSON. Returns undefined when `value` is not a plain object.
 */
function validateRecord<S extends z.ZodType>(
  name: string,
  prev: Readonly<Record<string, unknown>>,
  value: unknown,
  schema: S,
  problems: string[],
): Validated<Readonly<Record<string, unknown>>> {
  if (value === prev) return prev;
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  let changed = false;
  let kept = 0;
  for (const key of Object.keys(value)) {
    const entry = value[key];
    if (entry === undefined) continue;
    const before = Object.hasOwn(prev, key) ? prev[key] : undefined;
    const checked =
      entry === before ? before : checkEntry(`${name}.${key}`, entry, schema, problems);
    if (before !== undefined && checked !== before && sameJson(checked, before)) {
      out[key] = before;
    } else {
      out[key] = checked;
      if (checked !== before) changed = true;
    }
    if (before !== undefined) kept++;
  }
  if (!changed && kept === Object.keys(prev).length) return prev;
  return out;
}

/** As validateRecord, for the outbox: entries that are committed objects are kept as they are. */
function validateArray<S extends z.ZodType>(
  name: string,
  prev: readonly unknown[],
  value: unknown,
  schema: S,
  problems: string[],
): Validated<readonly unknown[]> {
  if (value === prev) return prev;
  if (!Array.isArray(value)) return undefined;
  const committed = new Set(prev);
  const out: unknown[] = [];
  let changed = value.length !== prev.length;
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    let checked = committed.has(entry)
      ? entry
      : checkEntry(`${name}.${i}`, entry, schema, problems);
    if (checked !== prev[i] && i < prev.length && sameJson(checked, prev[i])) checked = prev[i];
    if (checked !== prev[i]) changed = true;
    out.push(checked);
  }
  return changed ? out : prev;
}

function checkEntry(path: string, entry: unknown, schema: z.ZodType, problems: string[]): unknown {
  const parsed = schema.safeParse(entry);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problems.push(`${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  }
  return entry;
}

function hasOnlyStateKeys(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return (
    keys.length === TOP_LEVEL_KEYS.length && TOP_LEVEL_KEYS.every((k) => Object.hasOwn(value, k))
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** fn's result, with any draft in it (at any depth of plain objects and arrays) copied out. */
function detach<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (isDraft(value)) return structuredClone(current(value as object)) as T;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    const detached = items.map(detach);
    return (detached.some((v, i) => v !== items[i]) ? detached : value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(value)) {
    const d = detach(v);
    if (d !== v) (copy ??= { ...value })[key] = d;
  }
  return (copy ?? value) as T;
}

/**
 * True when `a` and `b` serialise to the same JSON, ignoring key order (keys whose value is
 * undefined count as absent, as in JSON.stringify). Anything that is not a plain JSON value
 * (a Date, a Map, a function) is never equal.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!sameJson(a[i], b[i])) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  let leftKeys = 0;
  for (const key of Object.keys(a)) {
    const value = a[key];
    if (value === undefined) continue;
    leftKeys++;
    if (!Object.hasOwn(b, key) || !sameJson(value, b[key])) return false;
  }
  let rightKeys = 0;
  for (const key of Object.keys(b)) {
    if (b[key] !== undefined) rightKeys++;
  }
  return leftKeys === rightKeys;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
