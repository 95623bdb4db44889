/**
 * The truth under a sustained outage of one kind of request (publish, runtime PATCH, reads) that
 * starts once the promotion's first write has landed, on both API generations. Whatever the
 * outage leaves behind, the result says what the target group really runs (read straight from
 * the sandbox's store), never restores a runtime configuration without its version, and gives
 * advice that would put the old state back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine, SyncResult } from '../../engine/index.js';
import { createEngine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { configFor, QUICK } from '../helpers/engine.js';
import { api, deadPort, namedUpstream, PROD, sandbox, withProductionAt090 } from '../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
  while (cleanups.length) await cleanups.pop()!();
});

const PUBLISH = { method: 'POST', pathPrefix: '/api/services/publish' };
const PATCH = { method: 'PATCH', pathPrefix: '/api/gateway_groups/' };
const READS = { method: 'GET', pathPrefix: '/api/' };

const httpbin = (port: number) => `  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [{host: 127.0.0.1, port: ${port}}]
    verify:
      - {path: /headers, status: 200}
`;

/** What production runs for the service, from the sandbox's store (not through the API). */
function production() {
  const group = [...sb.store.groups.values()].find((g) => g.name === PROD)!;
  const p = [...sb.store.published.values()].find(
    (s) => s.gateway_group_id === group.id && s.name === 'httpbin API',
  )!;
  return {
    version: p.version,
    status: p.status,
    nodes: p.upstream?.nodes?.map((n) => `${n.host}:${n.port}`),
  };
}

/** Promotes 1.0.0 onto `port` with every request of kind `outage` failing once `after` landed. */
async function promoteUnderOutage(
  api7Version: string,
  port: number,
  outage: { method: string; pathPrefix: string },
  after = PUBLISH,
): Promise<SyncResult> {
  sb = await sandbox(withProductionAt090(), api7Version);
  engine = createEngine({
    config: configFor(sb, httpbin(port)),
    token: sb.token,
    budgets: { readRetryWindowMs: 300 },
  });
  const plan = await engine.plan({ from: 'test', to: 'production' });
  await api(sb, 'PUT', '/sandbox/faults', { errorRate: 1, match: outage, after }, null);
  const result = await engine.apply(plan, { ...QUICK, writeAttempts: 2 });
  await api(sb, 'DELETE', '/sandbox/faults', undefined, null);
  return result;
}

const OLD = { version: '0.9.0', status: 1, nodes: ['httpbin:80'] };

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('an outage after the first write landed, %s generation', (generation, api7Version) => {
  const modern = generation === 'modern';

  it('publishes down: the undo cannot publish 0.9.0 again, so the new version keeps its own upstream and the result says so', async () => {
    const dead = await deadPort();
    const result = await promoteUnderOutage(api7Version, dead, PUBLISH);
    // The runtime configuration is not put back without its version: 1.0.0 never runs on the old upstream.
    expect(production()).toEqual({ version: '1.0.0', status: 1, nodes: [`127.0.0.1:${dead}`] });
    const [s] = result.services;
    expect(result.ok).toBe(false);
    expect(s).toMatchObject({ action: 'failed', reason: 'verify-failed' });
    expect(s!.message).toContain(
      `ROLLBACK INCOMPLETE: it runs version 1.0.0 (the new one), upstream nodes 127.0.0.1:${dead} (the new one), hosts none (unchanged), enabled (unchanged)`,
    );
    // Advice that works: the rollback puts the version back, the dashboard the upstream it keeps.
    expect(s!.message).toContain(
      'run api7-sync rollback --env production --service "httpbin API" --to-version 0.9.0 --no-verify (its probes would still reach the new runtime configuration); then, because a rollback keeps the runtime configuration, set its runtime configuration back in the API7 dashboard: upstream nodes httpbin:80',
    );

    // Following the first step as advised, once the control plane answers again: the rollback
    // succeeds, and what still differs from before is exactly what the second step names.
    const rollback = await engine!.rollback(
      { environment: 'production', service: 'httpbin API', toVersion: '0.9.0' },
      { ...QUICK, verify: false },
    );
    expect(rollback.ok).toBe(true);
    expect(production()).toEqual({ ...OLD, nodes: [`127.0.0.1:${dead}`] });
  });

  it('runtime PATCHes down from the first publish on: whatever the undo could do, the result matches the group', async () => {
    const dead = await deadPort();
    const result = await promoteUnderOutage(api7Version, dead, PATCH);
    // Modern: the new upstream never landed; legacy: the publish carried it and the undo's publish took it back.
    expect(production()).toEqual(OLD);
    expect(result.services[0]).toMatchObject({
      action: 'rolled-back',
      reason: modern ? 'runtime-failed' : 'verify-failed',
    });
    expect(result.services[0]!.message).toMatch(/back on 0\.9\.0 with its previous runtime configuration$/);
  });

  it('reads down after the publish: every write and verification passed, only the read-back failed, and the reason says so', async () => {
    const upstream = await namedUpstream('new');
    cleanups.push(upstream.close);
    const result = await promoteUnderOutage(api7Version, upstream.port, READS);
    expect(production()).toEqual({ version: '1.0.0', status: 1, nodes: [`127.0.0.1:${upstream.port}`] });
    const [s] = result.services;
    expect(s!.verify.every((p) => p.ok)).toBe(true);
    expect(s).toMatchObject({ action: 'failed', reason: 'read-back-failed' });
    expect(s!.message).toBe(
      'every write and its verification succeeded, but the target group could not be read back afterwards, so what it runs is unconfirmed: check what production runs with api7-sync status',
    );
  });
});

describe('an outage after the first write landed, modern generation only', () => {
  it('runtime PATCHes down after the first one landed: 0.9.0 is back but keeps the new upstream, and the advice names the upstream to set', async () => {
    const dead = await deadPort();
    const result = await promoteUnderOutage('3.9.0', dead, PATCH, PATCH);
    expect(production()).toEqual({ version: '0.9.0', status: 1, nodes: [`127.0.0.1:${dead}`] });
    const [s] = result.services;
    expect(s).toMatchObject({ action: 'failed', reason: 'verify-failed' });
    expect(s!.message).toContain(
      `ROLLBACK INCOMPLETE: it runs version 0.9.0 (as before), upstream nodes 127.0.0.1:${dead} (the new one)`,
    );
    // The version is right: no rollback to run, only the upstream to set back.
    expect(s!.message).toMatch(
      /to put back what ran before once the control plane answers again, set its runtime configuration back in the API7 dashboard: upstream nodes httpbin:80$/,
    );
    expect(s!.message).not.toContain('api7-sync rollback');
  });
});
