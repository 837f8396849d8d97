// The built daemon as a child process, for the benchmark, and what /proc says about it.
//
// Why not test/_helpers/daemon.ts: at log level debug the daemon writes one line per portal
// request, so a 10,000-subscription run prints hundreds of thousands of lines. That helper keeps
// the whole output in memory (and rescans it for every waiter); this one hands each JSON line
// to listeners as it arrives and keeps only a bounded tail for the failure message.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { assertBuilt, MAIN_JS } from '../test/_helpers/daemon.js';

/** Lines of output kept for the message when the run fails. */
const TAIL_LINES = 60;
/** Warnings and errors kept (the first ones) for the report. */
const NOTABLE_LINES = 20;
const NOTABLE_LEVELS = new Set(['warn', 'error', 'fatal']);
/** Kernel clock ticks per second when `getconf CLK_TCK` cannot tell (the Linux default). */
const DEFAULT_CLOCK_TICKS_PER_SECOND = 100;
const KIB = 1024;
const MB = 1_000_000;

/** A pino line as the daemon writes it; the fields each listener needs are checked there. */
const logLineSchema = z.looseObject({ level: z.string(), msg: z.string() });
export type LogLine = z.infer<typeof logLineSchema>;
const errMessageSchema = z.looseObject({ message: z.string() });

export interface DaemonProcess {
  readonly pid: number;
  /** `at` is performance.now() in the bench process when the line was read. */
  onLine(listener: (line: LogLine, at: number) => void): void;
  /** Lines per level so far (warn, error, fatal are worth a look). */
  readonly levels: ReadonlyMap<string, number>;
  /** The first warn/error/fatal lines: level, message and the error's message if any. */
  readonly notable: readonly string[];
  /** The last lines of output (stdout and stderr), for a failure message. */
  tail(): string;
  /** Resolves once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly hasExited: boolean;
  /** Sends `signal`, then SIGKILL after `timeoutMs`; resolves with how it ended. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnDaemon(options: {
  configPath: string;
  env: Record<string, string>;
  /** Extra node flags before the script (e.g. V8 heap sizes); none by default. */
  nodeFlags?: readonly string[];
}): DaemonProcess {
  assertBuilt();
  const args = [...(options.nodeFlags ?? []), MAIN_JS, '--config', options.configPath];
  const child = spawn(process.execPath, args, {
    // A clean environment: nothing from the shell (proxies, tokens) reaches the daemon.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not start the daemon (no pid)');
  const pid = child.pid;
  const listeners: ((line: LogLine, at: number) => void)[] = [];
  const levels = new Map<string, number>();
  const notable: string[] = [];
  const tail: string[] = [];
  const keep = (text: string): void => {
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
  };

  createInterface({ input: child.stdout }).on('line', (text) => {
    const at = performance.now();
    keep(text);
    if (!text.startsWith('{')) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // A line cut by the pipe or not pino's: kept in the tail, nothing to measure in it.
      void err;
      return;
    }
    const parsed = logLineSchema.safeParse(value);
    if (!parsed.success) return;
    levels.set(parsed.data.level, (levels.get(parsed.data.level) ?? 0) + 1);
    if (NOTABLE_LEVELS.has(parsed.data.level) && notable.length < NOTABLE_LINES) {
      const err = errMessageSchema.safeParse(parsed.data.err);
      notable.push(
        `${parsed.data.level}: ${parsed.data.msg}${err.success ? ` (${err.data.message})` : ''}`,
      );
    }
    for (const listener of listeners) listener(parsed.data, at);
  });
  createInterface({ input: child.stderr }).on('line', (text) => keep(`[stderr] ${text}`));

  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
  });

  return {
    pid,
    onLine: (listener) => {
      listeners.push(listener);
    },
    levels,
    notable,
    tail: () => tail.join('\n'),
    exited,
    get hasExited() {
      return ended;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 12_000) {
      if (!ended) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticksPerSecond =
        Number.isInteger(value) && value > 0 ? value : DEFAULT_CLOCK_TICKS_PER_SECOND;
    } catch (err) {
      void err; // no getconf: Linux has used 100 for decades
      ticksPerSecond = DEFAULT_CLOCK_TICKS_PER_SECOND;
    }
  }
  return ticksPerSecond;
}

/** CPU time the process has used so far (user + system), in ms, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 once pid and comm are gone.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot read the CPU time of process ${pid} from /proc`);
  }
  return ((utime + stime) * 1000) / clockTicksPerSecond();
}

/**
 * Resident memory from /proc/<pid>/status, in MB (10^6 bytes): now (VmRSS), its peak since start
 * (VmHWM), and now split into anonymous memory (RssAnon: heaps, buffers; what the process itself
 * allocated) and file-backed pages (RssFile: mostly the node binary's code, shared with every
 * other node process and reclaimable).
 */
export function memoryMB(pid: number): { rss: number; peak: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match?.[1]) throw new Error(`no ${name} in /proc/${pid}/status`);
    return (Number(match[1]) * KIB) / MB;
  };
  return { rss: mb('VmRSS'), peak: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/**
 * Bytes the process has read so far through read-type system calls (rchar in /proc/<pid>/io):
 * between two cycle lines of a running daemon that is what it received from its sockets (the
 * portal's answers, Telegram's), as it reads no file then.
 */
export function readBytes(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const match = /^rchar:\s+(\d+)$/m.exec(io);
  if (!match?.[1]) throw new Error(`no rchar in /proc/${pid}/io`);
  return Number(match[1]);
}
