// Proxy choice from the injected environment (never process.env), and a real loopback proxy
// that must see the portal traffic when configured and must not when NO_PROXY matches.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { proxyForUrl } from '../../src/lib/proxy.js';
import { startFakePortal, type FakePortal } from '../_helpers/fake-portal.js';
import { APIS, USER, credential, makeFactory, rejectsWithKind } from './helpers.js';

describe('proxy choice', () => {
  const PROXY = 'http://proxy.corp.example:3128';

  it('uses HTTPS_PROXY for https: URLs and HTTP_PROXY for http: URLs', () => {
    const env = { HTTPS_PROXY: PROXY, HTTP_PROXY: 'http://other:8080' };
    assert.equal(proxyForUrl('https://api.access.redhat.com/support/v1/cases/1', env), PROXY);
    assert.equal(proxyForUrl('http://127.0.0.1:8080/rs', env), 'http://other:8080');
    // The rule that surprises people: HTTPS_PROXY alone does not cover an http: portal URL.
    assert.equal(proxyForUrl('http://127.0.0.1:8080/rs', { HTTPS_PROXY: PROXY }), undefined);
  });

  it('prefers the lowercase variable, and falls back to ALL_PROXY', () => {
    assert.equal(
      proxyForUrl('https://a.example', { https_proxy: PROXY, HTTPS_PROXY: 'http://x:1' }),
      PROXY,
    );
    assert.equal(proxyForUrl('https://a.example', { ALL_PROXY: PROXY }), PROXY);
    assert.equal(proxyForUrl('https://a.example', {}), undefined);
  });

  it('adds the target scheme to a proxy given without one', () => {
    assert.equal(
      proxyForUrl('https://a.example', { HTTPS_PROXY: 'proxy:3128' }),
      'https://proxy:3128',
    );
  });

  it('bypasses hosts listed in NO_PROXY: exact names, suffixes, ports and *', () => {
    const env = (noProxy: string) => ({ HTTPS_PROXY: PROXY, NO_PROXY: noProxy });
    const url = 'https://api.access.redhat.com/x';
    assert.equal(proxyForUrl(url, env('api.access.redhat.com')), undefined);
    assert.equal(proxyForUrl(url, env('localhost, .redhat.com')), undefined);
    assert.equal(proxyForUrl(url, env('*.redhat.com')), undefined);
    assert.equal(proxyForUrl(url, env('*')), undefined);
    assert.equal(proxyForUrl(url, env('api.access.redhat.com:443')), undefined);
    assert.equal(proxyForUrl(url, env('api.access.redhat.com:8443')), PROXY);
    // As in proxy-from-env (and axios): a bare domain matches that host only, not subdomains.
    assert.equal(proxyForUrl(url, env('redhat.com')), PROXY);
    assert.equal(
      proxyForUrl(url, { HTTPS_PROXY: PROXY, no_proxy: 'API.ACCESS.REDHAT.COM' }),
      undefined,
    );
  });

  it('ignores URLs it cannot parse', () => {
    assert.equal(proxyForUrl('not a url', { HTTPS_PROXY: PROXY }), undefined);
  });
});

