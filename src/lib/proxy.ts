// Which HTTP proxy, if any, an outgoing request goes through (the portal client, the Slack
// webhook poster, `check`), and the agents that tunnel through it.
//
// The rules are those of proxy-from-env 1.1.0 (the library axios and npm use), so operators
// get the behaviour they know. That library reads process.env and offers no way to pass
// another environment, and no module may read process.env (main injects it), so its
// algorithm is restated here over an injected Env:
// - the variable is chosen by the target's scheme: `http_proxy` for http: URLs, `https_proxy`
//   for https: URLs, then `all_proxy`; the lowercase name wins over the uppercase one;
// - a proxy value without a scheme gets the target's scheme ("proxy:3128" → "http://proxy:3128");
// - NO_PROXY is a comma- or space-separated list: "*" disables proxying, "host" matches that
//   host exactly, ".example.com" or "*.example.com" match any host ending in ".example.com",
//   and "host:port" only matches that port.
// Left out on purpose: the `npm_config_*` variables proxy-from-env also reads, which npm sets
// from a user's .npmrc when the daemon is started through `npm start`, not a deliberate choice.
import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Env } from '../config.js';

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

function envValue(env: Env, name: string): string {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || '';
}

function bypassedByNoProxy(hostname: string, port: number, noProxy: string): boolean {
  const list = noProxy.toLowerCase();
  if (list === '') return false;
  if (list === '*') return true;
  return list.split(/[,\s]/).some((entry) => {
    if (entry === '') return false;
    const withPort = /^(.+):(\d+)$/.exec(entry);
    const entryHost = withPort?.[1] ?? entry;
    const entryPort = withPort?.[2] !== undefined ? Number(withPort[2]) : 0;
    if (entryPort !== 0 && entryPort !== port) return false;
    if (!/^[.*]/.test(entryHost)) return hostname === entryHost;
    const suffix = entryHost.startsWith('*') ? entryHost.slice(1) : entryHost;
    return hostname.endsWith(suffix);
  });
}

/** The proxy URL for a request to `url`, or undefined for a direct connection. */
export function proxyForUrl(url: string, env: Env): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const target = new URL(url);
  const scheme = target.protocol.replace(/:$/, '');
  // URL.hostname keeps the brackets of an IPv6 address, as proxy-from-env does.
  const hostname = target.hostname.toLowerCase();
  if (hostname === '') return undefined;
  const port = target.port !== '' ? Number(target.port) : (DEFAULT_PORTS[scheme] ?? 0);
  if (bypassedByNoProxy(hostname, port, envValue(env, 'no_proxy'))) return undefined;
  const proxy = envValue(env, `${scheme}_proxy`) || envValue(env, 'all_proxy');
  if (proxy === '') return undefined;
  return proxy.includes('://') ? proxy : `${scheme}://${proxy}`;
}

/**
 * The agent for a request to `url`, or undefined for a direct connection. One keep-alive agent
 * per proxy URL, reused so tunnels stay open between requests. Every agent opens CONNECT
 * tunnels, for https: and http: targets alike: the proxy never sees headers in clear for
 * https, and one code path serves both. `onCreate` sees each new agent once (the portal client
 * listens to it for CONNECTs the proxy refused).
 */
export function createProxyAgents(
  env: Env,
  onCreate?: (agent: HttpsProxyAgent<string>) => void,
): (url: string) => Agent | undefined {
  const agents = new Map<string, Agent>();
  return (url) => {
    const proxy = proxyForUrl(url, env);
    if (proxy === undefined) return undefined;
    let agent = agents.get(proxy);
    if (agent === undefined) {
      const created = new HttpsProxyAgent(proxy, { keepAlive: true });
      onCreate?.(created);
      agent = created;
      agents.set(proxy, agent);
    }
    return agent;
  };
}
