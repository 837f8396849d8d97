// A loopback fake of Slack's Incoming Webhooks: a real node:https server on 127.0.0.1 that
// answers like hooks.slack.com. Each webhook is a path /services/T…/B…/<secret> created by
// url(); unknown paths answer 404 no_service, as Slack does for a deleted webhook.
//
// HTTPS, because the daemon accepts https:// webhooks only: its certificate (IP:127.0.0.1,
// DNS:localhost) is signed by the test CA in ./tls/, which this process must trust through
// NODE_EXTRA_CA_CERTS (npm test sets it). startFakeSlack() checks that with one handshake and
// fails at once, saying what to do, when it does not. Put `host` in
// slack.allowedWebhookHosts: the URLs carry the ephemeral port, so "127.0.0.1" alone is refused.
//
// It validates what it receives as Slack does, independently of our formatter (so a formatter
// bug cannot hide behind a shared check): JSON object, `text` or `blocks` required, at most 50
// blocks, known block types, header plain_text ≤ 150 characters, section and context texts
// 1..3000 characters, ≤ 10 context elements. A payload breaking a rule is answered 400
// invalid_blocks (or invalid_payload / no_text) and is not counted as received.
//
// Faults: failNext() answers the next calls with a status and body (429 with Retry-After,
// 500/503, 400 …), remove() makes a webhook gone for good (404 no_service, 410
// channel_is_archived, 403 invalid_token), delayNext() holds answers (timeouts).
import type http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { listenOnLoopback } from './loopback.js';
import { assertTrustsTestCa, testServerTls } from './tls/test-ca.js';
import { waitUntil } from './wait.js';

export const SLACK_LIMITS = {
  headerChars: 150,
  textChars: 3000,
  blocks: 50,
  contextElements: 10,
  topLevelTextChars: 40_000,
} as const;

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const WAIT_FOR_POLL_MS = 10;
const DEFAULT_WAIT_FOR_TIMEOUT_MS = 5000;
const KNOWN_BLOCKS = new Set(['header', 'section', 'context', 'divider', 'actions']);

export interface ReceivedPayload {
  path: string;
  /** Epoch ms when accepted. */
  at: number;
  body: Record<string, unknown>;
}

export interface SlackRequest {
  path: string;
  method: string;
  status: number;
  /** The answer body: "ok" or an error code. */
  answer: string;
  /** What made the fake refuse a payload (for test messages). */
  problem?: string;
}

export interface FailNextOptions {
  /** Only this webhook (full URL from url()); default any. */
  url?: string;
  status: number;
  body: string;
  /** Sent as the Retry-After header (seconds, or an HTTP date). */
  retryAfter?: number | string;
  times?: number;
}

interface Fault extends FailNextOptions {
  remaining: number;
  path?: string;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const fake = new FakeSlack();
  await fake.listen();
  try {
    await assertTrustsTestCa(fake.port);
  } catch (err) {
    await fake.close();
    throw err;
  }
  return fake;
}

export class FakeSlack {
  readonly requests: SlackRequest[] = [];
  private readonly payloads: ReceivedPayload[] = [];
  private readonly webhooks = new Set<string>();
  private readonly gone = new Map<string, { status: number; body: string }>();
  private readonly faults: Fault[] = [];
  private readonly delays: { ms: number; remaining: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: https.Server;
  private closed = false;

  constructor() {
    this.server = https.createServer(testServerTls(), (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) answer(res, 500, 'internal_error');
        this.requests.push({
          path: req.url ?? '',
          method: req.method ?? '',
          status: 500,
          answer: 'internal_error',
          problem: String(err),
        });
      });
    });
  }

  async listen(): Promise<void> {
    await listenOnLoopback(this.server);
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string')
      throw new Error('fake slack is not listening');
    return address.port;
  }

  /** "127.0.0.1:<port>": the entry of slack.allowedWebhookHosts that lets url() through. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get origin(): string {
    return `https://${this.host}`;
  }

  /**
   * A webhook URL that works: a fresh one, or the one at `path` (registered if new). Its last part
   * is random letters and digits, 24 characters, like Slack's secrets.
   */
  url(path?: string): string {
    const p = path ?? `/services/T${randomId(8)}/B${randomId(10)}/${randomId(24)}`;
    this.webhooks.add(p);
    return `${this.origin}${p}`;
  }

  /** The webhook stops working for good, answering `status` and `body`. */
  remove(url: string, status = 404, body = 'no_service'): void {
    this.gone.set(pathOf(url), { status, body });
  }

  /** Payloads accepted, oldest first; for one webhook when `url` is given. */
  received(url?: string): ReceivedPayload[] {
    const path = url === undefined ? undefined : pathOf(url);
    return this.payloads.filter((p) => path === undefined || p.path === path);
  }

  failNext(opts: FailNextOptions): void {
    this.faults.push({
      ...opts,
      remaining: opts.times ?? 1,
      ...(opts.url !== undefined ? { path: pathOf(opts.url) } : {}),
    });
  }

  /** The next `times` calls are answered after `ms` milliseconds. */
  delayNext(ms: number, times = 1): void {
    this.delays.push({ ms, remaining: times });
  }

  /** Polls `fn` until it returns a truthy value; a throwing fn counts as "not yet". */
  async waitFor<T>(
    fn: () => T | undefined | null | false,
    timeoutMs = DEFAULT_WAIT_FOR_TIMEOUT_MS,
  ): Promise<T> {
    return waitUntil(fn, { timeoutMs, intervalMs: WAIT_FOR_POLL_MS, what: 'fake slack' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closing;
  }

  // ---- the server ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const body = await readBody(req);
    const delay = this.delays.find((d) => d.remaining > 0);
    if (delay) {
      delay.remaining--;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, delay.ms);
        this.timers.add(t);
      });
      if (this.closed || res.destroyed) return;
    }
    const record = (
      status: number,
      text: string,
      problem?: string,
      headers?: Record<string, string>,
    ) => {
      this.requests.push({
        path,
        method: req.method ?? '',
        status,
        answer: text,
        ...(problem ? { problem } : {}),
      });
      answer(res, status, text, headers);
    };

    if (req.method !== 'POST') return record(405, 'invalid_method');
    const gone = this.gone.get(path);
    if (gone) return record(gone.status, gone.body);
    if (!this.webhooks.has(path)) return record(404, 'no_service');

    const fault = this.faults.find(
      (f) => f.remaining > 0 && (f.path === undefined || f.path === path),
    );
    if (fault) {
      fault.remaining--;
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
      return record(fault.status, fault.body, 'injected fault', headers);
    }

    if (body === undefined) return record(413, 'request_too_large');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return record(400, 'invalid_payload', 'not JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return record(400, 'invalid_payload', 'not a JSON object');
    }
    const payload = parsed as Record<string, unknown>;
    const problem = validatePayload(payload);
    if (problem) return record(400, problem.code, problem.detail);
    this.payloads.push({ path, at: Date.now(), body: payload });
    record(200, 'ok');
  }
}

