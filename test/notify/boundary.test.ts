// notify/ sends what the outbox holds; it never reaches Red Hat. Links come from src/links.ts and
// the proxy choice from src/lib/proxy.ts, so nothing under src/notify/ imports src/portal/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SRC, importedPaths, importsInto, sourceFiles } from '../_helpers/source-tree.js';

describe('the notify boundary', () => {
  it('src/notify/ never imports src/portal/', () => {
    assert.deepEqual(
      importsInto('notify', (path) => path.startsWith('portal/')),
      [],
    );
  });

  it('sees imports from nested folders', () => {
    const found = sourceFiles(join(SRC, 'notify')).flatMap((f) => importedPaths(f));
    assert.ok(found.includes('links.js'), 'the notifiers import src/links.ts');
    assert.ok(found.includes('lib/proxy.js'), 'the Slack webhook imports src/lib/proxy.ts');
  });
});
