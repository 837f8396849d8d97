#!/usr/bin/env node
// Runs every test file under test/ with node's built-in runner (TAP output, so CI can read the
// "# pass N / # fail N" summary). Node 20's --test neither expands globs nor finds .ts files,
// so the files are listed here. A run that finds no file, or files with no test, fails.
//
// Usage: node scripts/run-tests.mjs [path-prefix ...]   (e.g. `npm test -- test/store`)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const TEST_FILE = /\.test\.ts$/;
// Files run in parallel subprocesses; most tests wait on loopback I/O, not the CPU.
const CONCURRENCY = process.env.TEST_CONCURRENCY ?? '3';
// The test CA (test/_helpers/tls/README.md): the fake Slack is an HTTPS server with a
// certificate it signed. Node reads NODE_EXTRA_CA_CERTS only at start-up, so it is set for the
// runner here, and every test file's process inherits it. It replaces a value of the caller's
// (node takes one file): tests talk to loopback fakes only, never to a real server.
const TEST_CA_CERT_FILE = join(root, 'test', '_helpers', 'tls', 'ca.crt');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else if (TEST_FILE.test(name)) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2).map((p) => relative(root, join(process.cwd(), p)));
const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter(
    (f) =>
      filters.length === 0 ||
      filters.some((p) => f === p || f.startsWith(p + sep) || f.startsWith(p)),
  );

if (files.length === 0) {
  console.error(
    `run-tests: no test files found${filters.length ? ` under ${filters.join(', ')}` : ''}`,
  );
  process.exit(1);
}

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=tap',
    `--test-concurrency=${CONCURRENCY}`,
    ...files,
  ],
  {
    cwd: root,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: TEST_CA_CERT_FILE },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);

let tests = -1;
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail += chunk.toString('utf8');
  const lines = tail.split('\n');
  tail = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^# tests (\d+)$/.exec(line);
    if (m) tests = Number(m[1]);
  }
});
child.on('close', (code, signal) => {
  const m = /^# tests (\d+)$/.exec(tail);
  if (m) tests = Number(m[1]);
  if (signal) {
    console.error(`run-tests: test runner killed by ${signal}`);
    process.exit(1);
  }
  if (tests <= 0) {
    console.error('run-tests: the runner found 0 tests; failing on purpose');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
