// src/lib/ holds small helpers every layer may use, so it must not depend on any layer: nothing
// under src/lib/ imports a folder of src/ (portal/, store/, notify/, ...).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importsInto } from '../_helpers/source-tree.js';

describe('the lib boundary', () => {
  it('src/lib/ imports no other folder of src/', () => {
    assert.deepEqual(
      importsInto('lib', (path) => path.includes('/') && !path.startsWith('lib/')),
      [],
    );
  });
});