/** Slack's rules for a webhook payload, restated independently of the formatter under test. */
export function validatePayload(
  p: Record<string, unknown>,
): { code: string; detail: string } | undefined {
  const text = p.text;
  const blocks = p.blocks;
  if (text !== undefined && typeof text !== 'string')
    return { code: 'invalid_payload', detail: 'text is not a string' };
  if (typeof text === 'string' && text.length > SLACK_LIMITS.topLevelTextChars) {
    return { code: 'invalid_payload', detail: 'text too long' };
  }
  if (blocks === undefined) {
    return typeof text === 'string' && text.trim() !== ''
      ? undefined
      : { code: 'no_text', detail: 'no text or blocks' };
  }
  const bad = (detail: string) => ({ code: 'invalid_blocks', detail });
  if (!Array.isArray(blocks)) return bad('blocks is not an array');
  if (blocks.length === 0 && (typeof text !== 'string' || text.trim() === ''))
    return { code: 'no_text', detail: 'empty' };
  if (blocks.length > SLACK_LIMITS.blocks)
    return bad(`${blocks.length} blocks (max ${SLACK_LIMITS.blocks})`);
  for (const [i, block] of blocks.entries()) {
    if (block === null || typeof block !== 'object') return bad(`block ${i} is not an object`);
    const b = block as Record<string, unknown>;
    const type = b.type;
    if (typeof type !== 'string' || !KNOWN_BLOCKS.has(type)) return bad(`block ${i}: unknown type`);
    if (type === 'header') {
      const problem = checkText(b.text, SLACK_LIMITS.headerChars, ['plain_text']);
      if (problem) return bad(`block ${i} header: ${problem}`);
    } else if (type === 'section') {
      if (b.text === undefined && b.fields === undefined) return bad(`block ${i} section: no text`);
      if (b.text !== undefined) {
        const problem = checkText(b.text, SLACK_LIMITS.textChars, ['plain_text', 'mrkdwn']);
        if (problem) return bad(`block ${i} section: ${problem}`);
      }
    } else if (type === 'context') {
      const elements = b.elements;
      if (!Array.isArray(elements) || elements.length === 0)
        return bad(`block ${i} context: no elements`);
      if (elements.length > SLACK_LIMITS.contextElements)
        return bad(`block ${i} context: too many elements`);
      for (const el of elements) {
        const problem = checkText(el, SLACK_LIMITS.textChars, ['plain_text', 'mrkdwn']);
        if (problem) return bad(`block ${i} context: ${problem}`);
      }
    }
  }
  return undefined;
}

function checkText(value: unknown, max: number, types: string[]): string | undefined {
  if (value === null || typeof value !== 'object') return 'text object missing';
  const t = value as Record<string, unknown>;
  if (typeof t.type !== 'string' || !types.includes(t.type)) return `text type ${String(t.type)}`;
  if (typeof t.text !== 'string' || t.text.length === 0) return 'empty text';
  if (t.text.length > max) return `text of ${t.text.length} characters (max ${max})`;
  if (t.type === 'plain_text' && t.verbatim !== undefined) return 'verbatim on plain_text';
  if (t.type === 'mrkdwn' && t.emoji !== undefined) return 'emoji on mrkdwn';
  return undefined;
}

function answer(
  res: http.ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'text/html', ...headers });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) tooBig = true;
    else chunks.push(buf);
  }
  return tooBig ? undefined : Buffer.concat(chunks).toString('utf8');
}

function pathOf(url: string): string {
  return url.startsWith('/') ? url : new URL(url).pathname;
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
