/** Builds configs and engines against a running sandbox. */
import { parseConfig } from '../../engine/config/load.js';
import type { Config } from '../../engine/config/types.js';
import { createEngine, type Engine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { PROD, TEST } from './sandbox.js';

/**
 * A config for the sandbox's two groups. `services` is the YAML under `services:`, indented by
 * two spaces; `${TEST_GW}` and `${PROD_GW}` are interpolated like any other variable.
 */
export function configFor(sb: Sandbox, services: string, extraEnvironments = ''): Config {
  const text = `controlPlane:
  url: \${CP}
environments:
  test:
    gatewayGroup: ${TEST}
    gatewayUrl: \${TEST_GW}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: \${PROD_GW}
    promoteFrom: test
${extraEnvironments}services:
${services}`;
  return parseConfig(text, '.github/api7-sync.yml', {
    env: { CP: sb.controlPlane, TEST_GW: sb.gateways[TEST], PROD_GW: sb.gateways[PROD] },
  });
}

export function engineFor(sb: Sandbox, config: Config, logs: string[] = []): Engine {
  return createEngine({ config, token: sb.token, logger: (l) => logs.push(l) });
}

/** Fast verification for tests: the defaults (10 s) are for real gateways. */
export const QUICK = { verifyTimeoutMs: 1_500, confirmMs: 50 } as const;

/** `httpbin API` under `services:`, promoted to production onto the built-in upstream, verified on /headers. */
export const HTTPBIN_SERVICE = `  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [{host: httpbin, port: 80}]
    verify:
      - {path: /headers, status: 200}
`;
