/** Services created the ADC way in the test group, then promoted to production by api7-sync. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { ADC_ROUTE_ID, ADC_SERVICE_ID, adcRoute, adcService } from '../helpers/adc.js';
import { configFor, engineFor, QUICK } from '../helpers/engine.js';
import {
  api,
  groupId,
  namedUpstream,
  PROD,
  sandbox,
  serviceIn,
  TEST,
  viaGateway,
  walkthroughSeed,
} from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  while (cleanups.length) await cleanups.pop()!();
});

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('the ADC path, %s generation', (_g, version) => {
  it('ADC creates "No Version" services in test; api7-sync labels and promotes them with production runtime', async () => {
    const backend = await namedUpstream('production-httpbin');
    cleanups.push(backend.close);
    sb = await sandbox(walkthroughSeed({ services: [] }), version);
    const test = await groupId(sb, TEST);
    // Exactly what ADC sends (as recorded from ADC 0.28), into the test group.
    await api(sb, 'PUT', `/apisix/admin/services/${ADC_SERVICE_ID}?gateway_group_id=${test}`, adcService);
    await api(sb, 'PUT', `/apisix/admin/routes/${ADC_ROUTE_ID}?gateway_group_id=${test}`, adcRoute);
    expect((await serviceIn(sb, TEST, 'httpbin')).version).toBe('');

    const engine = engineFor(
      sb,
      configFor(
        sb,
        `  httpbin:\n    runtime:\n      production:\n        hosts: [api.example.com]\n        upstream: {nodes: [{host: 127.0.0.1, port: ${backend.port}}], passHost: node}\n    verify: [{path: /headers}]\n`,
      ),
    );
    try {
      const refused = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
      expect(refused.services[0]).toMatchObject({ action: 'refused', reason: 'no-version-needs-label' });
      const result = await engine.apply(
        await engine.plan({ from: 'test', to: 'production', newVersion: '1.0.0' }),
        QUICK,
      );
      expect(result.services[0]).toMatchObject({ action: 'synced', version: '1.0.0' });
    } finally {
      await engine.close();
    }
    const source = await serviceIn(sb, TEST, 'httpbin');
    const target = await serviceIn(sb, PROD, 'httpbin');
    expect([source.version, target.version]).toEqual(['1.0.0', '1.0.0']);
    expect(target.service_version_id).toBe(source.service_version_id);
    const answer = await viaGateway(sb.gateways[PROD]!, '/headers', 'api.example.com');
    expect(answer.body).toMatchObject({ upstream: 'production-httpbin', host: `127.0.0.1:${backend.port}` });
    // The test group keeps its own upstream.
    expect((await viaGateway(sb.gateways[TEST]!, '/headers')).body.headers).toBeDefined();
  });
});
