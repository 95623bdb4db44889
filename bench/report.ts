/** Renders one run's figures: the tables printed on stdout and bench/RESULTS.md with the targets. */
import type { ConfigLoadFigures } from './config-load-figures.js';
import { CONCURRENCY, CONFIRM_MS, LATENCY_MS, roundTripBoundMs } from './floor.js';
import { ROUTES_PER_SERVICE } from './support/fixtures.js';
import type { ScaleSample } from './scale.js';
import type { StartupSamples } from './startup.js';
import { fixed, ms, range, summarize } from './support/stats.js';

export interface RunFigures {
  runs: number;
  machine: string;
  date: string;
  scale: Map<number, ScaleSample[]>;
  baseline: Map<number, number[]>;
  startup: StartupSamples;
  configLoad: ConfigLoadFigures | undefined;
  /** Set when `/proc` could not be read: the floor is then the round-trip bound alone. */
  sandboxCpuUnavailable: boolean;
}

const mib = fixed(0, ' MiB');

/** How the runs ended: "all synced" or, say, "4 runs all synced; 1 run 2000 rolled-back". */
function outcome(samples: ScaleSample[]): string {
  const counts = new Map<string, number>();
  for (const x of samples) {
    const key =
      x.outcomes.synced === x.n
        ? 'all synced'
        : Object.entries(x.outcomes)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 1 && counts.has('all synced')) return 'all synced';
  return [...counts].map(([k, v]) => `${v} run${v === 1 ? '' : 's'}: ${k}`).join('; ');
}

const incomplete = (samples: ScaleSample[] | undefined) =>
  (samples ?? []).filter((x) => x.outcomes.synced !== x.n).length;
const ratio = fixed(2, '×');

export function scaleTable(f: RunFigures): string {
  const rows = [...f.scale.entries()].map(([n, s]) => {
    const base = f.baseline.get(n);
    const cpu = s.map((x) => x.sandboxCpuMs).filter((x): x is number => x !== undefined);
    const after = s.map((x) => x.cpuAfterLastWriteMs).filter((x): x is number => x !== undefined);
    const speedUp = base?.map((b, i) => b / s[i % s.length]!.durationMs);
    return [
      n,
      range(s.map((x) => x.durationMs)),
      range(s.map((x) => x.reportedMs)),
      range(s.map((x) => x.startupMs)),
      ms(roundTripBoundMs(n)),
      cpu.length ? range(cpu) : 'n/a',
      after.length ? range(after) : 'n/a',
      range(s.map((x) => x.floorMs)),
      range(
        s.map((x) => x.durationMs / x.floorMs),
        ratio,
      ),
      range(
        s.map((x) => x.durationMs / x.cpuOnlyFloorMs),
        ratio,
      ),
      base ? range(base) : 'not measured',
      speedUp ? range(speedUp, fixed(1, '×')) : '',
      range(
        s.map((x) => x.requests / n),
        fixed(2),
      ),
      range(
        s.map((x) => x.routeReads / n),
        fixed(3),
      ),
      range(
        s.map((x) => x.reads),
        fixed(0),
      ),
      range(
        s.map((x) => x.writes),
        fixed(0),
      ),
      range(s.map((x) => x.cpuMs)),
      range(
        s.map((x) => x.peakRssMiB),
        mib,
      ),
      outcome(s),
    ];
  });
  for (const [n, base] of f.baseline)
    if (!f.scale.has(n))
      rows.push([n, '', '', '', '', '', '', '', '', '', range(base), '', '', '', '', '', '', '', '']);
  return [
    '| services | our time (spawn to exit) | its `durationMs` | start-up | round-trip bound | sandbox CPU | of it, after the last write | floor | × floor | × CPU-only floor | one-at-a-time | speed-up | requests / service | route-diff requests / service | reads | writes | our CPU | our peak RSS | outcome |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function startupTable(f: RunFigures): string {
  const s = f.startup;
  const row = (label: string, name: keyof StartupSamples['wall']) =>
    `| ${label} | ${range(s.wall[name])} | ${range(s.overNode[name])} |`;
  return [
    '| process (spawn to exit) | wall | over `node -e 0` (paired) |',
    '| --- | ---: | ---: |',
    `| \`node -e 0\` | ${range(s.node)} | |`,
    row('`api7-sync --version`', '--version'),
    row('`api7-sync plan` (1 service, sandbox)', 'plan'),
    row('Action dry run (`node dist/index.js`, 1 service)', 'action'),
    `| Action bundle size | ${(s.bundleBytes / 2 ** 20).toFixed(2)} MiB | |`,
  ].join('\n');
}

interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
}

