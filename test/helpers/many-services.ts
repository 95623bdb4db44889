/**
 * A promotion of many services (300 in the cancellation tests): each runs 0.9.0 in production
 * and 1.0.0 in test, on its own route; one may be set to fail its verification, so that the whole
 * promotion, all-or-none, must be rolled back. And what a group really runs, read back page by page.
 */
import type { Sandbox } from '../../sandbox/server.js';
import type { Seed } from '../../sandbox/seed.js';
import { api, groupId, PROD, TEST } from './sandbox.js';

export const serviceName = (i: number) => `service-${String(i).padStart(3, '0')}`;
const UPSTREAM = { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] };

/** `n` services, each at 1.0.0 in test and 0.9.0 in production. */
export function manyServicesSeed(n: number, token = 'a7ee-test-secret-token'): Seed {
  return {
    token,
    api7Version: '3.9.0',
    gatewayGroups: [{ name: TEST }, { name: PROD }],
    services: Array.from({ length: n }, (_, i) =>
      [
        { group: TEST, version: '1.0.0' },
        { group: PROD, version: '0.9.0' },
      ].map(({ group, version }) => ({
        gatewayGroup: group,
        name: serviceName(i),
        version,
        routes: [{ name: 'any', paths: [`/anything/${serviceName(i)}`] }],
        upstream: UPSTREAM,
      })),
    ).flat(),
  };
}

/**
 * The config for those services (`${CP}` and `${PROD_GW}` interpolated). The service `failing`,
 * when given, expects 418 where the gateway answers 200: its verification fails when it times out.
 */
export function manyServicesConfig(n: number, failing?: number): string {
  const services = Array.from({ length: n }, (_, i) => {
    const status = i === failing ? 418 : 200;
    return `  ${serviceName(i)}:\n    runtime: {production: {upstream: {nodes: [{host: httpbin, port: 80}]}}}\n    verify: [{path: /anything/${serviceName(i)}, status: ${status}}]\n`;
  }).join('');
  return `controlPlane: {url: "\${CP}"}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: ${PROD}, gatewayUrl: "\${PROD_GW}", promoteFrom: test}
services:
${services}`;
}

/** What each service runs in a group, by name: its version and whether it is enabled. */
export async function runningIn(sb: Sandbox, group: string): Promise<Map<string, string>> {
  const gid = await groupId(sb, group);
  const out = new Map<string, string>();
  for (let page = 1; ; page++) {
    const res = await api(sb, 'GET', `/api/gateway_groups/${gid}/services?page=${page}&page_size=100`);
    const list = res.body.list as { name: string; version?: string; status?: number }[];
    for (const s of list)
      out.set(s.name, `${s.version ?? 'No Version'}${s.status === 0 ? ' (disabled)' : ''}`);
    if (list.length < 100) return out;
  }
}

/** Resolves at the first change the control plane makes to the group: the first write landed. */
export async function firstChangeIn(sb: Sandbox, group: string): Promise<void> {
  const gid = await groupId(sb, group);
  return new Promise((resolve) => {
    const previous = sb.store.onChange;
    sb.store.onChange = (groupId, templateId) => {
      previous(groupId, templateId);
      if (groupId === gid) {
        sb.store.onChange = previous;
        resolve();
      }
    };
  });
}
