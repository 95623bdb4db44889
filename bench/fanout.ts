/**
 * Fan-out cost: one promotion of N services to three regions in waves (`--to eu,us,ap`) against
 * three single promotions one after the other, and the cost of the route diff (with and without
 * `--no-route-diff`). Each run starts from a fresh sandbox, so each syncs all 3 × N services.
 */
import { request } from 'undici';
import { parseConfig } from '../engine/config/load.js';
import { createEngine, fanOut, type PolicyOptions } from '../engine/index.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { range } from './support/stats.js';
import type { Seed } from '../sandbox/seed.js';

const TEST = 'test-group';
const REGIONS = ['eu', 'us', 'ap'];
const name = (i: number) => `service-${String(i).padStart(3, '0')}`;

function seed(n: number, token: string): Seed {
  return {
    token,
    api7Version: '3.9.0',
    gatewayGroups: [{ name: TEST }, ...REGIONS.map((r) => ({ name: r }))],
    services: Array.from({ length: n }, (_, i) => ({
      gatewayGroup: TEST,
      name: name(i),
      version: '1.0.0',
      routes: [{ name: 'any', paths: [`/anything/${name(i)}`] }],
      upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
    })),
  };
}

function config(sb: Sandbox, n: number) {
  const envs = REGIONS.map(
    (r) => `  ${r}: {gatewayGroup: ${r}, gatewayUrl: "${sb.gateways[r]}", promoteFrom: test}\n`,
  ).join('');
  const runtime = REGIONS.map((r) => `${r}: {upstream: {nodes: [{host: httpbin, port: 80}]}}`).join(', ');
  const services = Array.from(
    { length: n },
    (_, i) => `  ${name(i)}:\n    runtime: {${runtime}}\n    verify: [{path: /anything/${name(i)}}]\n`,
  ).join('');
  return parseConfig(
    `controlPlane: {url: "${sb.controlPlane}"}\nenvironments:\n  test: {gatewayGroup: ${TEST}}\n${envs}services:\n${services}`,
    'bench.yml',
    { env: {} },
  );
}

async function requests(sb: Sandbox): Promise<number> {
  const res = await request(`${sb.controlPlane}/sandbox/requests`);
  return ((await res.body.json()) as { total: number }).total;
}

export interface FanoutRow {
  label: string;
  wallMs: number;
  requests: number;
  synced: number;
}

async function measure(
  n: number,
  latencyMs: number,
  label: string,
  body: (
    sb: Sandbox,
    engine: ReturnType<typeof createEngine>,
    cfg: ReturnType<typeof config>,
  ) => Promise<number>,
): Promise<FanoutRow> {
  const token = `a7ee-bench-fanout`;
  const sb = await startSandbox({ seed: seed(n, token) });
  try {
    await request(`${sb.controlPlane}/sandbox/faults`, {
      method: 'PUT',
      body: JSON.stringify({ latencyMs }),
      headers: { 'content-type': 'application/json' },
    });
    const cfg = config(sb, n);
    const engine = createEngine({ config: cfg, token });
    try {
      const started = performance.now();
      const synced = await body(sb, engine, cfg);
      return { label, wallMs: performance.now() - started, requests: await requests(sb), synced };
    } finally {
      await engine.close();
    }
  } finally {
    await sb.close();
  }
}

/** Fan-out to three regions against three single runs, with and without the route diff. */
export async function fanoutBench(
  n: number,
  latencyMs: number,
  log: (l: string) => void,
): Promise<FanoutRow[]> {
  const rows: FanoutRow[] = [];
  for (const routeDiff of [true, false]) {
    const policy: PolicyOptions = { routeDiff };
    const suffix = routeDiff ? '' : ', --no-route-diff';
    log(`fan-out: 3 × ${n} services${suffix}…`);
    rows.push(
      await measure(n, latencyMs, `--to eu,us,ap (waves)${suffix}`, async (_sb, engine, cfg) => {
        const result = await fanOut(engine, cfg, { from: 'test', to: REGIONS.join(','), ...policy });
        return result.targets.flatMap((t) => t.services).filter((s) => s.action === 'synced').length;
      }),
    );
    log(`three single runs: 3 × ${n} services${suffix}…`);
    rows.push(
      await measure(n, latencyMs, `3 single runs${suffix}`, async (_sb, engine) => {
        let synced = 0;
        for (const to of REGIONS) {
          const result = await engine.apply(await engine.plan({ from: 'test', to, ...policy }));
          synced += result.services.filter((s) => s.action === 'synced').length;
        }
        return synced;
      }),
    );
  }
  return rows;
}

/** min / median / max of each variant over the runs, as a Markdown table. */
export function fanoutTable(runs: FanoutRow[][], n: number): string {
  const labels = runs[0]?.map((r) => r.label) ?? [];
  const rows = labels.map((label) => {
    const xs = runs.map((run) => run.find((r) => r.label === label)!);
    return `| ${label} | ${range(xs.map((x) => x.wallMs))} | ${range(
      xs.map((x) => x.requests),
      (v) => String(Math.round(v)),
    )} | ${range(
      xs.map((x) => x.synced),
      (v) => String(Math.round(v)),
    )} of ${3 * n} |`;
  });
  return [
    '| promotion | wall | control-plane requests | synced |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
