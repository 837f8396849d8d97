import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  dockerInstruction,
  dockerNodeFlags,
  npmStartNodeFlags,
} from '../_helpers/shipped-node-flags.js';

describe('how the daemon is started', () => {
  it('gives node the same flags with npm start and in the Docker image', () => {
    assert.deepEqual(dockerNodeFlags(), npmStartNodeFlags());
    assert.ok(npmStartNodeFlags().length > 0);
  });

  it('passes `docker run IMAGE <args>` to the daemon: ENTRYPOINT ends with main.js, CMD is empty', () => {
    assert.equal(dockerInstruction('ENTRYPOINT')?.at(-1), 'dist/main.js');
    assert.deepEqual(dockerInstruction('CMD'), []);
  });

  it('uses only flags this node accepts, and none that caps the heap', () => {
    const flags = npmStartNodeFlags();
    // node refuses an unknown V8 flag ("bad option", exit code 9): execFileSync throws.
    execFileSync(process.execPath, [...flags, '-e', '0'], { stdio: 'pipe' });
    assert.throws(() =>
      execFileSync(process.execPath, ['--heap-growing-percnt=25', '-e', '0'], { stdio: 'pipe' }),
    );
    // A heap cap would turn a burst into an out-of-memory crash (docs/benchmarks.md).
    assert.ok(!flags.some((f) => f.startsWith('--max-old-space-size')), flags.join(' '));
  });
});
