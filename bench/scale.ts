/**
 * Sync at scale, as users run it: `api7-sync sync --from test --to production --json`, a whole
 * process (route diff and verification on, the defaults), against a freshly seeded sandbox process
 * with latency injected on every control-plane request. Measures the wall time from spawn to exit,
 * the start-up of the same CLI next to it, the sandbox's CPU time over the same window, the
 * requests sent (and those of the route diff) and the process's own CPU and peak RSS.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cpuOnlyFloorMs, floorMs, LATENCY_MS } from './floor.js';
import { root, seedFor, writeConfig } from './support/fixtures.js';
import { runProcess } from './support/processes.js';
import { startSandboxProcess, type SandboxRequest } from './support/sandbox.js';

export interface ScaleSample {
  n: number;
  /** Spawn to exit of `api7-sync sync`. */
  durationMs: number;
  /** What the result's JSON says (`durationMs`), and its phases when it names them. */
  reportedMs: number;
  phases?: Record<string, number>;
  /** Spawn to exit of `api7-sync --version`, run just before. */
  startupMs: number;
  /** CPU time of the sandbox process over the promotion; undefined off Linux. */
  sandboxCpuMs: number | undefined;
  /** Of that, what the sandbox spent after answering the last write (probes, the read-back). */
  cpuAfterLastWriteMs: number | undefined;
  floorMs: number;
  /** The earlier floor, with all of the sandbox's CPU and no confirm pause after it. */
  cpuOnlyFloorMs: number;
  cpuMs: number;
  peakRssMiB: number;
  outcomes: Record<string, number>;
  firstFailure?: string;
  requests: number;
  reads: number;
  writes: number;
  /** Requests that read routes (the route diff). */
  routeReads: number;
}

/** Writes as the sandbox counts them: conflict checks and `dry-run=all` change nothing. */
const isWrite = (r: SandboxRequest) =>
  r.method !== 'GET' &&
  r.method !== 'HEAD' &&
  r.path !== '/api/services/conflict_check' &&
  r.query['dry-run'] !== 'all';

const isRouteRead = (r: SandboxRequest) => r.method === 'GET' && /\/routes$/.test(r.path);

const BIN = () => path.join(root, 'bin/api7-sync.js');

/** `nodeArgs` go to node before the CLI (e.g. `--heap-prof` when looking for where memory goes). */
export async function promoteOnce(n: number, dir: string, nodeArgs: string[] = []): Promise<ScaleSample> {
  const token = `a7ee-bench-${n}`;
  const sandbox = await startSandboxProcess(seedFor(n, token), dir);
  try {
    const config = writeConfig(dir, n, sandbox);
    const startup = await runProcess(process.execPath, [BIN(), '--version']);
    await sandbox.setLatency(LATENCY_MS);
    await sandbox.clearRequests();
    const usageFile = path.join(dir, `usage-${n}.json`);
    const cpuBefore = sandbox.cpuMs();
    const child = await runProcess(
      process.execPath,
      [
        ...nodeArgs,
        '--import',
        path.join(root, 'lib/bench/support/usage.js'),
        BIN(),
        'sync',
        '--from',
        'test',
        '--to',
        'production',
        '--config',
        config,
        '--json',
      ],
      { API7_TOKEN: token, BENCH_USAGE_FILE: usageFile },
    );
    const cpuAfter = sandbox.cpuMs();
    if (child.code !== 0 && child.code !== 1)
      throw new Error(
        `the promotion of ${n} services failed (exit ${child.code}): ${child.stderr.slice(-2000)}`,
      );
    const result = JSON.parse(child.stdout) as {
      durationMs: number;
      phases?: Record<string, number>;
      services: { name: string; action: string; reason: string | null; message: string | null }[];
    };
    const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { cpuMs: number; peakRssMiB: number };
    const outcomes: Record<string, number> = {};
    for (const s of result.services) outcomes[s.action] = (outcomes[s.action] ?? 0) + 1;
    const failed = result.services.find((s) => s.action !== 'synced');
    // A promotion that did not sync everything is reported, not hidden: the table shows it.
    if (failed)
      process.stderr.write(`the promotion of ${n} services did not sync them all: ${failed.message}\n`);
    const log = await sandbox.requests();
    const requests = log.list;
    const writeLog = requests.filter(isWrite);
    const writes = writeLog.length;
    const sandboxCpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    // The sandbox's CPU when it answered its last write (the latest answer, not the latest arrival).
    const answeredWrites = writeLog.flatMap((r) => (r.cpuMs === undefined ? [] : [r.cpuMs]));
    const cpuAfterLastWriteMs = answeredWrites.length ? log.cpuMs - Math.max(...answeredWrites) : undefined;
    return {
      n,
      durationMs: child.wallMs,
      reportedMs: result.durationMs,
      ...(result.phases ? { phases: result.phases } : {}),
      startupMs: startup.wallMs,
      sandboxCpuMs,
      cpuAfterLastWriteMs,
      floorMs: floorMs(n, startup.wallMs, sandboxCpuMs, cpuAfterLastWriteMs),
      cpuOnlyFloorMs: cpuOnlyFloorMs(n, startup.wallMs, sandboxCpuMs),
      ...usage,
      outcomes,
      ...(failed && { firstFailure: `${failed.name}: ${failed.action}: ${failed.message ?? failed.reason}` }),
      requests: requests.length,
      reads: requests.length - writes,
      writes,
      routeReads: requests.filter(isRouteRead).length,
    };
  } finally {
    await sandbox.close();
  }
}
