// The benchmark's command line: what it accepts, its defaults, and the checks on each value.
import { parseArgs } from 'node:util';
import { npmStartNodeFlags } from '../test/_helpers/shipped-node-flags.js';
import type { BenchApi } from './_world.js';

/** The path the daemon should settle on ('hydra' for --api hydra, which has one). */
export type BenchPath = 'graphql' | 'graphql+rest' | 'rest' | 'hydra';
const V3_PATHS = ['graphql', 'graphql+rest', 'rest'] as const;

export interface Options {
  api: BenchApi;
  path: BenchPath;
  chats: number;
  cases: number;
  comments: number;
  burst: number;
  intervalSeconds: number;
  fullSweepEvery: number;
  quietCycles: number;
  history: number;
  /** Follow rules per chat (none by default): each costs nothing; a chat with any, one search. */
  rules: number;
  seed: number;
  nodeFlags: string[];
  json: string | undefined;
}

export const USAGE = `Usage: npm run bench [-- options]

  --api A               v3 (default, the daemon's default) or hydra (v1, the baseline)
  --path P              v3 only: graphql (default), graphql+rest or rest; the fake portal
                        offers only that path (graphql+rest: no comment relation in the
                        GraphQL schema; rest: GraphQL retired)
  --chats N             chats, each with its own portal credential (default 50)
  --cases M             followed cases per chat (default 10)
  --comments K          comments for the latency measurement (default 100)
  --burst B             comments added at once for the burst (default 500)
  --interval S          poll.intervalSeconds, at least 1 (default 1)
  --full-sweep-every F  poll.fullSweepEvery (default 10, the daemon's default)
  --quiet-cycles Q      quiet cycles measured (default 10)
  --history H           existing (seen) comments per case (default 5)
  --rules R             follow rules per chat (default 0), matching no case: the quiet cycle
                        then also costs one case search per credential, whatever R is
  --seed S              picks the same chats and cases again (default 1)
  --node-flags="F …"    node flags for the daemon (default: those of npm start and the Docker
                        image; --node-flags="" runs a bare node dist/main.js)
  --json FILE           also write every figure as JSON`;

/** The options, or 'help' when --help was asked for; throws on a bad value (message: USAGE). */
export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      api: { type: 'string' },
      path: { type: 'string' },
      chats: { type: 'string' },
      cases: { type: 'string' },
      comments: { type: 'string' },
      burst: { type: 'string' },
      interval: { type: 'string' },
      'full-sweep-every': { type: 'string' },
      'quiet-cycles': { type: 'string' },
      history: { type: 'string' },
      rules: { type: 'string' },
      seed: { type: 'string' },
      'node-flags': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const number = (name: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) {
      throw new Error(`--${name}: expected a number of at least ${min}, got "${text}"\n\n${USAGE}`);
    }
    return value;
  };
  const integer = (name: string, text: string | undefined, fallback: number, min: number) => {
    const value = number(name, text, fallback, min);
    if (!Number.isInteger(value)) throw new Error(`--${name}: expected a whole number\n\n${USAGE}`);
    return value;
  };
  const api = values.api ?? 'v3';
  if (api !== 'v3' && api !== 'hydra') {
    throw new Error(`--api: expected v3 or hydra, got "${api}"\n\n${USAGE}`);
  }
  if (api === 'hydra' && values.path !== undefined) {
    throw new Error(`--path: only with --api v3 (hydra has a single path)\n\n${USAGE}`);
  }
  const path = values.path ?? 'graphql';
  const v3Path = V3_PATHS.find((p) => p === path);
  if (v3Path === undefined) {
    throw new Error(`--path: expected ${V3_PATHS.join(', ')}, got "${path}"\n\n${USAGE}`);
  }
  return {
    api,
    path: api === 'hydra' ? 'hydra' : v3Path,
    chats: integer('chats', values.chats, 50, 1),
    cases: integer('cases', values.cases, 10, 1),
    comments: integer('comments', values.comments, 100, 1),
    burst: integer('burst', values.burst, 500, 1),
    intervalSeconds: number('interval', values.interval, 1, 1),
    fullSweepEvery: integer('full-sweep-every', values['full-sweep-every'], 10, 1),
    quietCycles: integer('quiet-cycles', values['quiet-cycles'], 10, 1),
    history: integer('history', values.history, 5, 0),
    rules: integer('rules', values.rules, 0, 0),
    seed: integer('seed', values.seed, 1, 0),
    nodeFlags:
      values['node-flags'] !== undefined
        ? values['node-flags'].split(/\s+/).filter((f) => f !== '')
        : npmStartNodeFlags(),
    json: values.json,
  };
}
