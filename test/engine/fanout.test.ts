import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../engine/config/load.js';
import { createEngine, fanOut, lockOrder, resolveWaves, type Engine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { QUICK } from '../helpers/engine.js';
import { regionsConfig, regionsSeed, REGIONS } from '../helpers/regions.js';
import { api, deadPort, groupId, sandbox, serviceIn, writes } from '../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
});

const versionIn = async (group: string) => (await serviceIn(sb, group, 'httpbin API')).version;

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('fan-out in waves on the %s generation', (_generation, api7Version) => {
  it('three regions, the second fails verification: with --atomic the first is restored, the third untouched', async () => {
    sb = await sandbox(regionsSeed(), api7Version);
    const config = regionsConfig(sb, `{host: 127.0.0.1, port: ${await deadPort()}}`);
    engine = createEngine({ config, token: sb.token });
    const apId = await groupId(sb, 'ap');
    const result = await fanOut(engine, config, { to: '@production' }, { ...QUICK, atomic: true });
    expect(result.schemaVersion).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.targets.map((t) => t.to.environment)).toEqual(['eu', 'us', 'ap']);
    const [eu, us, ap] = result.targets;
    expect(eu!.services[0]).toMatchObject({ action: 'rolled-back', reason: 'atomic-rollback' });
    expect(eu!.services[0]!.message).toContain('"us" failed in wave 2 (atomic fan-out)');
    expect(us!.services[0]).toMatchObject({ action: 'rolled-back', reason: 'verify-failed' });
    expect(ap!.services[0]).toMatchObject({ action: 'refused', reason: 'not-started' });
    expect(ap!.services[0]!.message).toBe('not started: wave 2 (us) did not succeed');
    expect(await versionIn('eu')).toBe('0.9.0');
    expect(await versionIn('us')).toBe('0.9.0');
    expect(await versionIn('ap')).toBe('0.9.0');
    const touchedAp = (await writes(sb)).filter(
      (w) => w.body?.gateway_group_id === apId || w.path.includes(`/${apId}/`),
    );
    expect(touchedAp).toEqual([]);
  });

  it('without --atomic the first region keeps the new version; the failing one is rolled back', async () => {
    sb = await sandbox(regionsSeed(), api7Version);
    const config = regionsConfig(sb, `{host: 127.0.0.1, port: ${await deadPort()}}`);
    engine = createEngine({ config, token: sb.token });
    const result = await fanOut(engine, config, { from: 'test', to: 'eu,us,ap' }, QUICK);
    expect(result.targets.map((t) => t.services[0]!.action)).toEqual(['synced', 'rolled-back', 'refused']);
    expect(await versionIn('eu')).toBe('1.0.0');
    expect(await versionIn('us')).toBe('0.9.0');
    expect(await versionIn('ap')).toBe('0.9.0');
  });

  it('every region synced when all verify', async () => {
    sb = await sandbox(regionsSeed(), api7Version);
    const config = regionsConfig(sb, '{host: httpbin, port: 80}');
    engine = createEngine({ config, token: sb.token });
    const result = await fanOut(engine, config, { to: 'ap,eu,us' }, QUICK);
    expect(result.ok).toBe(true);
    expect(result.targets.map((t) => [t.to.environment, t.services[0]!.action])).toEqual([
      ['ap', 'synced'],
      ['eu', 'synced'],
      ['us', 'synced'],
    ]);
    for (const r of REGIONS) expect(await versionIn(r)).toBe('1.0.0');
  });
});

describe('fan-out when the control plane fails for one region', () => {
  it('that region is failed with the reason, the rollout stops, the region before it stays', async () => {
    sb = await sandbox(regionsSeed());
    const config = regionsConfig(sb, '{host: httpbin, port: 80}');
    engine = createEngine({ config, token: sb.token, budgets: { readTries: 1 } });
    const usId = await groupId(sb, 'us');
    await api(
      sb,
      'PUT',
      '/sandbox/faults',
      { errorRate: 1, match: { pathPrefix: `/api/gateway_groups/${usId}` } },
      null,
    );
    const result = await fanOut(engine, config, { from: 'test', to: 'eu,us,ap' }, QUICK);
    await api(sb, 'DELETE', '/sandbox/faults', undefined, null);
    const [eu, us, ap] = result.targets;
    expect(eu!.services[0]).toMatchObject({ action: 'synced' });
    expect(us!.services[0]).toMatchObject({ action: 'failed', reason: null });
    expect(us!.services[0]!.message).toMatch(/^"us" could not be promoted: /);
    expect(us!.services[0]!.message).not.toMatch(/undefined|\[object Object\]/);
    expect(ap!.services[0]).toMatchObject({ action: 'refused', reason: 'not-started' });
    expect(result.ok).toBe(false);
    expect(await versionIn('eu')).toBe('1.0.0');
    expect(await versionIn('us')).toBe('0.9.0');
  });
});

describe('waves', () => {
  const config = parseConfig(
    `controlPlane: {url: "http://127.0.0.1:1"}
environments:
  test: {gatewayGroup: t}
  us: {gatewayGroup: u, tags: [production], wave: 2}
  eu: {gatewayGroup: e, tags: [production], wave: 1}
  ap: {gatewayGroup: a, tags: [production], wave: 2}
  staging: {gatewayGroup: s, tags: [staging]}
services:
  svc: {}
`,
    '.github/api7-sync.yml',
    { env: {} },
  );

  it('orders tagged environments by wave, one wave in parallel; a list goes one by one in its order', () => {
    expect(resolveWaves(config, '@production')).toEqual([['eu'], ['ap', 'us']]);
    expect(resolveWaves(config, 'us,eu')).toEqual([['us'], ['eu']]);
    expect(lockOrder(resolveWaves(config, 'us,eu,ap'))).toEqual(['ap', 'eu', 'us']);
  });

  it('refuses an unknown tag, an empty name and a name given twice', () => {
    expect(() => resolveWaves(config, '@prod')).toThrow(
      'no environment in .github/api7-sync.yml is tagged "prod"; tags there: production, staging',
    );
    expect(() => resolveWaves(config, 'eu,,us')).toThrow('empty environment name');
    expect(() => resolveWaves(config, 'eu,us,eu')).toThrow('"eu" is named twice');
  });
});
