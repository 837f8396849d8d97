import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_BASE_URLS,
  DEFAULT_TELEGRAM_API_ROOT,
  loadConfig,
  parseConfig,
  type Env,
} from '../../src/config.js';

const TOKEN = '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

function problemsOf(
  raw: unknown,
  env: Env = { TELEGRAM_BOT_TOKEN: TOKEN },
  readText: (path: string) => string = noFiles,
): string[] {
  try {
    parseConfig(raw, env, readText);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected the config to be refused');
}

describe('configuration', () => {
  it('fills every default when only the token is given', () => {
    const config = parseConfig({ telegram: { token: TOKEN } }, {}, noFiles, { cwd: '/srv/bot' });
    assert.equal(config.telegram.apiRoot, DEFAULT_TELEGRAM_API_ROOT);
    assert.deepEqual(config.telegram.allowedChatIds, []);
    assert.deepEqual(config.telegram.adminChatIds, []);
    assert.equal(config.portal.api, 'v3');
    assert.equal(config.portal.baseUrl, 'https://api.access.redhat.com/support/v3');
    assert.equal(config.portal.baseUrl, DEFAULT_BASE_URLS.v3);
    assert.equal(config.portal.graphqlUrl, 'https://graphql.redhat.com');
    assert.match(config.portal.tokenUrl, /^https:\/\/sso\.redhat\.com\//);
    assert.equal(config.portal.timeoutSeconds, 30);
    assert.equal(config.poll.intervalSeconds, 60);
    assert.equal(config.poll.concurrency, 4);
    assert.equal(config.poll.fullSweepEvery, 10);
    assert.equal(config.notify.maxCommentChars, 1000);
    assert.deepEqual(config.rules, { maxPerChat: 10, maxCasesPerRule: 200 });
    assert.deepEqual(config.slack.allowedWebhookHosts, ['hooks.slack.com']);
    assert.equal(config.dbPath, '/srv/bot/data/db.json');
    assert.equal(config.secretKeyPath, '/srv/bot/data/secret.key');
    assert.equal(config.heartbeatPath, '/srv/bot/data/heartbeat');
    assert.equal(config.log.level, 'info');
    assert.equal(config.log.format, 'auto');
    assert.equal(config.secretKey, undefined);
  });

  it('picks the Strata base URL when api is strata and no baseUrl is set', () => {
    const config = parseConfig(
      { portal: { api: 'strata' } },
      { TELEGRAM_BOT_TOKEN: TOKEN },
      noFiles,
    );
    assert.equal(config.portal.api, 'strata');
    assert.equal(config.portal.baseUrl, 'https://api.access.redhat.com/rs');
    assert.equal(config.portal.baseUrl, DEFAULT_BASE_URLS.strata);
  });

  it('keeps the Hydra base URL when api is hydra and no baseUrl is set', () => {
    const config = parseConfig(
      { portal: { api: 'hydra' } },
      { TELEGRAM_BOT_TOKEN: TOKEN },
      noFiles,
    );
    assert.equal(config.portal.api, 'hydra');
    assert.equal(config.portal.baseUrl, 'https://api.access.redhat.com/support/v1');
    assert.equal(config.portal.baseUrl, DEFAULT_BASE_URLS.hydra);
  });

  it('accepts a poll interval of 1 second (tests use it)', () => {
    const config = parseConfig(
      { poll: { intervalSeconds: 1 } },
      { TELEGRAM_BOT_TOKEN: TOKEN },
      noFiles,
    );
    assert.equal(config.poll.intervalSeconds, 1);
  });

  const badValues: [string, unknown, RegExp][] = [
    ['telegram.apiRoot', { telegram: { apiRoot: 'ftp://example' } }, /^telegram\.apiRoot: .*http/],
    [
      'telegram.allowedChatIds',
      { telegram: { allowedChatIds: ['me'] } },
      /^telegram\.allowedChatIds\.0: .*number/,
    ],
    [
      'telegram.adminChatIds',
      { telegram: { adminChatIds: 5 } },
      /^telegram\.adminChatIds: .*array/,
    ],
    ['portal.api', { portal: { api: 'soap' } }, /^portal\.api: .*"v3"\|"hydra"\|"strata"/],
    ['portal.graphqlUrl', { portal: { graphqlUrl: 'not a url' } }, /^portal\.graphqlUrl: .*URL/],
    ['portal.baseUrl', { portal: { baseUrl: 'not a url' } }, /^portal\.baseUrl: .*URL/],
    ['portal.tokenUrl', { portal: { tokenUrl: '' } }, /^portal\.tokenUrl: .*URL/],
    ['portal.timeoutSeconds', { portal: { timeoutSeconds: 0 } }, /^portal\.timeoutSeconds: /],
    [
      'portal.maxResponseBytes',
      { portal: { maxResponseBytes: 10 } },
      /^portal\.maxResponseBytes: /,
    ],
    ['portal.caseUrlTemplate', { portal: { caseUrlTemplate: 'https://x/' } }, /\{caseNumber\}/],
    ['poll.intervalSeconds', { poll: { intervalSeconds: 0.5 } }, /^poll\.intervalSeconds: .*>=1/],
    ['poll.concurrency', { poll: { concurrency: 0 } }, /^poll\.concurrency: /],
    ['poll.fullSweepEvery', { poll: { fullSweepEvery: 1.5 } }, /^poll\.fullSweepEvery: .*int/],
    [
      'poll.keepClosedCases',
      { poll: { keepClosedCases: 'yes' } },
      /^poll\.keepClosedCases: .*boolean/,
    ],
    ['notify.maxCommentChars', { notify: { maxCommentChars: -1 } }, /^notify\.maxCommentChars: /],
    ['rules.maxPerChat', { rules: { maxPerChat: 2.5 } }, /^rules\.maxPerChat: .*int/],
    ['rules.maxCasesPerRule', { rules: { maxCasesPerRule: 0 } }, /^rules\.maxCasesPerRule: /],
    [
      'slack.allowedWebhookHosts',
      { slack: { allowedWebhookHosts: [''] } },
      /^slack\.allowedWebhookHosts\.0: /,
    ],
    ['dbPath', { dbPath: '' }, /^dbPath: /],
    ['log.level', { log: { level: 'loud' } }, /^log\.level: .*"info"/],
    ['log.format', { log: { format: 'fancy' } }, /^log\.format: .*"auto"\|"json"\|"pretty"/],
    ['an unknown key', { telegarm: {} }, /unknown key "telegarm"/],
    ['an unknown nested key', { poll: { interval: 5 } }, /^poll: unknown key "interval"/],
  ];
  for (const [what, raw, expected] of badValues) {
    it(`names ${what} and what is expected when it is wrong`, () => {
      const problems = problemsOf(raw);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `no problem matched ${String(expected)} in ${JSON.stringify(problems)}`,
      );
    });
  }

  it('reports every problem at once', () => {
    const problems = problemsOf(
      { poll: { intervalSeconds: 0 }, log: { level: 'x' }, portal: { api: 'y' } },
      {},
    );
    assert.equal(problems.length, 4, JSON.stringify(problems));
    assert.ok(problems.some((p) => p.startsWith('telegram.token: required')));
  });

  describe('names only what is wrong (the token in the file is not blamed for other keys)', () => {
    // The token comes from the file here, as in most installs, not from the environment.
    const withToken = (rest: Record<string, unknown>) => ({ telegram: { token: TOKEN }, ...rest });

    it('reports a wrong portal.api alone', () => {
      const problems = problemsOf(withToken({ portal: { api: 'soap' } }), {});
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0]!, /^portal\.api: /);
    });

    it('reports a zero poll.intervalSeconds alone', () => {
      const problems = problemsOf(withToken({ poll: { intervalSeconds: 0 } }), {});
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0]!, /^poll\.intervalSeconds: /);
    });

    it('reports two wrong keys in two sections, and nothing about the token', () => {
      const problems = problemsOf(
        withToken({ portal: { api: 'soap' }, poll: { intervalSeconds: 0 } }),
        {},
      );
      assert.equal(problems.length, 2, JSON.stringify(problems));
      assert.ok(problems.some((p) => p.startsWith('portal.api: ')));
      assert.ok(problems.some((p) => p.startsWith('poll.intervalSeconds: ')));
      assert.ok(!problems.some((p) => p.startsWith('telegram.token')), JSON.stringify(problems));
    });

    it('reports a wrong key beside the token in the telegram section alone', () => {
      const problems = problemsOf(
        { telegram: { token: TOKEN, apiRoot: 'ftp://example', allowedChatIds: [0] } },
        {},
      );
      assert.deepEqual(
        problems.map((p) => p.split(':')[0]),
        ['telegram.apiRoot', 'telegram.allowedChatIds.0'],
      );
    });

    it('lets one wrong section hide no other, unknown keys included', () => {
      const problems = problemsOf(
        withToken({
          portal: { api: 'soap', timeoutSeconds: 'x' },
          poll: { interval: 5 },
          log: { level: 'loud' },
          extra: true,
        }),
        {},
      );
      assert.equal(problems.length, 5, JSON.stringify(problems));
      for (const expected of [
        /^portal\.api: /,
        /^portal\.timeoutSeconds: /,
        /^poll: unknown key "interval"/,
        /^log\.level: /,
        /^unknown key "extra"/,
      ]) {
        assert.ok(
          problems.some((p) => expected.test(p)),
          `${String(expected)} in ${JSON.stringify(problems)}`,
        );
      }
    });

    it('still reports a missing token beside another wrong key', () => {
      const problems = problemsOf({ portal: { api: 'soap' } }, {});
      assert.equal(problems.length, 2, JSON.stringify(problems));
      assert.ok(problems.some((p) => p.startsWith('telegram.token: required')));
    });

    it('still reports a malformed token beside another wrong key, without echoing it', () => {
      const problems = problemsOf(
        { telegram: { token: 'not-a-token-s3cr3t' }, poll: { intervalSeconds: 0 } },
        {},
      );
      assert.equal(problems.length, 2, JSON.stringify(problems));
      assert.ok(problems.some((p) => /^telegram\.token: expected the form/.test(p)));
      assert.ok(!problems.join('\n').includes('s3cr3t'));
    });

    it('names a token of the wrong type once, not also as missing', () => {
      const problems = problemsOf({ telegram: { token: 123456 } }, {});
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0]!, /^telegram\.token: .*string/);
      assert.ok(!problems[0]!.includes('123456'));
    });

    it('takes the token from the file when the rest is valid', () => {
      const config = parseConfig(withToken({ portal: { api: 'hydra' } }), {}, noFiles);
      assert.equal(config.telegram.token, TOKEN);
    });
  });

  it('requires a token of the BotFather shape without echoing the value', () => {
    const problems = problemsOf({ telegram: { token: 'not-a-token-s3cr3t' } }, {});
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^telegram\.token: expected the form/);
    assert.ok(!problems[0]!.includes('s3cr3t'));
  });

  it('lets TELEGRAM_BOT_TOKEN override the file', () => {
    const config = parseConfig(
      { telegram: { token: '1:fromfile' } },
      { TELEGRAM_BOT_TOKEN: TOKEN },
      noFiles,
    );
    assert.equal(config.telegram.token, TOKEN);
  });

  it('lets PUSHBOT_DB_PATH and PUSHBOT_LOG_LEVEL override the file', () => {
    const config = parseConfig(
      { dbPath: './elsewhere.json', log: { level: 'warn' } },
      { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_DB_PATH: '/data/db.json', PUSHBOT_LOG_LEVEL: 'debug' },
      noFiles,
    );
    assert.equal(config.dbPath, '/data/db.json');
    assert.equal(config.secretKeyPath, '/data/secret.key');
    assert.equal(config.log.level, 'debug');
  });

  it('reads log.format from the file and lets PUSHBOT_LOG_FORMAT override it', () => {
    const fromFile = parseConfig(
      { log: { format: 'pretty' } },
      { TELEGRAM_BOT_TOKEN: TOKEN },
      noFiles,
    );
    assert.equal(fromFile.log.format, 'pretty');
    const fromEnv = parseConfig(
      { log: { format: 'pretty' } },
      { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_LOG_FORMAT: 'json' },
      noFiles,
    );
    assert.equal(fromEnv.log.format, 'json');
    const emptyEnv = parseConfig(
      {},
      { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_LOG_FORMAT: '' },
      noFiles,
    );
    assert.equal(emptyEnv.log.format, 'auto');
  });

  it('refuses a PUSHBOT_LOG_FORMAT it does not know', () => {
    const problems = problemsOf({}, { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_LOG_FORMAT: 'colour' });
    assert.deepEqual(problems, ['PUSHBOT_LOG_FORMAT: expected one of auto, json, pretty']);
  });

  it('refuses a PUSHBOT_LOG_LEVEL that pino does not know', () => {
    const problems = problemsOf({}, { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_LOG_LEVEL: 'chatty' });
    assert.match(problems.join('\n'), /PUSHBOT_LOG_LEVEL: expected one of/);
  });

  describe('_FILE secrets (the Docker secrets convention)', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pushbot-config-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    // Synchronous reads from the real temp folder, as loadConfig does.
    const readText = (p: string) => readFileSync(p, 'utf8');

    it('reads TELEGRAM_BOT_TOKEN_FILE, trimmed, and prefers it to TELEGRAM_BOT_TOKEN', async () => {
      const file = join(dir, 'token');
      await writeFile(file, `${TOKEN}\n`);
      const config = parseConfig(
        {},
        { TELEGRAM_BOT_TOKEN_FILE: file, TELEGRAM_BOT_TOKEN: '9:other' },
        readText,
      );
      assert.equal(config.telegram.token, TOKEN);
    });

    it('reads PUSHBOT_SECRET_KEY_FILE', async () => {
      const file = join(dir, 'key');
      await writeFile(file, 'a-long-enough-secret-key-value\n');
      const config = parseConfig(
        {},
        { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_SECRET_KEY_FILE: file },
        readText,
      );
      assert.equal(config.secretKey, 'a-long-enough-secret-key-value');
    });

    it('names a missing or empty secret file', async () => {
      const empty = join(dir, 'empty');
      await writeFile(empty, '\n');
      const problems = problemsOf(
        {},
        { TELEGRAM_BOT_TOKEN_FILE: join(dir, 'missing'), PUSHBOT_SECRET_KEY_FILE: empty },
        readText,
      );
      assert.ok(problems.some((p) => /^TELEGRAM_BOT_TOKEN_FILE: cannot read .*missing/.test(p)));
      assert.ok(problems.some((p) => /^PUSHBOT_SECRET_KEY_FILE: the file .* is empty/.test(p)));
    });

    it('refuses a short PUSHBOT_SECRET_KEY', () => {
      const problems = problemsOf({}, { TELEGRAM_BOT_TOKEN: TOKEN, PUSHBOT_SECRET_KEY: 'short' });
      assert.match(problems.join('\n'), /PUSHBOT_SECRET_KEY: expected at least 16 characters/);
    });
  });

  describe('loadConfig (file on disk)', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pushbot-config-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('uses defaults when the default config file does not exist', () => {
      const config = loadConfig(join(dir, 'none.json'), false, { TELEGRAM_BOT_TOKEN: TOKEN });
      assert.equal(config.poll.intervalSeconds, 60);
    });

    it('refuses a missing file that was asked for explicitly', () => {
      assert.throws(
        () => loadConfig(join(dir, 'none.json'), true, { TELEGRAM_BOT_TOKEN: TOKEN }),
        (err: unknown) => err instanceof ConfigError && /ENOENT/.test(err.message),
      );
    });

    it('names the file and the JSON error when it is not JSON', async () => {
      const file = join(dir, 'broken.json');
      await writeFile(file, '{ "telegram": ');
      assert.throws(
        () => loadConfig(file, true, { TELEGRAM_BOT_TOKEN: TOKEN }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message.includes(file) &&
          /not valid JSON/.test(err.message),
      );
    });

    it('accepts config.sample.json as shipped', async () => {
      const sample = JSON.parse(
        await readFile(new URL('../../config.sample.json', import.meta.url), 'utf8'),
      ) as unknown;
      const config = parseConfig(sample, {}, noFiles);
      assert.equal(config.portal.api, 'v3');
      assert.equal(config.portal.baseUrl, DEFAULT_BASE_URLS.v3);
      assert.equal(config.notify.maxCommentChars, 1000);
      assert.equal(config.log.format, 'auto');
    });
  });
});