const judge = (
  xs: number[] | undefined,
  limit: number,
  format: (v: number) => string,
): Omit<Target, 'target'> =>
  xs && xs.length
    ? { measured: range(xs, format), met: summarize(xs).median <= limit }
    : { measured: 'not measured by this run', met: undefined };

/** A run that did not sync every service cannot meet a target, whatever its figures. */
function withIncomplete(samples: ScaleSample[] | undefined, t: Target): Target {
  const k = incomplete(samples);
  return k === 0
    ? t
    : { ...t, measured: `${t.measured} (${k} run(s) did not sync every service)`, met: false };
}

export function targets(f: RunFigures): Target[] {
  const at500 = f.scale.get(500);
  const at2000 = f.scale.get(2000);
  const load500 = f.configLoad?.loadMs.get(500);
  const rss2000 = f.configLoad?.peakRssMiB.get(2000);
  const fromRange = (
    r: { min: number; median: number; max: number } | undefined,
    limit: number,
    unit: string,
  ) =>
    r
      ? {
          measured: `${r.min.toFixed(0)} / ${r.median.toFixed(0)} / ${r.max.toFixed(0)} ${unit}`,
          met: r.median <= limit,
        }
      : { measured: 'not measured by this run', met: undefined };
  return [
    { target: '`--version` ≤ 100 ms over node', ...judge(f.startup.overNode['--version'], 100, ms) },
    { target: '`plan` (1 service, sandbox) ≤ 300 ms over node', ...judge(f.startup.overNode.plan, 300, ms) },
    { target: 'Action dry run ≤ 300 ms over node', ...judge(f.startup.overNode.action, 300, ms) },
    withIncomplete(at500, {
      target: '`api7-sync sync` of 500 services (route diff, verification) within 1.3× the floor',
      ...judge(
        at500?.map((x) => x.durationMs / x.floorMs),
        1.3,
        ratio,
      ),
    }),
    withIncomplete(at2000, {
      target: '`api7-sync sync` of 2000 services within 1.2× the floor',
      ...judge(
        at2000?.map((x) => x.durationMs / x.floorMs),
        1.2,
        ratio,
      ),
    }),
    withIncomplete(at500, {
      target: '≤ 1.2 requests per service in all (500 services)',
      ...judge(
        at500?.map((x) => x.requests / 500),
        1.2,
        fixed(2),
      ),
    }),
    withIncomplete(at500, {
      target: 'route diff ≤ 0.1 requests per service (500 services)',
      ...judge(
        at500?.map((x) => x.routeReads / 500),
        0.1,
        fixed(3),
      ),
    }),
    { target: 'config load, 500 services ≤ 100 ms', ...fromRange(load500, 100, 'ms') },
    withIncomplete(at2000, {
      target: 'peak RSS ≤ 150 MiB at 2000 services: a promotion',
      ...judge(
        at2000?.map((x) => x.peakRssMiB),
        150,
        mib,
      ),
    }),
    { target: 'peak RSS ≤ 150 MiB at 2000 services: loading the config', ...fromRange(rss2000, 150, 'MiB') },
  ];
}

export function targetsTable(f: RunFigures): string {
  const verdict = (met: boolean | undefined) => (met === undefined ? '—' : met ? 'met' : 'missed');
  return [
    '| target | measured (min / median / max) | median |',
    '| --- | ---: | --- |',
    ...targets(f).map((t) => `| ${t.target} | ${t.measured} | ${verdict(t.met)} |`),
  ].join('\n');
}

