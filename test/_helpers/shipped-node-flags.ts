// The node flags the daemon ships with: `npm start` (package.json) and the Docker image's ENTRYPOINT
// give node the same V8 flags before dist/main.js. Read from those files, so the benchmark
// measures the daemon as users start it and a test keeps the two in step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = 'dist/main.js';

/** The flags between `node` and `dist/main.js` in a command's words. */
function flagsBeforeMain(words: readonly string[], where: string): string[] {
  const main = words.indexOf(MAIN);
  if (words[0] !== 'node' || main < 0) {
    throw new Error(`${where} does not start "node … ${MAIN}": ${words.join(' ')}`);
  }
  return words.slice(1, main);
}

/** From package.json's "start" script. */
export function npmStartNodeFlags(): string[] {
  const pkg = z
    .object({ scripts: z.object({ start: z.string() }) })
    .parse(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));
  return flagsBeforeMain(pkg.scripts.start.trim().split(/\s+/), 'package.json "start"');
}

/** The Dockerfile's last instruction of this kind (exec form), as words. */
export function dockerInstruction(kind: 'ENTRYPOINT' | 'CMD'): string[] | undefined {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${kind} `));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  return z.array(z.string()).parse(JSON.parse(last.slice(kind.length + 1)));
}

/** From the Dockerfile's ENTRYPOINT (exec form): arguments of `docker run` follow it. */
export function dockerNodeFlags(): string[] {
  const words = dockerInstruction('ENTRYPOINT');
  if (words === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  return flagsBeforeMain(words, 'the Dockerfile ENTRYPOINT');
}
