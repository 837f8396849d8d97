// The generated key file (secret.key) used when PUSHBOT_SECRET_KEY is not set.
import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SecretKeyError, loadOrCreateSecretKey } from '../../src/secret-key.js';
import { createSecretBox } from '../../src/secrets.js';
import { tempDir } from './_fixtures.js';

describe('secret key file', () => {
  let dir: string;
  let removeDir: () => Promise<void>;

  beforeEach(async () => {
    ({ path: dir, remove: removeDir } = await tempDir('pushbot-store-'));
  });
  afterEach(() => removeDir());

  it('creates a random key with mode 0600, in a new 0700 folder', async () => {
    const path = join(dir, 'data', 'secret.key');
    const key = loadOrCreateSecretKey(path);
    assert.equal(key.created, true);
    assert.equal(key.warning, undefined);
    assert.match(key.material, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal((await readFile(path, 'utf8')).trim(), key.material);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'data'))).mode & 0o777, 0o700);
    // Usable as SecretBox key material.
    const box = createSecretBox(key.material);
    assert.equal(box.decrypt(box.encrypt('x')), 'x');
  });

  it('reuses the key on the next start', () => {
    const path = join(dir, 'secret.key');
    const first = loadOrCreateSecretKey(path);
    const second = loadOrCreateSecretKey(path);
    assert.equal(second.created, false);
    assert.equal(second.material, first.material);
  });

  it('never overwrites an existing key, and trims it', async () => {
    const path = join(dir, 'secret.key');
    await writeFile(path, '  operator-provided-key-material\n', { mode: 0o600 });
    const key = loadOrCreateSecretKey(path);
    assert.deepEqual(key, { material: 'operator-provided-key-material', created: false });
    assert.equal(await readFile(path, 'utf8'), '  operator-provided-key-material\n');
  });

  it('refuses an empty key file and leaves it as it is', async () => {
    const path = join(dir, 'secret.key');
    await writeFile(path, ' \n', { mode: 0o600 });
    assert.throws(
      () => loadOrCreateSecretKey(path),
      (err) =>
        err instanceof SecretKeyError &&
        err.message.includes(path) &&
        /is empty/.test(err.message) &&
        /was not replaced/.test(err.message),
    );
    assert.equal(await readFile(path, 'utf8'), ' \n');
  });

  it('warns, without failing, when other users can read the key', async () => {
    const path = join(dir, 'secret.key');
    loadOrCreateSecretKey(path);
    await chmod(path, 0o644);
    const key = loadOrCreateSecretKey(path);
    assert.equal(key.created, false);
    assert.ok(key.warning, 'a warning');
    assert.ok(key.warning.includes(path));
    assert.match(key.warning, /mode 644/);
    assert.match(key.warning, /chmod 600/);
    assert.equal(key.warning.includes(key.material), false, 'the key is not in the warning');
  });
});
