import { afterEach, describe, expect, it } from 'vitest';
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

let sb: Sandbox;
afterEach(async () => sb?.close());

/** Everything the store holds, to prove that a refused request changed nothing. */
function snapshot(s: Sandbox): string {
  return JSON.stringify({
    groups: [...s.store.groups.values()],
    published: [...s.store.published.values()],
    versions: [...s.store.versions.values()],
    templates: [...s.store.templates.values()],
  });
}

describe('the contract manners', () => {
  it('answers 401 with error_msg for a missing or wrong token, and changes nothing', async () => {
    sb = await sandbox();
    const before = snapshot(sb);
    const missing = await api(sb, 'GET', '/api/gateway_groups', undefined, null);
    const wrong = await api(sb, 'POST', '/api/gateway_groups', { name: 'x' }, 'a7ee-wrong');
    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(missing.body.error_msg).toMatch(/X-API-KEY/);
    expect(snapshot(sb)).toBe(before);
  });

  it('wraps one object in value and lists in list+total, and pages', async () => {
    sb = await sandbox();
    expect((await api(sb, 'GET', '/api/version')).body).toEqual({ value: '3.9.0' });
    for (let i = 0; i < 12; i++) await api(sb, 'POST', '/api/gateway_groups', { name: `group-${i}` });
    const first = await api(sb, 'GET', '/api/gateway_groups?page=1&page_size=5');
    const third = await api(sb, 'GET', '/api/gateway_groups?page=3&page_size=5');
    expect(first.body.total).toBe(14);
    expect(first.body.list).toHaveLength(5);
    expect(third.body.list).toHaveLength(4);
    const bad = await api(sb, 'GET', '/api/gateway_groups?page=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error_msg).toBe('Error at "/page": number must be at least 1');
  });

  it('filters names fuzzily with search and exactly with name, UTF-8 included', async () => {
    sb = await sandbox();
    await api(sb, 'POST', '/api/gateway_groups', { name: 'prod' });
    await api(sb, 'POST', '/api/gateway_groups', { name: 'prod-eu' });
    const fuzzy = await api(sb, 'GET', '/api/gateway_groups?search=prod&page_size=50');
    const exact = await api(sb, 'GET', '/api/gateway_groups?name=prod&page_size=50');
    const utf8 = await api(sb, 'GET', `/api/gateway_groups?name=${encodeURIComponent(PROD)}`);
    expect(fuzzy.body.list.map((g: any) => g.name).sort()).toEqual(['prod', 'prod-eu']);
    expect(exact.body.list.map((g: any) => g.name)).toEqual(['prod']);
    expect(utf8.body.list.map((g: any) => g.name)).toEqual([PROD]);
    expect(utf8.body.list[0].id).toMatch(/^[a-zA-Z0-9-_.]+$/);
  });

  it('answers 404 for unknown IDs and 400 naming the field for a malformed body', async () => {
    sb = await sandbox();
    const before = snapshot(sb);
    expect((await api(sb, 'GET', '/api/gateway_groups/gg-nope')).status).toBe(404);
    expect((await api(sb, 'GET', '/api/service_versions/sv-nope')).body.error_msg).toMatch(/not found/);
    const gid = await groupId(sb, PROD);
    const bad = await api(sb, 'POST', '/api/services/publish', {
      gateway_group_id: gid,
      create_new_version: false,
      services: [{ service_id: [...sb.store.templates.keys()][0], service_version_id: 7 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error_msg).toBe('Error at "/services/0/service_version_id": value must be a string');
    const notJson = await api(sb, 'POST', '/api/services/publish', '{"oops"');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error_msg).toMatch(/invalid JSON/);
    expect(snapshot(sb)).toBe(before);
  });
});

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('versions, %s generation', (generation, version) => {
  async function syncBody(s: Sandbox) {
    const source = await serviceIn(s, TEST, 'httpbin API');
    const target = await groupId(s, PROD);
    const item: Record<string, unknown> = {
      service_id: source.service_id,
      service_version_id: source.service_version_id,
      version: source.version,
      status: 1,
    };
    if (generation === 'legacy') item.upstream = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };
    return {
      source,
      target,
      body: { create_new_version: false, gateway_group_id: target, services: [item] },
    };
  }

  it('a sync makes the target run the very same snapshot', async () => {
    sb = await sandbox(walkthroughSeed(), version);
    const { source, body } = await syncBody(sb);
    const res = await api(sb, 'POST', '/api/services/publish', body);
    expect(res.status).toBe(200);
    const target = await serviceIn(sb, PROD, 'httpbin API');
    expect(target.version).toBe('1.0.0');
    expect(target.service_version_id).toBe(source.service_version_id);
    expect(target.id).not.toBe(source.id);
    // Legacy: live at once. Modern: lands disabled, without runtime configuration.
    expect(target.status).toBe(generation === 'legacy' ? 1 : 0);
    expect(target.upstream === undefined).toBe(generation === 'modern');
  });

  it(`${generation === 'legacy' ? 'requires' : 'refuses'} runtime configuration in the publish body`, async () => {
    sb = await sandbox(walkthroughSeed(), version);
    const { body } = await syncBody(sb);
    const item = body.services[0]!;
    if (generation === 'legacy') delete item.upstream;
    else item.upstream = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };
    const res = await api(sb, 'POST', '/api/services/publish', body);
    expect(res.status).toBe(400);
    expect(res.body.error_msg).toMatch(/^Error at "\/services\/0\/upstream": /);
    expect(await serviceIn(sb, PROD, 'httpbin API')).toBeUndefined();
  });

  it('publishing mints a new version; the replaced one goes to history; rollback keeps runtime', async () => {
    sb = await sandbox(walkthroughSeed(), version);
    const source = await serviceIn(sb, TEST, 'httpbin API');
    const gid = await groupId(sb, TEST);
    const item: Record<string, unknown> = { service_id: source.service_id, version: '1.1.0', status: 1 };
    if (generation === 'legacy') item.upstream = source.upstream;
    const published = await api(sb, 'POST', '/api/services/publish', {
      create_new_version: true,
      gateway_group_id: gid,
      services: [item],
    });
    expect(published.status).toBe(200);
    const now = await serviceIn(sb, TEST, 'httpbin API');
    expect(now.version).toBe('1.1.0');
    expect(now.service_version_id).not.toBe(source.service_version_id);
    const again = await api(sb, 'POST', '/api/services/publish', {
      create_new_version: true,
      gateway_group_id: gid,
      services: [item],
    });
    expect(again.status).toBe(400);
    expect(again.body.error_msg).toMatch(/already exists/);

    const history = await api(
      sb,
      'GET',
      `/api/gateway_groups/${gid}/services/${source.service_id}/versions?page_size=10`,
    );
    expect(history.body.list.map((v: any) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(history.body.list[1].id).toBe(source.service_version_id);

    // Runtime configuration is per group and not versioned: change it, then roll back.
    const patched = await api(
      sb,
      'PATCH',
      `/api/gateway_groups/${gid}/services/${source.service_id}/runtime_configuration`,
      { hosts: ['test.example.com'] },
    );
    expect(patched.status).toBe(200);
    const rollback: Record<string, unknown> = {
      service_id: source.service_id,
      service_version_id: source.service_version_id,
      version: '1.0.0',
      status: 1,
    };
    if (generation === 'legacy')
      Object.assign(rollback, { upstream: source.upstream, hosts: ['test.example.com'] });
    expect(
      (
        await api(sb, 'POST', '/api/services/publish', {
          create_new_version: false,
          gateway_group_id: gid,
          services: [rollback],
        })
      ).status,
    ).toBe(200);
    const after = await serviceIn(sb, TEST, 'httpbin API');
    expect(after.version).toBe('1.0.0');
    expect(after.service_version_id).toBe(source.service_version_id);
    expect(after.hosts).toEqual(['test.example.com']);
  });

  it('later syncs keep the target group runtime configuration (modern) and a dry-run PATCH changes nothing', async () => {
    sb = await sandbox(walkthroughSeed(), version);
    const { source, target, body } = await syncBody(sb);
    await api(sb, 'POST', '/api/services/publish', body);
    const runtimePath = `/api/gateway_groups/${target}/services/${source.service_id}/runtime_configuration`;
    const dry = await api(sb, 'PATCH', `${runtimePath}?dry-run=all`, {
      upstreams: { nodes: [{ host: 'prod.internal', port: 8080, weight: 1 }] },
      status: 1,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.value.upstreams.nodes[0].host).toBe('prod.internal');
    expect((await api(sb, 'GET', runtimePath)).body.value.upstreams?.nodes?.[0]?.host).not.toBe(
      'prod.internal',
    );
    const set = await api(sb, 'PATCH', runtimePath, {
      upstreams: { nodes: [{ host: 'prod.internal', port: 8080, weight: 1 }] },
      status: 1,
    });
    expect(set.status).toBe(200);
    const runtime = await api(sb, 'GET', runtimePath);
    expect(runtime.body.value).toMatchObject({
      status: 1,
      upstreams: { nodes: [{ host: 'prod.internal', port: 8080, weight: 1 }] },
    });
  });
});

describe('"No Version" services and registries', () => {
  it('a service created directly in a group has no version and runs at once', async () => {
    sb = await sandbox(walkthroughSeed({ services: [] }));
    const gid = await groupId(sb, TEST);
    const svc = await api(sb, 'PUT', `/apisix/admin/services/orders?gateway_group_id=${gid}`, {
      name: 'orders',
      upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 1 }] },
    });
    expect(svc.status).toBe(200);
    const route = await api(sb, 'PUT', `/apisix/admin/routes/r1?gateway_group_id=${gid}`, {
      name: 'ip',
      paths: ['/ip'],
      service_id: 'orders',
    });
    expect(route.status).toBe(200);
    const listed = await serviceIn(sb, TEST, 'orders');
    expect(listed.version).toBe('');
    expect(listed.service_version_id).toBeUndefined();
    const info = await api(
      sb,
      'GET',
      `/apisix/admin/services/orders?gateway_group_id=${gid}&with_publish_info=true`,
    );
    expect(info.body.value).toMatchObject({ id: 'orders', version: '', service_id: listed.service_id });
    const answer = await viaGateway(sb.gateways[TEST]!, '/ip');
    expect(answer.status).toBe(200);
    expect(answer.body.origin).toBeTruthy();
  });

  it('a discovery upstream must name a registry of the same group', async () => {
    sb = await sandbox();
    const prod = await groupId(sb, PROD);
    const test = await groupId(sb, TEST);
    const registries = await api(sb, 'GET', `/api/gateway_groups/${prod}/service_registries`);
    expect(registries.body.list.map((r: any) => r.name)).toEqual(['生产用注册中心']);
    const registryId = registries.body.list[0].id;
    const res = await api(sb, 'PUT', `/apisix/admin/services/x?gateway_group_id=${test}`, {
      name: 'x',
      upstream: { discovery_type: 'nacos', service_name: `${registryId}/public/DEFAULT_GROUP/httpbin` },
    });
    expect(res.status).toBe(400);
    expect(res.body.error_msg).toMatch(/^Error at "\/upstream\/service_name": service registry .* not found/);
  });

  it('conflict_check reports a route that already exists in the target', async () => {
    sb = await sandbox(
      walkthroughSeed({
        services: [
          ...walkthroughSeed().services!,
          {
            gatewayGroup: PROD,
            name: 'legacy headers',
            version: '0.1.0',
            routes: [{ name: 'old', paths: ['/headers'], methods: ['GET'] }],
          },
        ],
      }),
    );
    const source = await serviceIn(sb, TEST, 'httpbin API');
    const prod = await groupId(sb, PROD);
    const res = await api(sb, 'POST', '/api/services/conflict_check', {
      create_new_version: false,
      gateway_group_id: prod,
      services: [
        {
          service_id: source.service_id,
          service_version_id: source.service_version_id,
          version: '1.0.0',
          status: 1,
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.value.duplicate).toHaveLength(1);
    expect(res.body.value.duplicate[0][1]).toMatchObject({
      service_name: 'legacy headers',
      route_name: 'old',
    });
  });
});
