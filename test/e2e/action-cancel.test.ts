/**
 * A cancelled workflow run: GitHub sends the Action's step SIGINT, then SIGTERM, then kills it.
 * The bundle (dist/index.js) as a real process, 300 services on the sandbox, one failing its
 * verification, with the lock and the deployment on the GitHub stand-in. The signal goes out when
 * the sandbox reports the first write in production.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, startActionStep } from '../helpers/action.js';
import { writeRepo } from '../helpers/cli.js';
import { deploymentOutcome, fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { firstChangeIn, manyServicesConfig, manyServicesSeed, runningIn } from '../helpers/many-services.js';
import { api, PROD, sandbox } from '../helpers/sandbox.js';

const N = 300;
let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
let kill: (() => void) | undefined;
afterEach(async () => {
  kill?.();
  await sb?.close();
  await gh?.close();
  sb = gh = kill = undefined;
});

async function cancelledStep() {
  sb = await sandbox(manyServicesSeed(N, API7_TOKEN));
  gh = await fakeGitHub();
  const landed = firstChangeIn(sb, PROD);
  const step = startActionStep(
    gh.url,
    writeRepo(manyServicesConfig(N, 123)),
    { from: 'test', to: 'production', 'verify-timeout': '20000' },
    { CP: sb.controlPlane, PROD_GW: sb.gateways[PROD]! },
  );
  kill = () => step.child.exitCode === null && step.child.kill('SIGKILL');
  await landed;
  return step;
}

describe('the Action bundle, cancelled mid-promotion', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: undone all-or-none, outputs say interrupted, the deployment records it, exit 130`, async () => {
      const step = await cancelledStep();
      const sent = performance.now();
      step.child.kill(signal);
      const run = await step.done;
      console.info(
        `${signal}: the step ended ${Math.round(performance.now() - sent)} ms after the signal (${N} services)`,
      );
      expect(run.code, run.log).toBe(130);
      expect(run.log).not.toMatch(/did not finish within|stopped at once/);
      expect(run.log).toContain(`${signal}: no new write starts`);
      expect(run.log).toMatch(
        new RegExp(`::error::api7-sync: the promotion was interrupted by ${signal}: ${N} interrupted`),
      );
      const result = JSON.parse(run.outputs.result!);
      expect(result.services.map((s: { action: string }) => s.action)).toEqual(Array(N).fill('interrupted'));
      expect(run.outputs.changed).toBe('false');
      expect(new Set((await runningIn(sb!, PROD)).values())).toEqual(new Set(['0.9.0']));
      // The deployment says so, and the lock is free again.
      const [deployment] = gh!.deployments;
      expect(deploymentOutcome(deployment!)).toBe('failure');
      expect(deployment!.statuses.at(-1).description).toMatch(
        new RegExp(`^interrupted by ${signal}: ${N} interrupted`),
      );
      expect(gh!.refs.size).toBe(0);
      expect(run.state.finished).toBe('true');
    });
  }

  it('SIGINT then SIGTERM during the undo: stops at once, saying what is left for the post step and a person', async () => {
    const step = await cancelledStep();
    await api(sb!, 'PUT', '/sandbox/faults', { latencyMs: 3_000, match: { method: 'POST' } }, null);
    step.child.kill('SIGINT');
    await new Promise<void>((resolve) => {
      const look = (d: Buffer) => {
        if (String(d).includes('no new write starts')) {
          step.child.stdout!.off('data', look);
          resolve();
        }
      };
      step.child.stdout!.on('data', look);
    });
    step.child.kill('SIGTERM');
    const run = await step.done;
    expect(run.code).toBe(130);
    expect(run.log).toMatch(
      /::error::api7-sync: stopped at once on a second signal \(SIGTERM\): services written by this promotion and not undone: \d+ in "production"/,
    );
    // The main step did not finish: the post step releases the lock and closes the deployment.
    expect(run.state.finished).toBeUndefined();
    expect(run.state.lockRequest).toBeTruthy();
  });
});
