// The built daemon as users run it: `node dist/main.js --config <file>`.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon } from '../_helpers/daemon.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';
import { waitUntil } from '../_helpers/wait.js';
import { connect, createWorld, follow } from './_support.js';

const TOKEN = '424242:E2E-lifecycle-token-abcdefghijklmnopqrstu';
const CRASH_TOKEN = '424243:E2E-lifecycle-crash-token-abcdefghijklmn';
const CRASH_OFFLINE_TOKEN = 'e2e-lifecycle-offline-token-abcdefghijklmnopqrstuvwxyz';

describe('daemon lifecycle', () => {
  let dir: string;
  let telegram: FakeTelegram;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pushbot-life-'));
    telegram = await startFakeTelegram({ token: TOKEN });
  });
  after(async () => {
    await telegram.close();
    await rm(dir, { recursive: true, force: true });
  });

  const writeConfig = async (name: string, config: unknown): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(config, null, 2));
    return path;
  };

  it('prints usage with --help and the version with --version', async () => {
    const help = startDaemon({ args: ['--help'] });
    assert.deepEqual(await help.exited, { code: 0, signal: null });
    assert.match(help.output(), /Usage: node dist\/main\.js \[--config <path>\]/);
    const version = startDaemon({ args: ['--version'] });
    assert.deepEqual(await version.exited, { code: 0, signal: null });
    const pkg = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    assert.equal(version.output().trim(), pkg.version);
  });

  it('exits 2 naming every bad key, without printing the token', async () => {
    const path = await writeConfig('bad.json', {
      telegram: { token: TOKEN, apiRoot: 'not a url' },
      poll: { intervalSeconds: 0 },
    });
    const daemon = startDaemon({ args: ['--config', path] });
    const { code } = await daemon.exited;
    assert.equal(code, 2);
    assert.match(daemon.output(), /telegram\.apiRoot: expected an http/);
    assert.match(daemon.output(), /poll\.intervalSeconds: /);
    assert.ok(!daemon.output().includes(TOKEN));
  });

  it('exits 2 when the config file given does not exist', async () => {
    const daemon = startDaemon({ args: ['--config', join(dir, 'missing.json')] });
    assert.equal((await daemon.exited).code, 2);
    assert.match(daemon.output(), /missing\.json/);
  });

  it('starts with a good config, then stops cleanly on SIGTERM within 10 s', async () => {
    const dbPath = join(dir, 'data', 'db.json');
    const path = await writeConfig('good.json', {
      telegram: { token: TOKEN, apiRoot: telegram.apiRoot },
      portal: {
        baseUrl: 'http://127.0.0.1:9/support/v3',
        graphqlUrl: 'http://127.0.0.1:9/graphql',
        tokenUrl: 'http://127.0.0.1:9/token',
      },
      poll: { intervalSeconds: 1 },
      dbPath,
    });
    const daemon = startDaemon({ args: ['--config', path] });
    await daemon.waitForOutput(/listening to Telegram/);
    // The bot registered its command menu and is long polling.
    await telegram.waitFor(() => telegram.pollPending);
    assert.ok((telegram.commands ?? []).length > 0, 'setMyCommands was not called');
    // The heartbeat appears after the first cycle.
    await waitUntil(
      () =>
        stat(join(dir, 'data', 'heartbeat')).then(
          () => true,
          () => false,
        ),
      {
        what: 'the heartbeat file',
      },
    );

    const started = Date.now();
    const result = await daemon.stop('SIGTERM');
    assert.deepEqual(result, { code: 0, signal: null });
    assert.ok(Date.now() - started < 10_000, 'shutdown took 10 s or more');
    assert.match(daemon.output(), /shutting down/);
    // The lock is released: a second start on the same db succeeds at once.
    const again = startDaemon({ args: ['--config', path] });
    await again.waitForOutput(/listening to Telegram/);
    assert.deepEqual(await again.stop('SIGINT'), { code: 0, signal: null });
    // The generated secret key is private to the daemon's user.
    const mode = (await stat(join(dir, 'data', 'secret.key'))).mode & 0o777;
    assert.equal(mode, 0o600);
    assert.ok(!daemon.output().includes(TOKEN), 'the bot token reached the output');
  });

  it('refuses a second daemon on the same database, naming the lock', async () => {
    const dbPath = join(dir, 'twice', 'db.json');
    const path = await writeConfig('twice.json', {
      telegram: { token: TOKEN, apiRoot: telegram.apiRoot },
      poll: { intervalSeconds: 1 },
      dbPath,
    });
    const first = startDaemon({ args: ['--config', path] });
    await first.waitForOutput(/listening to Telegram/);
    const second = startDaemon({ args: ['--config', path] });
    const { code } = await second.exited;
    assert.notEqual(code, 0);
    assert.match(second.output(), /db\.json\.lock/);
    assert.deepEqual(await first.stop(), { code: 0, signal: null });
  });

  it('after kill -9, starts again at once (no crash loop under a supervisor) and delivers', async () => {
    const world = await createWorld({ botToken: CRASH_TOKEN });
    try {
      world.secrets.add(CRASH_OFFLINE_TOKEN);
      world.portal.addUser({ username: 'carol', offlineToken: CRASH_OFFLINE_TOKEN });
      world.portal.addCase({ number: '03456789', summary: 'Node not ready after reboot' });
      const carol = world.person(3003);
      const first = await world.start();
      await connect(carol, CRASH_OFFLINE_TOKEN);
      await follow(carol, '03456789');
      world.addComment('03456789', { body: 'Before the crash.' });
      await carol.waitFor(/Before the crash\./);

      first.process.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');
      // At once, with the dead daemon's lock still fresh: the old code exited 1 here ("start
      // again in 10 s"), which Restart=on-failure turned into a crash loop.
      const second = await world.restartAfterCrash();
      world.addComment('03456789', { body: 'After the crash.' });
      await carol.waitFor(/After the crash\./);
      assert.equal(second.process.exitCode, null, 'the restarted daemon still runs');
      await world.assertNoSecretLeaked();
    } finally {
      await world.close();
    }
  });

  it('waits for a lock taken on another host, says so once, and stops at once on SIGTERM', async () => {
    const dbDir = join(dir, 'shared');
    const dbPath = join(dbDir, 'db.json');
    await mkdir(`${dbPath}.lock`, { recursive: true });
    const otherHost = {
      pid: 4242,
      hostname: 'another-host.example',
      startedAt: '2024-05-01T10:00:00.000Z',
    };
    await writeFile(`${dbPath}.owner.json`, JSON.stringify(otherHost));
    const path = await writeConfig('shared.json', {
      telegram: { token: TOKEN, apiRoot: telegram.apiRoot },
      poll: { intervalSeconds: 1 },
      dbPath,
    });
    const daemon = startDaemon({ args: ['--config', path] });
    await daemon.waitForOutput(/waiting for the lock/);
    assert.equal(daemon.output().match(/waiting for the lock/g)?.length, 1);
    assert.match(daemon.output(), /another-host\.example/);

    const stopped = Date.now();
    const result = await daemon.stop('SIGTERM', 5_000);
    assert.notEqual(result.signal, 'SIGKILL', 'the wait kept the daemon alive after SIGTERM');
    assert.ok(Date.now() - stopped < 2_000, `stopping took ${Date.now() - stopped} ms`);
    assert.doesNotMatch(daemon.output(), /listening to Telegram/);
    // The other host's lock was left alone.
    assert.deepEqual(JSON.parse(await readFile(`${dbPath}.owner.json`, 'utf8')), otherHost);
  });

  it('refuses a corrupt db.json with the file named and leaves it untouched', async () => {
    const dbDir = join(dir, 'corrupt');
    const dbPath = join(dbDir, 'db.json');
    await rm(dbDir, { recursive: true, force: true });
    await mkdir(dbDir, { recursive: true });
    await writeFile(dbPath, '{"version":1,"chats":{');
    const path = await writeConfig('corrupt.json', {
      telegram: { token: TOKEN, apiRoot: telegram.apiRoot },
      dbPath,
    });
    const daemon = startDaemon({ args: ['--config', path] });
    const { code } = await daemon.exited;
    assert.notEqual(code, 0);
    assert.match(daemon.output(), new RegExp(dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await readFile(dbPath, 'utf8'), '{"version":1,"chats":{');
  });
});
