/**
 * The sandbox as a server that stays up and accepts what APISIX accepts: a client that hangs up
 * in the middle of its request body ends only its own request, and IPv6 upstream nodes (`::1` or
 * `[::1]`) are taken and served through the gateway. The built-in httpbin answers what it cannot
 * serve (`/status/000`, a request target that is no URL) with a 400, never ending the sandbox.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { configFor, QUICK } from '../helpers/engine.js';
import { api, groupId, PROD, sandbox, TEST, viaGateway, withProductionAt090 } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let engine: Engine | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
  sb = undefined;
  while (cleanups.length) await cleanups.pop()!();
});

/** Sends headers and half a body, then hangs up once the server has taken the connection. */
function hangUpMidBody(url: string, method: string, path: string, token: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nX-API-KEY: ${token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"services": [`,
        () => {
          socket.destroy();
          resolve();
        },
      );
    });
    socket.on('error', reject);
  });
}

/** An upstream on the IPv6 loopback that says it was reached. */
async function ipv6Upstream(): Promise<number> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ upstream: 'ipv6', host: req.headers.host }));
  });
  await new Promise<void>((r) => server.listen(0, '::1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

describe('the sandbox stays up', () => {
  it('a client that hangs up mid request body ends only its request: the control plane and gateway answer the next', async () => {
    sb = await sandbox(withProductionAt090());
    for (let i = 0; i < 3; i++) {
      await hangUpMidBody(sb.controlPlane, 'POST', '/api/services/publish', sb.token);
      await hangUpMidBody(sb.gateways[TEST]!, 'GET', '/headers', sb.token);
    }
    // Polls with a deadline: the server handles the hang-ups on its own schedule.
    const deadline = Date.now() + 5_000;
    let health = await api(sb, 'GET', '/sandbox/healthz', undefined, null);
    while (health.status !== 200 && Date.now() < deadline)
      health = await api(sb, 'GET', '/sandbox/healthz', undefined, null);
    expect(health.body).toEqual({ status: 'ok' });
    expect((await api(sb, 'GET', '/api/version')).status).toBe(200);
    expect((await viaGateway(sb.gateways[TEST]!, '/headers')).status).toBe(200);
  });
});

/** Sends one GET with `target` written as is on the request line; the status line and body. */
function rawGet(url: string, target: string): Promise<{ statusLine: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    socket.on('close', () => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      resolve({ statusLine: head.split('\r\n')[0]!, body });
    });
    socket.on('error', reject);
  });
}

describe('the built-in httpbin stays up', () => {
  it('a status code no HTTP answer can carry, and a request target no URL parser takes, are answered 400; the next request is served', async () => {
    sb = await sandbox();
    for (const code of ['000', '099', '600', '999']) {
      const res = await fetch(`${sb.httpbin}/status/${code}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: `httpbin answers /status/{code} for codes 100 to 599, not ${code}`,
      });
    }
    expect((await fetch(`${sb.httpbin}/status/503`)).status).toBe(503);
    const odd = await rawGet(sb.httpbin, '//[');
    expect(odd.statusLine).toBe('HTTP/1.1 400 Bad Request');
    // The body comes chunked: the JSON is inside it.
    expect(odd.body).toContain('{"error":"httpbin cannot answer this request: Invalid URL"}');
    expect((await fetch(`${sb.httpbin}/headers`)).status).toBe(200);
    expect((await viaGateway(sb.gateways[TEST]!, '/headers')).status).toBe(200);
    // The control plane names the bad target instead of blaming the body, and serves on.
    const cp = await rawGet(sb.controlPlane, '//[');
    expect(cp.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(cp.body).toContain('{"error_msg":"the request target is not a path"}');
    expect((await api(sb, 'GET', '/api/version')).status).toBe(200);
    const gateway = await rawGet(sb.gateways[TEST]!, '//[');
    expect(gateway.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect((await viaGateway(sb.gateways[TEST]!, '/headers')).status).toBe(200);
  });
});

/** An engine whose config sends production's "httpbin API" to one node, `host` as YAML writes it. */
function engineWithNode(host: string, port: number, verify = ''): Engine {
  const runtime = `  httpbin API:
    runtime:
      production:
        upstream:
          passHost: node
          nodes: [{host: ${host}, port: ${port}}]
`;
  return createEngine({ config: configFor(sb!, runtime + verify), token: sb!.token });
}

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('IPv6 upstream nodes, %s generation', (_generation, api7Version) => {
  it.each(['"::1"', '"[::1]"'])('a node at %s is accepted, promoted, verified and served', async (host) => {
    const port = await ipv6Upstream();
    sb = await sandbox(withProductionAt090(), api7Version);
    engine = engineWithNode(host, port, '    verify:\n      - {path: /headers, status: 200}\n');
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    // Shown as a URL writes it: `::1:8080` would read as another address.
    expect(result.services[0]).toMatchObject({
      action: 'synced',
      runtime: { upstream: `nodes [::1]:${port}` },
    });
    const answer = await viaGateway(sb.gateways[PROD]!, '/headers');
    expect(answer).toEqual({ status: 200, body: { upstream: 'ipv6', host: `[::1]:${port}` } });
    // The other spelling is the same node: no drift, nothing to repair.
    await engine.close();
    engine = engineWithNode(host === '"::1"' ? '"[::1]"' : '"::1"', port);
    const again = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(again.services[0]).toMatchObject({ action: 'unchanged', drift: [], runtimeRepaired: false });
  });

  it('a node host that is no address is still refused in API7 wording', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    const gg = await groupId(sb, PROD);
    const put = await api(sb, 'PUT', `/apisix/admin/services/bad-node?gateway_group_id=${gg}`, {
      name: 'bad-node',
      upstream: { nodes: [{ host: 'not a host!', port: 80, weight: 1 }] },
    });
    expect(put.status).toBe(400);
    expect(put.body.error_msg).toMatch(/^Error at "\/upstream\/nodes\/0\/host"/);
  });
});
