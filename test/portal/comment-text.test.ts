// Comment bodies and dates as the v3 APIs write them, normalised at the edge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commentText } from '../../src/portal/comment-text.js';
import { parsePortalDate, wireDate } from '../../src/portal/convert.js';
import { fieldNamed, graphqlErrorsToPortalError } from '../../src/portal/graphql.js';

describe('comment bodies', () => {
  it('turns HTML into readable text: paragraphs, <br>, lists, links, entities', () => {
    const html =
      '<p>Hello,</p><p>Uploaded sosreport &amp; must-gather.<br>Second line</p>' +
      '<ul><li>node1</li><li>node2</li></ul><ol><li>first</li><li>second</li></ol>' +
      '<p>See <a href="https://access.redhat.com/solutions/1">this article</a>.</p>';
    assert.equal(
      commentText(html),
      'Hello,\n\nUploaded sosreport & must-gather.\nSecond line\n\n• node1\n• node2\n\n' +
        ' 1. first\n 2. second\n\nSee this article (https://access.redhat.com/solutions/1).',
    );
  });

  it('decodes entities in plain text without touching its spacing (an escaped GraphQL value)', () => {
    assert.equal(
      commentText('ls -l  /tmp\n  x &amp;&amp; y &lt;done&gt;'),
      'ls -l  /tmp\n  x && y <done>',
    );
  });

  it('keeps a body the API calls plain text exactly as written, tags and all', () => {
    const text = 'use <b> for bold &amp; stay literal';
    assert.equal(commentText(text, 'plaintext'), text);
  });

  it('converts a body the API calls HTML even without a recognised tag', () => {
    assert.equal(commentText('a &lt; b', 'html'), 'a < b');
  });

  it('leaves ordinary text with < and > alone', () => {
    assert.equal(commentText('if a < b and c > d'), 'if a < b and c > d');
  });
});

describe('portal dates', () => {
  it('reads "…Z", "…000Z" and "…000+0000" as the same instant', () => {
    const forms = [
      '2026-12-02T14:03:07Z',
      '2026-12-02T14:03:07.000Z',
      '2026-12-02T14:03:07.000+0000',
    ];
    const instants = forms.map(parsePortalDate);
    assert.ok(
      instants.every((t) => t === Date.parse('2026-12-02T14:03:07Z')),
      instants.join(),
    );
    assert.deepEqual(
      forms.map((f) => wireDate.parse(f)),
      forms.map(() => '2026-12-02T14:03:07.000Z'),
    );
  });

  it('honours an offset other than zero', () => {
    assert.equal(
      parsePortalDate('2026-12-02T16:03:07.000+0200'),
      Date.parse('2026-12-02T14:03:07Z'),
    );
  });

  it('refuses what is not a date', () => {
    assert.equal(wireDate.safeParse('yesterday').success, false);
  });
});

describe('GraphQL errors', () => {
  const facts = { status: 200, endpoint: 'POST /graphql' };
  const kindOf = (...messages: string[]) =>
    graphqlErrorsToPortalError(
      messages.map((message) => ({ message, code: undefined })),
      facts,
    ).kind;

  it('tells schema-type answers (step down) from transient ones (retry) and the rest (fail)', () => {
    assert.equal(
      kindOf('Cannot query field "CaseComments__r" on type "RedHatSupportCase".'),
      'unsupported',
    );
    assert.equal(kindOf('SUBREQUEST_HTTP_ERROR: 503 Service Unavailable'), 'transient');
    assert.equal(kindOf('Missing CRM contact'), 'bad-payload');
    assert.equal(kindOf('Too many requests'), 'rate-limited');
  });

  it('names the field a validation error refused', () => {
    assert.equal(fieldNamed('Cannot query field "Visibility__c" on type "X".'), 'Visibility__c');
    assert.equal(fieldNamed('No such relation CaseComments__r'), 'CaseComments__r');
    assert.equal(fieldNamed('Missing CRM contact'), undefined);
  });
});
