// A second process for lazy-xml.test.ts: node --import tsx test/portal/_loaded-modules-child.ts <api> [read]
//
// Records every module the process resolves (a module.register() resolve hook that reports each
// URL over a MessagePort), then builds the portal client factory for <api> and creates a client;
// with "read", it also reads one case from a loopback server answering Strata XML. Prints one
// JSON line: { "loaded": [every URL resolved after the hook was in place] }.
// A resolve hook sees ESM and CommonJS loads alike, where require.cache would miss ESM modules.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  port.postMessage(result.url);
  return result;
}
`;
// Resolved last; once its URL comes back, every earlier report has arrived (one port, in order).
const SENTINEL = 'data:text/javascript,export default "loaded-modules-sentinel"';

async function main(): Promise<void> {
  const [api = 'v3', mode = 'create'] = process.argv.slice(2);
  if (api !== 'v3' && api !== 'hydra' && api !== 'strata') throw new Error(`unknown api ${api}`);

  const loaded: string[] = [];
  let sentinelSeen: () => void = () => undefined;
  const sentinel = new Promise<void>((resolve) => (sentinelSeen = resolve));
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url: string) => {
    if (url === SENTINEL) sentinelSeen();
    else loaded.push(url);
  });
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, {
    data: { port: port2 },
    transferList: [port2],
  });

  // Imported only now, so the hook sees the factory's whole module graph.
  const { makeFactory, credential, readFixture } = await import('./helpers.js');
  let server: Server | undefined;
  let baseUrl = 'http://127.0.0.1:9/rs';
  if (mode === 'read') {
    const body = readFixture('strata/case-no-comments.xml');
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/xml' }).end(body);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rs`;
  }
  const factory = makeFactory({
    fake: { hydraBaseUrl: baseUrl, strataBaseUrl: baseUrl, tokenUrl: 'http://127.0.0.1:9/token' },
    api,
  });
  const client = factory.create(credential('basic'));
  if (mode === 'read') {
    const kase = await client.getCase('00012345');
    if (kase.number !== '00012345') throw new Error(`read case ${kase.number}`);
  }
  server?.close();

  await import(SENTINEL);
  await sentinel;
  port1.close();
  process.stdout.write(`${JSON.stringify({ loaded })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
