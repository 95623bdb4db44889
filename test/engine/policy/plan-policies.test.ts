import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type ServiceResultWithRoutes } from '../../../engine/index.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { configFor, HTTPBIN_SERVICE, QUICK } from '../../helpers/engine.js';
import {
  api,
  groupId,
  PROD,
  sandbox,
  serviceIn,
  TEST,
  walkthroughSeed,
  withProductionAt090,
  writes,
} from '../../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
});

const make = (config: ReturnType<typeof configFor>, now?: () => number, logs: string[] = []) =>
  createEngine({ config, token: sb.token, now, logger: (l) => logs.push(l) });

const clearLog = () => api(sb, 'DELETE', '/sandbox/requests', undefined, null);

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('promotion policies on the %s generation', (_generation, api7Version) => {
  it('drift guard: a target edited by hand is refused target-edited, listing what differs; --force overwrites', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    const prod = await serviceIn(sb, PROD, 'httpbin API');
    // A person adds a route in production by hand: API7 now shows the service as "No Version".
    const edit = await api(
      sb,
      'PUT',
      `/apisix/admin/routes/hand-made?gateway_group_id=${await groupId(sb, PROD)}`,
      {
        name: 'hand-made',
        service_id: prod.id,
        paths: ['/ip'],
        methods: ['GET'],
      },
    );
    expect(edit.status).toBe(200);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('');
    await clearLog();

    engine = make(configFor(sb, HTTPBIN_SERVICE));
    const refused = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(refused.ok).toBe(false);
    expect(refused.services[0]).toMatchObject({ action: 'refused', reason: 'target-edited' });
    const message = refused.services[0]!.message!;
    expect(message).toContain('edited by hand in "生产网关组"');
    expect(message).toContain('route "hand-made" exists only in the group and would be removed');
    expect(message).toContain('route "anything" would be added');
    expect(message).toContain('--force');
    expect(message).not.toMatch(/undefined|\[object Object\]/);
    expect((refused.services[0] as ServiceResultWithRoutes).routes).toEqual({
      added: ['anything'],
      removed: ['hand-made'],
      changed: [{ name: 'headers', fields: ['methods'] }],
    });
    expect(message).toContain('route "headers" differs in methods');
    expect(await writes(sb)).toEqual([]);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('');

    const forced = await engine.apply(
      await engine.plan({ from: 'test', to: 'production', force: true }),
      QUICK,
    );
    expect(forced.services[0]).toMatchObject({ action: 'synced', version: '1.0.0' });
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('soak: a version younger than the soak is refused with the time left; an older one moves', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    const config = configFor(sb, HTTPBIN_SERVICE);
    config.environments.production!.soak = { test: '1h' };
    // The seed published 1.0.0 in the test group just now; the engine's clock says 30 minutes later.
    engine = make(config, () => Date.now() + 30 * 60_000);
    const early = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(early.services[0]).toMatchObject({ action: 'refused', reason: 'soak-not-met' });
    expect(early.services[0]!.message).toMatch(
      /has run in "test" for (30m|29m \d+s) of the 1h it must soak there; (29m \d+s|30m) left$/,
    );
    expect(await writes(sb)).toEqual([]);
    await engine.close();

    engine = make(config, () => Date.now() + 61 * 60_000);
    const late = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(late.services[0]).toMatchObject({ action: 'synced', version: '1.0.0' });
    // Soak applies to the source named: promoting from elsewhere ignores it (test has no soak).
    expect(config.environments.test!.soak).toBeUndefined();
  });

  it('windows: outside every window a write is refused outside-window, a plan warns; break glass overrides and is recorded', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    const config = configFor(sb, HTTPBIN_SERVICE);
    config.environments.production!.protection = {
      windows: { timezone: 'Asia/Shanghai', allow: ['Mon-Thu 10:00-16:00', 'Sat 09:00-12:00'] },
    };
    // 2026-11-27 10:03 UTC is a Friday, 18:03 in Shanghai.
    const friday = () => Date.parse('2026-11-27T10:03:00Z');
    engine = make(config, friday);
    // Windows gate writes only: the plan and its dry run warn, and write nothing.
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const dry = await engine.apply(plan, { dryRun: true });
    expect(dry.services[0]).toMatchObject({ action: 'planned', reason: null });
    expect(dry.services[0]!.warnings).toEqual([
      expect.stringMatching(
        /^outside the promotion windows, a sync would be refused: "production" takes promotions only/,
      ),
    ]);
    const closed = await engine.apply(plan, QUICK);
    expect(closed.services[0]).toMatchObject({ action: 'refused', reason: 'outside-window' });
    expect(closed.services[0]!.message).toBe(
      '"production" takes promotions only Mon-Thu 10:00-16:00, Sat 09:00-12:00 (Asia/Shanghai); it is Fri 18:03 in Asia/Shanghai. Wait for a window, or override with --break-glass REASON',
    );
    expect(closed.breakGlass).toBeUndefined();
    expect(await writes(sb)).toEqual([]);

    const logs: string[] = [];
    await engine.close();
    engine = make(config, friday, logs);
    const broken = await engine.apply(
      await engine.plan({ from: 'test', to: 'production', breakGlass: 'INC-42 payment outage' }),
      QUICK,
    );
    expect(broken.services[0]).toMatchObject({ action: 'synced' });
    expect(broken.breakGlass).toEqual({ reason: 'INC-42 payment outage', overrode: true });
    expect(logs.join('\n')).toContain('breaking glass');

    // A service that would not change is never refused by a closed window: nothing to write.
    const again = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(again.services[0]).toMatchObject({ action: 'unchanged', reason: null });
    expect(again.ok).toBe(true);

    // Inside a window nothing is refused (Thursday 11:00 in Shanghai).
    await engine.close();
    engine = make(config, () => Date.parse('2026-11-26T03:00:00Z'));
    const open = await engine.plan({ from: 'test', to: 'production' });
    expect(open.entries[0]).toMatchObject({ decision: 'unchanged' });
  });

  it('route diff: each entry that will sync lists routes added, removed and changed; --no-route-diff skips it', async () => {
    sb = await sandbox(
      walkthroughSeed({
        services: [
          ...walkthroughSeed().services!,
          {
            gatewayGroup: PROD,
            name: 'httpbin API',
            version: '0.9.0',
            routes: [
              { name: 'headers', paths: ['/headers'], methods: ['GET', 'POST'] },
              { name: 'ip', paths: ['/ip'] },
            ],
            upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
          },
        ],
      }),
      api7Version,
    );
    engine = make(configFor(sb, HTTPBIN_SERVICE));
    await clearLog();
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const planned = (await engine.apply(plan, { dryRun: true })).services[0] as ServiceResultWithRoutes;
    expect(planned.action).toBe('planned');
    expect(planned.routes).toEqual({
      added: ['anything'],
      removed: ['ip'],
      changed: [{ name: 'headers', fields: ['methods'] }],
    });
    const log = (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list as {
      path: string;
      query: Record<string, string>;
    }[];
    const snapshotReads = log.filter((r) => /^\/api\/service_versions\/[^/]+\/routes$/.test(r.path));
    const groupReads = log.filter((r) => r.path === '/apisix/admin/routes');
    if (_generation === 'modern') {
      // One list of each group's live routes (its running snapshots'), not one read per snapshot.
      expect(snapshotReads).toHaveLength(0);
      expect(groupReads.map((r) => r.query.gateway_group_id).sort()).toEqual(
        [await groupId(sb, TEST), await groupId(sb, PROD)].sort(),
      );
      expect(groupReads.every((r) => r.query.service_id === undefined)).toBe(true);
    } else {
      expect(snapshotReads).toHaveLength(2);
      expect(groupReads).toHaveLength(0);
    }
    expect(await writes(sb)).toEqual([]);

    const synced = (await engine.apply(plan, QUICK)).services[0] as ServiceResultWithRoutes;
    expect(synced).toMatchObject({ action: 'synced', routes: planned.routes });

    await clearLog();
    const skipped = await engine.plan({ from: 'test', to: 'production', routeDiff: false });
    expect(skipped.entries[0]!.routes).toBeUndefined();
    const again = (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list;
    expect(again.some((r: { path: string }) => r.path.startsWith('/api/service_versions/'))).toBe(false);
    expect((await serviceIn(sb, TEST, 'httpbin API')).version).toBe('1.0.0');
  });
});

describe('the route diff at scale, modern generation', () => {
  it("reads both groups' routes in a few paged lists, whatever the number of services", async () => {
    const n = 60;
    const name = (i: number) => `svc-${i}`;
    const routes = (i: number, v: string) => [
      { name: `${name(i)}-read`, paths: [`/anything/${name(i)}`] },
      { name: `${name(i)}-${v}`, paths: [`/anything/${name(i)}/${v}`] },
    ];
    const services = [];
    for (let i = 0; i < n; i++) {
      const upstream = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };
      services.push({
        gatewayGroup: TEST,
        name: name(i),
        version: '1.0.0',
        routes: routes(i, 'new'),
        upstream,
      });
      if (i % 2 === 0)
        services.push({
          gatewayGroup: PROD,
          name: name(i),
          version: '0.9.0',
          routes: routes(i, 'old'),
          upstream,
        });
    }
    sb = await sandbox(
      { token: 'a7ee-route-diff', gatewayGroups: [{ name: TEST }, { name: PROD }], services },
      '3.9.0',
    );
    const config = Array.from(
      { length: n },
      (_, i) => `  ${name(i)}: {runtime: {production: {upstream: {nodes: [{host: httpbin, port: 80}]}}}}\n`,
    ).join('');
    engine = make(configFor(sb, config));
    await clearLog();
    const plan = await engine.plan({ from: 'test', to: 'production' });
    for (let i = 0; i < n; i++) {
      const entry = plan.entries.find((e) => e.name === name(i))!;
      expect(entry.routes).toEqual(
        i % 2 === 0
          ? { added: [`${name(i)}-new`], removed: [`${name(i)}-old`], changed: [] }
          : { added: [`${name(i)}-new`, `${name(i)}-read`].sort(), removed: [], changed: [] },
      );
    }
    const log = (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list as { path: string }[];
    const routeReads = log.filter((r) => r.path.endsWith('/routes'));
    // 120 routes in the source (two pages of 100), 60 in the target (one page).
    expect(routeReads).toHaveLength(3);
    expect(routeReads.length / n).toBeLessThanOrEqual(0.1);
  });
});
