// A bare Bot API client for the fake's own tests: one fetch per call, in any of the four
// encodings Telegram accepts, answering status plus the parsed `{ok, result | error}` body.
import { z } from 'zod';
import type { FakeTelegram } from './fake-telegram.js';

export const botApiAnswerSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().optional(),
  description: z.string().optional(),
  parameters: z
    .object({ retry_after: z.number().optional(), migrate_to_chat_id: z.number().optional() })
    .optional(),
});

export type BotApiAnswer = z.infer<typeof botApiAnswerSchema> & { status: number };

export type Encoding = 'json' | 'form' | 'multipart' | 'query';

export interface CallOptions {
  /** Default: the fake's own token. */
  token?: string;
  /** Default 'json'. */
  encoding?: Encoding;
  signal?: AbortSignal;
}

export async function callBotApi(
  fake: FakeTelegram,
  method: string,
  params: Record<string, unknown> = {},
  options: CallOptions = {},
): Promise<BotApiAnswer> {
  const url = new URL(`${fake.apiRoot}/bot${options.token ?? fake.token}/${method}`);
  const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const encoding = options.encoding ?? 'json';
  const init: RequestInit = { method: 'POST', signal: options.signal };
  if (encoding === 'json') {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(params);
  } else if (encoding === 'form') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) form.set(k, asText(v));
    init.body = form;
  } else if (encoding === 'multipart') {
    const form = new FormData();
    for (const [k, v] of Object.entries(params)) form.set(k, asText(v));
    init.body = form;
  } else {
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, asText(v));
    init.method = 'GET';
  }
  const res = await fetch(url, init);
  return { status: res.status, ...botApiAnswerSchema.parse(await res.json()) };
}
