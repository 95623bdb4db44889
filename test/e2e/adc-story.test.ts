/** Services created the ADC way in the test group, then promoted to production by api7-sync. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
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

const SVC = '1cce0451c1506aebd20dc38421c5cc856493e694';

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
    // Exactly what ADC sends (adc-wire.md §5), into the test group.
    await api(sb, 'PUT', `/apisix/admin/services/${SVC}?gateway_group_id=${test}`, {
      service_id: SVC,
      name: 'httpbin',
      labels: { 'managed-by': 'adc' },
      upstream: {
        type: 'roundrobin',
        nodes: [{ host: 'httpbin', port: 80, weight: 100, priority: 0 }],
        scheme: 'http',
        pass_host: 'pass',
      },
      type: 'http',
    });
    await api(
      sb,
      'PUT',
      `/apisix/admin/routes/308233bd700e993351708567adaa38139b27ef69?gateway_group_id=${test}`,
      {
        route_id: '308233bd700e993351708567adaa38139b27ef69',
        name: 'headers',
        labels: { 'managed-by': 'adc' },
        service_id: SVC,
        paths: ['/headers'],
      },
    );
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
