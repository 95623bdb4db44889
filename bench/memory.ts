/**
 * `npm run bench:memory`: peak memory of `api7-sync sync` at scale, alone (the whole `npm run bench`
 * takes far longer): the same whole-process promotion as bench/scale.ts, run BENCH_RUNS times
 * (default 2) for each of BENCH_SIZES (default 2000), printing the peak RSS, the wall time and the
 * load average around each run, since a busy machine stretches the time (not the memory).
 *
 * BENCH_NODE_ARGS  extra node flags for the promotion, space-separated, e.g. `--heap-prof
 *                  --heap-prof-dir=/tmp/prof` to see where the memory goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promoteOnce } from './scale.js';

const sizes = (process.env.BENCH_SIZES ?? '2000').split(',').filter(Boolean).map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 2);
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const dir = mkdtempSync(path.join(tmpdir(), 'api7-sync-bench-memory-'));

try {
  console.log(
    '| services | run | peak RSS | our CPU | sandbox CPU | requests / service | wall (spawn to exit) | outcome | load before → after |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (let run = 1; run <= runs; run++) {
    for (const n of sizes) {
      const before = load();
      const s = await promoteOnce(n, dir, nodeArgs);
      const outcome = Object.entries(s.outcomes)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      console.log(
        `| ${n} | ${run} | ${s.peakRssMiB.toFixed(0)} MiB | ${s.cpuMs.toFixed(0)} ms | ${s.sandboxCpuMs ?? '?'} ms | ${(s.requests / n).toFixed(2)} | ${(s.durationMs / 1000).toFixed(1)} s | ${outcome} | ${before} → ${load()} |`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
