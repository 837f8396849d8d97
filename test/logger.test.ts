import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/logger.js';
import { createSecretScrubber } from '../src/secrets.js';

const BOT_TOKEN = '7012345678:AAHk3xTqLrEw9sPzYbV0cNm2dF4gJ6hK8lQ';
const OFFLINE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvZmZsaW5lIn0.c2lnbmF0dXJlLW9mZmxpbmU';
const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJwcmVmZXJyZWRfdXNlcm5hbWUiOiJ0YW0ifQ.YWNjZXNzLXNpZw';
const PASSWORD = 'Corr3ct-Horse-Battery';
const WEBHOOK = 'https://hooks.slack.com/services/T0AAAA1/B0BBBB2/Xq9zQv8wRt7yUi6oPa5sDf4g';

function capture(known: string[] = []) {
  const lines: string[] = [];
  const scrubber = createSecretScrubber(known);
  const logger = createLogger({
    level: 'trace',
    scrubber,
    destination: { write: (line: string) => lines.push(line) },
  });
  return { lines, logger, scrubber };
}

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

  it('keeps secrets out of realistic failure logs', () => {
    const { lines, logger, scrubber } = capture([BOT_TOKEN]);
    scrubber.add(PASSWORD);
    const log = logger.child({ component: 'test' });

    // A Telegram network error whose message carries the request URL with the token.
    const tgError = new Error(
      `request to https://api.telegram.org/bot${BOT_TOKEN}/sendMessage failed, reason: ECONNRESET`,
    );
    log.error({ err: tgError }, 'telegram send failed');

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
    assert.ok(
      lines.some((l) => l.includes('[secret]')),
      'redaction marker missing',
    );
    assert.ok(
      lines.some((l) => l.includes('ECONNRESET')),
      'the useful part of the error was lost',
    );
  });

  it('masks a secret learned after the logger was created', () => {
    const { lines, logger, scrubber } = capture();
    logger.info(`before: ${PASSWORD}`);
    scrubber.add(PASSWORD);
    logger.info(`after: ${PASSWORD}`);
    assert.ok(lines[0]!.includes(PASSWORD), 'control: an unknown secret-less string is untouched');
    assert.ok(!lines[1]!.includes(PASSWORD));
  });
});
