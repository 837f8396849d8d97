// In-memory StateStore: same contract as the JSON file store (serialised updates, validation,
// write only on change), no file. Used by unit tests of the bot and the engine.
import { emptyState, parseState, type State } from './schema.js';
import type { DeepReadonly, StateStore } from './store.js';

export function createMemoryStore(initial: State = emptyState()): StateStore {
  let state = parseState(structuredClone(initial));
  let serialized = JSON.stringify(state);
  let writes = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  return {
    read: () => state as DeepReadonly<State>,
    update<T>(fn: (draft: State) => T): Promise<T> {
      const run = (): T => {
        if (closed) throw new Error('the store is closed');
        const draft = structuredClone(state);
        const result = fn(draft);
        const next = parseState(draft);
        const text = JSON.stringify(next);
        if (text !== serialized) {
          state = next;
          serialized = text;
          writes++;
        }
        return result;
      };
      const p = queue.then(run);
      queue = p.catch(() => undefined);
      return p;
    },
    get writeCount() {
      return writes;
    },
    async close() {
      await queue;
      closed = true;
    },
  };
}
