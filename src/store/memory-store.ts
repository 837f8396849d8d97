// In-memory StateStore: same contract as the JSON file store (serialised updates, the same
// copy-on-write transaction and validation, write only on change, synchronous fn only, closed
// means closed), no file. Used by unit tests of the bot and the engine.
import { emptyState, parseState, type State } from './schema.js';
import { StoreError, type DeepReadonly, type StateStore } from './store.js';
import { freezeState, runTransaction } from './transaction.js';

export function createMemoryStore(initial: State = emptyState()): StateStore {
  let state = freezeState(parseState(structuredClone(initial)));
  let writes = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const run = <T>(fn: (draft: State) => T): T => {
    const { result, next } = runTransaction(state, fn);
    if (next !== undefined) {
      state = next;
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
