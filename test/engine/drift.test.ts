/**
 * Drift is shown (issue #11): plan and result entries carry `drift: [{key, target, config}]`,
 * the status matrix carries it per cell, text output lists the drifted keys, and a planned
 * entry says why it is planned. Also the plan's messages a user must be able to act on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../engine/errors.js';
import type { Engine } from '../../engine/index.js';
import { resultText, statusText } from '../../engine/report.js';
import type { Sandbox } from '../../sandbox/server.js';
import { configFor, engineFor, HTTPBIN_SERVICE, QUICK } from '../helpers/engine.js';
import {
  api,
  groupId,
  PROD,
  sandbox,
  serviceIn,
  walkthroughSeed,
  withProductionAt090,
  writes,
} from '../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
});

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('drift, %s generation', (_generation, api7Version) => {
  it('plan, result, status and text output show what drifted, key by key', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    engine = engineFor(sb, configFor(sb, HTTPBIN_SERVICE));
    await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    const target = await serviceIn(sb, PROD, 'httpbin API');
    await api(
      sb,
      'PATCH',
      `/api/gateway_groups/${await groupId(sb, PROD)}/services/${target.service_id}/runtime_configuration`,
      {
        upstreams: { nodes: [{ host: 'drifted.internal', port: 81, weight: 1 }] },
      },
    );

    const plan = await engine.plan({ from: 'test', to: 'production' });
    const drift = [
      { key: 'upstream', target: 'nodes drifted.internal:81 (weight 1)', config: 'nodes httpbin:80' },
    ];
    expect(plan.entries[0]).toMatchObject({ decision: 'sync', drift });
    const dry = await engine.apply(plan, { dryRun: true });
    expect(dry.services[0]).toMatchObject({ action: 'planned', drift });
    expect(dry.services[0]!.message).toMatch(
      /already at 1\.0\.0; runtime configuration drifted \(upstream\)/,
    );
    expect(resultText(dry)).toContain(
      'drift: upstream (target: nodes drifted.internal:81 (weight 1); config: nodes httpbin:80)',
    );

    const matrix = await engine.status();
    const row = matrix.services.find((s) => s.name === 'httpbin API')!;
    expect(row.drift).toEqual({ test: [], production: drift });
    expect(statusText(matrix)).toMatch(/1\.0\.0 \(drift\)/);
    expect(statusText(matrix)).toContain(
      'httpbin API in production: upstream (target: nodes drifted.internal:81',
    );

    const synced = await engine.apply(plan, QUICK);
    expect(synced.services[0]).toMatchObject({ action: 'synced', runtimeRepaired: true, drift });
    expect((await engine.status()).services[0]!.drift.production).toEqual([]);
  });

  it('a planned entry says why: a version replacing another, or a first sync', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    engine = engineFor(sb, configFor(sb, HTTPBIN_SERVICE));
    const dry = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), { dryRun: true });
    expect(dry.services[0]).toMatchObject({ action: 'planned', message: '1.0.0 replaces 0.9.0' });
    expect(resultText(dry)).toContain('0.9.0 -> 1.0.0');
  });
});

describe('messages a user can act on', () => {
  it('an empty expected version is a usage error, not "you expected version , but"', async () => {
    sb = await sandbox();
    engine = engineFor(sb, configFor(sb, HTTPBIN_SERVICE));
    const error = await engine
      .plan({ from: 'test', to: 'production', expectVersion: '' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'usage' });
    expect((error as Error).message).toMatch(/expected version is empty; give a version such as 1\.0\.0/);
    expect(await writes(sb)).toEqual([]);
  });

  it('"did you mean" for a service name off by case or spacing, and for an environment', async () => {
    sb = await sandbox();
    engine = engineFor(sb, configFor(sb, HTTPBIN_SERVICE));
    for (const name of ['httpbin api', 'httpbin  API']) {
      const plan = await engine.plan({ from: 'test', to: 'production', services: [name] });
      expect(plan.entries[0]).toMatchObject({ decision: 'refused', reason: 'unknown-service' });
      expect(plan.entries[0]!.message).toContain('(did you mean "httpbin API"?)');
    }
    const env = await engine.plan({ from: 'test', to: 'Production' });
    expect(env.entries[0]!.message).toContain('(did you mean "production"?)');
    const rollback = await engine.rollback({ environment: 'production', service: 'HTTPBIN API' });
    expect(rollback.services[0]).toMatchObject({ action: 'refused', reason: 'unknown-service' });
    expect(rollback.services[0]!.message).toContain('(did you mean "httpbin API"?)');
    expect(resultText(rollback)).not.toMatch(/-> null|null|undefined|sync production/);
  });
});
