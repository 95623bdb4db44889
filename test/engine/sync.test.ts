import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { validator } from '../helpers/contract.js';
import { configFor, engineFor, QUICK } from '../helpers/engine.js';
import {
  api,
  deadPort,
  groupId,
  namedUpstream,
  PROD,
  requestLog,
  sandbox,
  serviceIn,
  TEST,
  viaGateway,
  walkthroughSeed,
  withProductionAt090,
  writes,
} from '../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
  while (cleanups.length) await cleanups.pop()!();
});

const HTTPBIN_RUNTIME = (node: string, extra = '') => `  httpbin API:
    runtime:
      production:
${extra}        upstream:
          nodes: [${node}]
    verify:
      - {path: /headers, status: 200}
`;

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('promotion on the %s generation', (_generation, api7Version) => {
  it('syncs the running version; the target gateway reaches the target upstream', async () => {
    const backend = await namedUpstream('production-backend');
    cleanups.push(backend.close);
    sb = await sandbox(walkthroughSeed(), api7Version);
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME(`{host: 127.0.0.1, port: ${backend.port}}`)));
    const plan = await engine.plan({ from: 'test', to: 'production', expectVersion: '1.0.0' });
    const result = await engine.apply(plan, QUICK);
    expect(result.ok).toBe(true);
    const [entry] = result.services;
    expect(entry).toMatchObject({
      name: 'httpbin API',
      action: 'synced',
      version: '1.0.0',
      requestedVersion: '1.0.0',
      previousVersion: null,
    });
    expect(entry!.verify).toEqual([expect.objectContaining({ path: '/headers', status: 200, ok: true })]);
    const source = await serviceIn(sb, TEST, 'httpbin API');
    const target = await serviceIn(sb, PROD, 'httpbin API');
    expect(target).toMatchObject({
      version: '1.0.0',
      service_version_id: source.service_version_id,
      status: 1,
    });
    expect(entry!.serviceVersionId).toBe(source.service_version_id);
    expect((await viaGateway(sb.gateways[PROD]!, '/headers')).body.upstream).toBe('production-backend');
    expect((await viaGateway(sb.gateways[TEST]!, '/headers')).body.headers).toBeDefined();

    // Every write the engine sent is a body API7's own schema accepts.
    const modern = api7Version === '3.9.0';
    for (const w of await writes(sb)) {
      if (w.path === '/api/services/publish') {
        const validate = validator('POST /api/services/publish', 'request', modern);
        expect(validate(w.body), JSON.stringify(validate.errors)).toBe(true);
      } else if (w.path.endsWith('/runtime_configuration')) {
        expect(
          validator(
            'PATCH /api/gateway_groups/{gateway_group_id}/services/{service_id}/runtime_configuration',
            'request',
          )(w.body),
        ).toBe(true);
      }
    }

    // The same promotion again is `unchanged` and writes nothing.
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const again = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(again.services[0]).toMatchObject({ action: 'unchanged', version: '1.0.0' });
    expect(again.ok).toBe(true);
    expect(await writes(sb)).toEqual([]);
  });

  it('refuses a version that is not the running one, before any write', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}')));
    const result = await engine.apply(
      await engine.plan({ from: 'test', to: 'production', expectVersion: '0.9.0' }),
      QUICK,
    );
    expect(result.ok).toBe(false);
    expect(result.services[0]).toMatchObject({
      action: 'refused',
      reason: 'not-current-version',
      requestedVersion: '0.9.0',
    });
    expect(result.services[0]!.message).toMatch(/runs 1\.0\.0/);
    expect((await requestLog(sb)).length).toBeGreaterThan(0);
    expect(await writes(sb)).toEqual([]);
  });

  it('labels a "No Version" source only when given a label; then both groups run it', async () => {
    sb = await sandbox(
      walkthroughSeed({
        services: [
          { gatewayGroup: TEST, name: 'httpbin API', routes: [{ name: 'headers', paths: ['/headers'] }] },
        ],
      }),
      api7Version,
    );
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}')));
    const refused = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(refused.services[0]).toMatchObject({ action: 'refused', reason: 'no-version-needs-label' });
    expect(await writes(sb)).toEqual([]);

    const result = await engine.apply(
      await engine.plan({ from: 'test', to: 'production', newVersion: '2.0.0' }),
      QUICK,
    );
    expect(result.services[0]).toMatchObject({ action: 'synced', version: '2.0.0' });
    const source = await serviceIn(sb, TEST, 'httpbin API');
    const target = await serviceIn(sb, PROD, 'httpbin API');
    expect(source.version).toBe('2.0.0');
    expect(target.version).toBe('2.0.0');
    expect(target.service_version_id).toBe(source.service_version_id);
    // The source keeps serving while it gets its label.
    expect((await viaGateway(sb.gateways[TEST]!, '/headers')).status).toBe(200);
  });

  it('maps a discovery upstream to the target registry; refuses a registry the target lacks', async () => {
    sb = await sandbox(
      walkthroughSeed({
        registries: [
          ...walkthroughSeed().registries!,
          { gatewayGroup: TEST, name: '测试用注册中心', type: 'nacos', services: [] },
        ],
      }),
      api7Version,
    );
    const discovery = (registry: string) => `  httpbin API:
    runtime:
      production:
        upstream:
          discovery: {registry: ${registry}, namespace: public, group: DEFAULT_GROUP, service: httpbin}
    verify: [{path: /headers}]
`;
    engine = engineFor(sb, configFor(sb, discovery('测试用注册中心')));
    const refused = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(refused.services[0]).toMatchObject({ action: 'refused', reason: 'registry-not-found' });
    expect(refused.services[0]!.message).toMatch(/生产用注册中心/);
    expect(await writes(sb)).toEqual([]);
    await engine.close();

    engine = engineFor(sb, configFor(sb, discovery('生产用注册中心')));
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(result.services[0]).toMatchObject({
      action: 'synced',
      runtime: { upstream: 'discovery 生产用注册中心 public/DEFAULT_GROUP/httpbin' },
    });
    const target = await serviceIn(sb, PROD, 'httpbin API');
    expect(target.upstream.discovery_type).toBe('nacos');
    expect((await viaGateway(sb.gateways[PROD]!, '/headers')).status).toBe(200);
  });

  it('rolls back to the previous version and runtime when verification fails', async () => {
    const port = await deadPort();
    sb = await sandbox(withProductionAt090(), api7Version);
    const before = await serviceIn(sb, PROD, 'httpbin API');
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME(`{host: 127.0.0.1, port: ${port}}`)));
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(result.ok).toBe(false);
    expect(result.services[0]).toMatchObject({
      action: 'rolled-back',
      reason: 'verify-failed',
      previousVersion: '0.9.0',
      version: '1.0.0',
    });
    expect(result.services[0]!.verify[0]).toMatchObject({ ok: false, status: 502 });
    const after = await serviceIn(sb, PROD, 'httpbin API');
    expect(after).toMatchObject({
      version: '0.9.0',
      service_version_id: before.service_version_id,
      status: 1,
      upstream: before.upstream,
    });
    expect((await viaGateway(sb.gateways[PROD]!, '/headers')).status).toBe(200);
  });

  // Was: "disables a first-time sync again" — a disabled copy carrying the broken upstream stayed
  // behind, reported as rolled back (issue #11). Now the target is left as it was: without it.
  it('removes a first-time sync from the target when verification fails', async () => {
    const port = await deadPort();
    sb = await sandbox(walkthroughSeed(), api7Version);
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME(`{host: 127.0.0.1, port: ${port}}`)));
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(result.services[0]).toMatchObject({ action: 'rolled-back', reason: 'verify-failed' });
    expect(result.services[0]!.message).toMatch(/removed from it again/);
    expect(await serviceIn(sb, PROD, 'httpbin API')).toBeUndefined();
    expect((await writes(sb)).filter((w) => w.method === 'DELETE')).toEqual([
      expect.objectContaining({ query: { gateway_group_id: await groupId(sb, PROD) } }),
    ]);
    expect((await viaGateway(sb.gateways[PROD]!, '/headers')).status).toBe(404);
  });

  it('rolls back every service of an atomic promotion when one fails', async () => {
    const port = await deadPort();
    const seed = withProductionAt090();
    seed.services!.push({
      gatewayGroup: TEST,
      name: 'orders',
      version: '3.0.0',
      routes: [{ name: 'ip', paths: ['/ip'] }],
      upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 1 }] },
    });
    sb = await sandbox(seed, api7Version);
    engine = engineFor(
      sb,
      configFor(
        sb,
        HTTPBIN_RUNTIME('{host: httpbin, port: 80}') +
          `  orders:
    runtime:
      production:
        upstream: {nodes: [{host: 127.0.0.1, port: ${port}}]}
    verify: [{path: /ip}]
`,
      ),
    );
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    const byName = Object.fromEntries(result.services.map((s) => [s.name, s]));
    expect(byName.orders).toMatchObject({ action: 'rolled-back', reason: 'verify-failed' });
    expect(byName['httpbin API']).toMatchObject({ action: 'rolled-back', reason: 'atomic-rollback' });
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
    // A first-time sync is removed again, not left disabled (issue #11).
    expect(await serviceIn(sb, PROD, 'orders')).toBeUndefined();
    // One publish request carried both services.
    const publishes = (await writes(sb)).filter((w) => w.path === '/api/services/publish');
    expect(publishes[0]!.body.services).toHaveLength(2);
  });

  it('repairs runtime drift on a target already at the version, and says so', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}')));
    await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    const prod = await groupId(sb, PROD);
    const target = await serviceIn(sb, PROD, 'httpbin API');
    await api(
      sb,
      'PATCH',
      `/api/gateway_groups/${prod}/services/${target.service_id}/runtime_configuration`,
      {
        upstreams: { nodes: [{ host: 'drifted.internal', port: 81, weight: 1 }] },
      },
    );
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(result.services[0]).toMatchObject({
      action: 'synced',
      runtimeRepaired: true,
      previousVersion: '1.0.0',
    });
    expect((await serviceIn(sb, PROD, 'httpbin API')).upstream.nodes[0].host).toBe('httpbin');
    // A repair is a runtime PATCH, not a new publish.
    expect((await writes(sb)).map((w) => w.method)).toEqual(['PATCH']);
  });

  it('rolls back by hand to the version that ran before, keeping the runtime configuration', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    engine = engineFor(
      sb,
      configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}', '        hosts: [api.example.com]\n')),
    );
    await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    const result = await engine.rollback({ environment: 'production', service: 'httpbin API' }, QUICK);
    // Was `action: 'synced'`: a rollback reads as a rollback (issue #11).
    expect(result).toMatchObject({ operation: 'rollback', ok: true });
    expect(result.services[0]).toMatchObject({
      action: 'rolled-back',
      reason: null,
      version: '0.9.0',
      previousVersion: '1.0.0',
    });
    const after = await serviceIn(sb, PROD, 'httpbin API');
    expect(after.version).toBe('0.9.0');
    expect(after.hosts).toEqual(['api.example.com']);
    const missing = await engine.rollback({
      environment: 'production',
      service: 'httpbin API',
      toVersion: '7.7.7',
    });
    expect(missing.services[0]).toMatchObject({ action: 'refused', reason: 'version-not-in-group' });
  });
});

