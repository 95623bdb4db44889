/**
 * `npm run bench:config`: how long loading `.github/api7-sync.yml` takes at 500 and 2000
 * services, and the peak RSS of a process that loads it. Every CLI and Action run pays this
 * before its first request. Each measurement is a fresh process (a cold load, as users get it);
 * sizes are interleaved; min/median/max over the runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SIZES = (process.env.BENCH_SIZES ?? '500,2000').split(',').map(Number);
const TARGET_MS_AT_500 = 100;

interface Sample {
  loadMs: number;
  /** CPU time of the load: less moved than wall time by other work on a shared machine. */
  cpuMs: number;
  importMs: number;
  peakRssMiB: number;
}

/** A config as a team with N services writes it: hosts, nodes and a probe per service. */
export function configText(n: number): string {
  const name = (i: number) => `service-${String(i).padStart(4, '0')}`;
  const services = Array.from(
    { length: n },
    (_, i) => `  ${name(i)}:
    runtime:
      production:
        hosts: [api${i}.example.com]
        upstream:
          nodes: [{host: backend-${i}.internal, port: 8080, weight: 100}]
    verify:
      - {path: /anything/${name(i)}, status: 200}
`,
  ).join('');
  return `controlPlane:
  url: \${API7_URL}
environments:
  test: {gatewayGroup: test-group, gatewayUrl: "http://test-gw.internal:9080"}
  production: {gatewayGroup: production-group, gatewayUrl: "https://api.example.com", promoteFrom: test}
services:
${services}`;
}

async function child(file: string): Promise<void> {
  const started = performance.now();
  const { loadConfigFile } = await import('../engine/config/load.js');
  const imported = performance.now();
  const cpu = process.cpuUsage();
  const config = loadConfigFile(file, { env: { API7_URL: 'https://api7.example.com:7443' } });
  const loaded = performance.now();
  const { user, system } = process.cpuUsage(cpu);
  if (Object.keys(config.services).length === 0) throw new Error('nothing loaded');
  const sample: Sample = {
    loadMs: loaded - imported,
    cpuMs: (user + system) / 1000,
    importMs: imported - started,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(sample));
}

function measure(file: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', file]);
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.pipe(process.stderr);
    proc.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Sample) : reject(new Error(`exit ${code}`)),
    );
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s.at(-1)! };
};
const fmt = (xs: number[], unit: string, digits = 0) => {
  const { min, median, max } = stats(xs);
  return `${min.toFixed(digits)} / ${median.toFixed(digits)} / ${max.toFixed(digits)} ${unit}`;
};

const column = (s: Sample[], key: keyof Sample, unit: string) =>
  fmt(
    s.map((x) => x[key]),
    unit,
  );

async function parent(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-config-'));
  const files = new Map(
    SIZES.map((n) => {
      const file = path.join(dir, `api7-sync.${n}.yml`);
      writeFileSync(file, configText(n));
      return [n, file];
    }),
  );
  const samples = new Map<number, Sample[]>(SIZES.map((n) => [n, []]));
  await measure(files.get(SIZES[0]!)!); // warm the file cache, not counted
  for (let run = 0; run < RUNS; run++)
    for (const n of SIZES) samples.get(n)!.push(await measure(files.get(n)!));
  console.log(`config load, ${RUNS} fresh processes per size, interleaved (min / median / max)`);
  console.log(
    '| services | load (wall) | load (CPU) | import of the loader | peak RSS of the process | target |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | --- |');
  for (const n of SIZES) {
    const s = samples.get(n)!;
    const target =
      n === 500
        ? `load ≤ ${TARGET_MS_AT_500} ms: ${stats(s.map((x) => x.loadMs)).median <= TARGET_MS_AT_500 ? 'met' : 'missed'}`
        : '';
    console.log(
      `| ${n} | ${column(s, 'loadMs', 'ms')} | ${column(s, 'cpuMs', 'ms')} | ${column(s, 'importMs', 'ms')} | ${column(s, 'peakRssMiB', 'MiB')} | ${target} |`,
    );
  }
}

// Run only as a program (npm run bench:config), never on import.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') await child(process.argv[3]!);
  else await parent();
}
