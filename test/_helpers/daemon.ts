// Runs the BUILT daemon (dist/main.js) as a child process, as users do, and watches its output.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_CA_CERT_FILE } from './tls/test-ca.js';

export const MAIN_JS = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface RunningDaemon {
  readonly process: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Parsed JSON log lines from stdout. */
  logs(): Record<string, unknown>[];
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: run "npm run build" first (npm test does it)`);
  }
}

export function startDaemon(options: {
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}): RunningDaemon {
  assertBuilt();
  const child = spawn(process.execPath, [MAIN_JS, ...(options.args ?? [])], {
    cwd: options.cwd,
    // A clean environment: nothing from the developer's shell (proxies, tokens) leaks in. The
    // test CA is trusted (the fake Slack speaks HTTPS, as Slack does; tls/README.md): node
    // reads NODE_EXTRA_CA_CERTS only at start-up, so it must be in the child's environment.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_EXTRA_CA_CERTS: TEST_CA_CERT_FILE,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let all = '';
  const waiters = new Set<() => void>();
  const onData = (isStdout: boolean) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (isStdout) stdout += text;
    all += text;
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData(true));
  child.stderr?.on('data', onData(false));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  let ended = false;
  void exited.then(() => {
    ended = true;
  });

  return {
    process: child,
    output: () => all,
    logs: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    waitForOutput(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(all);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`daemon exited before printing ${String(pattern)}; output:\n${all}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)}; output:\n${all}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
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
