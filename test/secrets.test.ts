import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createSecretBox,
  ENCRYPTED_PATTERN,
  generateKeyMaterial,
  SecretBoxError,
} from '../src/secrets.js';

describe('secret box', () => {
  const box = createSecretBox(generateKeyMaterial());

  it('round-trips a secret and never shows it in the sealed form', () => {
    const sealed = box.encrypt('my offline token ✓');
    assert.match(sealed, ENCRYPTED_PATTERN);
    assert.ok(!sealed.includes('offline'));
    assert.equal(box.decrypt(sealed), 'my offline token ✓');
  });

  it('uses a fresh IV for every value', () => {
    assert.notEqual(box.encrypt('same'), box.encrypt('same'));
  });

  it('refuses a value sealed with another key, with a clear message', () => {
    const other = createSecretBox(generateKeyMaterial());
    assert.throws(
      () => other.decrypt(box.encrypt('x')),
      (err: unknown) => err instanceof SecretBoxError && /secret key differs/.test(err.message),
    );
  });

  it('detects tampering', () => {
    const sealed = box.encrypt('abcdef');
    const parts = sealed.split(':');
    const data = Buffer.from(parts[4]!, 'base64url');
    data[0] = data[0]! ^ 1;
    parts[4] = data.toString('base64url');
    assert.throws(() => box.decrypt(parts.join(':')), SecretBoxError);
  });

  it('gives stable fingerprints that depend on the key', () => {
    const other = createSecretBox(generateKeyMaterial());
    assert.equal(box.fingerprint('t'), box.fingerprint('t'));
    assert.notEqual(box.fingerprint('t'), box.fingerprint('u'));
    assert.notEqual(box.fingerprint('t'), other.fingerprint('t'));
  });

  it('refuses short key material', () => {
    assert.throws(() => createSecretBox('short'), SecretBoxError);
  });
});