describe('refusals and plans', () => {
  it('plan and dry run send no write', async () => {
    sb = await sandbox();
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}')));
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const dry = await engine.apply(plan, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, ok: true });
    expect(dry.services[0]).toMatchObject({ action: 'planned', version: '1.0.0' });
    expect(await writes(sb)).toEqual([]);
    expect(await serviceIn(sb, PROD, 'httpbin API')).toBeUndefined();
  });

  it('resolves gateway groups by exact name: prod is never prod-eu', async () => {
    sb = await sandbox(
      walkthroughSeed({
        gatewayGroups: [{ name: TEST }, { name: 'prod-eu' }, { name: 'prod' }, { name: PROD }],
      }),
    );
    const config = configFor(
      sb,
      HTTPBIN_RUNTIME('{host: httpbin, port: 80}').replace('production:', 'prod:'),
      `  prod:\n    gatewayGroup: prod\n    gatewayUrl: ${sb.gateways.prod}\n`,
    );
    engine = engineFor(sb, config);
    const plan = await engine.plan({ from: 'test', to: 'prod' });
    expect(plan.to.group?.name).toBe('prod');
    await engine.apply(plan, { verify: false });
    expect(await serviceIn(sb, 'prod', 'httpbin API')).toMatchObject({ version: '1.0.0' });
    expect(await serviceIn(sb, 'prod-eu', 'httpbin API')).toBeUndefined();
  });

  it('refuses an unknown environment, a source promoteFrom forbids, an unknown service, a route conflict', async () => {
    sb = await sandbox(
      walkthroughSeed({
        services: [
          ...walkthroughSeed().services!,
          {
            gatewayGroup: PROD,
            name: 'squatter',
            version: '1',
            routes: [{ name: 'mine', paths: ['/headers'], methods: ['GET'] }],
          },
        ],
      }),
    );
    engine = engineFor(
      sb,
      configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}') + '  ghost:\n    verify: []\n'),
    );
    const cases: [Parameters<Engine['plan']>[0], string][] = [
      [{ from: 'test', to: 'staging' }, 'unknown-environment'],
      [{ from: 'production', to: 'test' }, 'unknown-service'],
      [{ from: 'test', to: 'production', services: ['ghost'] }, 'unknown-service'],
      [{ from: 'test', to: 'production', services: ['httpbin API'] }, 'route-conflict'],
    ];
    for (const [req, reason] of cases) {
      const result = await engine.apply(await engine.plan(req), QUICK);
      expect(
        result.services.map((s) => s.reason),
        JSON.stringify(req),
      ).toContain(reason);
      expect(result.ok).toBe(false);
    }
    expect(await writes(sb)).toEqual([]);
  });

  it('refuses a source that promoteFrom does not allow', async () => {
    sb = await sandbox(walkthroughSeed({ gatewayGroups: [{ name: TEST }, { name: PROD }, { name: 'dev' }] }));
    engine = engineFor(
      sb,
      configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}'), '  dev:\n    gatewayGroup: dev\n'),
    );
    const result = await engine.apply(await engine.plan({ from: 'dev', to: 'production' }), QUICK);
    expect(result.services[0]).toMatchObject({ action: 'refused', reason: 'promote-from' });
    expect(await writes(sb)).toEqual([]);
  });

  it('refuses at apply time when the source moved since the plan', async () => {
    sb = await sandbox(walkthroughSeed(), '3.5.0');
    engine = engineFor(sb, configFor(sb, HTTPBIN_RUNTIME('{host: httpbin, port: 80}')));
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const source = await serviceIn(sb, TEST, 'httpbin API');
    const moved = await api(sb, 'POST', '/api/services/publish', {
      create_new_version: true,
      gateway_group_id: await groupId(sb, TEST),
      services: [{ service_id: source.service_id, version: '1.1.0', status: 1, upstream: source.upstream }],
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const result = await engine.apply(plan, QUICK);
    expect(result.services[0]).toMatchObject({ action: 'refused', reason: 'not-current-version' });
    expect(await writes(sb)).toEqual([]);
  });
});
