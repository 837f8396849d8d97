// db.json's text, produced without serialising the whole state on every write.
//
// The committed state is frozen and shares every unchanged chat, credential and outbox entry
// with the previous one (transaction.ts), so the JSON of such an entry is cached by object
// identity (a WeakMap: an entry no longer in the state takes its text with it). A write
// serialises only the entries that are new, and copies the pieces into one reusable buffer:
// no 4 MB string per write at 10,000 subscriptions, and the bytes are the very ones
// JSON.stringify(state) gives (compact JSON, keys in the state's order).
import type { State } from './schema.js';
import type { DeepReadonly } from './store.js';

/** First buffer size; it grows to the largest state written (×1.5 steps) and stays there. */
const INITIAL_BUFFER_BYTES = 64 * 1024;
const GROWTH_FACTOR = 1.5;

export interface StateTextWriter {
  /**
   * The UTF-8 JSON of `state`, the same bytes as JSON.stringify(state). The returned view is
   * only valid until the next call (the buffer is reused).
   */
  encode(state: DeepReadonly<State>): Buffer;
}

export function createStateTextWriter(): StateTextWriter {
  const cache = new WeakMap<object, string>();
  let buffer = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  let length = 0;

  const textOf = (value: object): string => {
    let text = cache.get(value);
    if (text === undefined) {
      // Only frozen (committed) objects are cached: nothing can change them later.
      text = JSON.stringify(value);
      if (Object.isFrozen(value)) cache.set(value, text);
    }
    return text;
  };

  const put = (text: string): void => {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (length + bytes > buffer.length) {
      const grown = Buffer.allocUnsafe(
        Math.max(length + bytes, Math.ceil(buffer.length * GROWTH_FACTOR)),
      );
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    length += buffer.write(text, length, 'utf8');
  };

  const putRecord = (record: Readonly<Record<string, object | undefined>>): void => {
    put('{');
    let first = true;
    for (const key of Object.keys(record)) {
      const value = record[key];
      // As JSON.stringify: a key whose value is undefined is left out.
      if (value === undefined) continue;
      put(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      put(textOf(value));
      first = false;
    }
    put('}');
  };

  return {
    encode(state) {
      length = 0;
      put(`{"version":${JSON.stringify(state.version)},"chats":`);
      putRecord(state.chats);
      put(',"credentials":');
      putRecord(state.credentials);
      put(',"outbox":[');
      state.outbox.forEach((entry, i) => {
        if (i > 0) put(',');
        put(textOf(entry));
      });
      put(']}');
      return buffer.subarray(0, length);
    },
  };
}
