/**
 * A cancelled chat-ops workflow run: GitHub sends the Action's step SIGINT, then SIGTERM, then
 * kills it. The bundle (dist/index.js) as a real process in workflow mode (an `issue_comment`
 * event), a `/sync production` of many services on the sandbox, one failing its verification,
 * with the request, lock, deployment and check run on the GitHub stand-in. The signal goes out
 * when the sandbox reports the first write in production.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, runActionStep, startActionStep } from '../helpers/action.js';
import { botConfig, commentPayload, openPullRequest } from '../helpers/bot.js';
import { deploymentOutcome, fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { firstChangeIn, manyServicesConfig, manyServicesSeed, runningIn } from '../helpers/many-services.js';
import { regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { api, gatedUpstream, PROD, sandbox, serviceIn, withProductionAt090 } from '../helpers/sandbox.js';
import { until } from '../helpers/bot-process.js';

const N = 300;
const STATE_SECRET = 'workflow-cancel-state-secret-32-bytes-long';
let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
let kill: (() => void) | undefined;
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  kill?.();
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
  await sb?.close();
  await gh?.close();
  sb = gh = kill = undefined;
});

/**
 * `/sync production` in a workflow run, started and left running until its first API7 write: in
 * one job, or (`promote`) in the promote job once the plan job named the request.
 */
async function syncingStep(job: 'single' | 'promote') {
  sb = await sandbox(manyServicesSeed(N, API7_TOKEN));
  gh = await fakeGitHub();
  gh.commentAs = 'github-actions[bot]';
  gh.files.set('main:.github/api7-sync.yml', manyServicesConfig(N, N - 1));
  gh.permissions.set('alice', 'write');
  openPullRequest(gh, 'alice');
  const comment = gh.addComment(7, 'alice', '/sync production');
  const dir = mkdtempSync(path.join(tmpdir(), 'chatops-cancel-'));
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(commentPayload(comment)));
  const env = {
    GITHUB_EVENT_NAME: 'issue_comment',
    GITHUB_EVENT_PATH: eventPath,
    CP: sb.controlPlane,
    PROD_GW: sb.gateways[PROD]!,
  };
  const inputs = { 'state-secret': STATE_SECRET, 'verify-timeout': '20000' };
  let jobInputs: Record<string, string> = {};
  if (job === 'promote') {
    const plan = await runActionStep(gh.url, dir, { ...inputs, 'chatops-job': 'plan' }, env);
    expect(plan.outputs.request, plan.log).toBe(String(comment.id));
    jobInputs = { 'chatops-job': 'promote', request: plan.outputs.request! };
  }
  const landed = firstChangeIn(sb, PROD);
  const step = startActionStep(gh.url, dir, { ...inputs, ...jobInputs }, env);
  kill = () => step.child.exitCode === null && step.child.kill('SIGKILL');
  await landed;
  return { step, request: comment.id, dir, env, inputs: { ...inputs, ...jobInputs } };
}

const statusOf = (request: number) =>
  gh!
    .commentsOn(7)
    .find((c) => c.user.login === 'github-actions[bot]' && c.body.includes(`request ${request} by`))?.body ??
  '';

