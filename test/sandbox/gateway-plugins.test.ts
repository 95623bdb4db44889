/**
 * The gateway applies what a promotion's routes depend on: `vars`, `proxy-rewrite` and
 * `key-auth`; and when it refuses, its body says which rule did, as APISIX's does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import type { Sandbox } from '../../sandbox/server.js';
import {
  api,
  groupId,
  PROD,
  sandbox,
  serviceIn,
  TEST,
  viaGateway,
  walkthroughSeed,
} from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await sb?.close();
  sb = undefined;
});

const upstream = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };

/** A "No Version" service with these routes in a group, written the way ADC writes them. */
async function serviceWith(s: Sandbox, routes: Record<string, unknown>[], group = TEST, plugins?: object) {
  const gg = await groupId(s, group);
  const put = (path: string, body: unknown) =>
    api(s, 'PUT', `/apisix/admin/${path}?gateway_group_id=${gg}`, body).then((r) => {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    });
  await put('services/s1', { name: 's1', upstream, ...(plugins ? { plugins } : {}) });
  for (const [i, r] of routes.entries()) await put(`routes/r${i}`, { service_id: 's1', ...r });
  return put;
}

async function call(url: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${url}${path}`, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) };
}

describe('the gateway applies route plugins and vars', () => {
  it('matches vars, and names the rule that refused in its 404', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    await serviceWith(sb, [
      { name: 'debug', paths: ['/headers'], vars: [['http_x_debug', '==', '1']] },
      { name: 'either', paths: ['/ip'], vars: ['OR', ['arg_a', '==', '1'], ['arg_b', 'in', ['2', '3']]] },
    ]);
    const gw = sb.gateways[TEST]!;
    const refused = await call(gw, '/headers');
    expect(refused.status).toBe(404);
    expect(refused.body.error_msg).toBe('404 Route Not Found');
    expect(refused.body.sandbox_note).toBe(
      'route "debug" of service "s1" matches the path but not its vars [["http_x_debug","==","1"]]',
    );
    expect((await call(gw, '/headers', { 'x-debug': '1' })).status).toBe(200);
    expect((await call(gw, '/ip?b=3')).status).toBe(200);
    expect((await call(gw, '/ip?a=2')).status).toBe(404);
  });

  it('rewrites the upstream request with proxy-rewrite (regex_uri, uri, headers, host)', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    await serviceWith(sb, [
      {
        name: 'old',
        paths: ['/old/*'],
        plugins: {
          'proxy-rewrite': {
            regex_uri: ['^/old/(.*)', '/anything/$1'],
            host: 'rewritten.example.com',
            headers: { set: { 'X-From': 'sandbox' }, remove: ['X-Drop'] },
          },
        },
      },
      { name: 'fixed', paths: ['/fixed'], plugins: { 'proxy-rewrite': { uri: '/anything/fixed?via=$uri' } } },
    ]);
    const gw = sb.gateways[TEST]!;
    const rewritten = await call(gw, '/old/a/b?q=1', { 'x-drop': 'yes' });
    expect(rewritten.status).toBe(200);
    expect(rewritten.body.url).toBe('http://rewritten.example.com/anything/a/b?q=1');
    expect(rewritten.body.headers['X-From']).toBe('sandbox');
    expect(rewritten.body.headers['X-Drop']).toBeUndefined();
    const fixed = await call(gw, '/fixed');
    expect(fixed.body.url).toMatch(/\/anything\/fixed\?via=\/fixed$/);
  });

  it('admits only a consumer key with key-auth, saying why it refuses as APISIX does', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    const put = await serviceWith(sb, [{ name: 'h', paths: ['/headers'] }], TEST, {
      'key-auth': { header: 'apikey', hide_credentials: true },
    });
    await put('consumers/alice', { username: 'alice' });
    await put('consumers/alice/credentials/k1', {
      name: 'k1',
      plugins: { 'key-auth': { key: 'alice-secret' } },
    });
    const gw = sb.gateways[TEST]!;
    expect(await call(gw, '/headers')).toEqual({
      status: 401,
      body: { message: 'Missing API key in request' },
    });
    expect(await call(gw, '/headers', { apikey: 'wrong' })).toEqual({
      status: 401,
      body: { message: 'Invalid API key in request' },
    });
    const admitted = await call(gw, '/headers', { apikey: 'alice-secret' });
    expect(admitted.status).toBe(200);
    expect(admitted.body.headers['X-Consumer-Username']).toBe('alice');
    expect(admitted.body.headers.Apikey).toBeUndefined();
  });

  it('carries route and service plugins through a promotion', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }), '3.9.0');
    await serviceWith(sb, [{ name: 'debug', paths: ['/anything/*'], vars: [['arg_v', '==', '2']] }], TEST, {
      'proxy-rewrite': { headers: { set: { 'X-Env': 'promoted' } } },
    });
    const test = await groupId(sb, TEST);
    const prod = await groupId(sb, PROD);
    const published = await api(sb, 'POST', '/api/services/publish', {
      create_new_version: true,
      gateway_group_id: test,
      services: [{ service_id: 's1', version: '2.0.0', status: 1 }],
    });
    expect(published.status).toBe(200);
    const source = await serviceIn(sb, TEST, 's1');
    await api(sb, 'POST', '/api/services/publish', {
      create_new_version: false,
      gateway_group_id: prod,
      services: [{ service_id: 's1', service_version_id: source.service_version_id, version: '2.0.0' }],
    });
    await api(sb, 'PATCH', `/api/gateway_groups/${prod}/services/s1/runtime_configuration`, {
      upstreams: upstream,
      status: 1,
    });
    const gw = sb.gateways[PROD]!;
    expect((await viaGateway(gw, '/anything/x?v=1')).status).toBe(404);
    const served = await viaGateway(gw, '/anything/x?v=2');
    expect(served.status).toBe(200);
    expect(served.body.headers['X-Env']).toBe('promoted');
  });
});

describe('propagation', () => {
  it('without a delay, a change is served by the very next request', async () => {
    sb = await sandbox(walkthroughSeed());
    const gw = sb.gateways[TEST]!;
    const gg = await groupId(sb, TEST);
    const svc = await serviceIn(sb, TEST, 'httpbin API');
    expect((await viaGateway(gw, '/headers')).status).toBe(200);
    const path = `/api/gateway_groups/${gg}/services/${svc.service_id}/runtime_configuration`;
    await api(sb, 'PATCH', path, { status: 0 });
    expect((await viaGateway(gw, '/headers')).status).toBe(404);
    await api(sb, 'PATCH', path, { status: 1 });
    expect((await viaGateway(gw, '/headers')).status).toBe(200);
  });

  it('with a delay, a change is served only after it, service by service', async () => {
    sb = await sandbox(
      walkthroughSeed({
        propagationDelayMs: 1500,
        services: [
          { gatewayGroup: TEST, name: 'a', version: '1', routes: [{ name: 'a', paths: ['/ip'] }] },
          { gatewayGroup: TEST, name: 'b', version: '1', routes: [{ name: 'b', paths: ['/headers'] }] },
        ],
      }),
    );
    const gw = sb.gateways[TEST]!;
    const gg = await groupId(sb, TEST);
    const a = await serviceIn(sb, TEST, 'a');
    // The delay is a timer in the gateway, and the test holds the timers: no race with the clock.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await api(sb, 'PATCH', `/api/gateway_groups/${gg}/services/${a.service_id}/runtime_configuration`, {
      status: 0,
    });
    // The gateway still serves the copy of "a" it had; "b" was never touched.
    expect((await viaGateway(gw, '/ip')).status).toBe(200);
    await vi.advanceTimersByTimeAsync(1499);
    expect((await viaGateway(gw, '/ip')).status).toBe(200);
    // Then, once the delay has passed, the change (and only it) is served.
    await vi.advanceTimersByTimeAsync(1);
    expect((await viaGateway(gw, '/ip')).status).toBe(404);
    expect((await viaGateway(gw, '/headers')).status).toBe(200);
  });
});
