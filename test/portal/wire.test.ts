// What each flavour puts on the wire (method, path, query, Accept, Content-Type, body) and the
// exact errors and log lines it makes of odd answers. The fake portal checks meaning; this
// server records bytes, so a change in how a request is built shows up here.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FILTER_PAGE_OVERLAP, FILTER_PAGE_SIZE } from '../../src/portal/pagination.js';
import type { PortalClient } from '../../src/portal/types.js';
import {
  APIS,
  captureLogger,
  credential,
  makeFactory,
  readFixture,
  rejectsWithKind,
  USER,
  type Api,
} from './helpers.js';

const HYDRA_PATH = '/support/v1';
const STRATA_PATH = '/rs';
const STRATA_NS = 'http://www.redhat.com/gss/strata';
const SINCE = '2024-05-01T00:00:00.000Z';

interface Recorded {
  method: string;
  path: string;
  query: string;
  accept: string | undefined;
  contentType: string | undefined;
  hasAuthorization: boolean;
  body: string;
}

interface Answer {
  status?: number;
  contentType: string;
  body: string;
}

interface RecordingServer {
  origin: string;
  requests: Recorded[];
  /** Answers for the next requests, in order; when none is left, `fallback` answers. */
  queue: Answer[];
  fallback: (request: Recorded) => Answer;
  close(): Promise<void>;
}

async function startRecordingServer(): Promise<RecordingServer> {
  const state: Omit<RecordingServer, 'origin' | 'close'> = {
    requests: [],
    queue: [],
    fallback: () => ({ status: 500, contentType: 'text/plain', body: 'no answer set' }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://recorder.invalid');
      const record: Recorded = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.search,
        accept: req.headers.accept,
        contentType: req.headers['content-type'],
        hasAuthorization: typeof req.headers.authorization === 'string',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      state.requests.push(record);
      const answer = state.queue.shift() ?? state.fallback(record);
      res.writeHead(answer.status ?? 200, { 'Content-Type': answer.contentType });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object', 'the server has no port');
  const { port } = address;
  return Object.assign(state, {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      ),
  });
}

function caseNumbers(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(from + i).padStart(8, '0'));
}

/** Per flavour: its base path, media type, and how a filter page and its request look. */
const FLAVOURS = {
  hydra: {
    basePath: HYDRA_PATH,
    mediaType: 'application/json',
    fixture: (name: string) => readFixture(`hydra/${name}.json`),
    /** `unreadable` adds one item without a case number at the end. */
    filterPage: (numbers: string[], unreadable = false): string =>
      JSON.stringify({
        cases: [...numbers.map((caseNumber) => ({ caseNumber })), ...(unreadable ? [{}] : [])],
      }),
    filterBody: (page: { startDate?: string; size: number; offset: number }): string =>
      JSON.stringify({
        ...(page.startDate !== undefined ? { startDate: page.startDate } : {}),
        maxResults: page.size,
        offset: page.offset,
        includeClosed: true,
        sortField: 'lastModifiedDate',
        sortOrder: 'ASC',
      }),
    notParseable: 'this is not JSON',
  },
  strata: {
    basePath: STRATA_PATH,
    mediaType: 'application/xml',
    fixture: (name: string) => readFixture(`strata/${name}.xml`),
    filterPage: (numbers: string[], unreadable = false): string =>
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cases xmlns="${STRATA_NS}">` +
      numbers.map((n) => `<case caseNumber="${n}"><summary>s</summary></case>`).join('') +
      (unreadable ? '<case><summary>no number</summary></case>' : '') +
      '</cases>',
    filterBody: (page: { startDate?: string; size: number; offset: number }): string =>
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><caseFilter xmlns="${STRATA_NS}">` +
      (page.startDate !== undefined ? `<startDate>${page.startDate}</startDate>` : '') +
      `<includeClosed>true</includeClosed><count>${page.size}</count><start>${page.offset}</start>` +
      '<sortField>lastModifiedDate</sortField><sortOrder>ASC</sortOrder></caseFilter>',
    notParseable: '',
  },
} as const satisfies Record<Exclude<Api, 'v3'>, unknown>;

