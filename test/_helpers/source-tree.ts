// The project's own source, read as text: for the tests that hold a boundary of the layout
// (who may import whom, who may write what).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Every .ts file below `dir`, nested folders included. */
export function sourceFiles(dir: string = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return d.name.endsWith('.ts') ? [full] : [];
  });
}

/** Posix path under src/ of a file or a resolved import, e.g. "portal/types.js". */
export const srcPath = (file: string): string => relative(SRC, file).split(sep).join('/');

/** Relative imports (static, re-exports and dynamic), resolved to paths under src/. */
export function importedPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((spec) => srcPath(resolve(dirname(file), spec)));
}

/** "src/a.ts imports src/b.js" for each import of a file in `folder` that `forbidden` names. */
export function importsInto(folder: string, forbidden: (path: string) => boolean): string[] {
  return sourceFiles(join(SRC, folder)).flatMap((f) =>
    importedPaths(f)
      .filter(forbidden)
      .map((path) => `src/${srcPath(f)} imports src/${path}`),
  );
}
