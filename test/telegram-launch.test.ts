// Connecting to Telegram at start: retried while the network is not there, given up only on
// the answers waiting cannot heal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TelegramError } from 'telegraf';
import {
  LAUNCH_RETRY_BASE_MS,
  LAUNCH_RETRY_MAX_MS,
  TelegramLaunchError,
  isRetryable,
  launchWithRetry,
} from '../src/telegram-launch.js';
import { collectLogs } from './poller/_support.js';

const networkError = (code: string) =>
  Object.assign(new Error(`request failed, reason: ${code}`), { name: 'FetchError', code });
const telegramError = (code: number) =>
  new TelegramError(
    { error_code: code, description: `error ${code}` },
    { method: 'getMe', payload: {} },
  );

function script(outcomes: Error[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    launch: () => {
      calls++;
      const next = outcomes.shift();
      return next === undefined ? Promise.resolve() : Promise.reject(next);
    },
  };
}

describe('launching Telegram', () => {
  it('retries while the network is down, with a doubling capped wait and a log line each time', async () => {
    const logs = collectLogs('info');
    const waits: number[] = [];
    const failures = [
      networkError('EAI_AGAIN'),
      networkError('ECONNREFUSED'),
      telegramError(502),
      ...Array.from({ length: 6 }, () => networkError('ETIMEDOUT')),
    ];
    const bot = script(failures);
    await launchWithRetry(bot, {
      logger: logs.logger,
      signal: new AbortController().signal,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    assert.equal(bot.calls, 10);
    assert.deepEqual(waits.slice(0, 3), [
      LAUNCH_RETRY_BASE_MS,
      2 * LAUNCH_RETRY_BASE_MS,
      4 * LAUNCH_RETRY_BASE_MS,
    ]);
    assert.equal(Math.max(...waits), LAUNCH_RETRY_MAX_MS);
    assert.equal(logs.count(/cannot reach Telegram yet/), 9);
  });

  for (const code of [401, 409] as const) {
    it(`gives up at once on ${code}, saying which`, async () => {
      const bot = script([telegramError(code)]);
      await assert.rejects(
        launchWithRetry(bot, {
          logger: collectLogs().logger,
          signal: new AbortController().signal,
          sleep: () => Promise.resolve(),
        }),
        (err: unknown) =>
          err instanceof TelegramLaunchError &&
          err.code === code &&
          (code === 401 ? /bot token/ : /another program is polling/).test(err.message),
      );
      assert.equal(bot.calls, 1);
    });
  }

  it('stops waiting when the daemon stops', async () => {
    const stop = new AbortController();
    const bot = script([networkError('ENOTFOUND'), networkError('ENOTFOUND')]);
    await launchWithRetry(bot, {
      logger: collectLogs().logger,
      signal: stop.signal,
      sleep: () => {
        stop.abort();
        return Promise.reject(new Error('aborted'));
      },
    });
    assert.equal(bot.calls, 1);
  });

  it('lets an unexpected failure through instead of retrying it forever', async () => {
    const bug = new TypeError('boom');
    await assert.rejects(
      launchWithRetry(script([bug]), {
        logger: collectLogs().logger,
        signal: new AbortController().signal,
        sleep: () => Promise.resolve(),
      }),
      bug,
    );
    assert.equal(isRetryable(telegramError(400)), false);
    assert.equal(isRetryable(telegramError(429)), true);
  });
});
