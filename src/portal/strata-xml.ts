// Strata's XML text → a plain object tree, for strata-schema.ts to convert. The only module that
// imports fast-xml-parser: strata.ts loads it with import() when a Strata client first decodes
// an answer, so a daemon on the v3 or Hydra API never loads the XML parser (a smaller idle heap).
//
// Parsing rules, each answering a pitfall seen in real payloads:
// - text stays text (parseTagValue/parseAttributeValue off): "00012345" and "8.10" survive;
// - `comment` under `comments` and `case` under `cases` are always arrays, even when single;
// - the default namespace and any prefix are dropped (removeNSPrefix);
// - only XML's own entities and numeric character references are decoded (htmlEntities is
//   the fast-xml-parser v5 switch that enables numeric references such as &#xD;, which JAXB
//   writes for carriage returns); a DOCTYPE is refused outright, so no entity can be declared
//   and no expansion bomb can be built (the entity limits below are a second fence);
// - the document must be well-formed: fast-xml-parser alone accepts a truncated document.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Parsed } from './convert.js';

// Attributes appear as '@_name' keys in the parsed tree; strata-schema.ts spells them out.
const ATTRIBUTE_PREFIX = '@_';
/** Deepest element nesting accepted; real answers are about 4 levels deep. */
const MAX_NESTED_TAGS = 50;
/** Limits for declared entities, should the DOCTYPE refusal ever be bypassed. */
const MAX_DECLARED_ENTITIES = 10;
const MAX_ENTITY_EXPANSION_CHARS = 10_000;

function jPathText(jPath: unknown): string {
  return typeof jPath === 'string' ? jPath : String(jPath);
}

/** One parser per client; fast-xml-parser keeps no state between parse() calls. */
export function createStrataXmlParser(): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: ATTRIBUTE_PREFIX,
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    htmlEntities: true,
    processEntities: {
      enabled: true,
      maxEntityCount: MAX_DECLARED_ENTITIES,
      maxExpandedLength: MAX_ENTITY_EXPANSION_CHARS,
    },
    maxNestedTags: MAX_NESTED_TAGS,
    isArray: (_tagName, jPath) => {
      const path = jPathText(jPath);
      return (
        path === 'cases.case' || path === 'comments.comment' || path.endsWith('.comments.comment')
      );
    },
  });
}

const CDATA_SECTION = /<!\[CDATA\[[\s\S]*?\]\]>/g;

/** Well-formed XML without a DOCTYPE → the parsed object tree. */
export function parseStrataXml(parser: XMLParser, text: string): Parsed<unknown> {
  if (text.trim() === '') return { ok: false, detail: 'the answer is empty' };
  // A DOCTYPE is legal only in the prolog, but fast-xml-parser honours one anywhere; the
  // portal never sends one. CDATA is cut first so a comment quoting "<!DOCTYPE html>" passes.
  if (/<!DOCTYPE/i.test(text.replace(CDATA_SECTION, ''))) {
    return { ok: false, detail: 'the answer declares a DOCTYPE' };
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    // Line and column only: the validator's message may quote the document.
    return {
      ok: false,
      detail: `not well-formed XML (line ${valid.err.line}, column ${valid.err.col})`,
    };
  }
  try {
    return { ok: true, value: parser.parse(text) as unknown };
  } catch (err) {
    // Entity limits and nesting depth end up here; the message names the limit, not the data.
    const reason = err instanceof Error ? err.message.slice(0, 120) : 'unknown parser error';
    return { ok: false, detail: `unreadable XML (${reason})` };
  }
}
