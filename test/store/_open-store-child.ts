// A second process for the store tests: node --import tsx test/store/_open-store-child.ts <db path> [mode] [lockStaleMs]
//
// Modes:
//   open        open the store, print "opened", close, exit 0 (the default);
//   hold        open, print "ready", keep the store (and its lock) until stdin ends, then close;
//   write-loop  open, add a bulk of chats if the state is empty, print "ready", then write in a
//               tight loop forever; after each committed write print "committed <n>", where n
//               is the length of the counter list in the state (so the parent can compare what
//               was acknowledged with what is on disk after a kill -9).
// If opening fails, the error message goes to stderr and the exit code is 2.
import { createLogger } from '../../src/logger.js';
import { createSecretScrubber } from '../../src/secrets.js';
import { openJsonFileStore } from '../../src/store/json-file-store.js';
import type { State } from '../../src/store/schema.js';
import { COUNTER_CASE, COUNTER_CHAT, counter, makeChat, makeSubscription } from './_fixtures.js';

// Enough data that a write takes a few milliseconds, so kills land inside writes too.
const BULK_CHATS = 150;
const BULK_CASES_PER_CHAT = 5;

function seed(draft: State): void {
  if (draft.chats[COUNTER_CHAT]) return;
  draft.chats[COUNTER_CHAT] = makeChat(1, [makeSubscription(COUNTER_CASE)]);
  for (let c = 0; c < BULK_CHATS; c++) {
    const id = 1_000 + c;
    draft.chats[String(id)] = makeChat(
      id,
      Array.from({ length: BULK_CASES_PER_CHAT }, (_, k) =>
        makeSubscription(String(2_000_000 + c * BULK_CASES_PER_CHAT + k), [
          `a0a6R00000bulk${String(k).padStart(4, '0')}`,
        ]),
      ),
    );
  }
}

async function main(): Promise<void> {
  const [path, mode = 'open', staleText] = process.argv.slice(2);
  if (!path)
    throw new Error('usage: _open-store-child.ts <db path> [open|hold|write-loop] [lockStaleMs]');
  const logger = createLogger({
    level: 'warn',
    scrubber: createSecretScrubber(),
    destination: process.stderr,
  });
  let store;
  try {
    store = await openJsonFileStore({
      path,
      logger,
      ...(staleText ? { lockStaleMs: Number(staleText) } : {}),
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }

  if (mode === 'open') {
    process.stdout.write('opened\n');
    await store.close();
    return;
  }
  if (mode === 'hold') {
    process.stdout.write('ready\n');
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on('end', resolve));
    await store.close();
    return;
  }
  if (mode === 'write-loop') {
    await store.update(seed);
    process.stdout.write('ready\n');
    for (;;) {
      const n = await store.update((draft) => {
        const list = counter(draft);
        list.push(`n${list.length + 1}`);
        return list.length;
      });
      process.stdout.write(`committed ${n}\n`);
    }
  }
  throw new Error(`unknown mode ${mode}`);
}

await main();
