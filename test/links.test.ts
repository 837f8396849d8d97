import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CASE_URL_TEMPLATE, DEFAULT_COMMENT_URL_TEMPLATE } from '../src/config.js';
import { createLinks } from '../src/links.js';

describe('portal links', () => {
  it('fills the case and comment templates from the configuration', () => {
    const links = createLinks({
      caseUrlTemplate: DEFAULT_CASE_URL_TEMPLATE,
      commentUrlTemplate: DEFAULT_COMMENT_URL_TEMPLATE,
    });
    assert.equal(
      links.caseUrl('00012345'),
      'https://access.redhat.com/support/cases/#/case/00012345',
    );
    assert.equal(
      links.commentUrl('00012345', 'a0a6R0000000001QAX'),
      'https://access.redhat.com/support/cases/#/case/00012345?commentId=a0a6R0000000001QAX',
    );
  });

  it('URL-encodes the values it puts into a template, every time they appear', () => {
    const links = createLinks({
      caseUrlTemplate: 'https://portal.example/{caseNumber}/again/{caseNumber}',
      commentUrlTemplate: 'https://portal.example/c/{caseNumber}#{commentId}',
    });
    assert.equal(links.caseUrl('12 34'), 'https://portal.example/12%2034/again/12%2034');
    assert.equal(links.commentUrl('1', 'a&b=c'), 'https://portal.example/c/1#a%26b%3Dc');
  });
});
