// What the phases share: the run's setting (options, fakes, world, files, report), the running
// daemon and its meters, and the few steps more than one phase takes (starting a daemon as
// users do, writing its config, reading the committed outbox).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseState } from '../src/store/schema.js';
import type { FakePortal } from '../test/_helpers/fake-portal.js';
import type { FakeTelegram } from '../test/_helpers/fake-telegram.js';
import { spawnDaemon, type DaemonProcess } from './_daemon-process.js';
import type { CycleRecord, CycleTracker, SendWatcher } from './_meters.js';
import { median } from './_stats.js';
import type { World } from './_world.js';
import type { Cleanup } from './cleanup.js';
import type { Options } from './options.js';
import type { Rows } from './report.js';

export const BOT_TOKEN = '987654321:BENCH-bot-token-abcdefghijklmnopqrstuvwxyz0123';
export const SECRET_KEY = 'bench-secret-key-0123456789abcdef';
export const MS_PER_S = 1000;
/** Waits for a start scale with the work: a base plus a share per subscription. */
const STARTUP_TIMEOUT_MS = 60_000;
const STARTUP_TIMEOUT_PER_SUBSCRIPTION_MS = 10;

/** The run's setting, before the daemon starts. */
export interface Bench {
  options: Options;
  intervalMs: number;
  subscriptions: number;
  portal: FakePortal;
  telegram: FakeTelegram;
  world: World;
  /** The temp folder: everything the run writes is in it. */
  dir: string;
  dbPath: string;
  configPath: string;
  rows: Rows;
  /** Every figure, for --json. */
  figures: Record<string, unknown>;
  say: (text: string) => void;
  cleanup: Cleanup;
}

/** The setting plus the daemon under measurement and what watches it. */
export interface Session extends Bench {
  daemon: DaemonProcess;
  tracker: CycleTracker;
  watcher: SendWatcher;
}

/** How long a start (spawn to the end of its first cycle) may take for `subscriptions`. */
export function startupTimeoutMs(subscriptions: number): number {
  return STARTUP_TIMEOUT_MS + subscriptions * STARTUP_TIMEOUT_PER_SUBSCRIPTION_MS;
}

/**
 * The built daemon with the node flags measured, killed by the cleanup if still running at the
 * end of the run (a SIGKILL on Ctrl-C).
 */
export function launchDaemon(bench: Bench, configPath: string, name: string): DaemonProcess {
  const daemon = spawnDaemon({
    configPath,
    env: { PUSHBOT_SECRET_KEY: SECRET_KEY },
    nodeFlags: bench.options.nodeFlags,
  });
  bench.cleanup.add(
    `stop the ${name}`,
    () => daemon.stop('SIGTERM'),
    () => {
      if (!daemon.hasExited) process.kill(daemon.pid, 'SIGKILL');
    },
  );
  return daemon;
}

/**
 * The daemon's config.json: the fakes' addresses (nothing leaves loopback), the run's interval
 * and sweep period, log level debug (the per-cycle figures and store writes are debug lines).
 */
export async function writeDaemonConfig(
  bench: Pick<Bench, 'options' | 'telegram' | 'world'>,
  paths: { configPath: string; dbPath: string },
): Promise<void> {
  const { options, telegram, world } = bench;
  await mkdir(dirname(paths.configPath), { recursive: true });
  await writeFile(
    paths.configPath,
    JSON.stringify({
      telegram: { token: BOT_TOKEN, apiRoot: telegram.apiRoot },
      portal: {
        api: world.portal.api,
        baseUrl: world.portal.baseUrl,
        // Set for every API: the default is Red Hat's real endpoint; everything stays on loopback.
        graphqlUrl: world.portal.graphqlUrl,
        tokenUrl: world.portal.tokenUrl,
      },
      poll: { intervalSeconds: options.intervalSeconds, fullSweepEvery: options.fullSweepEvery },
      dbPath: paths.dbPath,
      log: { level: 'debug' },
    }),
  );
}

export function syncPortalClock(portal: FakePortal): void {
  // The fake's clock stands still unless moved; new comments must carry today's time so the
  // daemon's changed-cases filter (since = last check − margin) sees them.
  const behind = Date.now() - portal.now();
  if (behind > 0) portal.advanceTime(behind);
}

/** The outbox of the committed state in db.json (throws if the file is not a valid state). */
export async function readOutboxLength(dbPath: string): Promise<number> {
  const raw: unknown = JSON.parse(await readFile(dbPath, 'utf8'));
  return parseState(raw).outbox.length;
}

/** A cycle record for the JSON figures: without the per-request round trips (20,000 in a sweep). */
export function compact({ requestMs, ...cycle }: CycleRecord): Omit<CycleRecord, 'requestMs'> & {
  requestMsMedian: number;
} {
  return { ...cycle, requestMsMedian: median(requestMs) };
}
