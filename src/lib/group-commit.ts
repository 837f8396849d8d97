// Group commit, written once: the first item is written at once; items arriving while a write is
// in flight wait and are written together by the next one. The poller records credentials'
// outcomes this way and the delivery worker its settled entries: each write rewrites the whole
// state file, so a burst of hundreds of items costs a handful of writes, not hundreds, while a
// lone item is not delayed at all.

/** Writes one batch; answers one result per item, in the batch's order. */
export type BatchWrite<T, R> = (batch: readonly T[]) => Promise<readonly R[]>;

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * `commit(item)` resolves with the item's result once the write holding it is done. One write
 * at a time; batches go in arrival order and keep it inside. A write that rejects (or answers a
 * result count that is not its batch's size, a bug) rejects the items of that batch only; the
 * items waiting behind it are written next, as usual.
 */
export function createGroupCommit<T, R>(write: BatchWrite<T, R>): (item: T) => Promise<R> {
  let waiting: Waiting<T, R>[] = [];
  let writing = false;

  const writeBatch = async (batch: Waiting<T, R>[]): Promise<void> => {
    try {
      const results = await write(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
      }
      results.forEach((result, i) => batch[i]?.resolve(result));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  };

  const drain = async (): Promise<void> => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      await writeBatch(batch);
    }
    writing = false;
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // Never rejects: writeBatch hands every failure to its batch's items.
      if (!writing) void drain();
    });
}

/**
 * Writes `items` in one write; if that fails and there are several, writes each alone, so one
 * bad item cannot hold the others back. Answers, per item, whether it is written. `write`
 * answers false (it reports the failure itself) rather than throwing.
 */
export async function writeTogetherOrAlone<T>(
  items: readonly T[],
  write: (items: readonly T[]) => Promise<boolean>,
): Promise<boolean[]> {
  if (await write(items)) return items.map(() => true);
  if (items.length <= 1) return items.map(() => false);
  const written: boolean[] = [];
  for (const item of items) written.push(await write([item]));
  return written;
}
