/**
 * The one-at-a-time baseline, measured (never extrapolated): what a person clicking through the
 * dashboard does, service after service, against a freshly seeded sandbox process with the same
 * injected latency as the promotion it is compared with.
 */
import { Api7Client } from '../engine/api7/client.js';
import { oneAtATime } from './baseline.js';
import { LATENCY_MS } from './floor.js';
import { PROD, TEST, UPSTREAM, seedFor, serviceName } from './support/fixtures.js';
import { startSandboxProcess } from './support/sandbox.js';

export async function oneAtATimeOnce(n: number, dir: string): Promise<number> {
  const token = `a7ee-bench-baseline-${n}`;
  const sandbox = await startSandboxProcess(seedFor(n, token), dir);
  try {
    const client = new Api7Client({ baseUrl: sandbox.controlPlane, token });
    const [source, target] = await Promise.all([
      client.gatewayGroupByName(TEST),
      client.gatewayGroupByName(PROD),
    ]);
    await client.close();
    await sandbox.setLatency(LATENCY_MS);
    const base = await oneAtATime({
      controlPlane: sandbox.controlPlane,
      token,
      sourceGroupId: source!.id,
      targetGroupId: target!.id,
      gatewayUrl: sandbox.gateways[PROD]!,
      services: Array.from({ length: n }, (_, i) => serviceName(i)),
      upstream: UPSTREAM,
    });
    if (base.synced !== n) throw new Error(`the one-at-a-time baseline synced ${base.synced} of ${n}`);
    return base.durationMs;
  } finally {
    await sandbox.close();
  }
}
