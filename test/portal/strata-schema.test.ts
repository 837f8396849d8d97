import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OnSkippedItem } from '../../src/portal/convert.js';
import {
  parseStrataCase,
  parseStrataComments,
  parseStrataFilterPage,
  strataFilterBody,
} from '../../src/portal/strata-schema.js';
import { createStrataXmlParser, parseStrataXml } from '../../src/portal/strata-xml.js';
import { KERNEL_PANIC_CASE, readFixture } from './helpers.js';

const parser = createStrataXmlParser();
const noSkips: OnSkippedItem = (item) => assert.fail(`unexpected skip: ${JSON.stringify(item)}`);

function document(text: string): unknown {
  const parsed = parseStrataXml(parser, text);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  return parsed.value;
}
const fixture = (name: string): unknown => document(readFixture(`strata/${name}`));

describe('strata wire schema', () => {
  it('reads a case with its fields, keeping the leading zeros and the version as text', () => {
    const parsed = parseStrataCase(fixture('case-with-comments.xml'), '00012345');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, KERNEL_PANIC_CASE);
  });

  it('reads a case that has no comments element at all', () => {
    const parsed = parseStrataCase(fixture('case-no-comments.xml'), '00099999');
    assert.ok(parsed.ok);
    assert.equal(parsed.value.product, 'Red Hat OpenShift Container Platform');
  });

  it('returns comments oldest first with drafts, private comments and author kinds mapped', () => {
    const parsed = parseStrataComments(fixture('comments-multiple.xml'), '00012345', noSkips);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((c) => [c.id, c.authorType, c.isPublic, c.isDraft]),
      [
        ['a0a6R0000000001QAX', 'customer', true, false],
        ['a0a6R0000000002QAX', 'associate', true, false],
        ['a0a6R0000000003QAX', 'associate', false, false],
        ['a0a6R0000000004QAX', 'customer', true, true],
      ],
    );
    // &lt; &amp; &quot; decoded once; &#xD; (JAXB's carriage return) decoded too.
    assert.match(parsed.value[1]?.body ?? '', /mentions <kdump> or "R&D" builds/);
    assert.match(parsed.value[1]?.body ?? '', /grüße, 日本語 🚀$/);
    assert.equal(
      parsed.value[0]?.body,
      'Hello,\r\nafter `dnf update` the host panics at boot.\r\nThe sosreport is attached.',
    );
  });

  it('reads a single comment as a list of one (the parser is told it is an array)', () => {
    const parsed = parseStrataComments(fixture('comments-single.xml'), '00054321', noSkips);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((c) => [c.id, c.body, c.author]),
      [['a0a6R0000000005QAX', 'When does our subscription renew?', 'Doe, Jane']],
    );
  });

  it('reads an empty <comments/> as no comments', () => {
    assert.deepEqual(parseStrataComments(fixture('comments-empty.xml'), '00099999', noSkips), {
      ok: true,
      value: [],
    });
  });

  it('skips one unreadable comment and keeps the others', () => {
    const skipped: Parameters<OnSkippedItem>[0][] = [];
    const parsed = parseStrataComments(fixture('comments-one-bad.xml'), '00012345', (item) =>
      skipped.push(item),
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value.length, 3);
    assert.deepEqual(
      skipped.map((s) => s.index),
      [0],
    );
  });

  it('refuses a document of another kind as the comment list', () => {
    const other = document(
      '<status xmlns="http://www.redhat.com/gss/strata"><message>OK</message></status>',
    );
    assert.equal(parseStrataComments(other, '00012345', noSkips).ok, false);
  });

  it('reads a filter page and an empty one', () => {
    assert.deepEqual(parseStrataFilterPage(fixture('filter-page.xml'), noSkips), {
      ok: true,
      value: { caseNumbers: ['00054321', '00099999'], itemCount: 2 },
    });
    assert.deepEqual(parseStrataFilterPage(fixture('filter-empty.xml'), noSkips), {
      ok: true,
      value: { caseNumbers: [], itemCount: 0 },
    });
  });

  it('refuses a truncated document, which the XML parser alone would accept', () => {
    const text = readFixture('strata/comments-multiple.xml');
    const parsed = parseStrataXml(parser, text.slice(0, Math.floor(text.length / 2)));
    assert.equal(parsed.ok, false);
  });

  it('refuses a DOCTYPE, so no entity can be declared or expanded', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE comments [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">]>' +
      '<comments xmlns="http://www.redhat.com/gss/strata"><comment id="x"><text>&a;&a;&a;</text></comment></comments>';
    const parsed = parseStrataXml(parser, bomb);
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.detail, /DOCTYPE/);
    const late =
      '<comments><!DOCTYPE x [<!ENTITY e "BOOM">]><comment id="x"><text>&e;</text></comment></comments>';
    assert.equal(parseStrataXml(parser, late).ok, false);
  });

  it('accepts "<!DOCTYPE" quoted inside CDATA text', () => {
    const parsed = parseStrataComments(
      document(
        '<comments><comment id="a0a1"><createdDate>2024-05-01T08:00:00Z</createdDate>' +
          '<text><![CDATA[Our page starts with <!DOCTYPE html> & more]]></text></comment></comments>',
      ),
      '00000001',
      noSkips,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value[0]?.body, 'Our page starts with <!DOCTYPE html> & more');
  });

  it('refuses an HTML page and plain text', () => {
    assert.equal(parseStrataXml(parser, readFixture('error-page.html')).ok, false);
    assert.equal(parseStrataXml(parser, 'Service temporarily unavailable').ok, false);
    assert.equal(parseStrataXml(parser, '').ok, false);
  });

  it('writes a caseFilter the fake and the XML parser can read back', () => {
    const body = strataFilterBody({ startDate: '2024-05-01T00:00:00.000Z', count: 100, start: 95 });
    assert.match(body, /<caseFilter xmlns="http:\/\/www\.redhat\.com\/gss\/strata">/);
    const parsed = parseStrataXml(parser, body);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, {
      caseFilter: {
        startDate: '2024-05-01T00:00:00.000Z',
        includeClosed: 'true',
        count: '100',
        start: '95',
        sortField: 'lastModifiedDate',
        sortOrder: 'ASC',
      },
    });
  });
});
