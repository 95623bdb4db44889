/**
 * The read-back that decides the result travels while the last verifications wait out their
 * confirming pause (engine/apply/read-back.ts), and is thrown away when anything was written
 * after it started.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../engine/index.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { configFor } from '../../helpers/engine.js';
import { until } from '../../helpers/until.js';
import {
  api,
  groupId,
  PROD,
  sandbox,
  serviceIn,
  walkthroughSeed,
  withProductionAt090,
} from '../../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
let upstream: http.Server | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  upstream = undefined;
  await sb?.close();
});

interface Logged {
  method: string;
  path: string;
}
const requests = async () =>
  (await api(sb, 'GET', '/sandbox/requests', undefined, null)).body.list as Logged[];

/**
 * An upstream for production whose every answer after the first is held until `release` says
 * so: the verification's confirming probe cannot finish before the test has seen what it waits for.
 */
async function heldUpstream(release: () => Promise<void>): Promise<number> {
  let answered = 0;
  upstream = http.createServer((req, res) => {
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (answered++ === 0) return answer();
    release().then(answer, (err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
  return (upstream.address() as AddressInfo).port;
}

const serviceOn = (port: number) => `  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [{host: 127.0.0.1, port: ${port}}]
    verify:
      - {path: /headers, status: 200}
`;

/** Waits until the sandbox's request log (the engine's own requests) shows `seen`. */
const logShows = (seen: (log: Logged[]) => boolean, what: string) =>
  until(async () => seen(await requests()), what, 10_000, 5);

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('the read-back on the %s generation', (_generation, api7Version) => {
  it('is read while the confirming probe waits, and says what the target runs', async () => {
    sb = await sandbox(walkthroughSeed(), api7Version);
    const prod = await groupId(sb, PROD);
    const readBackPath = `/api/gateway_groups/${prod}/services`;
    const port = await heldUpstream(() =>
      // The confirming probe is answered only once the group has been read after the last write.
      logShows((log) => {
        const lastWrite = log.findLastIndex((r) => r.method !== 'GET');
        return (
          lastWrite >= 0 &&
          log.slice(lastWrite + 1).some((r) => r.method === 'GET' && r.path === readBackPath)
        );
      }, 'the read-back before the confirming probe was answered'),
    );
    engine = createEngine({ config: configFor(sb, serviceOn(port)), token: sb.token });
    const plan = await engine.plan({ from: 'test', to: 'production', routeDiff: false });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const result = await engine.apply(plan, { verifyTimeoutMs: 15_000, confirmMs: 50 });
    // One read-back, not a second one after the verification.
    expect((await requests()).filter((r) => r.method === 'GET' && r.path === readBackPath)).toHaveLength(1);
    expect(result.services[0]).toMatchObject({ action: 'synced', version: '1.0.0' });
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('is read again when a rollback wrote after it, and says what the target runs then', async () => {
    sb = await sandbox(withProductionAt090(), api7Version);
    const prod = await groupId(sb, PROD);
    const readBackPath = `/api/gateway_groups/${prod}/services`;
    // The confirming probe fails once the early read-back is in: the service is rolled back.
    let answered = 0;
    upstream = http.createServer((_req, res) => {
      if (answered++ === 0) return res.writeHead(200).end('{}');
      logShows(
        (log) => log.some((r) => r.method === 'GET' && r.path === readBackPath),
        'the early read-back',
      ).then(
        () => res.writeHead(503).end(),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    engine = createEngine({ config: configFor(sb, serviceOn(port)), token: sb.token });
    const plan = await engine.plan({ from: 'test', to: 'production', routeDiff: false });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const result = await engine.apply(plan, { verifyTimeoutMs: 3_000, confirmMs: 50 });
    // What production runs after the rollback, read after the rollback's writes.
    const log = await requests();
    expect(result.services[0]).toMatchObject({ action: 'rolled-back', reason: 'verify-failed' });
    expect(result.services[0]!.message).toMatch(/back on 0\.9\.0/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
    const lastWrite = log.findLastIndex((r) => r.method !== 'GET');
    expect(log.slice(lastWrite + 1).some((r) => r.method === 'GET' && r.path === readBackPath)).toBe(true);
  });
});
