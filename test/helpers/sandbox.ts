/** Test helpers: a sandbox on 127.0.0.1 and small HTTP calls against it. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import type { Seed } from '../../sandbox/seed.js';
import { walkthroughSeed as demoSeed } from '../../sandbox/walkthrough.js';

export const TEST = '测试网关组';
export const PROD = '生产网关组';

/** The walkthrough's starting point, plus whatever a test adds. */
export function walkthroughSeed(extra: Partial<Seed> = {}): Seed {
  return { ...demoSeed('a7ee-test-secret-token'), ...extra };
}

/** The walkthrough, with production already running 0.9.0 of the same service on the built-in upstream. */
export function withProductionAt090(): Seed {
  return walkthroughSeed({
    services: [
      ...walkthroughSeed().services!,
      {
        gatewayGroup: PROD,
        name: 'httpbin API',
        version: '0.9.0',
        routes: [{ name: 'headers', paths: ['/headers'] }],
        upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
      },
    ],
  });
}

export async function sandbox(seed: Seed = walkthroughSeed(), api7Version?: string): Promise<Sandbox> {
  return startSandbox({ seed, api7Version });
}

export interface Answer<T = any> {
  status: number;
  body: T;
}

/** A control-plane call with the sandbox's token (or the one given). */
export async function api<T = any>(
  sb: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = sb.token,
): Promise<Answer<T>> {
  const res = await request(`${sb.controlPlane}${path}`, {
    method: method as 'GET',
    headers: {
      ...(token ? { 'x-api-key': token } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

/** A request through a gateway, with an optional Host. */
export async function viaGateway(url: string, path: string, host?: string, method = 'GET'): Promise<Answer> {
  const res = await request(`${url}${path}`, { method: method as 'GET', headers: host ? { host } : {} });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body };
}

export async function groupId(sb: Sandbox, name: string): Promise<string> {
  const res = await api(sb, 'GET', `/api/gateway_groups?name=${encodeURIComponent(name)}&page_size=100`);
  const id = res.body.list.find((g: { name: string }) => g.name === name)?.id;
  if (!id) throw new Error(`no group ${name}`);
  return id;
}

export async function serviceIn(sb: Sandbox, group: string, name: string): Promise<any> {
  const gid = await groupId(sb, group);
  const res = await api(sb, 'GET', `/api/gateway_groups/${gid}/services?page_size=100`);
  return res.body.list.find((s: { name: string }) => s.name === name);
}

/** Control-plane requests the sandbox recorded. */
export async function requestLog(
  sb: Sandbox,
): Promise<{ method: string; path: string; query: Record<string, string>; body: any; status: number }[]> {
  return (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list;
}

/** Writes as the sandbox counts them: not GET/HEAD, not conflict_check, not dry-run=all. */
export async function writes(sb: Sandbox) {
  return (await requestLog(sb)).filter(
    (r) =>
      !['GET', 'HEAD'].includes(r.method) &&
      r.path !== '/api/services/conflict_check' &&
      r.query['dry-run'] !== 'all',
  );
}

/** A tiny upstream that says who it is, to tell one environment's backend from another's. */
export async function namedUpstream(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ upstream: name, path: req.url, host: req.headers.host }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * A port nothing listens on, and nothing will: it lies below the ephemeral range that `listen(0)`
 * draws from (32768 and up on Linux, 49152 and up on macOS and Windows), so no server of a test
 * running beside this one (they all take port 0) can be given it between the check and its use.
 * A port that was free a moment ago from the ephemeral range once came back answering 200.
 */
export async function deadPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = http.createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!free) continue;
    await new Promise((r) => server.close(r));
    return port;
  }
}

/**
 * An upstream that holds every request until `ready()` is true, so that a test can keep a
 * promotion's verification waiting on an event (not on a clock) and release it when it has seen
 * what it waits for.
 */
export async function gatedUpstream(
  ready: () => boolean,
): Promise<{ port: number; held: () => number; close: () => Promise<void> }> {
  let held = 0;
  const waiting = new Set<() => void>();
  const server = http.createServer((req, res) => {
    held++;
    const answer = () => {
      waiting.delete(answer);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    };
    if (ready()) answer();
    else waiting.add(answer);
  });
  const check = setInterval(() => {
    if (ready()) for (const answer of [...waiting]) answer();
  }, 5);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    held: () => held,
    close: () =>
      new Promise((r) => {
        clearInterval(check);
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