interface LoopbackProxy {
  url: string;
  /** CONNECT targets, "host:port". */
  tunnels: string[];
  /** Request lines seen inside tunnels, "POST /auth/…". */
  tunnelledRequests: string[];
  /** Absolute-form requests proxied without a tunnel. */
  forwarded: string[];
  /** When set, every CONNECT is answered with this status (a proxy's policy, 407). */
  refuseWith: number | undefined;
  close(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 that only ever connects to 127.0.0.1. */
async function startLoopbackProxy(): Promise<LoopbackProxy> {
  const tunnels: string[] = [];
  const tunnelledRequests: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<net.Socket>();
  const proxy: LoopbackProxy = {
    url: '',
    tunnels,
    tunnelledRequests,
    forwarded,
    refuseWith: undefined,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '/');
    if (target.hostname !== '127.0.0.1') {
      res.writeHead(403).end();
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connection', (socket: net.Socket) => sockets.add(socket));
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const authority = req.url ?? '';
    tunnels.push(authority);
    const [host, port] = authority.split(':');
    if (proxy.refuseWith !== undefined) {
      client.end(
        `HTTP/1.1 ${proxy.refuseWith} Refused by policy\r\nContent-Length: 0\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n`,
      );
      return;
    }
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.on('data', (chunk: Buffer) => {
        for (const match of chunk
          .toString('latin1')
          .matchAll(/^(GET|POST) (\S+) HTTP\/1\.1\r$/gm)) {
          tunnelledRequests.push(`${match[1]} ${match[2]}`);
        }
      });
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    // Either side may be torn down by close() or the client; end the other half quietly.
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  proxy.url = `http://127.0.0.1:${address.port}`;
  return proxy;
}

describe('portal traffic through an HTTP proxy', () => {
  let fake: FakePortal;
  let proxy: LoopbackProxy;
  let fakeAuthority: string;

  before(async () => {
    fake = await startFakePortal();
    fake.addUser({ ...USER });
    fake.addCase({ number: '00012345' });
    proxy = await startLoopbackProxy();
    fakeAuthority = new URL(fake.origin).host;
  });
  after(async () => {
    await proxy.close();
    await fake.close();
  });
  beforeEach(() => {
    proxy.tunnels.length = 0;
    proxy.tunnelledRequests.length = 0;
    proxy.forwarded.length = 0;
    fake.resetCounters();
  });

  for (const api of APIS) {
    it(`tunnels the token exchange and the API calls when HTTP_PROXY is set (${api})`, async () => {
      const client = makeFactory({ fake, api, env: { HTTP_PROXY: proxy.url } }).create(
        credential('offline-token'),
      );
      assert.equal((await client.getCase('00012345')).number, '00012345');
      assert.ok(proxy.tunnels.length >= 1);
      assert.ok(
        proxy.tunnels.every((t) => t === fakeAuthority),
        proxy.tunnels.join(),
      );
      assert.deepEqual(
        proxy.tunnelledRequests.map((r) => r.split(' ')[0]),
        ['POST', 'GET'],
      );
      assert.match(proxy.tunnelledRequests[0] ?? '', /openid-connect\/token$/);
      assert.match(proxy.tunnelledRequests[1] ?? '', /\/cases\/00012345$/);
      assert.equal(fake.requests.length, 2);
    });
  }

  it('honours the lowercase http_proxy as well', async () => {
    const client = makeFactory({ fake, api: 'hydra', env: { http_proxy: proxy.url } }).create(
      credential('basic'),
    );
    await client.getCase('00012345');
    assert.deepEqual(proxy.tunnelledRequests, ['GET /support/v1/cases/00012345']);
  });

  it('goes direct when NO_PROXY names the portal host', async () => {
    const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' };
    const client = makeFactory({ fake, api: 'strata', env }).create(credential('offline-token'));
    await client.getCase('00012345');
    assert.equal(fake.requests.length, 2);
    assert.deepEqual(proxy.tunnels, []);
    assert.deepEqual(proxy.forwarded, []);
  });

  for (const status of [403, 407]) {
    it(`reports a proxy that refuses the tunnel (${status}) as the proxy's doing, not as a case the user cannot see`, async () => {
      proxy.refuseWith = status;
      try {
        const client = makeFactory({ fake, api: 'hydra', env: { HTTP_PROXY: proxy.url } }).create(
          credential('basic'),
        );
        const err = await rejectsWithKind(client.getCase('00012345'), 'transient');
        assert.match(err.message, status === 407 ? /proxy asked for credentials/ : /proxy refused/);
        assert.equal(fake.requests.length, 0);
      } finally {
        proxy.refuseWith = undefined;
      }
    });
  }

  it('goes direct for an http: portal when only HTTPS_PROXY is set', async () => {
    const client = makeFactory({ fake, api: 'hydra', env: { HTTPS_PROXY: proxy.url } }).create(
      credential('basic'),
    );
    await client.getCase('00012345');
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(proxy.tunnels, []);
  });
});
