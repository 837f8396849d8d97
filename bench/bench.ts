// The benchmark: the BUILT daemon (dist/main.js) against the loopback fake portal and fake
// Telegram Bot API, with N chats × M followed cases, each chat with its own portal credential.
//
// Run: npm run bench [-- --chats 500 --cases 20] [--api v3|hydra] [--path graphql|graphql+rest|rest]
//      (npm run bench builds first; --help lists every option, see options.ts)
//
// API and path: the daemon's default API is v3 (Red Hat's GraphQL + REST v3); it reads each
// credential's cases through path "graphql" (one GraphQL request per ≤ 100 cases, comments
// included), "graphql+rest" (the same batch without comments, plus a REST v3 comment list for
// each case that moved) or "rest" (a REST v3 comment list per case per cycle), settling on the
// best one the portal answers. The bench makes the fake portal offer exactly one: for
// graphql+rest its GraphQL schema lacks the comment relation, for rest GraphQL is retired.
// --api hydra runs v1 (switched off by Red Hat on 2026-09-21), kept as the baseline.
//
// This file is the order of things; each phase is a file in phases/, the table is report.ts:
//   0. the world: fakes started, the state pre-written (_world.ts), config.json written;
//   memory floor: the same daemon on an empty state for a few cycles (phases/memory.ts);
//   1. start: the daemon on the world's state, its first cycle (phases/start.ts);
//   2. quiet: quiet cycles and the next background sweep (phases/quiet.ts);
//   3. latency: comments one at a time, portal → Telegram (phases/latency.ts);
//   4. burst: many comments at once, drained at Telegram's pace (phases/burst.ts);
//   5. stop: SIGTERM, a valid db.json with an empty outbox (phases/stop.ts); the memory rows,
//      the run's readings above the floor (phases/memory.ts);
//   6. restart: the daemon again on that db.json (phases/restart.ts).
//
// Prints a table with each target and PASS/FAIL; exits 1 if any target is missed, a message
// was lost or duplicated, or the daemon misbehaved (2 on a bad option). Everything it starts is
// stopped and its temp folder removed, also on failure and on Ctrl-C.
import { rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakePortal } from '../test/_helpers/fake-portal.js';
import { startFakeTelegram } from '../test/_helpers/fake-telegram.js';
import { buildWorld } from './_world.js';
import { Cleanup } from './cleanup.js';
import { parseOptions, USAGE, type Options } from './options.js';
import { measureBurst } from './phases/burst.js';
import { measureLatency } from './phases/latency.js';
import { measureFloor, reportMemory } from './phases/memory.js';
import { measureQuiet } from './phases/quiet.js';
import { measureRestart } from './phases/restart.js';
import { startDaemon } from './phases/start.js';
import { stopAndCheck } from './phases/stop.js';
import {
  describeMachine,
  fmt,
  loadAverage,
  printReport,
  Rows,
  seconds,
  writeJson,
  type Report,
} from './report.js';
import { BOT_TOKEN, MS_PER_S, SECRET_KEY, writeDaemonConfig, type Bench } from './session.js';

/** The GraphQL field whose absence makes path graphql step down to graphql+rest. */
const COMMENT_RELATION_FIELD = 'RedHatSupportCase.CaseComments__r';
/** Exit codes: a target missed or the run failed; a bad option; stopped by a signal. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGNAL = 130;

/** The fakes, the world's state in db.json and the daemon's config, in a new temp folder. */
async function setUp(options: Options, cleanup: Cleanup): Promise<Bench> {
  const subscriptions = options.chats * options.cases;
  const say = (text: string) =>
    console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
  const dir = await mkdtemp(join(tmpdir(), 'pushbot-bench-'));
  cleanup.add(
    'remove the temp folder',
    () => rm(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  const dbPath = join(dir, 'data', 'db.json');
  const portal = await startFakePortal();
  cleanup.add('close the fake portal', () => portal.close());
  // The fake offers exactly the path measured: the daemon settles on the best that answers.
  if (options.path === 'graphql+rest') portal.setGraphqlSchema({ omit: [COMMENT_RELATION_FIELD] });
  if (options.path === 'rest') portal.retire('graphql');
  const telegram = await startFakeTelegram({ token: BOT_TOKEN });
  cleanup.add('close the fake Telegram', () => telegram.close());

  say(`writing ${fmt(subscriptions)} subscriptions for ${options.chats} chats`);
  const world = await buildWorld({
    portal,
    api: options.api,
    chats: options.chats,
    casesPerChat: options.cases,
    historyPerCase: options.history,
    rulesPerChat: options.rules,
    secretKey: SECRET_KEY,
    dbPath,
  });
  say(
    `read the existing comments through ${[...world.seededPaths.keys()].join(', ')}: ` +
      `${fmt(world.seedRequests)} requests in ${seconds(world.seedMs, 1)}`,
  );
  const configPath = join(dir, 'config.json');
  await writeDaemonConfig({ options, telegram, world }, { configPath, dbPath });
  return {
    options,
    intervalMs: options.intervalSeconds * MS_PER_S,
    subscriptions,
    portal,
    telegram,
    world,
    dir,
    dbPath,
    configPath,
    rows: new Rows(),
    figures: {},
    say,
    cleanup,
  };
}

async function run(options: Options, cleanup: Cleanup): Promise<Report> {
  const machine = describeMachine();
  const runStart = performance.now();
  const bench = await setUp(options, cleanup);
  const dbBytesAtStart = statSync(bench.dbPath).size;

  const floor = await measureFloor(bench);
  const { session, first } = await startDaemon(bench);
  const quiet = await measureQuiet(session, first);
  const { longestCycleMs } = quiet;
  const samples = await measureLatency(session, longestCycleMs);
  await measureBurst(session, longestCycleMs);
  const { endMemory } = await stopAndCheck(session, { samples, dbBytesAtStart });
  reportMemory(bench, {
    floor,
    settledMB: quiet.settledRssMB,
    quietCycles: quiet.quietCycles,
    steady: quiet.steadyMemory,
    end: endMemory,
  });
  await measureRestart(bench);

  machine.loadAtEnd = loadAverage();
  machine.duration = seconds(performance.now() - runStart, 0);
  const rows = bench.rows.all();
  return {
    machine,
    options,
    subscriptions: bench.subscriptions,
    rows,
    passed: rows.every((r) => r.pass !== false),
    figures: bench.figures,
  };
}

async function main(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return EXIT_USAGE;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the daemon and removing the temp folder`);
    cleanup.runUrgent();
    process.exit(EXIT_SIGNAL);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await run(options, cleanup);
    printReport(report);
    if (options.json !== undefined) await writeJson(options.json, report);
    return report.passed ? 0 : EXIT_FAILED;
  } catch (err) {
    console.error('benchmark failed:', err instanceof Error ? err.message : err);
    return EXIT_FAILED;
  } finally {
    await cleanup.run();
  }
}

process.exitCode = await main();
