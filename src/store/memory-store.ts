// In-memory StateStore: same contract as the JSON file store (serialised updates, validation,
// write only on change, synchronous fn only, closed means closed), no file. Used by unit tests
// of the bot and the engine.
import { emptyState, parseState, type State } from './schema.js';
import { StoreError, type DeepReadonly, type StateStore } from './store.js';

export function createMemoryStore(initial: State = emptyState()): StateStore {
  let state = parseState(structuredClone(initial));
  let serialized = JSON.stringify(state);
  let writes = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const run = <T>(fn: (draft: State) => T): T => {
    const draft = JSON.parse(serialized) as State;
    const result = fn(draft);
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      // Changes made after an await would be silently lost: refuse the whole transaction.
      throw new StoreError('update(fn): fn must be synchronous (it returned a promise)');
    }
    const next = parseState(draft);
    const text = JSON.stringify(next);
    if (text !== serialized) {
      state = next;
      serialized = text;
      writes++;
    }
    return result;
  };

  return {
    read: (): DeepReadonly<State> => state,
    update<T>(fn: (draft: State) => T): Promise<T> {
      if (closing) return Promise.reject(new StoreError('the store is closed; refusing to write'));
      const p = queue.then(() => run(fn));
      queue = p.catch(() => undefined);
      return p;
    },
    get writeCount() {
      return writes;
    },
    close() {
      closing ??= queue.then(() => undefined);
      return closing;
    },
  };
}
