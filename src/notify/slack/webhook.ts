// Slack Incoming Webhooks on the wire: which URLs we accept, one POST, and what Slack's answer
// means. Shared by the Slack notifier (every notification) and by /slack (the test message sent
// before a webhook is saved).
//
// A webhook URL is a secret: whoever has it can post into the channel. Nothing here puts it (or
// any part of its path) in a return value, an error or a log line; callers hand it to the
// SecretScrubber (webhookSecrets) before they do anything else with it.
//
// Accepted URLs: https://<host>/services/<team>/<bot>/<secret>, the host listed in
// slack.allowedWebhookHosts (default hooks.slack.com), no user:password@, no query, no
// fragment, no percent-escapes or dot segments that would let the path mean something else.
// https only, whatever the host list says: no host, loopback included, gets plain http. A
// port is accepted only when the list names that very "host:port" (a bare "hooks.slack.com"
// allows the default port 443 alone). The tests' fake Slack is such an entry: an HTTPS server
// on 127.0.0.1 and an ephemeral port, reached through the same code as hooks.slack.com.
import { createHash } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import type { Env } from '../../config.js';
import { systemClock, type Clock } from '../../domain.js';
import { errorCode } from '../../lib/error-facts.js';
import { createProxyAgents } from '../../lib/proxy.js';
import { parseRetryAfter } from '../../lib/retry-after.js';
import type { SendOutcome } from '../notifier.js';
import { escapeHtml } from '../telegram/format.js';
import type { SlackPayload } from './blocks.js';

/** One webhook call: Slack answers in well under a second; a stuck connection must not hold a queue. */
export const SLACK_TIMEOUT_MS = 10_000;
/** A 429 without a usable Retry-After: wait this long. */
export const SLACK_DEFAULT_RETRY_AFTER_MS = 30_000;
/** A shorter Retry-After (0, a date already past) still waits this long. */
const SLACK_MIN_RETRY_AFTER_MS = 1_000;
/** A Retry-After longer than this is capped: delivery backs off on its own after that. */
export const SLACK_MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Slack answers "ok" or a short error code; anything longer is not worth reading. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Our payloads stay under ~40 KB (see format.ts); this only guards against bugs. */
const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_URL_CHARS = 500;
// The last part of the path is the secret itself (Slack: 24 letters and digits).
const SERVICES_PATH =
  /^\/services\/([A-Za-z0-9]{1,64})\/([A-Za-z0-9]{1,64})\/([A-Za-z0-9]{8,128})$/;
const SLACK_ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/;
/** Node's and axios' codes (ECONNRESET, ERR_CANCELED); any other text becomes "ERROR". */
const NODE_ERROR_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/**
 * Answers that mean "this webhook (or its channel, or its workspace) will not take any message":
 * the destination is disabled for the chat until /slack sets a new one. The names are Slack's
 * documented incoming-webhook errors.
 */
const DISABLING_CODES: Readonly<Record<string, string>> = {
  no_service: 'the webhook was removed or revoked in Slack',
  invalid_token: 'Slack says the webhook token is invalid',
  channel_is_archived: 'the Slack channel of the webhook is archived',
  channel_not_found: 'the Slack channel of the webhook no longer exists',
  no_team: 'the Slack workspace of the webhook no longer exists',
  team_disabled: 'the Slack workspace of the webhook is disabled',
  action_prohibited: 'a Slack admin does not allow posting to that channel',
  posting_to_general_channel_denied: 'only Slack admins may post to that channel',
};

export type WebhookValidation = { ok: true; url: string } | { ok: false; reason: string };

/**
 * Checks a webhook URL typed by a user. `reason` is written for that user and never quotes the
 * URL. The returned `url` is the canonical form to store.
 */
