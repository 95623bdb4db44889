/**
 * On the modern generation the planner starts reading both groups' routes as soon as it knows the
 * groups, before it knows whether anything moves (engine/api7/routes.ts, GroupRouteReads). A read
 * that fails, needed or not, must neither crash the process nor change the plan's decisions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../engine/index.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { configFor, HTTPBIN_SERVICE, QUICK } from '../../helpers/engine.js';
import { api, groupId, sandbox, TEST, walkthroughSeed, withProductionAt090 } from '../../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
});

const routeOutage = () =>
  api(sb, 'PUT', '/sandbox/faults', { errorRate: 1, match: { pathPrefix: '/apisix/admin/routes' } }, null);
const requests = async () =>
  (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list as { path: string }[];

describe('the route reads started ahead of the route diff (modern generation)', () => {
  it('an outage of the route list while something moves: the plan still decides, and says the diff is missing', async () => {
    sb = await sandbox(walkthroughSeed(), '3.9.0');
    const logs: string[] = [];
    engine = createEngine({
      config: configFor(sb, HTTPBIN_SERVICE),
      token: sb.token,
      logger: (l) => logs.push(l),
    });
    await routeOutage();
    const plan = await engine.plan({ from: 'test', to: 'production' });
    expect(plan.entries[0]).toMatchObject({ name: 'httpbin API', decision: 'sync' });
    expect(plan.entries[0]!.routes).toBeUndefined();
    expect(logs.some((l) => /the route diff could not be read: .*503/.test(l))).toBe(true);
  });

  it('an outage of the route list when nothing moves: the read was not needed, nothing is reported and nothing crashes', async () => {
    sb = await sandbox(withProductionAt090(), '3.9.0');
    const logs: string[] = [];
    engine = createEngine({
      config: configFor(sb, HTTPBIN_SERVICE),
      token: sb.token,
      logger: (l) => logs.push(l),
    });
    // Promote once, so that production runs what test runs and a second plan has nothing to move.
    expect((await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK)).ok).toBe(true);
    await routeOutage();
    const again = await engine.plan({ from: 'test', to: 'production' });
    expect(again.entries[0]).toMatchObject({ decision: 'unchanged' });
    // The reads ran and failed; an unobserved failure would have ended this test as an
    // unhandled rejection.
    expect((await requests()).some((r) => r.path === '/apisix/admin/routes')).toBe(true);
    expect(logs.some((l) => /route diff/.test(l))).toBe(false);
  });

  it("into a group that has none of the services yet, only the source group's routes are read", async () => {
    sb = await sandbox(walkthroughSeed(), '3.9.0');
    engine = createEngine({ config: configFor(sb, HTTPBIN_SERVICE), token: sb.token });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const plan = await engine.plan({ from: 'test', to: 'production' });
    expect(plan.entries[0]).toMatchObject({ decision: 'sync' });
    expect(plan.entries[0]!.target).toBeFalsy();
    const routeReads = (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list.filter(
      (r: { path: string }) => r.path === '/apisix/admin/routes',
    );
    expect(routeReads.map((r: { query: Record<string, string> }) => r.query.gateway_group_id)).toEqual([
      await groupId(sb, TEST),
    ]);
  });

  it('without the route diff, no route is read at all', async () => {
    sb = await sandbox(walkthroughSeed(), '3.9.0');
    engine = createEngine({ config: configFor(sb, HTTPBIN_SERVICE), token: sb.token });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const plan = await engine.plan({ from: 'test', to: 'production', routeDiff: false });
    expect(plan.entries[0]).toMatchObject({ decision: 'sync' });
    expect((await requests()).filter((r) => r.path.includes('routes'))).toEqual([]);
  });
});
