import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, parseCommandLine, runCli, USAGE, type CliActions } from '../src/cli.js';
import { DEFAULT_CONFIG_PATH } from '../src/config.js';

function recorder(): { io: Parameters<typeof runCli>[2]; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
    },
    out,
    err,
  };
}

function actions(calls: string[]): CliActions {
  return {
    version: () => '9.9.9',
    check: (args) => {
      calls.push(`check ${args.join(' ')}`);
      return Promise.resolve(EXIT.failure);
    },
    daemon: (path, explicit) => {
      calls.push(`daemon ${path} ${explicit}`);
      return Promise.resolve();
    },
  };
}

describe('command line', () => {
  it('runs the daemon on the default config, which may be absent', () => {
    assert.deepEqual(parseCommandLine([], {}), {
      kind: 'daemon',
      configPath: DEFAULT_CONFIG_PATH,
      explicit: false,
    });
  });

  it('takes --config, -c and PUSHBOT_CONFIG (the flag wins) as an explicit path', () => {
    assert.deepEqual(parseCommandLine(['--config', 'a.json'], { PUSHBOT_CONFIG: 'b.json' }), {
      kind: 'daemon',
      configPath: 'a.json',
      explicit: true,
    });
    assert.deepEqual(parseCommandLine(['-c', 'a.json'], {}), {
      kind: 'daemon',
      configPath: 'a.json',
      explicit: true,
    });
    assert.deepEqual(parseCommandLine([], { PUSHBOT_CONFIG: 'b.json' }), {
      kind: 'daemon',
      configPath: 'b.json',
      explicit: true,
    });
    assert.equal(
      (parseCommandLine([], { PUSHBOT_CONFIG: '' }) as { explicit: boolean }).explicit,
      false,
    );
  });

  it('hands everything after `check` to check, flags included', async () => {
    const calls: string[] = [];
    const { io } = recorder();
    const code = await runCli(['check', '--case', '01234567', '--help'], {}, io, actions(calls));
    assert.equal(code, EXIT.failure);
    assert.deepEqual(calls, ['check --case 01234567 --help']);
  });

  it('prints help and version on stdout with exit 0, and starts nothing', async () => {
    const calls: string[] = [];
    const help = recorder();
    assert.equal(await runCli(['--help'], {}, help.io, actions(calls)), EXIT.ok);
    assert.equal(help.out.join(''), `${USAGE}\n`);
    const version = recorder();
    assert.equal(await runCli(['-v'], {}, version.io, actions(calls)), EXIT.ok);
    assert.equal(version.out.join(''), '9.9.9\n');
    assert.deepEqual(calls, []);
  });

  it('refuses an unknown flag or a stray argument with the usage on stderr and exit 2', async () => {
    for (const argv of [['--conf', 'x'], ['start'], ['--config']]) {
      const calls: string[] = [];
      const r = recorder();
      assert.equal(await runCli(argv, {}, r.io, actions(calls)), EXIT.config, argv.join(' '));
      assert.match(r.err.join(''), /Usage: node dist\/main\.js/);
      assert.deepEqual(r.out, []);
      assert.deepEqual(calls, []);
    }
  });

  it('starts the daemon and leaves the exit to it', async () => {
    const calls: string[] = [];
    const r = recorder();
    assert.equal(await runCli(['-c', 'x.json'], {}, r.io, actions(calls)), undefined);
    assert.deepEqual(calls, ['daemon x.json true']);
  });
});
