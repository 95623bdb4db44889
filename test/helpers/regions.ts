/** Three regional gateway groups (eu, us, ap) fed from the test group, for fan-out tests. */
import { parseConfig } from '../../engine/config/load.js';
import type { Config } from '../../engine/config/types.js';
import type { Seed } from '../../sandbox/seed.js';
import type { Sandbox } from '../../sandbox/server.js';
import { TEST, walkthroughSeed } from './sandbox.js';

export const REGIONS = ['eu', 'us', 'ap'];

/** The test group runs 1.0.0; each region runs 0.9.0 of the same service. */
export function regionsSeed(): Seed {
  const base = walkthroughSeed();
  return walkthroughSeed({
    gatewayGroups: [{ name: TEST }, ...REGIONS.map((name) => ({ name }))],
    registries: [],
    services: [
      ...base.services!,
      ...REGIONS.map((gatewayGroup) => ({
        gatewayGroup,
        name: 'httpbin API',
        version: '0.9.0',
        routes: [{ name: 'headers', paths: ['/headers'] }],
        upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
      })),
    ],
  });
}

/** Config text: three regions tagged production in waves 1, 2, 3; `us` sends traffic to `usNode`. */
export function regionsConfigText(sb: Sandbox, usNode: string): string {
  const envs = REGIONS.map(
    (r, i) =>
      `  ${r}:\n    gatewayGroup: ${r}\n    gatewayUrl: ${sb.gateways[r]}\n    promoteFrom: test\n    tags: [production]\n    wave: ${i + 1}\n`,
  ).join('');
  const runtime = REGIONS.map(
    (r) =>
      `      ${r}:\n        upstream:\n          nodes: [${r === 'us' ? usNode : '{host: httpbin, port: 80}'}]\n`,
  ).join('');
  return `controlPlane:\n  url: ${sb.controlPlane}\nenvironments:\n  test:\n    gatewayGroup: ${TEST}\n${envs}services:\n  httpbin API:\n    runtime:\n${runtime}    verify:\n      - {path: /headers, status: 200}\n`;
}

export function regionsConfig(sb: Sandbox, usNode: string): Config {
  return parseConfig(regionsConfigText(sb, usNode), '.github/api7-sync.yml', { env: {} });
}