export function validateWebhookUrl(
  input: string,
  allowedHosts: readonly string[],
): WebhookValidation {
  const hosts = allowedHosts.map((h) => h.toLowerCase());
  const example = `https://${hosts[0] ?? 'hooks.slack.com'}/services/…`;
  const notWebhook = `That is not a Slack incoming webhook address. It looks like ${example}`;
  const raw = input.trim();
  if (raw === '') return { ok: false, reason: `Send the webhook address: ${example}` };
  if (raw.length > MAX_URL_CHARS)
    return { ok: false, reason: `${notWebhook} (this one is far too long).` };
  // Whitespace, controls, backslashes and %-escapes are never in a real webhook URL, and
  // URL parsers disagree on them: refuse instead of normalising.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  if (/[\s\u0000-\u001f\u007f\\%]/.test(raw) || !URL.canParse(raw)) {
    return { ok: false, reason: `${notWebhook}.` };
  }
  const url = new URL(raw);
  const host = url.hostname.toLowerCase();
  // "host" or "host:port"; the parser drops a default ":443".
  const hostAndPort = url.host.toLowerCase();
  if (
    url.username !== '' ||
    url.password !== '' ||
    /@/.test(raw.split('/').slice(0, 3).join('/'))
  ) {
    return { ok: false, reason: `${notWebhook} (no user name or password in it).` };
  }
  if (url.protocol !== 'https:') {
    return { ok: false, reason: `${notWebhook} (it must start with https://).` };
  }
  if (!hosts.includes(hostAndPort)) {
    if (url.port !== '' && hosts.includes(host)) {
      return { ok: false, reason: `${notWebhook} (no port number in it).` };
    }
    const list = hosts.join(', ') || 'none';
    return {
      ok: false,
      reason: `That address is not on an allowed Slack host. Allowed: ${list} (the operator sets slack.allowedWebhookHosts).`,
    };
  }
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    return { ok: false, reason: `${notWebhook} (nothing after the last part of the address).` };
  }
  // The parsed path must be the typed path: "/services/../x" is normalised by the parser.
  const typedPath = raw.slice(raw.indexOf('/', raw.indexOf('//') + 2));
  if (typedPath !== url.pathname || !SERVICES_PATH.test(url.pathname)) {
    return { ok: false, reason: `${notWebhook}.` };
  }
  return { ok: true, url: `${url.protocol}//${url.host}${url.pathname}` };
}

/** What to give SecretScrubber.add(): the whole URL and its secret last part. */
export function webhookSecrets(url: string): string[] {
  const secrets = [url];
  const path = URL.canParse(url) ? new URL(url).pathname : '';
  const last = path.split('/').pop();
  if (last !== undefined && last.length >= 8) secrets.push(last, path);
  return secrets;
}

/** A stable, non-reversible key for a webhook (pacing, logs): never the URL itself. */
export function webhookKey(url: string): string {
  return createHash('sha256').update(url, 'utf8').digest('hex').slice(0, 16);
}

export type WebhookAnswer =
  /** Slack (or something on the way) answered with an HTTP status. */
  | { kind: 'http'; status: number; code: string | undefined; retryAfterMs: number | undefined }
  /** No answer: DNS, connection, TLS, timeout, abort. `code` is Node's/axios' error code. */
  | { kind: 'network'; code: string };

export interface WebhookPosterOptions {
  timeoutMs?: number;
  /** Proxy variables (HTTPS_PROXY, NO_PROXY), as the portal uses them. Default: no proxy. */
  env?: Env;
  clock?: Clock;
  userAgent?: string;
}

export interface WebhookPoster {
  /** Never throws: every result is a WebhookAnswer. */
  post(
    url: string,
    payload: SlackPayload | { text: string },
    signal?: AbortSignal,
  ): Promise<WebhookAnswer>;
}

export function createWebhookPoster(options: WebhookPosterOptions = {}): WebhookPoster {
  const clock = options.clock ?? systemClock;
  const http: AxiosInstance = axios.create({
    timeout: options.timeoutMs ?? SLACK_TIMEOUT_MS,
    // Every status is an answer to classify, not an exception.
    validateStatus: () => true,
    // A webhook never redirects; following one would send the message somewhere unvalidated.
    maxRedirects: 0,
    // axios would read proxy variables from process.env itself; they are chosen below instead.
    proxy: false,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength: MAX_ANSWER_BYTES,
    maxBodyLength: MAX_REQUEST_BYTES,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': options.userAgent ?? 'tickets-pushbot',
    },
  });
  // Without an env no proxy variable is set: every call goes direct.
  const agentFor = createProxyAgents(options.env ?? {});

  return {
    async post(url, payload, signal) {
      const agent = agentFor(url);
      try {
        const res = await http.post<unknown>(url, JSON.stringify(payload), {
          ...(signal ? { signal } : {}),
          ...(agent ? { httpAgent: agent, httpsAgent: agent } : {}),
        });
        const body = typeof res.data === 'string' ? res.data.trim() : '';
        const retryAfter: unknown = res.headers['retry-after'];
        return {
          kind: 'http',
          status: res.status,
          code: SLACK_ERROR_CODE.test(body) ? body : undefined,
          retryAfterMs:
            typeof retryAfter === 'string' ? slackRetryAfterMs(retryAfter, clock.now()) : undefined,
        };
      } catch (err) {
        // Built from the error's code only: an axios error carries the request URL (the secret).
        return { kind: 'network', code: errorCode(err, NODE_ERROR_CODE) ?? 'ERROR' };
      }
    },
  };
}

