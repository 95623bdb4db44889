/**
 * Messages a user can act on (issue #23): each says what is wrong, where, and what to change.
 * Over HTTP against the sandbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../engine/config/load.js';
import { createEngine, type Engine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { HTTPBIN_SERVICE } from '../helpers/engine.js';
import { PROD, sandbox, TEST, withProductionAt090, writes } from '../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
});

const F = '.github/api7-sync.yml';

function configWith(controlPlane: string, productionGroup: string) {
  return parseConfig(
    `controlPlane: {url: ${controlPlane}}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: ${productionGroup}, promoteFrom: test}
services:
${HTTPBIN_SERVICE}`,
    F,
    { env: {} },
  );
}

describe('messages a user can act on', () => {
  it('an unknown gateway group lists the groups that exist, the nearest one, and the key to change', async () => {
    sb = await sandbox(withProductionAt090());
    engine = createEngine({ config: configWith(sb.controlPlane, '生产网关'), token: sb.token });
    const expected = `gateway group "生产网关" (environment "production") does not exist on the control plane (did you mean "${PROD}"?); the groups it has: "${TEST}", "${PROD}"; set environments.production.gatewayGroup in ${F} to one of them`;

    const plan = await engine.plan({ from: 'test', to: 'production' });
    expect(plan.entries[0]).toMatchObject({
      decision: 'refused',
      reason: 'unknown-environment',
      message: expected,
    });
    const result = await engine.apply(plan);
    expect(result.services[0]).toMatchObject({
      action: 'refused',
      reason: 'unknown-environment',
      message: expected,
    });
    const rollback = await engine.rollback({ environment: 'production', service: 'httpbin API' });
    expect(rollback.services[0]).toMatchObject({
      action: 'refused',
      reason: 'unknown-environment',
      message: expected,
    });
    expect(await writes(sb)).toEqual([]);
  });

  it('a controlPlane.url that points at a gateway says it looks like a gateway and what to change', async () => {
    sb = await sandbox(withProductionAt090());
    engine = createEngine({ config: configWith(sb.gateways[PROD]!, PROD), token: sb.token });
    const error = await engine.plan({ from: 'test', to: 'production' }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toBe(
      `GET /api/version: HTTP 404: ${sb.gateways[PROD]} answered "404 Route Not Found" the way an API7 gateway (data plane) does, not the control plane: set controlPlane.url to the dashboard / control plane's origin (usually https://HOST:7443); a gateway's address belongs in environments.<name>.gatewayUrl`,
    );
  });
});
