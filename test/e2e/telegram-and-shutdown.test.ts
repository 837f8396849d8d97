// End to end, the daemon's edges in time: Telegram not reachable when it starts (it waits and
// keeps working), Telegram saying no for good (it exits saying why), and a stop while a send
// hangs (it stops within Docker's grace period, store closed and lock released, so a second
// daemon starts at once and delivers what was pending).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon } from '../_helpers/daemon.js';
import { waitUntil } from '../_helpers/wait.js';
import { NEW_COMMENT, WAIT_MS, connect, createWorld, follow, type World } from './_support.js';

const BOT_TOKEN = '700006:E2E-edges-bot-token-abcdefghijklmnopq';
const SECRET_KEY = 'e2e-edges-secret-key-0123456789';
const OFFLINE_TOKEN = 'e2e-edges-offline-token-abcdefghijklmnopqrstuvw';
const CASE = '06789012';
const FRANK = 6006;

describe('the daemon at the edges of its life', () => {
  let world: World;

  before(async () => {
    world = await createWorld({ botToken: BOT_TOKEN, secretKey: SECRET_KEY, probeTelegram: true });
    world.secrets.add(OFFLINE_TOKEN);
    world.portal.addUser({ username: 'frank', offlineToken: OFFLINE_TOKEN });
    world.portal.addCase({ number: CASE, summary: 'Disk latency spikes' });
  });
  after(async () => {
    await world.close();
  });

  const bare = () =>
    startDaemon({
      args: ['--config', world.configPath],
      env: { PUSHBOT_SECRET_KEY: SECRET_KEY },
      cwd: world.dir,
    });

  it('exits 1 saying the bot token is wrong when Telegram answers 401 at start', async () => {
    world.telegram.failNext({ method: 'getMe', errorCode: 401, description: 'Unauthorized' });
    const daemon = bare();
    const { code } = await daemon.exited;
    assert.equal(code, 1);
    assert.match(daemon.output(), /Telegram rejected the bot token \(401\)/);
  });

  it('exits 1 naming the other poller when Telegram answers 409', async () => {
    world.telegram.failNext({
      method: 'getUpdates',
      errorCode: 409,
      description: 'Conflict: terminated by other getUpdates request',
    });
    const daemon = bare();
    const { code } = await daemon.exited;
    assert.equal(code, 1);
    assert.match(
      daemon.output(),
      /another program is polling Telegram with this bot token \(409\)/,
    );
  });

  it('waits for Telegram when it is not reachable at start, polling the portal meanwhile', async () => {
    world.telegram.failNext({
      method: 'getMe',
      errorCode: 502,
      description: 'Bad Gateway',
      times: 2,
    });
    const daemon = world.start();
    const running = await daemon;
    const output = running.output();
    assert.equal((output.match(/cannot reach Telegram yet/g) ?? []).length, 2);
    // The poll loop ran before Telegram answered.
    assert.ok(
      output.indexOf('poll cycle done') < output.indexOf('listening to Telegram'),
      'no poll cycle before Telegram was reached',
    );
  });

  it('stops within 10 s while a send hangs, and a second daemon starts at once and delivers it', async () => {
    const frank = world.person(FRANK);
    await connect(frank, OFFLINE_TOKEN);
    await follow(frank, CASE);
    const first = world.daemons.at(-1);
    assert.ok(first);
    world.telegram.delayNext('sendMessage', 60_000);
    world.addComment(CASE, { body: 'Sent while the daemon stops.' });
    await waitUntil(() => (world.probe?.inFlight('sendMessage') ?? 0) > 0, {
      timeoutMs: WAIT_MS,
      what: 'the send to hang',
    });
    const stopping = Date.now();
    const result = await first.stop('SIGTERM', 15_000);
    assert.equal(result.code, 0, first.output().slice(-2000));
    assert.ok(Date.now() - stopping < 10_000, `stopped in ${Date.now() - stopping} ms`);
    // No wait for a stale lock: the store was closed and its lock released.
    const second = await world.start();
    await frank.waitFor(/Sent while the daemon stops\./, 0, WAIT_MS);
    assert.ok(frank.matching(NEW_COMMENT).length >= 1);
    await second.stop('SIGTERM');
  });
});
