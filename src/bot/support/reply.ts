// Sending from handlers: always HTML parse mode (every dynamic string goes through
// escapeHtml), never a link preview (case links would expand into big cards on a phone).
import type { Context, Telegram } from 'telegraf';
import type { InlineKeyboardButton, InlineKeyboardMarkup, Message } from 'telegraf/types';
import {
  TELEGRAM_TEXT_LIMIT,
  type InlineButton,
  type OutgoingMessage,
} from '../../notify/telegram/format.js';

export interface ReplyOptions {
  buttons?: InlineKeyboardButton[][];
  /**
   * Ask the client to open a reply to this message: in a group, a bot in privacy mode only
   * sees the answer to its question when it is a reply.
   */
  forceReply?: { placeholder: string };
  /** Reply to this message of the chat (keeps the thread readable in groups). */
  replyTo?: number;
}

function extra(options: ReplyOptions) {
  const markup = options.forceReply
    ? {
        reply_markup: {
          force_reply: true as const,
          selective: true,
          input_field_placeholder: options.forceReply.placeholder,
        },
      }
    : options.buttons && options.buttons.length > 0
      ? { reply_markup: { inline_keyboard: options.buttons } }
      : {};
  return {
    parse_mode: 'HTML' as const,
    link_preview_options: { is_disabled: true },
    ...(options.replyTo !== undefined
      ? { reply_parameters: { message_id: options.replyTo, allow_sending_without_reply: true } }
      : {}),
    ...markup,
  };
}

export async function replyHtml(
  ctx: Context,
  html: string,
  options: ReplyOptions = {},
): Promise<Message.TextMessage> {
  return ctx.reply(html, extra(options));
}

export async function sendHtml(
  telegram: Telegram,
  chatId: number,
  html: string,
  options: ReplyOptions = {},
): Promise<Message.TextMessage> {
  return telegram.sendMessage(chatId, html, extra(options));
}

export function toInlineKeyboard(buttons: InlineButton[][]): InlineKeyboardMarkup {
  return {
    inline_keyboard: buttons.map((row) =>
      row.map((b): InlineKeyboardButton =>
        'url' in b ? { text: b.text, url: b.url } : { text: b.text, callback_data: b.callbackData },
      ),
    ),
  };
}

/** Sends a message built by notify/telegram/format (a comment), as the engine would. */
export async function replyOutgoing(ctx: Context, message: OutgoingMessage): Promise<void> {
  await ctx.reply(message.text, {
    parse_mode: message.parseMode,
    link_preview_options: { is_disabled: message.disablePreview },
    ...(message.buttons.length > 0 ? { reply_markup: toInlineKeyboard(message.buttons) } : {}),
  });
}

/**
 * Sends lines of HTML as few messages as possible, each under Telegram's 4096 limit. The HTML
 * length is measured (never less than the rendered text), so no message can be too long.
 */
export async function replyLines(ctx: Context, lines: readonly string[]): Promise<void> {
  let chunk = '';
  for (const line of lines) {
    const next = chunk === '' ? line : `${chunk}\n${line}`;
    if (next.length > TELEGRAM_TEXT_LIMIT && chunk !== '') {
      await replyHtml(ctx, chunk);
      chunk = line;
    } else {
      chunk = next;
    }
  }
  if (chunk.trim() !== '') await replyHtml(ctx, chunk);
}
