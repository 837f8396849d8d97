import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, type LogOutputFormat } from '../src/logger.js';
import { createSecretScrubber } from '../src/secrets.js';

const BOT_TOKEN = '7012345678:AAHk3xTqLrEw9sPzYbV0cNm2dF4gJ6hK8lQ';
const OFFLINE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvZmZsaW5lIn0.c2lnbmF0dXJlLW9mZmxpbmU';
const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJ0YW0ifQ.YWNjZXNzLXNpZw';
const PASSWORD = 'Corr3ct-Horse-Battery';
const WEBHOOK = 'https://hooks.slack.com/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g';

function capture(
  known: string[] = [],
  options: { format?: LogOutputFormat; colorize?: boolean } = {},
) {
  const lines: string[] = [];
  const scrubber = createSecretScrubber(known);
  const logger = createLogger({
    level: 'trace',
    scrubber,
    ...options,
    destination: { write: (line: string) => lines.push(line) },
  });
  return { lines, logger, scrubber };
}

// ESC, as in every ANSI colour sequence.
const ANSI = '\u001b[';

function assertClean(lines: string[]): void {
  const all = lines.join('\n');
  assert.ok(lines.length > 0, 'nothing was logged');
  for (const secret of [BOT_TOKEN, OFFLINE_TOKEN, ACCESS_TOKEN, PASSWORD, WEBHOOK]) {
    assert.ok(!all.includes(secret), `a secret leaked into the log: ${secret.slice(0, 8)}…`);
  }
  const basic = Buffer.from(`svc-user:${PASSWORD}`).toString('base64');
  assert.ok(!all.includes(basic), 'a Basic auth header leaked');
  assert.ok(!all.includes('Xq9zQv8wRt7yUi6oPa5sDf4g'), 'the webhook path leaked');
}

