import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import {
  api,
  deadPort,
  namedUpstream,
  PROD,
  sandbox,
  TEST,
  viaGateway,
  walkthroughSeed,
} from '../helpers/sandbox.js';

let sb: Sandbox;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await sb?.close();
  while (cleanups.length) await cleanups.pop()!();
});

describe('the gateway of a group', () => {
  it('serves the httpbin-like upstream with forwarded headers', async () => {
    sb = await sandbox();
    const res = await viaGateway(sb.gateways[TEST]!, '/headers');
    expect(res.status).toBe(200);
    expect(res.body.headers['X-Forwarded-Host']).toBe('127.0.0.1');
    expect(res.body.headers['X-Forwarded-For']).toBe('127.0.0.1');
    const anything = await viaGateway(sb.gateways[TEST]!, '/anything/deep/path?x=1', undefined, 'POST');
    expect(anything.body).toMatchObject({ method: 'POST', args: { x: '1' } });
  });

  it('routes by host, path prefix and method, and answers JSON 404 otherwise', async () => {
    const a = await namedUpstream('a');
    const b = await namedUpstream('b');
    cleanups.push(a.close, b.close);
    sb = await sandbox(
      walkthroughSeed({
        services: [
          {
            gatewayGroup: TEST,
            name: 'a',
            version: '1',
            hosts: ['a.example.com'],
            routes: [{ name: 'r', paths: ['/x'], methods: ['GET'] }],
            upstream: { nodes: [{ host: '127.0.0.1', port: a.port, weight: 1 }] },
          },
          {
            gatewayGroup: TEST,
            name: 'b',
            version: '1',
            pathPrefix: '/v1',
            routes: [{ name: 'r', paths: ['/x'] }],
            upstream: { nodes: [{ host: '127.0.0.1', port: b.port, weight: 1 }] },
          },
        ],
      }),
    );
    const gw = sb.gateways[TEST]!;
    expect((await viaGateway(gw, '/x', 'a.example.com')).body.upstream).toBe('a');
    expect((await viaGateway(gw, '/x', 'other.example.com')).status).toBe(404);
    expect((await viaGateway(gw, '/x', 'a.example.com', 'POST')).status).toBe(404);
    const prefixed = await viaGateway(gw, '/v1/x', 'anything.example.com');
    expect(prefixed.body).toMatchObject({ upstream: 'b', path: '/x' });
    const missing = await viaGateway(gw, '/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.error_msg).toMatch(/Route Not Found/);
  });

  it('spreads requests over weighted nodes and skips weight 0', async () => {
    const a = await namedUpstream('a');
    const b = await namedUpstream('b');
    const c = await namedUpstream('c');
    cleanups.push(a.close, b.close, c.close);
    sb = await sandbox(
      walkthroughSeed({
        services: [
          {
            gatewayGroup: TEST,
            name: 'w',
            version: '1',
            routes: [{ name: 'r', paths: ['/w'] }],
            upstream: {
              nodes: [
                { host: '127.0.0.1', port: a.port, weight: 50 },
                { host: '127.0.0.1', port: b.port, weight: 50 },
                { host: '127.0.0.1', port: c.port, weight: 0 },
              ],
            },
          },
        ],
      }),
    );
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const who = (await viaGateway(sb.gateways[TEST]!, '/w')).body.upstream;
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    expect(seen.get('c')).toBeUndefined();
    expect(seen.get('a')).toBeGreaterThan(5);
    expect(seen.get('b')).toBeGreaterThan(5);
  });

  it('honours pass_host and answers 502 when the upstream is down', async () => {
    const port = await deadPort();
    sb = await sandbox(
      walkthroughSeed({
        services: [
          {
            gatewayGroup: TEST,
            name: 'rewrite',
            version: '1',
            routes: [{ name: 'r', paths: ['/headers'] }],
            upstream: {
              pass_host: 'rewrite',
              upstream_host: 'backend.internal',
              nodes: [{ host: 'httpbin', port: 80, weight: 1 }],
            },
          },
          {
            gatewayGroup: PROD,
            name: 'dead',
            version: '1',
            routes: [{ name: 'r', paths: ['/headers'] }],
            upstream: { nodes: [{ host: '127.0.0.1', port, weight: 1 }] },
          },
        ],
      }),
    );
    expect((await viaGateway(sb.gateways[TEST]!, '/headers', 'client.example.com')).body.headers.Host).toBe(
      'backend.internal',
    );
    const down = await viaGateway(sb.gateways[PROD]!, '/headers');
    expect(down.status).toBe(502);
    expect(down.body.error_msg).toMatch(/unreachable/);
  });

  it('forwards a discovery upstream to the registry instances of its own group', async () => {
    sb = await sandbox(
      walkthroughSeed({
        services: [
          {
            gatewayGroup: PROD,
            name: 'found',
            version: '1',
            routes: [{ name: 'r', paths: ['/ip'] }],
            discovery: { registry: '生产用注册中心', service: 'httpbin' },
          },
        ],
      }),
    );
    const res = await viaGateway(sb.gateways[PROD]!, '/ip');
    expect(res.status).toBe(200);
    expect(res.body.origin).toBe('127.0.0.1');
  });

  it('serves only enabled services, and sees changes after the propagation delay', async () => {
    sb = await sandbox(walkthroughSeed({ propagationDelayMs: 300 }));
    const gw = sb.gateways[TEST]!;
    expect((await viaGateway(gw, '/headers')).status).toBe(200);
    const gid = [...sb.store.groups.values()].find((g) => g.name === TEST)!.id;
    const templateId = [...sb.store.templates.values()][0]!.id;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const off = await api(
      sb,
      'PATCH',
      `/api/gateway_groups/${gid}/services/${templateId}/runtime_configuration`,
      { status: 0 },
    );
    expect(off.status).toBe(200);
    // The delay is a timer in the gateway, and the test holds the timers: "not yet" cannot race
    // the machine's speed, and "now" needs no sleep.
    expect((await viaGateway(gw, '/headers')).status).toBe(200);
    await vi.advanceTimersByTimeAsync(299);
    expect((await viaGateway(gw, '/headers')).status).toBe(200);
    await vi.advanceTimersByTimeAsync(1);
    expect((await viaGateway(gw, '/headers')).status).toBe(404);
  });
});
