// Errors as they may appear in logs: enough to diagnose, never a secret. A PortalError is
// logged by kind and status only (its message could quote a portal answer); a Telegram error
// by code, description and method (never the request payload, which holds user text).
import { TelegramError } from 'telegraf';
import { isPortalError } from '../../portal/types.js';

export function errorForLog(err: unknown): Record<string, unknown> {
  if (isPortalError(err)) return { name: err.name, kind: err.kind, status: err.status };
  if (err instanceof TelegramError) {
    const on: unknown = err.on;
    const method =
      on !== null && typeof on === 'object' && 'method' in on && typeof on.method === 'string'
        ? on.method
        : undefined;
    return { name: 'TelegramError', code: err.code, description: err.description, method };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: typeof err };
}

/** True when `err` is an error answer of the Bot API (optionally with this error code). */
export function isTelegramError(err: unknown, code?: number): err is TelegramError {
  return err instanceof TelegramError && (code === undefined || err.code === code);
}
