// The package version, read once from package.json beside dist/ or src/.
import { readFileSync } from 'node:fs';

export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    // Only reachable in an unusual install without package.json; the version is cosmetic.
    return '0.0.0';
  }
}
