/**
 * The one-at-a-time baseline: what a person clicking through the dashboard does, service after
 * service: look the service up in both groups, sync it, set its runtime configuration, enable it,
 * check it through the gateway, then the next one. Same client, same budgets as the engine.
 */
import { Api7Client, generationOf, type PublishedService } from '../engine/api7/client.js';
import { verifyProbes } from '../engine/verify.js';

export interface BaselineInput {
  controlPlane: string;
  token: string;
  sourceGroupId: string;
  targetGroupId: string;
  gatewayUrl: string;
  services: string[];
  upstream: { nodes: { host: string; port: number; weight: number }[] };
}

export async function oneAtATime(input: BaselineInput): Promise<{ durationMs: number; synced: number }> {
  const client = new Api7Client({ baseUrl: input.controlPlane, token: input.token });
  const started = performance.now();
  const modern = generationOf(await client.version()) === 'modern';
  let synced = 0;
  for (const name of input.services) {
    const [source] = (
      await client.transport.get<{ list: PublishedService[] }>(
        `/api/gateway_groups/${input.sourceGroupId}/services`,
        { search: name, page: 1, page_size: 100 },
      )
    ).list.filter((s) => s.name === name);
    await client.transport.get(`/api/gateway_groups/${input.targetGroupId}/services`, {
      search: name,
      page: 1,
      page_size: 100,
    });
    await client.publish(input.targetGroupId, false, [
      {
        service_id: source!.service_id,
        service_version_id: source!.service_version_id,
        version: source!.version!,
        status: modern ? 0 : 1,
        ...(modern ? {} : { upstream: input.upstream }),
      },
    ]);
    if (modern)
      await client.setRuntimeConfiguration(input.targetGroupId, source!.service_id, {
        upstreams: input.upstream,
        status: 1,
      });
    const probes = await verifyProbes([{ path: `/anything/${encodeURIComponent(name)}` }], {
      gatewayUrl: input.gatewayUrl,
      timeoutMs: 10_000,
      confirmMs: 500,
    });
    if (probes.every((p) => p.ok)) synced++;
  }
  const durationMs = performance.now() - started;
  await client.close();
  return { durationMs, synced };
}
