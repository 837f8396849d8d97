// `tickets-pushbot check`, run as users run it: the BUILT daemon (`node dist/main.js check …`)
// as a child process with a controlled environment, against the loopback fake Red Hat portal
// and the fake Telegram Bot API. Run `npm run build` first (npm test does).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertBuilt, MAIN_JS } from '../_helpers/daemon.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import { startFakeTelegram, type FakeTelegram } from '../_helpers/fake-telegram.js';

const BOT_TOKEN = '7005550123:AAcheckTestBotTokenSecretPart0123456789ab';
const OTHER_BOT_TOKEN = '7005550123:AAsomeOtherTokenBotFatherNeverIssued9876';
const BOT_USERNAME = 'pushbot_check_bot';
const ALICE = {
  username: 'alice-check',
  offlineToken: 'check-offline-token-alice-0123456789abcdefghijklmnopqrstuvwxyz',
  email: 'alice.check@example.com',
};
const BOB = {
  username: 'bob-check',
  password: 'check-password-bob-s3cret!',
  email: 'bob.check@example.org',
};
const CASE = '01234567';
/** A run of `check` takes about a second; this is for a loaded CI machine. */
const RUN_TIMEOUT_MS = 20_000;

const FIXTURE_DIR = fileURLToPath(new URL('../store/fixtures/v1-era/', import.meta.url));
const FIXTURE_KEY = 'v1-era-fixture-secret-key-0123456789';
const FIXTURE_ALICE_TOKEN = 'v1-era-offline-token-alice-abcdefghijklmnopqrstuvwxyz';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface World {
  dir: string;
  configPath: string;
  dbPath: string;
  portal: FakePortal;
  telegram: FakeTelegram;
  /** `node dist/main.js check --config <config> …args` with only `env` (plus PATH and HOME). */
  check(args: string[], env?: Record<string, string>): Promise<Run>;
}