describe('logger redaction', () => {
  it('writes JSON lines with ISO timestamps and component child loggers', () => {
    const { lines, logger } = capture();
    logger.child({ component: 'poller' }).info({ cycle: 3 }, 'cycle done');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.component, 'poller');
    assert.equal(entry.level, 'info');
    assert.match(String(entry.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(entry.msg, 'cycle done');
  });

  const formats: [string, { format?: LogOutputFormat; colorize?: boolean }][] = [
    ['JSON', {}],
    ['pretty', { format: 'pretty' }],
    ['pretty with colours', { format: 'pretty', colorize: true }],
  ];
  for (const [name, options] of formats) {
    it(`keeps secrets out of realistic failure logs (${name})`, () => {
      realisticFailures(options);
    });
  }

  it('masks a secret learned after the logger was created', () => {
    const { lines, logger, scrubber } = capture();
    logger.info(`before: ${PASSWORD}`);
    scrubber.add(PASSWORD);
    logger.info(`after: ${PASSWORD}`);
    assert.ok(lines[0]!.includes(PASSWORD), 'control: an unknown secret-less string is untouched');
    assert.ok(!lines[1]!.includes(PASSWORD));
  });
});

/** Logs what real failures carry (errors with URLs, HTTP configs, tokens in text), then checks. */
function realisticFailures(options: { format?: LogOutputFormat; colorize?: boolean }): void {
  const { lines, logger, scrubber } = capture([BOT_TOKEN], options);
  scrubber.add(PASSWORD);
  const log = logger.child({ component: 'test' });

  // A Telegram network error whose message carries the request URL with the token.
  const tgError = new Error(
    `request to https://api.telegram.org/bot${BOT_TOKEN}/sendMessage failed, reason: ECONNRESET`,
  );
  log.error({ err: tgError }, 'telegram send failed');
  // The token inside a field that is no well-known secret key (the scrubber, not redact).
  log.warn({ url: `https://api.telegram.org/bot${BOT_TOKEN}/getUpdates` }, 'polling slow');

  // An HTTP client error object carrying request headers and a form body.
  log.warn(
    {
      config: {
        url: 'https://sso.example/token',
        headers: { Authorization: `Bearer ${ACCESS_TOKEN}` },
        data: `grant_type=refresh_token&client_id=rhsm-api&refresh_token=${OFFLINE_TOKEN}`,
      },
      headers: {
        authorization: `Basic ${Buffer.from(`svc-user:${PASSWORD}`).toString('base64')}`,
      },
    },
    'portal call failed',
  );

  // A value of no known shape, unknown to the scrubber: only the redact paths catch it.
  log.info({ session: { cookie: 'sid=plainvalue42' } }, 'session restored');

  // Secrets in well-known keys, nested.
  log.info(
    { credential: { password: PASSWORD, offlineToken: OFFLINE_TOKEN }, token: BOT_TOKEN },
    'setup',
  );

  // Secrets inside free text: message, nested cause, and a JSON body echoed by a proxy.
  const cause = new Error(`webhook ${WEBHOOK} answered 500`);
  log.error({ err: new Error('slack delivery failed', { cause }) }, `posting to ${WEBHOOK}`);
  log.error(
    `token exchange said {"access_token":"${ACCESS_TOKEN}","refresh_token":"${OFFLINE_TOKEN}"}`,
  );
  log.error(`login as svc-user with password ${PASSWORD} was refused`);
  log.debug(`proxy http://svc-user:${PASSWORD}@proxy.corp:3128 in use`);

  assertClean(lines);
  assert.ok(!lines.join('').includes('plainvalue42'), 'a redact path was not censored');
  assert.ok(
    lines.some((l) => l.includes('[secret]')),
    'redaction marker missing',
  );
  assert.ok(
    lines.some((l) => l.includes('ECONNRESET')),
    'the useful part of the error was lost',
  );
}

describe('pretty log lines', () => {
  it('shows time, level, component, message and the fields on one line, without colours', () => {
    const { lines, logger } = capture([], { format: 'pretty' });
    logger.child({ component: 'poller' }).info({ cycle: 3, cases: 12 }, 'cycle done');
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^\[\d\d:\d\d:\d\d\] INFO: poller: cycle done \{"cycle":3,"cases":12\}\n$/,
    );
    assert.ok(
      !lines[0]!.includes(ANSI),
      'colour codes written to a destination that is no terminal',
    );
    assert.ok(!lines[0]!.includes('"pid"'), 'the pid is noise for a person');
  });

  it('writes a line without component or fields as just the message', () => {
    const { lines, logger } = capture([], { format: 'pretty' });
    logger.warn('no fields');
    assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\] WARN: no fields\n$/);
  });

  it('shows an error with its message and stack', () => {
    const { lines, logger } = capture([], { format: 'pretty' });
    const cause = new Error('socket hang up');
    logger
      .child({ component: 'portal' })
      .error(
        { err: new Error('case list failed', { cause }), caseNumber: '04012345' },
        'fetch failed',
      );
    const text = lines.join('');
    assert.match(
      text,
      /^\[\d\d:\d\d:\d\d\] ERROR: portal: fetch failed \{"caseNumber":"04012345"\}\n/,
    );
    assert.match(text, /case list failed/);
    assert.match(text, /caused by: Error: socket hang up/);
    assert.match(text, /\n\s+at /, 'the stack is missing');
  });

  it('colours only when asked (main: a terminal)', () => {
    const { lines, logger } = capture([BOT_TOKEN], { format: 'pretty', colorize: true });
    logger.info({ token: BOT_TOKEN }, `sending with bot${BOT_TOKEN}`);
    assert.ok(lines[0]!.includes(ANSI));
    assert.ok(!lines[0]!.includes(BOT_TOKEN));
  });

  it('masks a secret that JSON escapes (quotes, backslashes) in its readable form too', () => {
    const quoted = 'pa"ss\\word-with-quotes';
    const { lines, logger } = capture([quoted], { format: 'pretty' });
    logger.error({ detail: `login with ${quoted} refused` }, `login with ${quoted} refused`);
    logger.error({ err: new Error(`login with ${quoted} refused`) }, 'login failed');
    assert.ok(!lines.join('').includes(quoted), lines.join(''));
    assert.ok(!lines.join('').includes(JSON.stringify(quoted).slice(1, -1)));
  });

  it('writes every line before the logging call returns (nothing lost at exit)', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { lines, logger } = capture([], { format });
      logger.fatal('cannot start');
      assert.equal(lines.length, 1, format);
    }
  });
});
