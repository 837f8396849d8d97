// notify/ sends what the outbox holds; it never reaches Red Hat. Links come from src/links.ts and
// the proxy choice from src/lib/proxy.ts, so nothing under src/notify/ imports src/portal/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return d.name.endsWith('.ts') ? [full] : [];
  });
}

/** Posix path under src/ of a file or a resolved import, e.g. "portal/types.js". */
const srcPath = (file: string): string => relative(SRC, file).split(sep).join('/');

/** Relative imports (static, re-exports and dynamic), resolved to paths under src/. */
function importedPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) => srcPath(resolve(dirname(file), spec)));
}

describe('the notify boundary', () => {
  it('src/notify/ never imports src/portal/', () => {
    const found = sourceFiles(join(SRC, 'notify')).flatMap((f) =>
      importedPaths(f)
        .filter((path) => path.startsWith('portal/'))
        .map((path) => `src/${srcPath(f)} imports src/${path}`),
    );
    assert.deepEqual(found, []);
  });

  it('sees imports from nested folders', () => {
    const found = sourceFiles(join(SRC, 'notify')).flatMap((f) => importedPaths(f));
    assert.ok(found.includes('links.js'), 'the notifiers import src/links.ts');
    assert.ok(found.includes('lib/proxy.js'), 'the Slack webhook imports src/lib/proxy.ts');
  });
});
