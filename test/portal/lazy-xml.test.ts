// fast-xml-parser is loaded only by a daemon that reads through Strata, and only once a Strata
// client decodes an answer: the v3 and Hydra paths keep it out of the heap. Each case runs in a
// fresh node process (a module, once loaded, stays loaded) that reports every module it resolved.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CHILD = fileURLToPath(new URL('./_loaded-modules-child.ts', import.meta.url));
const XML_PARSER = /\/node_modules\/fast-xml-parser\//;
const FACTORY = /\/src\/portal\/index\.ts$/;

async function modulesLoaded(api: string, mode: 'create' | 'read' = 'create'): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', CHILD, api, mode],
    { timeout: 30_000 },
  );
  const report: unknown = JSON.parse(stdout);
  const list: unknown =
    typeof report === 'object' && report !== null && 'loaded' in report ? report.loaded : undefined;
  assert.ok(Array.isArray(list), stdout);
  const loaded = list.filter((u): u is string => typeof u === 'string');
  assert.equal(loaded.length, list.length, stdout);
  // The recorder works: the factory itself was seen being loaded.
  assert.ok(
    loaded.some((u) => FACTORY.test(u)),
    'the child did not see the factory load',
  );
  return loaded;
}

describe('the Strata XML parser is loaded lazily', () => {
  for (const api of ['v3', 'hydra']) {
    it(`is not loaded by the factory and a client for api ${api}`, async () => {
      const loaded = await modulesLoaded(api);
      assert.deepEqual(
        loaded.filter((u) => XML_PARSER.test(u)),
        [],
      );
    });
  }

  it('is not loaded by creating a Strata client that has read nothing yet', async () => {
    const loaded = await modulesLoaded('strata');
    assert.equal(
      loaded.some((u) => XML_PARSER.test(u)),
      false,
    );
  });

  it('is loaded when a Strata client reads a case, which it then parses', async () => {
    const loaded = await modulesLoaded('strata', 'read');
    assert.ok(loaded.some((u) => XML_PARSER.test(u)));
  });
});