describe('workflow mode, cancelled mid-promotion', () => {
  for (const [job, signal] of [
    ['single', 'SIGINT'],
    ['single', 'SIGTERM'],
    ['promote', 'SIGINT'],
  ] as const)
    it(`${job} job, ${signal}: undone all-or-none, the request, check run and deployment say interrupted, lock freed, exit 130`, async () => {
      const { step, request } = await syncingStep(job);
      const sent = performance.now();
      step.child.kill(signal);
      const run = await step.done;
      console.info(
        `workflow mode, ${job} job, ${signal}: the step ended ${Math.round(performance.now() - sent)} ms after the signal (${N} services)`,
      );
      expect(run.code, run.log).toBe(130);
      expect(run.log).toContain(`${signal}: no new write starts`);
      expect(run.log).not.toMatch(/did not finish within|stopped at once/);
      expect(run.log).toContain(`::error::api7-sync: the promotion was interrupted by ${signal}`);
      // The target runs exactly what it ran before.
      expect(new Set((await runningIn(sb!, PROD)).values())).toEqual(new Set(['0.9.0']));
      const status = statusOf(request);
      expect(status).toMatch(/\*\*interrupted\*\*/);
      expect(status).toMatch(/⏹️ interrupted/);
      expect(status).toContain(`The job was cancelled (${signal}) during the promotion`);
      const check = gh!.checkRuns.find((c) => c.run.external_id === String(request))!;
      expect(check.run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(check.run.output.title).toMatch(/interrupted/);
      const [deployment] = gh!.deployments;
      expect(deploymentOutcome(deployment!)).toBe('failure');
      expect(deployment!.statuses.at(-1).description).toMatch(
        new RegExp(`^interrupted by ${signal}: ${N} interrupted`),
      );
      expect(gh!.refs.size).toBe(0);
      expect(run.state.finished).toBe('true');
      expect(run.summary).toMatch(/\*\*interrupted\*\*/);
    }, 60_000);

  it('a fan-out, SIGINT while the second region verifies: the first keeps its new version, the second is undone, both locks freed', async () => {
    sb = await sandbox({ ...regionsSeed(), token: API7_TOKEN });
    // `us` sends its traffic to an upstream that holds every probe: its verification is waiting
    // when the signal comes, after `eu` was written and verified.
    const upstream = await gatedUpstream(() => false);
    cleanups.push(() => upstream.close());
    gh = await fakeGitHub();
    gh.commentAs = 'github-actions[bot]';
    gh.files.set(
      'main:.github/api7-sync.yml',
      regionsConfigText(sb, `{host: 127.0.0.1, port: ${upstream.port}}`),
    );
    gh.permissions.set('alice', 'write');
    openPullRequest(gh, 'alice');
    const comment = gh.addComment(7, 'alice', '/sync eu,us');
    const dir = mkdtempSync(path.join(tmpdir(), 'chatops-cancel-'));
    const eventPath = path.join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(commentPayload(comment)));
    const step = startActionStep(
      gh.url,
      dir,
      { 'state-secret': STATE_SECRET, 'verify-timeout': '30000' },
      { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath },
    );
    kill = () => step.child.exitCode === null && step.child.kill('SIGKILL');
    await until(() => upstream.held() > 0, 'the first probe of us');
    step.child.kill('SIGINT');
    const run = await step.done;
    expect(run.code, run.log).toBe(130);
    expect((await serviceIn(sb, 'eu', 'httpbin API')).version).toBe('1.0.0');
    expect((await serviceIn(sb, 'us', 'httpbin API')).version).toBe('0.9.0');
    const status = statusOf(comment.id);
    expect(status).toMatch(/\*\*interrupted\*\*/);
    expect(status).toMatch(/test → eu[\s\S]*✅ synced[\s\S]*test → us[\s\S]*⏹️ interrupted/);
    expect(gh.deployments.map((d) => d.body.environment)).toEqual(['eu', 'us']);
    // `eu` was promoted and verified before the signal: its deployment says what it runs.
    expect(gh.deployments[0]!.statuses.at(-1)).toMatchObject({
      state: 'success',
      description: '1 synced; then the run was interrupted by SIGINT',
    });
    expect(gh.deployments[1]!.statuses.at(-1)).toMatchObject({
      state: 'failure',
      description: expect.stringMatching(/^interrupted by SIGINT: 1 interrupted/),
    });
    expect(gh.refs.size).toBe(0);
  }, 60_000);

  it('SIGINT then SIGTERM during the undo: stops at once; the post step frees the lock and records the request interrupted', async () => {
    const { step, request, dir, env, inputs } = await syncingStep('single');
    // Every API7 write now takes 3 s: the undo is still running when GitHub's SIGTERM comes.
    await api(sb!, 'PUT', '/sandbox/faults', { latencyMs: 3_000, match: { method: 'POST' } }, null);
    const interrupting = new Promise<void>((resolve) => {
      const look = (d: Buffer) => {
        if (String(d).includes('no new write starts')) {
          step.child.stdout!.off('data', look);
          resolve();
        }
      };
      step.child.stdout!.on('data', look);
    });
    step.child.kill('SIGINT');
    await interrupting;
    step.child.kill('SIGTERM');
    const run = await step.done;
    expect(run.code, run.log).toBe(130);
    expect(run.log).toMatch(
      /::error::api7-sync: stopped at once on a second signal \(SIGTERM\): services written by this promotion and not undone: \d+ in "production"/,
    );
    expect(run.state.finished).toBeUndefined();
    expect(JSON.parse(run.state.fanoutSessions!)).toEqual([{ environment: 'production', deploymentId: 1 }]);

    // The post step (post-if: always()) ends what the main step held.
    const post = await startActionStep(gh!.url, dir, inputs, {
      ...env,
      ...Object.fromEntries(Object.entries(run.state).map(([k, v]) => [`STATE_${k}`, v])),
    }).done;
    expect(post.code, post.log).toBe(0);
    expect(gh!.refs.size).toBe(0);
    expect(deploymentOutcome(gh!.deployments[0]!)).toBe('failure');

    // ...and records the request it left `running` as interrupted, with what production runs now.
    expect(statusOf(request)).toMatch(/\*\*interrupted\*\*[\s\S]*What `production` runs now/);
    const check = gh!.checkRuns.find((c) => c.run.external_id === String(request))!;
    expect(check.run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
  }, 90_000);

  it('/rollback, SIGINT while it verifies: stops, says interrupted with what production runs, lock freed, exit 130', async () => {
    sb = await sandbox({ ...withProductionAt090(), token: API7_TOKEN });
    // Production's upstream answers the sync's probes, then holds the rollback's.
    let answering = true;
    const upstream = await gatedUpstream(() => answering);
    cleanups.push(async () => ((answering = true), upstream.close()));
    gh = await fakeGitHub();
    gh.commentAs = 'github-actions[bot]';
    gh.files.set(
      'main:.github/api7-sync.yml',
      botConfig(sb).replace(
        'upstream: {nodes: [{host: httpbin, port: 80}]}',
        `upstream: {nodes: [{host: 127.0.0.1, port: ${upstream.port}}]}`,
      ),
    );
    gh.permissions.set('alice', 'write');
    openPullRequest(gh, 'alice');
    const dir = mkdtempSync(path.join(tmpdir(), 'chatops-cancel-'));
    const start = (body: string) => {
      const c = gh!.addComment(7, 'alice', body);
      const eventPath = path.join(dir, `${c.id}.json`);
      writeFileSync(eventPath, JSON.stringify(commentPayload(c)));
      const step = startActionStep(
        gh!.url,
        dir,
        { 'state-secret': STATE_SECRET, 'verify-timeout': '30000' },
        { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath },
      );
      return { id: c.id, step };
    };
    const sync = start('/sync production');
    expect((await sync.step.done).code).toBe(0);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');

    answering = false;
    const probed = upstream.held();
    const rollback = start('/rollback production "httpbin API"');
    kill = () => rollback.step.child.exitCode === null && rollback.step.child.kill('SIGKILL');
    await until(() => upstream.held() > probed, "the rollback's first probe");
    rollback.step.child.kill('SIGINT');
    const run = await rollback.step.done;
    expect(run.code, run.log).toBe(130);
    // The rollback had landed: it is not undone (it is the way back), and the status says so.
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
    const status = statusOf(rollback.id);
    expect(status).toMatch(/\*\*interrupted\*\*/);
    expect(status).toContain('The job was cancelled (SIGINT) during the promotion');
    expect(status).toContain('⏹️ interrupted');
    expect(status).toContain(
      'the rollback was interrupted while "httpbin API" was being verified; it now runs 0.9.0',
    );
    expect(run.log).not.toMatch(/did not finish within|stopped at once/);
    expect(gh.deployments.at(-1)!.statuses.at(-1)).toMatchObject({ state: 'failure' });
    expect(gh.refs.size).toBe(0);
  }, 60_000);
});
