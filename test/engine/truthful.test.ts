/**
 * The result says what the target really runs (issue #11): undo that cannot be complete is a
 * failure, a first sync that fails leaves nothing behind, the default rollback target never
 * re-deploys what just failed, all-or-none covers refusals, and every entry going live is
 * checked for route conflicts. Both API generations, over HTTP against the sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { resultText } from '../../engine/report.js';
import type { Sandbox } from '../../sandbox/server.js';
import type { Seed } from '../../sandbox/seed.js';
import { configFor, engineFor, QUICK } from '../helpers/engine.js';
import {
  api,
  deadPort,
  PROD,
  sandbox,
  serviceIn,
  TEST,
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

const httpbin = (node: string, extra = '') => `  httpbin API:
    runtime:
      production:
${extra}        upstream:
          nodes: [${node}]
    verify:
      - {path: /headers, status: 200}
`;

/** Production ran 0.8.0, then 0.9.0 (running now). */
function productionHistory(): Seed {
  const seed = walkthroughSeed();
  for (const version of ['0.8.0', '0.9.0'])
    seed.services!.push({
      gatewayGroup: PROD,
      name: 'httpbin API',
      version,
      routes: [{ name: 'headers', paths: ['/headers'] }],
      upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
    });
  return seed;
}

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('the truth about a failed promotion, %s generation', (generation, api7Version) => {
  const modern = generation === 'modern';

  it('hosts added to a target that had none: a warning ahead, and never "rolled-back" if they stay', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    const dead = await deadPort();
    engine = engineFor(
      sb,
      configFor(sb, httpbin(`{host: 127.0.0.1, port: ${dead}}`, '        hosts: [api.example.com]\n')),
    );
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const [entry] = (await engine.apply(plan, { dryRun: true })).services;
    if (modern) expect(entry!.warnings.join(' ')).toMatch(/hosts api\.example\.com.*cannot clear/);
    else expect(entry!.warnings).toEqual([]);

    const result = await engine.apply(plan, QUICK);
    const after = await serviceIn(sb, PROD, 'httpbin API');
    expect(after).toMatchObject({ version: '0.9.0', status: 1 });
    expect(result.ok).toBe(false);
    if (modern) {
      // API7 3.6+ keeps the hosts: the result says so instead of "rolled back".
      expect(after.hosts).toEqual(['api.example.com']);
      expect(result.services[0]).toMatchObject({ action: 'failed', reason: 'cannot-clear-hosts' });
      expect(result.services[0]!.message).toMatch(/rolled back to 0\.9\.0.*keeps hosts api\.example\.com/);
    } else {
      // The legacy publish carries the runtime configuration: the hosts go with the rollback.
      expect(after.hosts).toBeUndefined();
      expect(result.services[0]).toMatchObject({ action: 'rolled-back', reason: 'verify-failed' });
    }
  });

  it('a failed first sync the control plane will not let go is reported failed, left-disabled', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    const dead = await deadPort();
    engine = engineFor(sb, configFor(sb, httpbin(`{host: 127.0.0.1, port: ${dead}}`)));
    const plan = await engine.plan({ from: 'test', to: 'production' });
    await api(
      sb,
      'PUT',
      '/sandbox/faults',
      { errorRate: 1, match: { method: 'DELETE', pathPrefix: '/apisix/admin/services' } },
      null,
    );
    const result = await engine.apply(plan, { ...QUICK, writeAttempts: 2 });
    await api(sb, 'DELETE', '/sandbox/faults', undefined, null);
    expect(result.services[0]).toMatchObject({ action: 'failed', reason: 'left-disabled' });
    expect(result.services[0]!.message).toMatch(/runs 1\.0\.0 \(disabled\)/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).status).toBe(0);
  });

  it('rollback after an automatic rollback never re-deploys the version that just failed', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    const dead = await deadPort();
    engine = engineFor(sb, configFor(sb, httpbin(`{host: 127.0.0.1, port: ${dead}}`)));
    const failed = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(failed.services[0]).toMatchObject({ action: 'rolled-back' });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);

    const result = await engine.rollback({ environment: 'production', service: 'httpbin API' }, QUICK);
    expect(result.services[0]).toMatchObject({ action: 'refused', reason: 'no-earlier-version' });
    expect(result.services[0]!.message).toMatch(/history: 0\.9\.0 .*1\.0\.0 .*0\.9\.0/);
    expect(await writes(sb)).toEqual([]);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
  });

  it('the default rollback target is what ran before the current version first came in', async () => {
    sb = await sandbox(productionHistory(), api7Version);
    const dead = await deadPort();
    engine = engineFor(sb, configFor(sb, httpbin(`{host: 127.0.0.1, port: ${dead}}`)));
    // 1.0.0 fails and is rolled back: production ran 0.8.0, 0.9.0, 1.0.0, 0.9.0.
    await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    const result = await engine.rollback({ environment: 'production', service: 'httpbin API' }, QUICK);
    expect(result.services[0]).toMatchObject({
      action: 'rolled-back',
      reason: null,
      version: '0.8.0',
      previousVersion: '0.9.0',
    });
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.8.0');
    // It reads as a rollback.
    const text = resultText(result);
    expect(text).toMatch(/^rollback in production/);
    expect(text).toContain('0.9.0 -> 0.8.0');
    expect(text).not.toMatch(/sync production -> production|synced|null|undefined/);
  });

  it('all or none covers refusals: one refused service means nothing is written', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    engine = engineFor(
      sb,
      configFor(sb, httpbin('{host: httpbin, port: 80}') + '  ghost:\n    verify: []\n'),
    );
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const result = await engine.apply(plan, QUICK);
    const byName = Object.fromEntries(result.services.map((s) => [s.name, s]));
    expect(byName.ghost).toMatchObject({ action: 'refused', reason: 'unknown-service' });
    expect(byName['httpbin API']).toMatchObject({ action: 'refused', reason: 'atomic-refusal' });
    expect(byName['httpbin API']!.message).toContain('"ghost"');
    expect(await writes(sb)).toEqual([]);
    expect(await serviceIn(sb, PROD, 'httpbin API')).toBeUndefined();

    const partial = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), {
      ...QUICK,
      atomic: false,
    });
    expect(partial.services.map((s) => s.action)).toEqual(['synced', 'refused']);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('a "No Version" source promoted with a new version label is checked for route conflicts', async () => {
    sb = await sandbox(
      walkthroughSeed({
        services: [
          {
            gatewayGroup: TEST,
            name: 'httpbin API',
            routes: [{ name: 'headers', paths: ['/headers'], methods: ['GET'] }],
          },
          {
            gatewayGroup: PROD,
            name: 'squatter',
            version: '1',
            routes: [{ name: 'mine', paths: ['/headers'], methods: ['GET'] }],
          },
        ],
      }),
      api7Version,
    );
    engine = engineFor(sb, configFor(sb, httpbin('{host: httpbin, port: 80}')));
    const result = await engine.apply(
      await engine.plan({ from: 'test', to: 'production', newVersion: '2.0.0' }),
      QUICK,
    );
    expect(result.services[0]).toMatchObject({ action: 'refused', reason: 'route-conflict' });
    expect(result.services[0]!.message).toMatch(/\/headers.*"squatter"/);
    expect(await writes(sb)).toEqual([]);
    expect((await serviceIn(sb, TEST, 'httpbin API')).version).toBe('');
  });
});
