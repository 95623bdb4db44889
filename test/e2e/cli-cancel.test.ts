/**
 * Ctrl-C (SIGINT) and a cancelled CI job (SIGINT, then SIGTERM) during `api7-sync sync`, as real
 * processes against 300 services on the sandbox, one of which fails its verification: the
 * promotion is all-or-none, so whatever it wrote is undone, the result says `interrupted` with
 * what production runs, and the exit code is 130. The signal is sent when the sandbox reports
 * that the first write landed in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { BIN, writeRepo } from '../helpers/cli.js';
import {
  firstChangeIn,
  manyServicesConfig,
  manyServicesSeed,
  runningIn,
  serviceName,
} from '../helpers/many-services.js';
import { api, PROD, sandbox } from '../helpers/sandbox.js';

const N = 300;
const FAILING = 150;
let sb: Sandbox | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sb?.close();
  sb = undefined;
});

interface Running {
  child: ChildProcess;
  /** Resolves when stderr has shown `text`. */
  saw(text: string): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function start(args: string[], env: Record<string, string>, cwd: string): Running {
  child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    for (const w of waiting.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  const running = child;
  return {
    child: running,
    saw: (text) =>
      stderr.includes(text) ? Promise.resolve() : new Promise((resolve) => waiting.push({ text, resolve })),
    done: new Promise((resolve) => running.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

async function promotion(extraEnv: Record<string, string> = {}) {
  sb = await sandbox(manyServicesSeed(N));
  const dir = writeRepo(manyServicesConfig(N, FAILING));
  const landed = firstChangeIn(sb, PROD);
  const run = start(
    [
      'sync',
      '--from',
      'test',
      '--to',
      'production',
      '--json',
      '--no-route-diff',
      '--verify-timeout',
      '20000',
    ],
    { API7_TOKEN: sb.token, CP: sb.controlPlane, PROD_GW: sb.gateways[PROD]!, ...extraEnv },
    dir,
  );
  await landed;
  return run;
}

describe('api7-sync sync, interrupted', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} mid-promotion: all-or-none undone, the result says interrupted, exit 130`, async () => {
      const run = await promotion();
      const sent = performance.now();
      run.child.kill(signal);
      const { code, stdout, stderr } = await run.done;
      const graceMs = performance.now() - sent;
      expect(code, stderr).toBe(130);
      expect(stderr).toContain(`${signal}: no new write starts`);
      expect(stderr).not.toMatch(/did not finish within|stopped at once/);
      const result = JSON.parse(stdout);
      expect(result.ok).toBe(false);
      expect(result.services).toHaveLength(N);
      for (const s of result.services) {
        expect(s.action, `${s.name}: ${s.message}`).toBe('interrupted');
        expect(s.message).toMatch(/0\.9\.0/);
      }
      // What production really runs: every service back on 0.9.0.
      const running = await runningIn(sb!, PROD);
      expect(running.size).toBe(N);
      expect(new Set(running.values())).toEqual(new Set(['0.9.0']));
      console.info(`${signal}: exited ${Math.round(graceMs)} ms after the signal (300 services)`);
    });
  }

  it('a second signal stops at once and says what is left', async () => {
    const run = await promotion();
    // Every write from now on is slow, so the undo is still running when the second signal comes.
    await api(sb!, 'PUT', '/sandbox/faults', { latencyMs: 3_000, match: { method: 'POST' } }, null);
    run.child.kill('SIGINT');
    await run.saw('SIGINT: no new write starts');
    run.child.kill('SIGTERM');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toContain('stopped at once on a second signal (SIGTERM)');
    expect(stderr).toMatch(/services written by this promotion and not undone: \d+ in "production"/);
    expect(stderr).toContain('api7-sync status');
  });
});

/**
 * Interrupted during the watch after verification (`verify.watch`): every service has been
 * written and verified, but a service whose window has not ended is not known to work yet, so it
 * is undone as one interrupted before its verification; the signal is sent once stderr says the
 * watch has started.
 */
describe('api7-sync sync, interrupted while watching', () => {
  const WATCHED = 5;

  async function watching(config: string, extraArgs: string[] = []) {
    sb = await sandbox(manyServicesSeed(WATCHED));
    const dir = writeRepo(config);
    const run = start(
      ['sync', '--from', 'test', '--to', 'production', '--json', '--no-route-diff', ...extraArgs],
      { API7_TOKEN: sb.token, CP: sb.controlPlane, PROD_GW: sb.gateways[PROD]! },
      dir,
    );
    await run.saw('watching "');
    return run;
  }

  it('SIGINT during an atomic watch: every service back on 0.9.0, interrupted, exit 130', async () => {
    const config = manyServicesConfig(WATCHED).replace(
      'promoteFrom: test}',
      'promoteFrom: test, verify: {watch: 10m}}',
    );
    const run = await watching(config);
    expect(await runningIn(sb!, PROD)).toEqual(
      new Map(Array.from({ length: WATCHED }, (_, i) => [serviceName(i), '1.0.0'])),
    );
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(130);
    expect(stderr).not.toMatch(/did not finish within|stopped at once/);
    const result = JSON.parse(stdout);
    expect(result.ok).toBe(false);
    expect(result.services).toHaveLength(WATCHED);
    for (const s of result.services) {
      expect(s.action, `${s.name}: ${s.message}`).toBe('interrupted');
      expect(s.reason).toBe('interrupted');
      expect(s.message).toMatch(/interrupted .* into the 10m watch of .*; back on 0\.9\.0/);
    }
    const running = await runningIn(sb!, PROD);
    expect(new Set(running.values())).toEqual(new Set(['0.9.0']));
  });

  it('SIGTERM during the watch of one service (not atomic): only it is undone; the others stay', async () => {
    const watched = serviceName(0);
    const config = manyServicesConfig(WATCHED).replace(
      `    verify: [{path: /anything/${watched}, status: 200}]\n`,
      `    verify: [{path: /anything/${watched}, status: 200}]\n    watch: 10m\n`,
    );
    const run = await watching(config, ['--no-atomic']);
    run.child.kill('SIGTERM');
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(130);
    const result = JSON.parse(stdout);
    const byName = new Map<string, { action: string; message: string }>(
      result.services.map((s: { name: string }) => [s.name, s]),
    );
    expect(byName.get(watched)?.action).toBe('interrupted');
    expect(byName.get(watched)?.message).toMatch(/back on 0\.9\.0/);
    const running = await runningIn(sb!, PROD);
    expect(running.get(watched)).toBe('0.9.0');
    for (let i = 1; i < WATCHED; i++) {
      expect(byName.get(serviceName(i))?.action).toBe('synced');
      expect(running.get(serviceName(i))).toBe('1.0.0');
    }
  });
});