for (const api of APIS) {
  const flavour = FLAVOURS[api];
  const filterPath = `${flavour.basePath}/cases/filter`;

  describe(`${api} requests on the wire`, () => {
    let server: RecordingServer;
    let client: PortalClient;
    let log: ReturnType<typeof captureLogger>;

    before(async () => {
      server = await startRecordingServer();
    });
    after(() => server.close());
    beforeEach(() => {
      server.requests.length = 0;
      server.queue.length = 0;
      log = captureLogger('debug');
      client = makeFactory({
        fake: {
          hydraBaseUrl: `${server.origin}${HYDRA_PATH}`,
          strataBaseUrl: `${server.origin}${STRATA_PATH}`,
          tokenUrl: `${server.origin}/token`,
        },
        api,
        logger: log.logger,
      }).create(credential('basic'));
    });

    const answer = (body: string, status = 200): Answer => ({
      status,
      contentType: `${flavour.mediaType};charset=UTF-8`,
      body,
    });

    it('verifies with one filter request for a single case, no start date', async () => {
      server.queue.push(answer(flavour.fixture('filter-empty')));
      assert.deepEqual(await client.verify(), { account: USER.username, path: api });
      assert.deepEqual(server.requests, [
        {
          method: 'POST',
          path: filterPath,
          query: '',
          accept: flavour.mediaType,
          contentType: flavour.mediaType,
          hasAuthorization: true,
          body: flavour.filterBody({ size: 1, offset: 0 }),
        },
      ]);
    });

    it('reads a case with a GET on its URL-encoded number', async () => {
      server.queue.push(answer(flavour.fixture('case-no-comments')));
      assert.equal((await client.getCase('00099999')).number, '00099999');
      server.queue.push(answer(flavour.fixture('case-no-comments')));
      await client.getCase('a/b c');
      assert.deepEqual(server.requests, [
        {
          method: 'GET',
          path: `${flavour.basePath}/cases/00099999`,
          query: '',
          accept: flavour.mediaType,
          contentType: undefined,
          hasAuthorization: true,
          body: '',
        },
        {
          method: 'GET',
          path: `${flavour.basePath}/cases/a%2Fb%20c`,
          query: '',
          accept: flavour.mediaType,
          contentType: undefined,
          hasAuthorization: true,
          body: '',
        },
      ]);
    });

    it('lists comments with a GET, adding startDate only when `since` is given', async () => {
      server.queue.push(answer(flavour.fixture('comments-single')));
      assert.equal((await client.listComments('00054321')).length, 1);
      server.queue.push(answer(flavour.fixture('comments-single')));
      await client.listComments('00054321', { since: new Date(SINCE) });
      const get = {
        method: 'GET',
        path: `${flavour.basePath}/cases/00054321/comments`,
        accept: flavour.mediaType,
        contentType: undefined,
        hasAuthorization: true,
        body: '',
      };
      assert.deepEqual(server.requests, [
        { ...get, query: '' },
        { ...get, query: `?startDate=${encodeURIComponent(SINCE)}` },
      ]);
    });

    it('pages the filter from `since`, each page starting a few places early', async () => {
      const first = caseNumbers(1, FILTER_PAGE_SIZE - 1);
      server.queue.push(answer(flavour.filterPage(first, true)));
      const secondOffset = FILTER_PAGE_SIZE - FILTER_PAGE_OVERLAP;
      // Case numbers start at 1, so the item at offset n is case n + 1.
      server.queue.push(answer(flavour.filterPage(caseNumbers(secondOffset + 1, 10))));
      const numbers = await client.changedCases(new Date(SINCE));
      assert.deepEqual(numbers, caseNumbers(1, secondOffset + 10));
      const post = {
        method: 'POST',
        path: filterPath,
        query: '',
        accept: flavour.mediaType,
        contentType: flavour.mediaType,
        hasAuthorization: true,
      };
      assert.deepEqual(server.requests, [
        {
          ...post,
          body: flavour.filterBody({ startDate: SINCE, size: FILTER_PAGE_SIZE, offset: 0 }),
        },
        {
          ...post,
          body: flavour.filterBody({
            startDate: SINCE,
            size: FILTER_PAGE_SIZE,
            offset: secondOffset,
          }),
        },
      ]);
      const warnings = log.lines.filter((l) => l.includes('"level":"warn"'));
      assert.equal(warnings.length, 1);
      const entry: unknown = JSON.parse(warnings[0] ?? '{}');
      assert.ok(typeof entry === 'object' && entry !== null && 'msg' in entry);
      assert.equal(entry.msg, 'skipped a case the bot cannot read');
      assert.ok('index' in entry && entry.index === FILTER_PAGE_SIZE - 1);
      assert.ok(!('caseNumber' in entry), 'a filter item has no case to name');
    });

    it('names the filter endpoint when the portal repeats a page', async () => {
      const page = answer(flavour.filterPage(caseNumbers(1, FILTER_PAGE_SIZE)));
      server.fallback = () => page;
      const err = await rejectsWithKind(client.changedCases(new Date(SINCE)), 'bad-payload');
      server.fallback = () => answer('', 500);
      assert.equal(
        err.message,
        "Red Hat's portal sent an answer the bot cannot read " +
          '(the portal sent the same page again, ignoring the offset).',
      );
      assert.equal(err.endpoint, `POST ${filterPath}`);
      assert.equal(err.status, undefined);
      assert.equal(server.requests.length, 2);
    });

    it('reports an unparseable 200 answer as bad-payload with its status and endpoint', async () => {
      server.queue.push(answer(flavour.notParseable));
      const err = await rejectsWithKind(client.getCase('00099999'), 'bad-payload');
      assert.equal(
        err.message,
        api === 'hydra'
          ? "Red Hat's portal sent an answer the bot cannot read (the answer is not JSON)."
          : "Red Hat's portal sent an answer the bot cannot read (the answer is empty).",
      );
      assert.equal(err.status, 200);
      assert.equal(err.endpoint, `GET ${flavour.basePath}/cases/00099999`);
    });

    it('reports a filter answer of the wrong shape as bad-payload naming the case list', async () => {
      server.queue.push(answer(flavour.fixture('comments-single')));
      const err = await rejectsWithKind(client.verify(), 'bad-payload');
      assert.match(err.message, /\(case list: /);
      assert.equal(err.endpoint, `POST ${filterPath}`);
    });

    it('names the case in a 404 for a comment list', async () => {
      server.queue.push(answer(JSON.stringify({ status: 404, message: 'Not found' }), 404));
      const err = await rejectsWithKind(client.listComments('00054321'), 'not-visible');
      assert.match(err.message, /00054321/);
      assert.equal(err.endpoint, `GET ${flavour.basePath}/cases/00054321/comments`);
    });
  });
}
