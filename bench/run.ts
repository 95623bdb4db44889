/**
 * `npm run bench`: every benchmark in one run (the promotions as users run them: whole
 * `api7-sync sync` processes), each figure min / median / max over BENCH_RUNS
 * runs (default 5), interleaved; prints the tables and writes them, with the machine's
 * description and which targets are met, to bench/RESULTS.md (or BENCH_RESULTS).
 *
 * BENCH_SIZES   promotion sizes (default 1,10,100,500,2000)
 * BENCH_BASELINE  sizes of the one-at-a-time baseline (default 100; it takes about a minute each)
 * BENCH_RUNS    runs of every figure (default 5)
 *
 * A quick look: BENCH_SIZES=1,10 BENCH_BASELINE=10 BENCH_RUNS=2 BENCH_RESULTS=/tmp/r.md npm run bench
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { configLoadFigures } from './config-load-figures.js';
import { fanoutBench, fanoutTable } from './fanout.js';
import { githubBudget, githubBudgetMarkdown } from './github-budget.js';
import { oneAtATimeOnce } from './one-at-a-time.js';
import { resultsMarkdown, scaleTable, startupTable, targetsTable, type RunFigures } from './report.js';
import { promoteOnce, type ScaleSample } from './scale.js';
import { startup } from './startup.js';
import { root } from './support/fixtures.js';
import { ms } from './support/stats.js';

const list = (v: string | undefined, fallback: string) =>
  (v ?? fallback)
    .split(',')
    .filter((x) => x.trim() !== '')
    .map(Number);
const sizes = list(process.env.BENCH_SIZES, '1,10,100,500,2000');
const baselineSizes = list(process.env.BENCH_BASELINE, '100');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const out = process.env.BENCH_RESULTS ?? path.join(root, 'bench/RESULTS.md');
if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a whole number, not ${runs}`);

const log = (line: string) => process.stderr.write(`${line}\n`);
const FANOUT_SERVICES = 100;
const FANOUT_TEXT =
  `One promotion of ${FANOUT_SERVICES} services to three regions in waves ('--to eu,us,ap') against ` +
  'three single promotions one after the other, each run from a freshly seeded in-process sandbox ' +
  "with 10 ms on every control-plane request; with and without the route diff ('--no-route-diff'), " +
  "which reads both groups' routes in paged lists.";
const started = performance.now();
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
const dir = mkdtempSync(path.join(tmpdir(), 'api7-sync-bench-'));

try {
  const scale = new Map<number, ScaleSample[]>(sizes.map((n) => [n, []]));
  const baseline = new Map<number, number[]>(baselineSizes.map((n) => [n, []]));
  for (let run = 1; run <= runs; run++) {
    for (const n of sizes) {
      log(`run ${run}/${runs}: promotion of ${n} services…`);
      scale.get(n)!.push(await promoteOnce(n, dir));
    }
    for (const n of baselineSizes) {
      log(`run ${run}/${runs}: one-at-a-time baseline of ${n} services…`);
      baseline.get(n)!.push(await oneAtATimeOnce(n, dir));
    }
  }
  log('start-up…');
  const startupSamples = await startup(runs, dir);
  log('config load…');
  const configLoad = await configLoadFigures(runs);
  const fanoutRuns = [];
  for (let run = 1; run <= runs; run++) {
    log(`run ${run}/${runs}: fan-out…`);
    fanoutRuns.push(await fanoutBench(FANOUT_SERVICES, 10, log));
  }
  const fanout = fanoutTable(fanoutRuns, FANOUT_SERVICES);
  const budget = githubBudgetMarkdown(await githubBudget(log));

  const cpu = cpus();
  const figures: RunFigures = {
    runs,
    date: new Date().toISOString().slice(0, 10),
    machine: `${platform()} ${release()}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), Node ${process.version}; load average ${loadBefore} before the run, ${load()} after`,
    scale,
    baseline,
    startup: startupSamples,
    configLoad,
    sandboxCpuUnavailable: [...scale.values()].flat().some((s) => s.sandboxCpuMs === undefined),
  };
  const cpuNote = figures.sandboxCpuUnavailable
    ? '\nThe sandbox CPU time was not measured: /proc/<pid>/stat is Linux only; the floor is the round-trip bound alone.\n'
    : '';
  writeFileSync(
    out,
    `${resultsMarkdown(figures)}\n## Fan-out\n\n${FANOUT_TEXT}\n\n${fanout}\n\n## The GitHub budget of chat-ops\n\n${budget}`,
  );
  process.stdout.write(
    `${targetsTable(figures)}\n\n${scaleTable(figures)}\n${cpuNote}\n${startupTable(figures)}\n${
      configLoad
        ? `\n${configLoad.output}\n`
        : '\nconfig load: not measured by this run (no bench/config-load.ts)\n'
    }\n${fanout}\n\n${budget}`,
  );
  log(`wrote ${out} in ${ms(performance.now() - started)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
