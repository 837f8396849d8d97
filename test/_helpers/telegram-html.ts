// A validator for Telegram's `parse_mode: "HTML"`, used by the fake Bot API server and by
// format tests. It follows the Bot API rules (supported tags, proper nesting, entities) and the
// shape of TDLib's error texts, but is deliberately STRICTER than the real server in two places:
// a bare `&` or `>` is an error here (Telegram passes them through), because the rules tell us
// to escape them and a message that only works thanks to the server's leniency is a bug waiting.
//
// plainText is the text Telegram would render (tags removed, entities decoded); its JavaScript
// length is what the 4096-character limit is counted on.

export type TelegramHtmlResult = { ok: true; plainText: string } | { ok: false; error: string };

const SUPPORTED_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
const MAX_CODE_POINT = 0x10ffff;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// `&name;`, `&#123;`, `&#x1F600;` — anything else starting with `&` is rejected.
const ENTITY = /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z][a-zA-Z0-9]{0,31}));/y;
const TAG_NAME = /[a-zA-Z0-9-]*/y;
const ATTRIBUTE_NAME = /[a-zA-Z0-9_-]*/y;
const SPACE = /[ \t\n\r]*/y;
const SPECIAL = /[<>&]/g;

/** True when the string has an unpaired UTF-16 surrogate (not encodable as UTF-8). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

export function parseTelegramHtml(html: string): TelegramHtmlResult {
  if (hasLoneSurrogate(html)) return { ok: false, error: 'Strings must be encoded in UTF-8' };
  const parser = new HtmlParser(html);
  return parser.run();
}

class ParseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParseFailure';
  }
}

interface OpenTag {
  name: string;
  offset: number;
}

class HtmlParser {
  private pos = 0;
  private readonly out: string[] = [];
  private readonly stack: OpenTag[] = [];

  constructor(private readonly html: string) {}

  run(): TelegramHtmlResult {
    try {
      this.parse();
    } catch (error) {
      if (error instanceof ParseFailure) return { ok: false, error: error.message };
      throw error;
    }
    return { ok: true, plainText: this.out.join('') };
  }

  /** TDLib reports positions in UTF-8 bytes. */
  private byteOffset(index: number): number {
    return Buffer.byteLength(this.html.slice(0, index), 'utf8');
  }

  private fail(message: string): never {
    throw new ParseFailure(message);
  }

  private parse(): void {
    const { html } = this;
    while (this.pos < html.length) {
      SPECIAL.lastIndex = this.pos;
      const found = SPECIAL.exec(html);
      const next = found ? found.index : html.length;
      if (next > this.pos) this.out.push(html.slice(this.pos, next));
      this.pos = next;
      if (!found) break;
      const ch = found[0];
      if (ch === '&') this.entity();
      else if (ch === '>') {
        this.fail(`Character ">" must be escaped as &gt; at byte offset ${this.byteOffset(next)}`);
      } else if (html[next + 1] === '/') this.endTag();
      else this.startTag();
    }
    const unclosed = this.stack[this.stack.length - 1];
    if (unclosed) {
      this.fail(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
    }
  }

  /** Decodes the entity at this.pos, or fails. */
  private decodeEntityAt(index: number): { text: string; end: number } {
    ENTITY.lastIndex = index;
    const m = ENTITY.exec(this.html);
    if (m) {
      const [whole, decimal, hex, name] = m;
      if (name !== undefined) {
        const named = NAMED_ENTITIES[name];
        if (named !== undefined) return { text: named, end: index + whole.length };
      } else {
        const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? '', 16);
        const isSurrogate = code >= 0xd800 && code <= 0xdfff;
        if (code > 0 && code <= MAX_CODE_POINT && !isSurrogate) {
          return { text: String.fromCodePoint(code), end: index + whole.length };
        }
      }
    }
    const snippet = m ? m[0] : (/&[^\s<>&"';]{0,10};?/y.exec(this.html.slice(index))?.[0] ?? '&');
    return this.fail(`Unsupported entity "${snippet}" at byte offset ${this.byteOffset(index)}`);
  }

  private entity(): void {
    const { text, end } = this.decodeEntityAt(this.pos);
    this.out.push(text);
    this.pos = end;
  }

  private readName(pattern: RegExp, from: number): string {
    pattern.lastIndex = from;
    return pattern.exec(this.html)?.[0] ?? '';
  }

  private skipSpace(from: number): number {
    SPACE.lastIndex = from;
    SPACE.exec(this.html);
    return SPACE.lastIndex;
  }

  private endTag(): void {
    const begin = this.pos;
    const rawName = this.readName(TAG_NAME, begin + 2);
    const afterSpace = this.skipSpace(begin + 2 + rawName.length);
    if (this.html[afterSpace] !== '>') {
      this.fail(`Can't find end of end tag at byte offset ${this.byteOffset(begin)}`);
    }
    const name = rawName.toLowerCase();
    const open = this.stack.pop();
    if (!open) this.fail(`Unexpected end tag at byte offset ${this.byteOffset(begin)}`);
    if (open.name !== name) {
      this.fail(
        `Unmatched end tag at byte offset ${this.byteOffset(begin)}, expected "</${open.name}>", found "</${rawName}>"`,
      );
    }
    this.pos = afterSpace + 1;
  }

  private startTag(): void {
    const begin = this.pos;
    const rawName = this.readName(TAG_NAME, begin + 1);
    const name = rawName.toLowerCase();
    if (!SUPPORTED_TAGS.has(name)) {
      this.fail(`Unsupported start tag "${rawName}" at byte offset ${this.byteOffset(begin)}`);
    }
    const attributes = this.attributes(begin, begin + 1 + rawName.length, name);
    if (name === 'span' && attributes.get('class') !== 'tg-spoiler') {
      this.fail(`Tag "span" must have class "tg-spoiler" at byte offset ${this.byteOffset(begin)}`);
    }
    if (name === 'tg-emoji' && !/^\d+$/.test(attributes.get('emoji-id') ?? '')) {
      this.fail(
        `Tag "tg-emoji" must have attribute "emoji-id" at byte offset ${this.byteOffset(begin)}`,
      );
    }
    this.stack.push({ name, offset: begin });
  }

  /** Reads attributes up to and including the closing `>`; returns them by lower-case name. */
  private attributes(tagBegin: number, from: number, tagName: string): Map<string, string> {
    const { html } = this;
    const attrs = new Map<string, string>();
    let i = from;
    for (;;) {
      i = this.skipSpace(i);
      if (i >= html.length)
        this.fail(`Unclosed start tag at byte offset ${this.byteOffset(tagBegin)}`);
      if (html[i] === '>') break;
      const attrName = this.readName(ATTRIBUTE_NAME, i);
      if (attrName === '') {
        this.fail(
          `Empty attribute name in the tag "${tagName}" at byte offset ${this.byteOffset(tagBegin)}`,
        );
      }
      i = this.skipSpace(i + attrName.length);
      let value = '';
      if (html[i] === '=') {
        i = this.skipSpace(i + 1);
        const quote = html[i];
        if (quote === '"' || quote === "'") {
          const close = html.indexOf(quote, i + 1);
          if (close < 0)
            this.fail(`Unclosed start tag at byte offset ${this.byteOffset(tagBegin)}`);
          value = this.decodeAttributeValue(i + 1, close);
          i = close + 1;
        } else {
          const m = /[^\s>"'<]*/y;
          m.lastIndex = i;
          const raw = m.exec(html)?.[0] ?? '';
          if (raw === '') {
            this.fail(
              `Expected attribute value in the tag "${tagName}" at byte offset ${this.byteOffset(tagBegin)}`,
            );
          }
          value = this.decodeAttributeValue(i, i + raw.length);
          i += raw.length;
        }
      }
      attrs.set(attrName.toLowerCase(), value);
    }
    this.pos = i + 1;
    return attrs;
  }

  private decodeAttributeValue(from: number, to: number): string {
    if (this.html.slice(from, to).includes('<')) {
      this.fail(`Character "<" in an attribute value at byte offset ${this.byteOffset(from)}`);
    }
    let value = '';
    let i = from;
    while (i < to) {
      const amp = this.html.indexOf('&', i);
      if (amp < 0 || amp >= to) {
        value += this.html.slice(i, to);
        break;
      }
      value += this.html.slice(i, amp);
      const { text, end } = this.decodeEntityAt(amp);
      if (end > to) this.fail(`Unsupported entity at byte offset ${this.byteOffset(amp)}`);
      value += text;
      i = end;
    }
    return value;
  }
}
