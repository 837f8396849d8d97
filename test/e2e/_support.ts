// Shared setup of the end-to-end files: one "world" per file = a temp folder, the loopback fake
// Telegram and fake portal, a config.json pointing the BUILT daemon at them, and helpers to act
// as a person in a Telegram chat. Every daemon started through the world is remembered, so a
// file ends by searching everything they printed (and every file they left) for the secrets
// the scenarios used.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseState, type State } from '../../src/store/schema.js';
import { startDaemon, type RunningDaemon } from '../_helpers/daemon.js';
import {
  startFakePortal,
  type FakeCommentInput,
  type FakePortal,
} from '../_helpers/fake-portal.js';
import {
  startFakeTelegram,
  type FakeTelegram,
  type SentMessage,
} from '../_helpers/fake-telegram.js';
import { waitUntil } from '../_helpers/wait.js';

/** Generous: a loaded 2-core CI machine runs three of these files side by side. */
export const WAIT_MS = 20_000;
/** The daemon prints "listening to Telegram" well within this, even on a busy machine. */
const READY_MS = 20_000;
/** The fake portal's clock follows the wall clock at this pace (ms). */
const PORTAL_CLOCK_TICK_MS = 100;
/** The store's lock counts as abandoned this long after its last refresh (json-file-store). */
export const LOCK_STALE_MS = 10_000;

export interface WorldOptions {
  /** Bot token for this file; each file uses its own so a leak points at its scenario. */
  botToken: string;
  /** Default 'v3' (REST v3 + GraphQL), as for users; 'hydra' and 'strata' are the v1 APIs. */
  api?: 'v3' | 'hydra' | 'strata';
  /** PUSHBOT_SECRET_KEY; absent → the daemon generates secret.key beside db.json. */
  secretKey?: string;
  accessTokenTtlSeconds?: number;
  /** Merged into the config's sections (telegram, portal, poll, …). */
  config?: {
    telegram?: Record<string, unknown>;
    portal?: Record<string, unknown>;
    poll?: Record<string, unknown>;
  };
  /** Put a counting proxy between the daemon and the fake Telegram (see TelegramProbe). */
  probeTelegram?: boolean;
}

export interface World {
  readonly dir: string;
  readonly dbPath: string;
  readonly configPath: string;
  readonly telegram: FakeTelegram;
  readonly portal: FakePortal;
  /** Present with probeTelegram: counts Bot API calls in flight. */
  readonly probe: TelegramProbe | undefined;
  /** Every daemon started so far, oldest first. */
  readonly daemons: RunningDaemon[];
  /** Secrets the scenarios used, searched for by assertNoSecretLeaked(). */
  readonly secrets: Set<string>;
  /** Starts the daemon and waits until it listens to Telegram. */
  start(): Promise<RunningDaemon>;
  /**
   * Starts again right after the last daemon was killed (kill -9), as a supervisor's restart
   * does: the dead daemon's lock is still fresh, and the new one takes it over at once (its pid
   * no longer runs), saying so in one log line. Fails if the last daemon still runs.
   */
  restartAfterCrash(): Promise<RunningDaemon>;
  /** Adds a comment at the portal's "now", strictly after the portal's previous change. */
  addComment(caseNumber: string, input?: FakeCommentInput): string;
  /** Publishes a draft, strictly after the portal's previous change. */
  publishComment(caseNumber: string, id: string): void;
  /** db.json, parsed and validated with the daemon's own schema. */
  readState(): Promise<State>;
  /** Waits until every notification was delivered (or dropped): nothing more will be sent. */
  waitForEmptyOutbox(): Promise<void>;
  /** Waits until the daemon finished `count` more poll cycles (its heartbeat file moves). */
  waitForCycles(count: number): Promise<void>;
  person(chatId: number): Person;
  /**
   * Stops the daemons, then greps everything they printed, every file of the data folder
   * (db.json, db.json.bak, …) and every message the bot sent for every secret used.
   */
  assertNoSecretLeaked(): Promise<void>;
  close(): Promise<void>;
}

