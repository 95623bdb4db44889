/**
 * The sandbox as its own process, as users run it (`api7-sync sandbox --seed FILE`), so that its
 * CPU time can be measured apart from ours, and its test hooks over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { processCpuMs } from './processes.js';
import { root, type SeedDocument } from './fixtures.js';

export interface SandboxRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  at: string;
  /** The sandbox's CPU time (ms, its own clock) when it answered. */
  cpuMs?: number;
}

/** The request log, with the sandbox's CPU time (same clock as the entries') when it was read. */
export interface RequestLog {
  list: SandboxRequest[];
  cpuMs: number;
}

export interface SandboxProcess {
  pid: number;
  controlPlane: string;
  token: string;
  gateways: Record<string, string>;
  /** CPU time the sandbox process has used so far, or undefined off Linux. */
  cpuMs(): number | undefined;
  setLatency(ms: number): Promise<void>;
  clearRequests(): Promise<void>;
  requests(): Promise<RequestLog>;
  close(): Promise<void>;
}

export async function startSandboxProcess(seed: SeedDocument, dir: string): Promise<SandboxProcess> {
  const seedFile = path.join(dir, `seed-${seed.services.length}.json`);
  writeFileSync(seedFile, JSON.stringify(seed)); // JSON is YAML
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin/api7-sync.js'), 'sandbox', '--seed', seedFile],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const ready = await new Promise<{ controlPlane: string; token: string; gateways: Record<string, string> }>(
    (resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        try {
          resolve(JSON.parse(out.slice(0, nl)));
        } catch {
          reject(new Error(`the sandbox's ready line is not JSON: ${out.slice(0, nl)}`));
        }
      });
      child.once('close', (code) =>
        reject(new Error(`the sandbox exited (${code}) before it was ready: ${stderr}`)),
      );
    },
  );
  const hook = async (method: 'GET' | 'PUT' | 'DELETE', p: string, body?: unknown) => {
    const res = await request(`${ready.controlPlane}/sandbox${p}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    if (res.statusCode >= 300) throw new Error(`sandbox ${method} ${p}: HTTP ${res.statusCode}`);
    return res.body.json();
  };
  return {
    pid: child.pid!,
    ...ready,
    cpuMs: () => processCpuMs(child.pid!),
    setLatency: async (latencyMs) => void (await hook('PUT', '/faults', { latencyMs })),
    clearRequests: async () => void (await hook('DELETE', '/requests')),
    requests: async () => (await hook('GET', '/requests')) as RequestLog,
    close: () => stop(child),
  };
}

/** SIGTERM, as a user stops it; SIGKILL should it not be gone within 5 s. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('close', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