async function withWorld(
  options: { portal?: Record<string, unknown> },
  body: (world: World) => Promise<void>,
): Promise<void> {
  assertBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'pushbot-check-'));
  const portal = await startFakePortal();
  const telegram = await startFakeTelegram({ token: BOT_TOKEN, botUsername: BOT_USERNAME });
  const dbPath = join(dir, 'data', 'db.json');
  const configPath = join(dir, 'config.json');
  const config = {
    telegram: { apiRoot: telegram.apiRoot },
    portal: {
      api: 'v3',
      baseUrl: portal.v3BaseUrl,
      graphqlUrl: portal.graphqlUrl,
      tokenUrl: portal.tokenUrl,
      timeoutSeconds: 5,
      ...options.portal,
    },
    dbPath,
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));
  portal.addUser({ ...ALICE, visibleCases: 'all' });
  portal.addUser({ ...BOB, visibleCases: 'all' });
  portal.addCase({ number: CASE, summary: 'Pods fail to schedule after upgrade' });
  portal.addComment(CASE, { authorType: 'Associate', body: 'Please attach a sosreport.' });

  const world: World = {
    dir,
    configPath,
    dbPath,
    portal,
    telegram,
    check: (args, env = {}) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [MAIN_JS, 'check', '--config', configPath, ...args], {
          cwd: dir,
          // Nothing from the developer's shell (proxies, tokens) leaks in; stdin is not a TTY.
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: dir,
            TELEGRAM_BOT_TOKEN: BOT_TOKEN,
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      }),
  };
  try {
    await body(world);
  } finally {
    await Promise.all([portal.close(), telegram.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}

const asAlice = { PUSHBOT_CHECK_TOKEN: ALICE.offlineToken };
const asBob = { PUSHBOT_CHECK_USER: BOB.username, PUSHBOT_CHECK_PASSWORD: BOB.password };

/** The run's output, shown when an assertion fails. */
const shown = (run: Run): string =>
  `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;

type Verdict = 'PASS' | 'FAIL' | 'WARN' | 'INFO' | 'SKIP';

/** Lines as `check` prints them: a verdict, two spaces, the finding (`rest`). */
function findings(run: Run): { verdict: string; rest: string; line: string }[] {
  return run.stdout.split('\n').flatMap((line) => {
    const m = /^(PASS|FAIL|WARN|INFO|SKIP) {2}(.*)$/.exec(line);
    return m?.[1] !== undefined && m[2] !== undefined ? [{ verdict: m[1], rest: m[2], line }] : [];
  });
}

/** The finding with this verdict whose text matches `pattern` (anchored at the subject). */
function assertLine(run: Run, verdict: Verdict, pattern: RegExp): string {
  const found = findings(run).find((f) => f.verdict === verdict && pattern.test(f.rest));
  assert.ok(found !== undefined, `no ${verdict} line matches ${String(pattern)}\n${shown(run)}`);
  return found.rest;
}

function assertNoVerdict(run: Run, verdicts: readonly Verdict[]): void {
  const found = findings(run).find((f) => (verdicts as readonly string[]).includes(f.verdict));
  assert.equal(found?.line, undefined, `unexpected ${verdicts.join('/')} line\n${shown(run)}`);
}

function assertNotIn(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) {
    assert.ok(secret.length >= 8, 'a secret this short would match by chance');
    assert.ok(!text.includes(secret), `${where} contains a secret (${secret.slice(0, 6)}…)`);
  }
}

/** The indented lines under the first finding with this verdict matching `heading`. */
function section(run: Run, verdict: Verdict, heading: RegExp): string[] {
  const lines = run.stdout.split('\n');
  const prefix = `${verdict}  `;
  const start = lines.findIndex(
    (l) => l.startsWith(prefix) && heading.test(l.slice(prefix.length)),
  );
  assert.ok(start >= 0, `no section ${String(heading)}\n${shown(run)}`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(' ')) break;
    out.push(line);
  }
  return out;
}

function commentIn(lines: readonly string[], text: string): string {
  const line = lines.find((l) => l.includes(text));
  assert.ok(line !== undefined, `no comment "${text}" in:\n${lines.join('\n')}`);
  return line;
}

describe('tickets-pushbot check', () => {
  it('passes every probe with an offline token and settles on the graphql path (exit 0)', async () => {
    await withWorld({}, async (w) => {
      const run = await w.check([], asAlice);
      assert.equal(run.code, 0, shown(run));
      assertLine(run, 'INFO', /^proxy: none; direct connections/);
      assertLine(
        run,
        'PASS',
        /^SSO token exchange \(HTTP 200\): access token issued for alice-check/,
      );
      assertLine(
        run,
        'PASS',
        /^GraphQL \(HTTP 200\): reads cases and their comments \(CaseComments__r\); every field/,
      );
      assertLine(
        run,
        'PASS',
        /^REST v3 \(HTTP 200\): POST \/support\/v3\/cases\/filter answered; the account sees 1 case/,
      );
      assertLine(run, 'PASS', new RegExp(`^Telegram getMe \\(HTTP 200\\): @${BOT_USERNAME}`));
      assertLine(run, 'PASS', /^path: graphql: /);
      assertLine(
        run,
        'INFO',
        /^quiet-cycle cost: 1 request every 60 s .*per 100 followed cases \(graphql: ⌈cases\/100⌉ per credential\)/,
      );
      assertNoVerdict(run, ['FAIL', 'WARN']);
      assert.match(run.stdout, /\nExit 0: the daemon would work\n$/);
      assertNotIn(
        run.stdout + run.stderr,
        [ALICE.offlineToken, BOT_TOKEN, ...w.portal.issuedAccessTokens()],
        'the output',
      );
    });
  });

  it('says so when GraphQL refuses the comment relation, and settles on graphql+rest', async () => {
    await withWorld({}, async (w) => {
      w.portal.setGraphqlSchema({ omit: ['RedHatSupportCase.CaseComments__r'] });
      const run = await w.check([], asAlice);
      assert.equal(run.code, 0, shown(run));
      assertLine(
        run,
        'WARN',
        /^GraphQL \(HTTP 200\): reads cases, but Red Hat refused the comment relation CaseComments__r/,
      );
      assertLine(run, 'PASS', /^path: graphql\+rest: /);
      assertLine(
        run,
        'INFO',
        /^quiet-cycle cost: .*plus one REST v3 comment list per case that changed/,
      );
    });
  });

  it('lists optional GraphQL fields the portal refuses and keeps the graphql path', async () => {
    await withWorld({}, async (w) => {
      w.portal.setGraphqlSchema({
        omit: ['RedHatSupportCaseComment__c.Visibility__c', 'RedHatSupportCase.Group__r'],
      });
      const run = await w.check([], asAlice);
      assert.equal(run.code, 0, shown(run));
      const line = assertLine(run, 'PASS', /^GraphQL \(HTTP 200\): .*refused optional fields: /);
      assert.match(line, /Visibility__c/);
      assert.match(line, /Group__r/);
      assertLine(run, 'PASS', /^path: graphql: /);
    });
  });

  it('falls back to the rest path when GraphQL is gone', async () => {
    await withWorld({}, async (w) => {
      w.portal.retire('graphql');
      const run = await w.check([], asAlice);
      assert.equal(run.code, 0, shown(run));
      assertLine(run, 'WARN', /^GraphQL \(HTTP 404\): There is no GraphQL API/);
      assertLine(run, 'PASS', /^REST v3 \(HTTP 200\)/);
      assertLine(run, 'PASS', /^path: rest: /);
      assertLine(
        run,
        'INFO',
        /^quiet-cycle cost: 100 requests every 60 s \(poll\.intervalSeconds\) per 100 followed cases \(rest: one per followed case\)/,
      );
    });
  });

  it("fails the SSO line with the portal's invalid_grant and what to do, for a wrong offline token (exit 1)", async () => {
    await withWorld({}, async (w) => {
      const wrong = 'wrong-offline-token-0123456789abcdefghijklmnopqrstuvwxyz';
      const run = await w.check([], { PUSHBOT_CHECK_TOKEN: wrong });
      assert.equal(run.code, 1, shown(run));
      const line = assertLine(run, 'FAIL', /^SSO token exchange \(HTTP 400\): /);
      assert.match(line, /invalid_grant/);
      assert.match(line, /https:\/\/access\.redhat\.com\/management\/api/);
      assertLine(run, 'SKIP', /^GraphQL and REST v3: /);
      assertLine(run, 'FAIL', /^path: /);
      assert.match(run.stdout, /\nExit 1: the daemon would not work: no way to read Red Hat cases/);
      assertNotIn(run.stdout + run.stderr, [wrong], 'the output');
    });
  });

  it("fails getMe with Telegram's description for a bad bot token (exit 1)", async () => {
    await withWorld({}, async (w) => {
      const run = await w.check([], { ...asAlice, TELEGRAM_BOT_TOKEN: OTHER_BOT_TOKEN });
      assert.equal(run.code, 1, shown(run));
      const line = assertLine(
        run,
        'FAIL',
        /^Telegram getMe \(HTTP 401\): Telegram says: "Unauthorized"/,
      );
      assert.match(line, /@BotFather/);
      assertLine(run, 'PASS', /^path: graphql: /);
      assert.match(
        run.stdout,
        /\nExit 1: the daemon would not work: Telegram refused the bot token/,
      );
      assertNotIn(run.stdout + run.stderr, [OTHER_BOT_TOKEN], 'the output');
    });
  });

  it('exits 2 on an invalid configuration, naming the key', async () => {
    await withWorld({ portal: { api: 'soap' } }, async (w) => {
      const run = await w.check([], asAlice);
      assert.equal(run.code, 2, shown(run));
      assert.match(run.stderr, /portal\.api/);
      assert.equal(run.stdout, '');
    });
  });

  it('exits 2 with the usage on bad arguments, and never echoes a stray argument', async () => {
    await withWorld({}, async (w) => {
      const stray = await w.check(['pasted-token-0123456789abcdef'], asAlice);
      assert.equal(stray.code, 2, shown(stray));
      assert.match(stray.stderr, /never given on the command line/);
      assert.match(stray.stderr, /Usage:/);
      assert.ok(!stray.stderr.includes('pasted-token-0123456789abcdef'), shown(stray));
      const badCase = await w.check(['--case', 'abc'], asAlice);
      assert.equal(badCase.code, 2, shown(badCase));
      assert.match(badCase.stderr, /--case expects a case number/);
    });
  });

  it('exits 2 with a clear message without a credential and without a terminal', async () => {
    await withWorld({}, async (w) => {
      const run = await w.check([]);
      assert.equal(run.code, 2, shown(run));
      assert.match(run.stderr, /No Red Hat credential to check\. Set PUSHBOT_CHECK_TOKEN/);
      assert.equal(w.portal.requests.length, 0, 'nothing was asked of the portal');
    });
  });

  it('--case shows each comment through each path with how the daemon would classify it', async () => {
    await withWorld({}, async (w) => {
      w.portal.addComment(CASE, {
        authorType: 'Customer',
        author: 'Example, Customer',
        body: 'Customer: sosreport uploaded.',
      });
      w.portal.addComment(CASE, {
        authorType: 'Internal',
        body: 'Internal note: looks like a kernel bug.',
      });
      w.portal.addComment(CASE, {
        authorType: 'Associate',
        body: 'Draft reply not sent yet.',
        isDraft: true,
      });
      w.portal.addComment(CASE, {
        authorType: 'Associate',
        body: 'Associate: please try kernel 5.14.0-427.',
      });
      const run = await w.check(['--case', CASE], asBob);
      assert.equal(run.code, 0, shown(run));
      assertLine(
        run,
        'SKIP',
        /^SSO token exchange: a username \+ password logs in with HTTP Basic/,
      );

      const rest = section(
        run,
        'PASS',
        /^case 01234567 via REST v3 comments \(HTTP 200\): newest 5 of 5 comments|^case 01234567 via REST v3 comments \(HTTP 200\): 5 comments/,
      );
      assert.match(commentIn(rest, 'Associate: please try'), /\[associate → delivered\]/);
      assert.match(
        commentIn(rest, 'Customer: sosreport'),
        /Example, Customer {2}\[customer → delivered\]/,
      );
      assert.match(commentIn(rest, 'Internal note'), /\[internal → never delivered\]/);
      assert.match(commentIn(rest, 'Draft reply'), /\[draft → never delivered/);
      assert.match(
        commentIn(rest, 'Associate: please try'),
        /^ {6}\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}Engineer, Red Hat/,
      );

      const restCase = section(
        run,
        'PASS',
        /^case 01234567 via REST v3 case \(HTTP 200\): "Pods fail to schedule after upgrade"/,
      );
      assert.match(commentIn(restCase, 'Internal note'), /\[internal → never delivered\]/);

      // GraphQL never returns drafts; it marks internal notes by their visibility.
      const graphql = section(
        run,
        'PASS',
        /^case 01234567 via GraphQL \(HTTP 200\): "Pods fail to schedule after upgrade"/,
      );
      assert.match(commentIn(graphql, 'Associate: please try'), /\[associate → delivered\]/);
      assert.match(commentIn(graphql, 'Customer: sosreport'), /\[customer → delivered\]/);
      assert.match(
        commentIn(graphql, 'Internal note'),
        /\[not public \(associate\) → never delivered\]/,
      );
      assert.ok(!graphql.some((l) => l.includes('Draft reply')), graphql.join('\n'));
      assertNotIn(run.stdout + run.stderr, [BOB.password, BOT_TOKEN], 'the output');
    });
  });

  it('--case reports a case the account cannot see on every path', async () => {
    await withWorld({}, async (w) => {
      w.portal.addUser({
        username: 'carol-check',
        password: 'carol-password-1234',
        visibleCases: [],
      });
      const run = await w.check(['--case', CASE], {
        PUSHBOT_CHECK_USER: 'carol-check',
        PUSHBOT_CHECK_PASSWORD: 'carol-password-1234',
      });
      assertLine(run, 'FAIL', /^case 01234567 via GraphQL \(HTTP 200\): absent from the answer/);
      assertLine(
        run,
        'FAIL',
        /^case 01234567 via REST v3 case \(HTTP 404\): This Red Hat account cannot see case 01234567/,
      );
      assertLine(run, 'FAIL', /^case 01234567 via REST v3 comments \(HTTP 404\)/);
    });
  });

  it('--record writes every raw answer, scrubbed, into a private folder', async () => {
    await withWorld({}, async (w) => {
      // Secrets inside answers, where only the scrubbing can catch them.
      const comment = w.portal.addComment(CASE, {
        authorType: 'Customer',
        body: `my token is ${ALICE.offlineToken}, mail me at ${ALICE.email}`,
      });
      const tokenDir = join(w.dir, 'rec-token');
      const run = await w.check(['--case', CASE, '--record', tokenDir], asAlice);
      assert.equal(run.code, 0, shown(run));
      const where = tokenDir.replace(/[/.]/g, '\\$&');
      assertLine(run, 'INFO', new RegExp(`^record: \\d+ raw portal answers written to ${where}`));
      const issued = w.portal.issuedAccessTokens();
      assert.ok(issued.length > 0, 'the fake issued access tokens');

      w.portal.editComment(
        CASE,
        comment,
        `${BOB.username} here: ${BOB.password}, mail ${BOB.email}`,
      );
      const basicDir = join(w.dir, 'rec-basic');
      const basic = await w.check(['--case', CASE, '--record', basicDir], asBob);
      assert.equal(basic.code, 0, shown(basic));

      const runs = [
        { dir: tokenDir, secrets: [ALICE.offlineToken, ALICE.email, BOT_TOKEN, ...issued] },
        { dir: basicDir, secrets: [BOB.password, BOB.username, BOB.email, BOT_TOKEN] },
      ];
      for (const { dir, secrets } of runs) {
        assert.equal((await stat(dir)).mode & 0o777, 0o700, `${dir} mode`);
        const names = (await readdir(dir)).sort();
        assert.ok(names.length >= 4, names.join(', '));
        assert.ok(
          names.every((n) => /^\d{2}-(GET|POST)-[\w.-]+\.json$/.test(n)),
          names.join(', '),
        );
        assert.ok(
          names.some((n) => n.endsWith('-POST-graphql.json')),
          names.join(', '),
        );
        assert.ok(
          names.some((n) => n.endsWith('-POST-cases-filter.json')),
          names.join(', '),
        );
        let all = '';
        for (const name of names) {
          const file = join(dir, name);
          assert.equal((await stat(file)).mode & 0o777, 0o600, `${name} mode`);
          const text = await readFile(file, 'utf8');
          JSON.parse(text); // each file is one readable JSON document
          assertNotIn(text, secrets, `${dir}/${name}`);
          all += text;
        }
        assert.ok(all.includes(CASE), 'the case number is kept');
        assert.match(all, /mail (me at )?\[email\]/, 'the e-mail address was replaced');
      }
      const tokenFiles = await readdir(tokenDir);
      const sso = tokenFiles.find((n) => n.endsWith('-POST-token.json'));
      assert.ok(sso !== undefined, `the SSO exchange is recorded: ${tokenFiles.join(', ')}`);
      const ssoText = await readFile(join(tokenDir, sso), 'utf8');
      assert.match(ssoText, /"refresh_token": "\[redacted\]"/);
      assert.match(ssoText, /"access_token": "\[redacted\]"/);
      const basicFiles = await readdir(basicDir);
      assert.ok(!basicFiles.some((n) => n.endsWith('-POST-token.json')), 'no SSO for Basic');
    });
  });

  it('--chat checks the credential a v1-era chat stored, without touching db.json or locking it', async () => {
    await withWorld({}, async (w) => {
      await mkdir(join(w.dir, 'data'), { mode: 0o700 });
      await copyFile(join(FIXTURE_DIR, 'db.json'), w.dbPath);
      const before = await readFile(w.dbPath);
      const listing = await readdir(w.dir);
      w.portal.addUser({
        username: 'alice',
        offlineToken: FIXTURE_ALICE_TOKEN,
        visibleCases: 'all',
      });
      for (const number of ['01000001', '01000002', '01000003']) w.portal.addCase({ number });

      const run = await w.check(['--chat', '1001'], { PUSHBOT_SECRET_KEY: FIXTURE_KEY });
      assert.equal(run.code, 0, shown(run));
      assertLine(
        run,
        'INFO',
        /^credential: offline token …wxyz stored by chat 1001 \(account alice\)/,
      );
      assertLine(run, 'INFO', /^chat 1001: follows 2 cases, hears from both/);
      assertLine(run, 'PASS', /^SSO token exchange \(HTTP 200\): access token issued for alice/);
      assertLine(run, 'PASS', /^path: graphql: /);
      assertLine(
        run,
        'INFO',
        /^quiet-cycle cost: 1 request every 60 s \(poll\.intervalSeconds\) for the 2 cases chat 1001 follows \(graphql: /,
      );
      assertNotIn(
        run.stdout + run.stderr,
        [FIXTURE_ALICE_TOKEN, FIXTURE_KEY, BOT_TOKEN],
        'the output',
      );

      assert.deepEqual(await readFile(w.dbPath), before, 'db.json is byte-identical');
      assert.deepEqual(
        await readdir(join(w.dir, 'data')),
        ['db.json'],
        'no lock, owner, key or temp file',
      );
      assert.deepEqual(await readdir(w.dir), listing);
    });
  });

  it('--chat fails clearly for an unknown chat (1), a wrong key (1) and a missing database (2)', async () => {
    await withWorld({}, async (w) => {
      const missing = await w.check(['--chat', '1001'], { PUSHBOT_SECRET_KEY: FIXTURE_KEY });
      assert.equal(missing.code, 2, shown(missing));
      assert.match(missing.stderr, /there is no database at/);

      await mkdir(join(w.dir, 'data'));
      await copyFile(join(FIXTURE_DIR, 'db.json'), w.dbPath);
      const unknown = await w.check(['--chat', '4242'], { PUSHBOT_SECRET_KEY: FIXTURE_KEY });
      assert.equal(unknown.code, 1, shown(unknown));
      assertLine(unknown, 'FAIL', /^credential: There is no chat 4242 in /);

      const wrongKey = await w.check(['--chat', '1001'], {
        PUSHBOT_SECRET_KEY: 'not-the-fixture-key-0123456789',
      });
      assert.equal(wrongKey.code, 1, shown(wrongKey));
      assertLine(
        wrongKey,
        'FAIL',
        /^credential: The secret key does not open chat 1001's credential/,
      );

      // Without PUSHBOT_SECRET_KEY the key file beside db.json is read, never created.
      const noKey = await w.check(['--chat', '1001']);
      assert.equal(noKey.code, 1, shown(noKey));
      assertLine(noKey, 'FAIL', /^credential: No secret key to open the stored credentials/);
      assert.deepEqual(await readdir(join(w.dir, 'data')), ['db.json'], 'no key file was created');
    });
  });

  it('warns about the switched-off v1 API and still checks it when portal.api is hydra', async () => {
    await withWorld({}, async (w) => {
      await writeFile(
        w.configPath,
        JSON.stringify({
          telegram: { apiRoot: w.telegram.apiRoot },
          portal: {
            api: 'hydra',
            baseUrl: w.portal.hydraBaseUrl,
            tokenUrl: w.portal.tokenUrl,
            timeoutSeconds: 5,
          },
          dbPath: w.dbPath,
        }),
      );
      const run = await w.check(['--case', CASE], asAlice);
      assert.equal(run.code, 0, shown(run));
      assertLine(
        run,
        'WARN',
        /^portal\.api: "hydra" is Red Hat's v1-era API, which Red Hat switched off on 2026-09-21: set "portal\.api": "v3"/,
      );
      assertLine(run, 'PASS', /^case 01234567 via hydra comments \(HTTP 200\)/);
      assertLine(run, 'PASS', /^path: hydra: /);

      w.portal.retire('v1');
      const gone = await w.check([], asAlice);
      assert.equal(gone.code, 1, shown(gone));
      assertLine(
        gone,
        'FAIL',
        /^path \(HTTP 404\): no way to read cases works for this credential: Red Hat's portal has no case API/,
      );
    });
  });
});