export async function createWorld(options: WorldOptions): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'pushbot-e2e-'));
  const dataDir = join(dir, 'data');
  const dbPath = join(dataDir, 'db.json');
  const configPath = join(dir, 'config.json');
  const telegram = await startFakeTelegram({ token: options.botToken });
  const portal = await startFakePortal(
    options.accessTokenTtlSeconds !== undefined
      ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds }
      : {},
  );
  const probe = options.probeTelegram ? await startTelegramProbe(telegram.apiRoot) : undefined;
  const api = options.api ?? 'v3';

  // The portal's clock follows the wall clock (token expiry, comment dates), never going back.
  const ticker = setInterval(() => {
    const behind = Date.now() - portal.now();
    if (behind > 0) portal.advanceTime(behind);
  }, PORTAL_CLOCK_TICK_MS);
  ticker.unref();

  const config = {
    telegram: {
      token: options.botToken,
      apiRoot: probe?.apiRoot ?? telegram.apiRoot,
      ...options.config?.telegram,
    },
    portal: {
      api,
      baseUrl: { v3: portal.v3BaseUrl, hydra: portal.hydraBaseUrl, strata: portal.strataBaseUrl }[
        api
      ],
      graphqlUrl: portal.graphqlUrl,
      tokenUrl: portal.tokenUrl,
      timeoutSeconds: 2,
      ...options.config?.portal,
    },
    poll: { intervalSeconds: 1, ...options.config?.poll },
    dbPath,
    log: { level: 'debug' },
  };
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const env: Record<string, string> = {};
  if (options.secretKey !== undefined) env.PUSHBOT_SECRET_KEY = options.secretKey;
  const secrets = new Set<string>([options.botToken]);
  if (options.secretKey !== undefined) secrets.add(options.secretKey);
  const daemons: RunningDaemon[] = [];
  // Every change at the portal gets its own instant (ms), later than the one before, as on a
  // real portal where time passes between two edits: the daemon notices a case changed by its
  // lastModifiedDate, so two changes sharing one instant would look like one.
  const nextInstant = (): void => {
    const target = Math.max(Date.now(), portal.now() + 1);
    portal.advanceTime(target - portal.now());
  };

  const start = async (): Promise<RunningDaemon> => {
    const daemon = startDaemon({ args: ['--config', configPath], env, cwd: dir });
    daemons.push(daemon);
    await daemon.waitForOutput(/listening to Telegram/, READY_MS);
    return daemon;
  };

  const world: World = {
    dir,
    dbPath,
    configPath,
    telegram,
    portal,
    probe,
    daemons,
    secrets,
    start,
    async restartAfterCrash() {
      const crashed = daemons.at(-1);
      assert.ok(crashed, 'no daemon was started before');
      assert.notEqual(
        crashed.process.exitCode ?? crashed.process.signalCode,
        null,
        'it still runs',
      );
      // The kill left the lock behind: proof that this restart does not wait for it to go stale.
      assert.ok(
        await stat(`${dbPath}.lock`).then(
          () => true,
          () => false,
        ),
        'no lock was left',
      );
      const daemon = await start();
      const takeover = daemon
        .logs()
        .filter((l) => l.component === 'store' && /taking over the lock/.test(String(l.msg)));
      assert.equal(takeover.length, 1, `the takeover was not logged once:\n${daemon.output()}`);
      assert.match(
        String(takeover[0]?.msg),
        new RegExp(`pid ${crashed.process.pid} .*no longer runs`),
      );
      return daemon;
    },
    addComment(caseNumber, input = {}) {
      nextInstant();
      return portal.addComment(caseNumber, input);
    },
    publishComment(caseNumber, id) {
      nextInstant();
      portal.publishComment(caseNumber, id);
    },
    async readState() {
      return parseState(JSON.parse(await readFile(dbPath, 'utf8')));
    },
    async waitForEmptyOutbox() {
      await waitUntil(async () => (await world.readState()).outbox.length === 0, {
        timeoutMs: WAIT_MS,
        intervalMs: 50,
        what: 'an empty outbox',
      });
    },
    async waitForCycles(count) {
      const heartbeat = join(dataDir, 'heartbeat');
      const read = (): Promise<string> => readFile(heartbeat, 'utf8').catch(() => '');
      let last = await read();
      for (let seen = 0; seen < count; seen++) {
        last = await waitUntil(
          async () => {
            const now = await read();
            return now !== last && now !== '' ? now : undefined;
          },
          { timeoutMs: WAIT_MS, intervalMs: 50, what: 'the next poll cycle' },
        );
      }
    },
    person: (chatId) => new Person(telegram, chatId),
    async assertNoSecretLeaked() {
      // Stopped first: their output is then complete (shutdown included), and no file of the
      // data folder is being replaced while it is read.
      await Promise.all(daemons.map((d) => d.stop('SIGTERM')));
      for (const token of portal.issuedAccessTokens()) {
        secrets.add(token);
        // The signature part alone would still be a leak (a log line cut the token short).
        const signature = token.split('.')[2];
        if (signature !== undefined && signature.length >= 16) secrets.add(signature);
      }
      const keyFile = join(dataDir, 'secret.key');
      const generatedKey = await readFile(keyFile, 'utf8').then(
        (t) => t.trim(),
        () => '',
      );
      if (generatedKey !== '') secrets.add(generatedKey);
      const places: { name: string; text: string }[] = daemons.map((d, i) => ({
        name: `output of daemon #${i + 1}`,
        text: d.output(),
      }));
      for (const name of await readdir(dataDir)) {
        if (name === 'secret.key') continue;
        const path = join(dataDir, name);
        if ((await stat(path)).isFile()) places.push({ name, text: await readFile(path, 'utf8') });
      }
      places.push({
        name: 'messages the bot sent',
        text: telegram
          .messages()
          .map((m) => m.html ?? m.text)
          .join('\n'),
      });
      assert.ok(
        places.some((p) => p.name === 'db.json'),
        'db.json is missing: nothing to check',
      );
      for (const secret of secrets) {
        assert.ok(secret.length >= 8, 'a secret this short would match by chance');
        for (const place of places) {
          assert.ok(
            !place.text.includes(secret),
            `a secret (…${secret.slice(-4)}) appears in ${place.name}`,
          );
        }
      }
    },
    async close() {
      clearInterval(ticker);
      await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
      await probe?.close();
      await telegram.close();
      await portal.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** A person in a private chat with the bot (chat id = user id). */
export class Person {
  /** The id of the last message this person sent (to check it was deleted). */
  lastMessageId = 0;

  constructor(
    readonly telegram: FakeTelegram,
    readonly chatId: number,
  ) {}

  /** Messages the bot sent to this chat, oldest first. */
  messages(): SentMessage[] {
    return this.telegram.messages(this.chatId);
  }

  /** Sends a message to the bot. */
  say(text: string): void {
    const { messageId } = this.telegram.sendUserMessage({ chatId: this.chatId, text });
    this.lastMessageId = messageId;
  }

  /** Sends a message and waits for the bot's answer matching `expect`. */
  ask(text: string, expect: RegExp): Promise<SentMessage> {
    const from = this.messages().length;
    this.say(text);
    return this.waitFor(expect, from);
  }

  /** The first bot message at index ≥ `from` whose text matches. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = WAIT_MS): Promise<SentMessage> {
    return this.telegram.waitFor(
      () =>
        this.messages()
          .slice(from)
          .find((m) => pattern.test(m.text)),
      timeoutMs,
    );
  }

  /** Waits until `count` bot messages match (and returns them). */
  waitForCount(pattern: RegExp, count: number, timeoutMs = WAIT_MS): Promise<SentMessage[]> {
    return this.telegram.waitFor(() => {
      const found = this.matching(pattern);
      return found.length >= count ? found : undefined;
    }, timeoutMs);
  }

  matching(pattern: RegExp): SentMessage[] {
    return this.messages().filter((m) => pattern.test(m.text));
  }

  /** Taps an inline button of one of the bot's messages. */
  press(message: SentMessage, buttonText: string): { callbackQueryId: string } {
    const button = message.replyMarkup?.inline_keyboard?.flat().find((b) => b.text === buttonText);
    assert.ok(button?.callback_data, `no "${buttonText}" button with callback data`);
    return this.telegram.pressButton({
      chatId: this.chatId,
      messageId: message.messageId,
      data: button.callback_data,
    });
  }
}

/** Connects a person: /setup, then the credential as the next message; waits for "Connected". */
export async function connect(person: Person, credential: string): Promise<SentMessage> {
  await person.ask('/setup', /Connect your Red Hat account/);
  return person.ask(credential, /Connected to Red Hat/);
}

/** /add for one case; waits for "added". */
export async function follow(person: Person, caseNumber: string): Promise<SentMessage> {
  return person.ask(`/add ${caseNumber}`, new RegExp(`${caseNumber} added`));
}

/** New-comment notifications in a chat, oldest first. */
export const NEW_COMMENT = /New comment on case/;

// ---- a counting proxy in front of the fake Telegram ----

/**
 * Forwards every request to the fake Telegram unchanged and counts, per Bot API method, the
 * requests that fully left the daemon and are not answered yet: "a send is on the wire right
 * now" becomes something a test can wait for (the fake records a call only once it answered).
 *
 * Like a real network, a request that fully left its sender still reaches Telegram when the
 * sender dies meanwhile: Telegram then accepts the message and nobody reads the answer. Only a
 * long poll is dropped with its connection (Telegram ends a poll whose client went away).
 */
export interface TelegramProbe {
  readonly apiRoot: string;
  /** Requests of `method` that fully left the daemon, since the start. */
  sent(method: string): number;
  /** Of those, the ones whose answer has not come back yet. */
  inFlight(method: string): number;
  close(): Promise<void>;
}

async function startTelegramProbe(target: string): Promise<TelegramProbe> {
  const upstream = new URL(target);
  const counts = new Map<string, number>();
  const totals = new Map<string, number>();
  const bump = (method: string, by: number): void => {
    counts.set(method, (counts.get(method) ?? 0) + by);
  };
  const server = http.createServer((req, res) => {
    const method = /\/([A-Za-z_]+)\/?$/.exec(new URL(req.url ?? '/', target).pathname)?.[1] ?? '';
    let sent = false;
    let answered = false;
    const settle = (): void => {
      if (sent && !answered) bump(method, -1);
      answered = true;
    };
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        answer.on('end', settle);
        if (res.destroyed) {
          answer.resume(); // the sender is gone: nobody reads this answer
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      settle();
      if (!res.headersSent && !res.destroyed) res.writeHead(502);
      res.end();
    });
    req.on('end', () => {
      sent = true;
      totals.set(method, (totals.get(method) ?? 0) + 1);
      if (!answered) bump(method, 1);
    });
    res.on('close', () => {
      if (!sent || method === 'getUpdates') forward.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('probe: no TCP port');
  return {
    apiRoot: `http://127.0.0.1:${address.port}`,
    sent: (method) => totals.get(method) ?? 0,
    inFlight: (method) => counts.get(method) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
