// The one temp-dir helper of the test suite: a fresh folder under the OS temp dir, removed
// with everything in it when the test is done with it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  remove: () => Promise<void>;
}

export async function tempDir(prefix = 'pushbot-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
