import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../engine/index.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { configFor, QUICK } from '../../helpers/engine.js';
import { PROD, sandbox, serviceIn, withProductionAt090 } from '../../helpers/sandbox.js';

let sb: Sandbox;
let engine: Engine | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
  while (cleanups.length) await cleanups.pop()!();
});

/** An upstream that answers 200 to its first `good` requests and 500 after: it breaks under traffic. */
async function breaksAfter(good: number): Promise<{ port: number; served: () => number }> {
  let served = 0;
  const server = http.createServer((_req, res) => {
    served++;
    res.writeHead(served <= good ? 200 : 500, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return { port: (server.address() as AddressInfo).port, served: () => served };
}

const services = (port: number, watch: string) => `  httpbin API:
    watch: ${watch}
    runtime:
      production:
        upstream:
          nodes: [{host: 127.0.0.1, port: ${port}}]
    verify:
      - {path: /headers, status: 200}
`;

describe.each([
  ['legacy', '3.5.0'],
  ['modern', '3.9.0'],
])('watch after verification on the %s generation', (_generation, api7Version) => {
  it('a failure after the first good answers rolls back (watch-failed); progress shows the time left', async () => {
    // Verification takes two good answers; the watch sees two more, then the upstream breaks.
    const upstream = await breaksAfter(4);
    sb = await sandbox(withProductionAt090(), api7Version);
    const logs: string[] = [];
    engine = createEngine({
      config: configFor(sb, services(upstream.port, '2m')),
      token: sb.token,
      logger: (l) => logs.push(l),
    });
    const steps: string[] = [];
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), {
      ...QUICK,
      watchIntervalMs: 10,
      onProgress: (e) => steps.push(e.step === 'failed' ? `failed ${e.reason}` : e.step),
    });
    expect(result.ok).toBe(false);
    expect(result.services[0]).toMatchObject({ action: 'rolled-back', reason: 'watch-failed' });
    // The progress counts end as the result does: verified, then failed in the watch and undone.
    expect(steps).toEqual(['start', 'synced', 'verified', 'failed watch-failed', 'undone']);
    expect(result.services[0]!.verify.every((p) => p.ok)).toBe(true);
    expect(result.services[0]!.message).toMatch(
      /^the watch after verification failed .* into 2m: \/headers answered 500 \(expected 200\); back on 0\.9\.0/,
    );
    expect(upstream.served()).toBeGreaterThan(4);
    expect(logs.some((l) => /^watching "httpbin API": 2m left$/.test(l))).toBe(true);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
  });

  it('with rollback on failure off, a failed watch leaves the service as it is and says so', async () => {
    const upstream = await breaksAfter(3);
    sb = await sandbox(withProductionAt090(), api7Version);
    engine = createEngine({ config: configFor(sb, services(upstream.port, '2m')), token: sb.token });
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), {
      ...QUICK,
      watchIntervalMs: 10,
      rollbackOnFailure: false,
    });
    expect(result.services[0]).toMatchObject({ action: 'failed', reason: 'watch-failed' });
    expect(result.services[0]!.message).toMatch(/; not rolled back \(rollback on failure is off\)$/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('a 3 s window on real time, with the default 5 s interval: an upstream that breaks after the first watch probe is caught by the last probe, at the end of the window, and rolled back', async () => {
    // Verification takes two good answers and the watch's first probe a third; from then on the
    // upstream is broken. Only a last probe at the end of the 3 s window can see it: the next probe
    // at the 5 s interval would come after the window. The break follows the probes, not a timer,
    // so a busy machine cannot move it before the first watch probe.
    let served = 0;
    const server = http.createServer((_req, res) => {
      served++;
      res.writeHead(served > 3 ? 500 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    });
    sb = await sandbox(withProductionAt090(), api7Version);
    const logs: string[] = [];
    engine = createEngine({
      config: configFor(sb, services((server.address() as AddressInfo).port, '3s')),
      token: sb.token,
      logger: (l) => logs.push(l),
    });
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), QUICK);
    expect(result.services[0]!.verify.every((p) => p.ok)).toBe(true);
    expect(result.services[0]).toMatchObject({ action: 'rolled-back', reason: 'watch-failed' });
    expect(result.services[0]!.message).toMatch(
      /^the watch after verification failed .* into 3s: \/headers answered 500 \(expected 200\); back on 0\.9\.0/,
    );
    // Two probes of verification, the watch's first, and one more before the window closed (at its
    // end, or a timer's few milliseconds early on a busy machine): never a probe after the window.
    expect(served).toBe(4);
    expect(logs.some((l) => l.startsWith('watching "httpbin API"'))).toBe(true);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
  });

  it('a watch that sees only good answers ends when its window has passed on the engine clock', async () => {
    const upstream = await breaksAfter(1_000);
    sb = await sandbox(withProductionAt090(), api7Version);
    const logs: string[] = [];
    let clock = Date.now();
    engine = createEngine({
      config: configFor(sb, services(upstream.port, '2m')),
      token: sb.token,
      logger: (l) => logs.push(l),
      // Each reading of the clock is 30 seconds later: the 2-minute window passes in a few rounds.
      now: () => (clock += 30_000),
    });
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), {
      ...QUICK,
      watchIntervalMs: 1,
    });
    expect(result.services[0]).toMatchObject({ action: 'synced', reason: null });
    const progress = logs.filter((l) => l.startsWith('watching'));
    // The clock moves 30 s per reading, twice a round; the last probe comes when the window ends.
    expect(progress).toEqual([
      'watching "httpbin API": 1m 30s left',
      'watching "httpbin API": 30s left',
      'watching "httpbin API": last probe',
    ]);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    // Two answers for verification, one per watch round.
    expect(upstream.served()).toBe(2 + 3);
  });

  it.each([
    [
      'rolls it back',
      true,
      '0.9.0',
      /^the promotion was interrupted .* into the 2m watch of "httpbin API"; back on 0\.9\.0/,
    ],
    [
      'with rollback on failure off, leaves it and says so',
      false,
      '1.0.0',
      /^the promotion was interrupted .* into the 2m watch of "httpbin API"; not rolled back \(rollback on failure is off\): it runs 1\.0\.0$/,
    ],
  ])('an interrupt while watching %s; the result says interrupted', async (_, rollback, runs, message) => {
    const upstream = await breaksAfter(1_000);
    sb = await sandbox(withProductionAt090(), api7Version);
    const cancel = new AbortController();
    engine = createEngine({
      config: configFor(sb, services(upstream.port, '2m')),
      token: sb.token,
      // The interrupt comes as the watch starts, as a person's Ctrl-C would while it waits.
      logger: (l) => void (l.startsWith('watching') && cancel.abort()),
    });
    const result = await engine.apply(await engine.plan({ from: 'test', to: 'production' }), {
      ...QUICK,
      signal: cancel.signal,
      rollbackOnFailure: rollback,
    });
    expect(result.ok).toBe(false);
    expect(result.services[0]).toMatchObject({ action: 'interrupted', reason: 'interrupted' });
    expect(result.services[0]!.message).toMatch(message);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe(runs);
  });
});
