/**
 * What makes the sandbox answer like API7 rather than like a mock: checks with API7's wording,
 * defaults filled on write and listed by /api/schema/core, and what differs between releases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { makeTls } from '../../sandbox/tls.js';
import { api, groupId, PROD, sandbox, serviceIn, TEST, walkthroughSeed } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const upstream = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };

async function adminPut(s: Sandbox, path: string, body: unknown, group = TEST) {
  const gg = await groupId(s, group);
  return api(s, 'PUT', `/apisix/admin/${path}?gateway_group_id=${gg}`, body);
}

async function adminGet(s: Sandbox, path: string, group = TEST) {
  const gg = await groupId(s, group);
  return api(s, 'GET', `/apisix/admin/${path}${path.includes('?') ? '&' : '?'}gateway_group_id=${gg}`);
}

describe('checks, worded as API7 words them', () => {
  it.each([
    [
      'a route whose path is a number',
      'routes/r1',
      { name: 'r', service_id: 's1', paths: [123] },
      'Error at "/paths/0": value must be a string',
    ],
    [
      'a route with an unknown method',
      'routes/r1',
      { name: 'r', service_id: 's1', paths: ['/x'], methods: ['FETCH'] },
      'Error at "/methods/0": value is not one of the allowed values',
    ],
    [
      'a service whose path prefix is not a string',
      'services/s2',
      { name: 's2', path_prefix: 7 },
      'Error at "/path_prefix": value must be a string',
    ],
    [
      'limit-count without its fields',
      'routes/r1',
      { name: 'r', service_id: 's1', paths: ['/x'], plugins: { 'limit-count': {} } },
      'failed to check the configuration of plugin limit-count err: property "count" is required',
    ],
    [
      'an unknown plugin',
      'services/s2',
      { name: 's2', plugins: { 'no-such-plugin': {} } },
      'unknown plugin [no-such-plugin]',
    ],
    [
      'proxy-rewrite with a relative uri',
      'routes/r1',
      { name: 'r', service_id: 's1', paths: ['/x'], plugins: { 'proxy-rewrite': { uri: 'x' } } },
      'failed to check the configuration of plugin proxy-rewrite err: property "uri" validation failed: failed to match pattern "^\\/.*"',
    ],
    [
      'ip-restriction with neither list',
      'routes/r1',
      { name: 'r', service_id: 's1', paths: ['/x'], plugins: { 'ip-restriction': {} } },
      'failed to check the configuration of plugin ip-restriction err: value should match only one schema, but matches none',
    ],
    [
      'a consumer whose key-auth has no key',
      'consumers/alice',
      { username: 'alice', plugins: { 'key-auth': {} } },
      'failed to check the configuration of plugin key-auth err: property "key" is required',
    ],
  ])('refuses %s, and stores nothing', async (_what, path, body, message) => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    expect((await adminPut(sb, 'services/s1', { name: 's1', upstream })).status).toBe(200);
    const before = JSON.stringify([...sb.store.published.values()]);
    const res = await adminPut(sb, path, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error_msg: message });
    expect(JSON.stringify([...sb.store.published.values()])).toBe(before);
    expect((await adminGet(sb, 'consumers')).body.list).toEqual([]);
  });

  it('checks credentials (3.2.15+) and that an SSL key matches its certificate', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    await adminPut(sb, 'consumers/alice', { username: 'alice' });
    const noKey = await adminPut(sb, 'consumers/alice/credentials/c1', {
      name: 'c1',
      plugins: { 'key-auth': {} },
    });
    expect(noKey.body.error_msg).toBe(
      'failed to check the configuration of plugin key-auth err: property "key" is required',
    );
    const notAuth = await adminPut(sb, 'consumers/alice/credentials/c1', {
      name: 'c1',
      plugins: { cors: {} },
    });
    expect(notAuth.status).toBe(400);
    const [one, other] = await Promise.all([makeTls(), makeTls()]);
    const mismatched = await adminPut(sb, 'ssls/s1', {
      snis: ['a.example.com'],
      cert: one.cert,
      key: other.key,
    });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.error_msg).toBe('failed to match the certificate and private key');
    const matched = await adminPut(sb, 'ssls/s1', { snis: ['a.example.com'], cert: one.cert, key: one.key });
    expect(matched.status).toBe(200);
    expect(matched.body.value.key).toBeUndefined();
  });

  it('checks runtime configuration and publish bodies with the same wording', async () => {
    sb = await sandbox(walkthroughSeed());
    const svc = await serviceIn(sb, TEST, 'httpbin API');
    const gg = await groupId(sb, TEST);
    const patch = await api(
      sb,
      'PATCH',
      `/api/gateway_groups/${gg}/services/${svc.service_id}/runtime_configuration`,
      {
        upstreams: { nodes: [{ host: 'httpbin', port: 70000, weight: 1 }] },
      },
    );
    expect(patch.body).toEqual({
      error_msg: 'Error at "/upstreams/nodes/0/port": number must be at most 65535',
    });
  });
});

describe.each([
  ['3.4.0', { strip: false, route: false, upstreams: 404 }],
  ['3.7.0', { strip: true, route: false, upstreams: 200 }],
  ['3.9.0', { strip: true, route: true, upstreams: 200 }],
])('defaults and release gates on API7 %s', (version, expected) => {
  it('fills the defaults that /api/schema/core lists, on every write', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }), version);
    const core = (await api(sb, 'GET', '/api/schema/core')).body.value;
    const upstreamSchema = core.service.properties.upstream.properties;
    expect(upstreamSchema.type.default).toBe('roundrobin');
    expect(upstreamSchema.pass_host.default).toBe('pass');
    expect(upstreamSchema.timeout.properties.connect.default).toBe(60);
    expect(core.service.properties.strip_path_prefix.default).toBe(expected.strip ? true : undefined);
    // From 3.8 every resource is listed, routes with priority 0 and 60 s timeouts.
    expect(Object.keys(core).sort()).toEqual(
      expected.route
        ? [
            'consumer',
            'consumer_credential',
            'global_rule',
            'plugin_metadata',
            'route',
            'service',
            'ssl',
            'stream_route',
            'stream_service',
            'upstream',
          ]
        : ['service', 'ssl'],
    );
    if (expected.route) expect(core.route.properties.priority.default).toBe(0);

    await adminPut(sb, 'services/s1', { name: 's1', upstream });
    await adminPut(sb, 'routes/r1', { name: 'r', service_id: 's1', paths: ['/ip'] });
    const service = (await adminGet(sb, 'services/s1')).body.value;
    expect(service.upstream).toEqual({
      name: 'default',
      type: 'roundrobin',
      scheme: 'http',
      hash_on: 'vars',
      pass_host: 'pass',
      retry_timeout: 0,
      nodes: [{ host: 'httpbin', port: 80, weight: 100, priority: 0 }],
    });
    expect(service.strip_path_prefix).toBe(expected.strip ? true : undefined);
    const route = (await adminGet(sb, 'routes/r1')).body.value;
    expect(route.priority).toBe(expected.route ? 0 : undefined);
    expect((await adminGet(sb, 'services/s1/upstreams')).status).toBe(expected.upstreams);
  });
});

describe('what API7 does that a mock would not', () => {
  it('lists consumers most recently updated first', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    for (const u of ['c1', 'c2', 'c3']) await adminPut(sb, `consumers/${u}`, { username: u });
    await adminPut(sb, 'consumers/c1', { username: 'c1', desc: 'updated' });
    expect((await adminGet(sb, 'consumers')).body.list.map((c: any) => c.username)).toEqual([
      'c1',
      'c3',
      'c2',
    ]);
  });

  it('deletes a service template with its last copy deleted through the admin API', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    await adminPut(sb, 'services/s1', { name: 's1', upstream });
    await adminPut(sb, 'services/s1', { name: 's1', upstream }, PROD);
    const gg = await groupId(sb, TEST);
    const prod = await groupId(sb, PROD);
    await api(sb, 'DELETE', `/apisix/admin/services/s1?gateway_group_id=${gg}`);
    expect((await api(sb, 'GET', '/apisix/admin/services/s1')).status).toBe(200);
    await api(sb, 'DELETE', `/apisix/admin/services/s1?gateway_group_id=${prod}`);
    expect((await api(sb, 'GET', '/apisix/admin/services/s1')).status).toBe(404);
    // Created again, it starts afresh: no versions from before.
    await adminPut(sb, 'services/s1', { name: 's1', upstream });
    expect([...sb.store.versions.values()].filter((v) => v.service_id === 's1')).toEqual([]);
  });

  it("gives a promoted copy's routes the target copy's service ID", async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }), '3.5.0');
    await adminPut(sb, 'services/s1', { name: 's1', upstream });
    await adminPut(sb, 'routes/r1', { name: 'ip', service_id: 's1', paths: ['/ip'] });
    const test = await groupId(sb, TEST);
    const prod = await groupId(sb, PROD);
    const item = { service_id: 's1', version: '1.0.0', status: 1, upstream };
    await api(sb, 'POST', '/api/services/publish', {
      create_new_version: true,
      gateway_group_id: test,
      services: [item],
    });
    const source = await serviceIn(sb, TEST, 's1');
    const synced = await api(sb, 'POST', '/api/services/publish', {
      create_new_version: false,
      gateway_group_id: prod,
      services: [{ ...item, service_version_id: source.service_version_id }],
    });
    expect(synced.status).toBe(200);
    const target = await serviceIn(sb, PROD, 's1');
    expect(target.id).not.toBe(source.id);
    const routes = (await api(sb, 'GET', `/apisix/admin/routes?gateway_group_id=${prod}`)).body.list;
    expect(routes.map((r: any) => [r.name, r.service_id])).toEqual([['ip', target.id]]);
    expect(sb.store.publishedIn(prod, 's1')!.routes[0]!.service_id).toBe(target.id);
  });
});
