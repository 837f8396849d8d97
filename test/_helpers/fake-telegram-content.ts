// What the fake checks in a message's content, as Telegram does: text (HTML parse, 4096 limit),
// inline keyboards (button text, callback data, URLs), link previews, command scopes.
import { z } from 'zod';
import { hasLoneSurrogate, parseTelegramHtml } from './telegram-html.js';
import { badRequest, type ReplyMarkup, type SentMessage } from './fake-telegram-types.js';
import { jsonParam, optionalBool, optionalString, type Params } from './fake-telegram-wire.js';

const MESSAGE_TEXT_LIMIT = 4096;
export const CALLBACK_DATA_MAX_BYTES = 64;
const INLINE_BUTTON_ACTIONS = [
  'callback_data',
  'url',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
];

const wireButtonSchema = z.looseObject({
  text: z.string(),
  callback_data: z.string().optional(),
  url: z.string().optional(),
});
const replyMarkupSchema = z.looseObject({
  inline_keyboard: z.array(z.array(wireButtonSchema)).optional(),
});
const linkPreviewSchema = z.looseObject({ is_disabled: z.boolean().optional() });

export type TextExtra = Pick<SentMessage, 'html' | 'parseMode' | 'entities'>;

export function validateText(params: Params): { plain: string; extra: TextExtra } {
  const text = optionalString(params, 'text') ?? '';
  if (text === '') throw badRequest('message text is empty');
  if (hasLoneSurrogate(text)) throw badRequest('strings must be encoded in UTF-8');
  const parseMode = optionalString(params, 'parse_mode') ?? '';
  const extra: TextExtra = {};
  let plain = text;
  if (parseMode.toLowerCase() === 'html') {
    const parsed = parseTelegramHtml(text);
    if (!parsed.ok) throw badRequest(`can't parse entities: ${parsed.error}`);
    plain = parsed.plainText;
    extra.html = text;
    extra.parseMode = parseMode;
  } else if (parseMode !== '') {
    throw badRequest('unsupported parse_mode (the fake speaks HTML only)');
  } else {
    const entities = jsonParam(params, 'entities', z.array(z.unknown()));
    if (entities) extra.entities = entities;
  }
  if (plain.trim() === '') throw badRequest('message text is empty');
  if (plain.length > MESSAGE_TEXT_LIMIT) throw badRequest('message is too long');
  return { plain, extra };
}

export function validateReplyMarkup(params: Params): ReplyMarkup | undefined {
  const markup = jsonParam(params, 'reply_markup', replyMarkupSchema);
  if (!markup?.inline_keyboard) return markup;
  for (const row of markup.inline_keyboard) {
    for (const button of row) {
      if (button.text.trim() === '') throw badRequest('BUTTON_TEXT_INVALID');
      if (!INLINE_BUTTON_ACTIONS.some((a) => button[a] !== undefined)) {
        throw badRequest('text buttons are unallowed in the inline keyboard');
      }
      if (button.callback_data !== undefined) {
        const bytes = Buffer.byteLength(button.callback_data, 'utf8');
        if (bytes < 1 || bytes > CALLBACK_DATA_MAX_BYTES) throw badRequest('BUTTON_DATA_INVALID');
      }
      if (button.url !== undefined && !isButtonUrl(button.url)) throw badRequest('wrong HTTP URL');
    }
  }
  return markup;
}

function isButtonUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'tg:') return true;
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    // Not a URL at all.
    return false;
  }
}

export function linkPreviewDisabled(params: Params): boolean | undefined {
  const options = jsonParam(params, 'link_preview_options', linkPreviewSchema);
  return options?.is_disabled ?? optionalBool(params, 'disable_web_page_preview');
}

export function scopeKey(params: Params): string {
  const scope = jsonParam(params, 'scope', z.looseObject({ type: z.string() }));
  return `${JSON.stringify(scope ?? { type: 'default' })}|${optionalString(params, 'language_code') ?? ''}`;
}
