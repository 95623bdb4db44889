/** Runs the built `api7-sync` program as its own process, and writes repositories for it. */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../../sandbox/server.js';
import { PROD, TEST } from './sandbox.js';
import { clockEnv } from './clock.js';

export const BIN = path.resolve('bin/api7-sync.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `api7-sync ARGS` with only PATH and `env` in its environment. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  cwd = process.cwd(),
  nodeArgs: string[] = [],
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A `runCli` that also keeps every run's stdout and stderr in `outputs`, so that a test file can
 * check at the end that no secret was ever printed.
 */
export function recordingRunCli(outputs: string[]): typeof runCli {
  return async (...args) => {
    const res = await runCli(...args);
    outputs.push(res.stdout, res.stderr);
    return res;
  };
}

/** A fresh temporary repository whose `.github/api7-sync.yml` holds `config`. */
export function writeRepo(config: string, prefix = 'api7-sync-e2e-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(dir, '.github'));
  writeFileSync(path.join(dir, '.github', 'api7-sync.yml'), config);
  return dir;
}

/** A repository with `.github/api7-sync.yml` for the sandbox; `${PROD_GATEWAY}` is interpolated. */
export function repoFor(
  sb: Sandbox,
  productionNode = '{host: httpbin, port: 80}',
  controlPlane = sb.controlPlane,
): string {
  return writeRepo(
    `controlPlane:
  url: ${controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
    gatewayUrl: ${sb.gateways[TEST]}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: \${PROD_GATEWAY}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [${productionNode}]
    verify:
      - {path: /headers}
`,
  );
}
