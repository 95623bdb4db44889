/**
 * Sync at scale: one promotion of N services (the sync, runtime configuration and enabling of
 * each, verification through the production gateway) in its own process, against a freshly
 * seeded sandbox process with latency injected on every control-plane request. Measures our wall
 * time, the sandbox's CPU time over the same window, the requests sent and our peak RSS.
 */
import path from 'node:path';
import type { PromotionSample } from './promote.js';
import { LATENCY_MS, floorMs } from './floor.js';
import { root, seedFor, writeConfig } from './support/fixtures.js';
import { runProcess } from './support/processes.js';
import { startSandboxProcess, type SandboxRequest } from './support/sandbox.js';

export interface ScaleSample extends PromotionSample {
  n: number;
  /** CPU time of the sandbox process over the promotion; undefined off Linux. */
  sandboxCpuMs: number | undefined;
  floorMs: number;
  requests: number;
  reads: number;
  writes: number;
}

/** Writes as the sandbox counts them: conflict checks and `dry-run=all` change nothing. */
const isWrite = (r: SandboxRequest) =>
  r.method !== 'GET' &&
  r.method !== 'HEAD' &&
  r.path !== '/api/services/conflict_check' &&
  r.query['dry-run'] !== 'all';

export async function promoteOnce(n: number, dir: string): Promise<ScaleSample> {
  const token = `a7ee-bench-${n}`;
  const sandbox = await startSandboxProcess(seedFor(n, token), dir);
  try {
    const config = writeConfig(dir, n, sandbox);
    await sandbox.setLatency(LATENCY_MS);
    await sandbox.clearRequests();
    const cpuBefore = sandbox.cpuMs();
    const child = await runProcess(process.execPath, [path.join(root, 'lib/bench/promote.js'), config], {
      API7_TOKEN: token,
    });
    const cpuAfter = sandbox.cpuMs();
    if (child.code !== 0) throw new Error(`the promotion of ${n} services failed: ${child.stderr}`);
    const sample = JSON.parse(child.stdout) as PromotionSample;
    // A promotion that did not sync everything is reported, not hidden: the table shows it.
    if (sample.outcomes.synced !== n)
      process.stderr.write(`the promotion of ${n} services did not sync them all: ${sample.firstFailure}\n`);
    const requests = await sandbox.requests();
    const writes = requests.filter(isWrite).length;
    const sandboxCpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    return {
      ...sample,
      n,
      sandboxCpuMs,
      floorMs: floorMs(n, sandboxCpuMs),
      requests: requests.length,
      reads: requests.length - writes,
      writes,
    };
  } finally {
    await sandbox.close();
  }
}