export function resultsMarkdown(f: RunFigures): string {
  const cpuNote = f.sandboxCpuUnavailable
    ? '\n**The sandbox CPU time was not measured**: it is read from `/proc/<pid>/stat`, which only Linux has; the floor here is the round-trip bound alone.\n'
    : '';
  return `# Benchmark results

Measured with \`npm run bench\` on ${f.date}, on ${f.machine}. Every figure is min / median / max
over ${f.runs} runs; runs of different things are interleaved (A, B, A, B, …) so that drift on
the machine hits each alike.

## Targets

${targetsTable(f)}

## Sync at scale

Promotion test → production of N services on the API7 3.9 (modern) generation, as users run it:
\`api7-sync sync --from test --to production --json\`, a whole process timed from spawn to exit,
with the defaults (the route diff and verification on): the plan with each service's route diff,
the sync, the runtime configuration and enabling of each service, verification through the
production gateway and the final read-back. Each service has ${ROUTES_PER_SERVICE} routes of its own names. The
sandbox runs as its own process (\`api7-sync sandbox --seed FILE\`), freshly seeded for every
run, and adds ${LATENCY_MS} ms to every control-plane request; the engine runs at its default
concurrency (${CONCURRENCY}) and confirms each probe after ${CONFIRM_MS} ms. "its \`durationMs\`" is what
the result's JSON says (the whole run, start-up included). Our CPU and peak RSS are the sync
process's own (recorded at its exit by a preloaded module, \`bench/support/usage.ts\`).

${scaleTable(f)}
${cpuNote}
**Floor** = start-up + max(round-trip bound, sandbox CPU, sandbox CPU up to the last write +
${CONFIRM_MS} ms), per run; **× floor** is our time over it.

- **Start-up**: spawn to exit of \`api7-sync --version\` (node and the CLI's entry), run just
  before each promotion.
- **Round-trip bound**: the chain of requests that each need an earlier answer, at concurrency
  c = ${CONCURRENCY}, each link costing the injected latency L = ${LATENCY_MS} ms, then one confirm pause:
  \`L × (1 version and groups + (1 + ⌈(2(P − 1) + (R − 1)) / c⌉) service and route pages + ⌈(P + 1) / c⌉ re-read of the source and route-conflict check + ⌈(B + N) / c⌉ publish batches and runtime PATCHes) + ${CONFIRM_MS} ms\`,
  with P = ⌈N / 100⌉ service pages per group, R = ⌈${ROUTES_PER_SERVICE}N / 100⌉ route pages in the source group
  (one in the empty target) and B = ⌈N / 50⌉ publish batches.
- **Sandbox CPU**: user + system time of the sandbox process (all its threads) over the
  promotion, from \`/proc/<pid>/stat\`: the stand-in cannot answer faster than it computes.
  **Of it, after the last write**: what it spent after answering the last write (the probes and
  the final read-back), from the CPU time the sandbox's request log records with each answer.
- **Why the confirm pause follows the CPU up to the last write**: the last service written is
  confirmed ${CONFIRM_MS} ms after its write lands, whatever the client does, so that pause can
  only follow the sandbox's work up to that write. What the sandbox spends after it (probes, the
  final read-back) can overlap the pause; when it outlasts the pause, all of the CPU is the larger
  bound. The CPU terms overlap the round trips, so the largest counts, not their sum.
- **× CPU-only floor** is our time over the weaker floor this report used before: start-up +
  max(round-trip bound, sandbox CPU), as if the confirm pause could overlap any of the sandbox's
  work. It is shown so that the two can be compared; the targets use the floor above.

**One-at-a-time baseline**: what a person does in the dashboard, service after service: look it
up in both groups, sync it, set its runtime configuration and enable it, check it through the
gateway (same client, same budgets, same injected latency). Measured, never extrapolated.

## Start-up

Whole processes, from spawn to exit, each run right after a \`node -e 0\`; "over node" is the
difference from that run. \`plan\` and the Action's dry run (\`dry-run: true\`, \`lock: false\`,
\`record-deployment: false\`) read one service from a sandbox process with no injected latency.

${startupTable(f)}

## Config load

${
  f.configLoad
    ? `From \`bench/config-load.ts\`, run as part of this run:\n\n${f.configLoad.output}`
    : 'Not measured by this run (no `bench/config-load.ts` in this tree).'
}
`;
}
