// The fake Bot API's wire edge: request bodies in (JSON, urlencoded, multipart, query string),
// typed parameters out, and answers written the way Telegram writes them.
import type http from 'node:http';
import { z } from 'zod';
import { BotApiError, badRequest } from './fake-telegram-types.js';

export type Params = Record<string, unknown>;

export interface HandlerContext {
  res: http.ServerResponse;
}

export type Handler = (params: Params, ctx: HandlerContext) => unknown;

/** Telegram refuses bigger request bodies (bytes); so does the fake. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

const jsonObjectSchema = z.record(z.string(), z.unknown());

export async function readParams(req: http.IncomingMessage, url: URL): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BotApiError(413, 'Request Entity Too Large');
    chunks.push(buf);
  }
  const body = Buffer.concat(chunks);
  if (body.length === 0) return params;
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // The client sent broken JSON: that is the answer, not a fake bug.
      throw badRequest("can't parse JSON");
    }
    const object = jsonObjectSchema.safeParse(parsed);
    if (!object.success) throw badRequest('JSON body must be an object');
    return { ...params, ...object.data };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  }
  if (type.startsWith('multipart/form-data')) {
    const header = req.headers['content-type'] ?? '';
    const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(header);
    const boundary = m?.[1] ?? m?.[2];
    if (!boundary) throw badRequest('multipart boundary is missing');
    return { ...params, ...parseMultipart(body, boundary) };
  }
  return params;
}

/** Text fields of a multipart/form-data body; file parts become `{ filename, size }`. */
function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  // latin1 keeps one char per byte, so slicing never breaks a UTF-8 sequence we decode later.
  const raw = body.toString('latin1');
  for (const part of raw.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const content = part.replace(/^\r\n/, '');
    const headerEnd = content.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = content.slice(0, headerEnd);
    const value = content.slice(headerEnd + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    params[name] =
      filename !== undefined
        ? { filename, size: value.length }
        : Buffer.from(value, 'latin1').toString('utf8');
  }
  return params;
}

export function answerError(res: http.ServerResponse, error: BotApiError): void {
  const body: Record<string, unknown> = {
    ok: false,
    error_code: error.code,
    description: error.description,
  };
  if (error.parameters) body.parameters = error.parameters;
  send(res, error.code, body);
}

export function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

// ---- typed parameters ----

export function optionalString(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`parameter "${name}" must be a string`);
}

export function requireString(p: Params, name: string, missing: string): string {
  const v = optionalString(p, name);
  if (v === undefined || v === '') throw badRequest(missing);
  return v;
}

export function optionalNumber(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n)) throw badRequest(`parameter "${name}" must be a number`);
  return n;
}

export function optionalInt(p: Params, name: string): number | undefined {
  const n = optionalNumber(p, name);
  if (n !== undefined && !Number.isSafeInteger(n)) {
    throw badRequest(`parameter "${name}" must be an integer`);
  }
  return n;
}

export function requireInt(p: Params, name: string, missing: string): number {
  const n = optionalInt(p, name);
  if (n === undefined) throw badRequest(missing);
  return n;
}

/**
 * An identifier the real server reads leniently (`message_thread_id`): missing, empty, not a
 * number or negative all mean 0, "none" (telegram-bot-api Client::get_forum_topic_id).
 */
export function lenientId(p: Params, name: string): number {
  const v = p[name];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export function requireChatId(p: Params): number {
  const v = p.chat_id;
  if (v === undefined || v === null || v === '') throw badRequest('chat_id is empty');
  // "@channelusername" is valid on Telegram but this fake knows no public usernames.
  if (typeof v === 'string' && !/^-?\d+$/.test(v.trim())) throw badRequest('chat not found');
  return requireInt(p, 'chat_id', 'chat_id is empty');
}

export function peekChatId(p: Params): number | undefined {
  const v = p.chat_id;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

export function optionalBool(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true' || v === '1' || v === 1) return true;
  if (v === false || v === 'false' || v === '0' || v === 0) return false;
  throw badRequest(`parameter "${name}" must be a boolean`);
}

/** A parameter that is JSON: an object in a JSON body, a JSON string in a form body. */
export function jsonParam<T>(p: Params, name: string, schema: z.ZodType<T>): T | undefined {
  let v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      // Telegram answers a malformed JSON parameter with 400; so do we.
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
  const parsed = schema.safeParse(v);
  if (!parsed.success) throw badRequest(`can't parse ${name} JSON object`);
  return parsed.data;
}
