// Docker HEALTHCHECK: `node dist/healthcheck.js [heartbeat path]`. Exit 0 when the poll loop
// wrote its heartbeat recently (within 3 intervals + 60 s), 1 otherwise. It reads a file only:
// no config parsing, no network, no secrets, so it is cheap to run every 30 s.
//
// Path: the first argument, else "heartbeat" beside $PUSHBOT_DB_PATH, else ./data/heartbeat.
import { readFile, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_DB_PATH, type Env } from './config.js';

/** A cycle may be late by this many intervals before the daemon counts as stuck. */
export const HEALTHY_INTERVALS = 3;
/** Plus this, for a slow cycle (a full sweep of many cases) and clock jitter. */
export const HEALTHY_GRACE_MS = 60_000;

const heartbeatSchema = z.object({
  at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 date'),
  intervalSeconds: z.number().positive(),
});

export function heartbeatPathFrom(argv: readonly string[], env: Env): string {
  const explicit = argv[0];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const db = env.PUSHBOT_DB_PATH;
  return resolve(join(dirname(db !== undefined && db !== '' ? db : DEFAULT_DB_PATH), 'heartbeat'));
}

export function checkHeartbeat(text: string, nowMs: number): { healthy: boolean; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { healthy: false, reason: 'the heartbeat file is not JSON' };
  }
  const parsed = heartbeatSchema.safeParse(raw);
  if (!parsed.success)
    return { healthy: false, reason: 'the heartbeat file has an unexpected shape' };
  const ageMs = nowMs - Date.parse(parsed.data.at);
  const limitMs = HEALTHY_INTERVALS * parsed.data.intervalSeconds * 1000 + HEALTHY_GRACE_MS;
  const age = `${Math.round(ageMs / 1000)} s`;
  return ageMs <= limitMs
    ? { healthy: true, reason: `last poll cycle ${age} ago` }
    : {
        healthy: false,
        reason: `last poll cycle ${age} ago (limit ${Math.round(limitMs / 1000)} s): the poll loop looks stuck`,
      };
}

export async function runHealthcheck(
  argv: readonly string[],
  env: Env,
  nowMs: number,
): Promise<number> {
  const path = heartbeatPathFrom(argv, env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    process.stdout.write(
      `unhealthy: no heartbeat at ${path} (${code}); has a poll cycle finished yet?\n`,
    );
    return 1;
  }
  const result = checkHeartbeat(text, nowMs);
  process.stdout.write(`${result.healthy ? 'healthy' : 'unhealthy'}: ${result.reason}\n`);
  return result.healthy ? 0 : 1;
}

async function isEntryPoint(): Promise<boolean> {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return (await realpath(script)) === fileURLToPath(import.meta.url);
  } catch {
    // argv[1] is not a file we can resolve (node -e, a REPL): not run as a script.
    return false;
  }
}

if (await isEntryPoint()) {
  process.exitCode = await runHealthcheck(process.argv.slice(2), process.env, Date.now());
}
