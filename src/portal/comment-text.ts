// Comment bodies → readable plain text. REST v3 and GraphQL may send HTML (the new CRM stores
// rich text; markdown is no longer rendered), and GraphQL values may arrive HTML-escaped. The
// formats escape for Telegram and Slack afterwards, so what leaves here is plain text.
//
// html-to-text (htmlparser2 underneath) does the conversion: it is the maintained library for
// exactly this job (block elements, lists, links, tables, entities), and a hand-written tag
// stripper gets nested lists, <br> inside <p> and entities wrong.
import { convert, type HtmlToTextOptions } from 'html-to-text';

/** A real tag: "<p>", "<br/>", "</div>", "<a href=…>"; not "a < b" or "<none>". */
const HTML_TAG =
  /<\/?(p|br|div|span|a|ul|ol|li|b|strong|i|em|u|pre|code|table|tr|td|th|h[1-6]|blockquote|hr|img|font|tbody|thead)\b[^<>]*>/i;
/** A character reference: "&amp;", "&#39;", "&#x27;". */
const ENTITY = /&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/i;

const OPTIONS: HtmlToTextOptions = {
  // Telegram and Slack wrap lines themselves; a hard wrap at 80 columns reads badly on a phone.
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { linkBrackets: ['(', ')'], hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'ul', options: { itemPrefix: '• ' } },
    ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((selector) => ({
      selector,
      options: { uppercase: false },
    })),
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

/** The API says the body is plain text: what looks like a tag or an entity is the text. */
function saysPlain(contentType: string | null | undefined): boolean {
  const type = contentType?.trim().toLowerCase();
  return type === 'plaintext' || type === 'text' || type === 'text/plain';
}

/** True when the body should be read as HTML. */
export function isHtmlBody(body: string, contentType?: string | null): boolean {
  const type = contentType?.trim().toLowerCase();
  if (type === 'html' || type === 'text/html' || type === 'richtext') return true;
  return !saysPlain(contentType) && HTML_TAG.test(body);
}

/**
 * The text of a comment body. HTML becomes text (paragraphs and <br> as new lines, list items
 * as lines, links as "text (url)", entities decoded). Plain text keeps its own line breaks and
 * spacing (logs and commands in comments rely on them). Without a content type (GraphQL), HTML
 * is recognised by its tags, and character references alone are decoded (GraphQL values may
 * arrive escaped); a body the API calls plain text is kept exactly as written.
 */
export function commentText(body: string, contentType?: string | null): string {
  if (isHtmlBody(body, contentType)) return convert(body, OPTIONS).trim();
  if (saysPlain(contentType) || !ENTITY.test(body)) return body.trim();
  // Entities alone: the same parser decodes them; inside <pre> it keeps spaces and line breaks.
  const escapedTags = body.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return convert(`<pre>${escapedTags}</pre>`, { wordwrap: false }).trim();
}
