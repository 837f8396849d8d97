// The StateStore port: the one way any part of the daemon reads or changes state.
import type { State } from './schema.js';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export interface StateStore {
  /** The current committed state. Do not mutate; use update(). */
  read(): DeepReadonly<State>;
  /**
   * Serialises all mutations in this process: `fn` gets a private copy of the current state,
   * mutates it and returns a result. The new state is validated and, only if it differs from
   * the committed one, persisted atomically before the promise resolves. If `fn` throws, or
   * the write fails, nothing changes and the promise rejects. `fn` must be synchronous: no I/O
   * inside a transaction.
   */
  update<T>(fn: (draft: State) => T): Promise<T>;
  /** Number of successful writes since open (benchmarks and tests count them). */
  readonly writeCount: number;
  /** Waits for pending updates, then releases resources (the lock). Idempotent. */
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}
