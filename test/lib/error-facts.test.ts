import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeError,
  errorCode,
  errorMessage,
  errorMessageOrJson,
  errorName,
} from '../../src/lib/error-facts.js';
import { createSecretScrubber } from '../../src/secrets.js';

const SECRET = 'hunter2-very-secret-token';

describe('error facts', () => {
  it('reads a string code, and only one of the expected shape when asked', () => {
    const err = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    assert.equal(errorCode(err), 'ENOENT');
    assert.equal(errorCode(err, /^E[A-Z]+$/), 'ENOENT');
    assert.equal(errorCode({ code: 'token abc in text' }, /^[A-Z_]+$/), undefined);
    assert.equal(errorCode({ code: 42 }), undefined);
    assert.equal(errorCode('ENOENT'), undefined);
    assert.equal(errorCode(null), undefined);
  });

  it("names an Error by its name and anything else by its type; reads the message or the value's text", () => {
    assert.equal(errorName(new TypeError('x')), 'TypeError');
    assert.equal(errorName('boom'), 'string');
    assert.equal(errorMessage(new Error('boom')), 'boom');
    assert.equal(errorMessage({ a: 1 }), '[object Object]');
    assert.equal(errorMessageOrJson({ a: 1 }), '{"a":1}');
    assert.equal(errorMessageOrJson('plain'), 'plain');
  });

  it('describes an error with its facts and causes, with every secret scrubbed', () => {
    const scrubber = createSecretScrubber([SECRET]);
    const cause = new Error(`inner failure with ${SECRET}`);
    const err = Object.assign(new Error(`outer ${SECRET}`, { cause }), {
      status: 502,
      endpoint: `GET /x?token=${SECRET}`,
      headers: { authorization: SECRET },
    });
    const facts = describeError(err, scrubber);
    const everything = JSON.stringify(facts);
    assert.ok(!everything.includes(SECRET), everything);
    assert.equal(facts.name, 'Error');
    assert.equal(facts.extra.status, '502');
    assert.ok(!('headers' in facts.extra), 'only the listed primitive properties');
    assert.match(facts.stack, /Caused by: Error: inner failure/);
  });
});