/** Retry-After (seconds or an HTTP date) → ms from now, within 1 s .. 1 h, or undefined. */
export function slackRetryAfterMs(value: string, nowMs: number): number | undefined {
  const ms = parseRetryAfter(value, nowMs);
  if (ms === undefined) return undefined;
  return Math.min(SLACK_MAX_RETRY_AFTER_MS, Math.max(SLACK_MIN_RETRY_AFTER_MS, ms));
}

/** Slack's answer → what delivery should do. Reasons start "Slack <status> <code>" (metrics parse it). */
export function outcomeOfAnswer(answer: WebhookAnswer): SendOutcome {
  if (answer.kind === 'network') {
    return { kind: 'retry', reason: `Slack unreachable (${answer.code})` };
  }
  const { status, code } = answer;
  const reason = `Slack ${status}${code !== undefined ? ` ${code}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 429) {
    return {
      kind: 'retry',
      reason,
      retryAfterMs: answer.retryAfterMs ?? SLACK_DEFAULT_RETRY_AFTER_MS,
    };
  }
  if (code !== undefined && code in DISABLING_CODES) return { kind: 'disabled', reason };
  if (status === 404 || status === 410) return { kind: 'disabled', reason };
  if (status >= 300 && status < 400) {
    return { kind: 'disabled', reason: `${reason}: the webhook address redirects elsewhere` };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', reason };
  // 400 invalid_payload / invalid_blocks / no_text, 403 without a disabling code, 413, ...
  return { kind: 'rejected', reason };
}

/**
 * A sentence for the chat about why Slack stopped taking messages, from a "disabled" reason or
 * a Slack error code. Never quotes the URL (reasons never hold it).
 */
export function describeSlackProblem(reasonOrCode: string): string {
  for (const [code, text] of Object.entries(DISABLING_CODES)) {
    if (reasonOrCode.includes(code)) return text;
  }
  if (/\b(404|410)\b/.test(reasonOrCode)) return 'Slack says the webhook does not exist any more';
  if (/redirect/.test(reasonOrCode)) return 'the webhook address redirects elsewhere';
  return reasonOrCode;
}

/** The Telegram notice (HTML) that tells a chat its Slack mirror stopped; delivery sends it once. */
export function slackDisabledNotice(reason: string): string {
  return [
    `⚠️ <b>Slack paused</b>: ${escapeHtml(describeSlackProblem(reason))}.`,
    '',
    'Notifications keep coming here. To mirror them to Slack again, create a new incoming webhook and send <code>/slack &lt;webhook URL&gt;</code>, or /slack off to stop trying.',
  ].join('\n');
}

export type WebhookTestResult =
  | { ok: true }
  | {
      ok: false;
      /**
       * unreachable: no answer or a Slack outage (try again later); gone: the webhook does not
       * exist or cannot post; refused: Slack refused the message; rate-limited: 429.
       */
      problem: 'unreachable' | 'gone' | 'refused' | 'rate-limited';
      /** One sentence for the user; never the URL. */
      detail: string;
    };

/**
 * Posts a short test message, so a webhook is saved only once Slack has accepted a message
 * through it. `url` must have passed validateWebhookUrl.
 */
export async function sendTestMessage(
  url: string,
  options: {
    poster?: WebhookPoster;
    text?: string;
    signal?: AbortSignal;
  } & WebhookPosterOptions = {},
): Promise<WebhookTestResult> {
  const poster = options.poster ?? createWebhookPoster(options);
  const text =
    options.text ??
    '✅ tickets-pushbot is connected: new comments on the Red Hat support cases followed in the Telegram chat will appear here.';
  const answer = await poster.post(url, { text }, options.signal);
  const outcome = outcomeOfAnswer(answer);
  switch (outcome.kind) {
    case 'ok':
      return { ok: true };
    case 'disabled':
      return {
        ok: false,
        problem: 'gone',
        detail: `${capitalise(describeSlackProblem(outcome.reason))}.`,
      };
    case 'retry':
      if (answer.kind === 'network') {
        const what =
          answer.code === 'ECONNABORTED' || answer.code === 'ETIMEDOUT'
            ? 'no answer in time'
            : answer.code;
        return { ok: false, problem: 'unreachable', detail: `I could not reach Slack (${what}).` };
      }
      if (answer.status === 429) {
        return { ok: false, problem: 'rate-limited', detail: 'Slack asks me to slow down (429).' };
      }
      return {
        ok: false,
        problem: 'unreachable',
        detail: `Slack had a problem (${answer.status}).`,
      };
    default:
      return {
        ok: false,
        problem: 'refused',
        detail: `Slack refused the test message (${outcome.kind === 'rejected' ? outcome.reason : outcome.kind}).`,
      };
  }
}

function capitalise(s: string): string {
  return s === '' ? s : `${s[0]?.toUpperCase() ?? ''}${s.slice(1)}`;
}
