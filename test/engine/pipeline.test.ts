/**
 * Verification as each write lands, and publish batches sent together (issue #13): in a large
 * promotion on API7 3.6+ the gateway already answers probes for the first services while the
 * runtime PATCHes of later ones are still on their way, and every publish batch reaches the
 * control plane before the first PATCH. Observed through the sandbox's request log, read by the
 * upstream at the moment the first probe reaches it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { parseConfig } from '../../engine/config/load.js';
import { createEngine, type Engine } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import type { Seed } from '../../sandbox/seed.js';
import { PROD, requestLog, sandbox, TEST } from '../helpers/sandbox.js';

const N = 60;
const name = (i: number) => `svc-${String(i).padStart(2, '0')}`;
const isPatch = (r: { method: string; path: string }) =>
  r.method === 'PATCH' && r.path.endsWith('/runtime_configuration');
const isPublish = (r: { method: string; path: string }) =>
  r.method === 'POST' && r.path === '/api/services/publish';

let sb: Sandbox | undefined;
let engine: Engine | undefined;
let upstream: http.Server | undefined;
afterEach(async () => {
  await engine?.close();
  await sb?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
});

interface Seen {
  patches: number;
  publishes: number;
}

/** An upstream that, when the first probe reaches it, notes which writes the control plane has seen. */
async function watchingUpstream(
  sandboxRef: () => Sandbox,
): Promise<{ port: number; firstProbe: Promise<Seen> }> {
  let resolveFirst!: (v: Seen) => void;
  const firstProbe = new Promise<Seen>((r) => (resolveFirst = r));
  let seen = false;
  upstream = http.createServer(async (req, res) => {
    if (!seen) {
      seen = true;
      const log = await requestLog(sandboxRef());
      resolveFirst({ patches: log.filter(isPatch).length, publishes: log.filter(isPublish).length });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
  return { port: (upstream.address() as AddressInfo).port, firstProbe };
}

/** N services at 1.0.0 in the test group, none in production, all routed to the watching upstream. */
async function largePromotion(api7Version: string, batchSize: number) {
  const services: NonNullable<Seed['services']> = Array.from({ length: N }, (_, i) => ({
    gatewayGroup: TEST,
    name: name(i),
    version: '1.0.0',
    routes: [{ name: 'any', paths: [`/anything/${name(i)}`] }],
    upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 1 }] },
  }));
  sb = await sandbox(
    { token: 'a7ee-pipeline', gatewayGroups: [{ name: TEST }, { name: PROD }], services },
    api7Version,
  );
  const watch = await watchingUpstream(() => sb!);
  const config = parseConfig(
    `controlPlane: {url: ${sb.controlPlane}}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: ${PROD}, gatewayUrl: ${sb.gateways[PROD]}, promoteFrom: test}
services:
${Array.from(
  { length: N },
  (_, i) => `  ${name(i)}:
    runtime: {production: {upstream: {nodes: [{host: 127.0.0.1, port: ${watch.port}}]}}}
    verify: [{path: /anything/${name(i)}}]
`,
).join('')}`,
    'pipeline.yml',
    { env: {} },
  );
  engine = createEngine({ config, token: sb.token });
  const plan = await engine.plan({ from: 'test', to: 'production' });
  const result = await engine.apply(plan, { batchSize, verifyTimeoutMs: 5_000, confirmMs: 20 });
  expect(result.services.every((s) => s.action === 'synced')).toBe(true);
  return { log: await requestLog(sb), firstProbe: await watch.firstProbe };
}

it('API7 3.6+: probes start before the last runtime PATCH, and all publish batches go out together', async () => {
  const { log, firstProbe } = await largePromotion('3.9.0', 20);
  expect(log.filter(isPatch)).toHaveLength(N);
  // Verification started while runtime PATCHes were still to come.
  expect(firstProbe.patches).toBeLessThan(N);
  // The three publish batches were all sent before any of their services could be PATCHed.
  const publishes = log.flatMap((r, i) => (isPublish(r) ? [i] : []));
  expect(publishes).toHaveLength(3);
  expect(Math.max(...publishes)).toBeLessThan(log.findIndex(isPatch));
});

it("API7 before 3.6: a batch's services are probed while later batches are still being published", async () => {
  // 60 batches of one, at most 10 requests at a time: verification of the first batches starts
  // before the last batches have been sent.
  const { log, firstProbe } = await largePromotion('3.5.0', 1);
  expect(log.filter(isPublish)).toHaveLength(N);
  expect(firstProbe.publishes).toBeLessThan(N);
});
