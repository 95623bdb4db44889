/**
 * A fan-out in the two-job chat-ops workflow (examples/workflows/chatops.yml): the plan job names
 * the request, the promote job runs it, and every target of `/sync eu,us` or `/sync @production`
 * is promoted through the one promotion run, not only the first. The committed bundle as each
 * job's step, against the sandbox and the GitHub stand-in over HTTP.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, runActionStep, type StepRun } from '../helpers/action.js';
import { commentPayload, openPullRequest } from '../helpers/bot.js';
import { deploymentOutcome, fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { REGIONS, regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { sandbox, serviceIn, writes } from '../helpers/sandbox.js';

const STATE_SECRET = 'workflow-fanout-state-secret-32-bytes-long';
const RUN_ID = 4242; // GITHUB_RUN_ID of every step the helper runs
let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

async function setUp(config: (text: string) => string = (text) => text): Promise<void> {
  sb = await sandbox({ ...regionsSeed(), token: API7_TOKEN });
  gh = await fakeGitHub();
  gh.commentAs = 'github-actions[bot]';
  gh.files.set('main:.github/api7-sync.yml', config(regionsConfigText(sb, '{host: httpbin, port: 80}')));
  gh.permissions.set('alice', 'write');
  openPullRequest(gh, 'alice');
}

/** The comment's workflow run: the plan job, then (when it named a request) the promote job. */
async function twoJobs(body: string): Promise<{ id: number; plan: StepRun; promote: StepRun }> {
  const c = gh!.addComment(7, 'alice', body);
  const dir = mkdtempSync(path.join(tmpdir(), 'chatops-fanout-'));
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(commentPayload(c)));
  const env = { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath };
  const job = (inputs: Record<string, string>) =>
    runActionStep(gh!.url, dir, { 'state-secret': STATE_SECRET, ...inputs }, env);
  const plan = await job({ 'chatops-job': 'plan' });
  expect(plan.code, plan.log).toBe(0);
  expect(await writes(sb!)).toEqual([]);
  expect(plan.outputs.request, JSON.stringify(gh!.commentsOn(7).map((x) => x.body))).toBe(String(c.id));
  const promote = await job({ 'chatops-job': 'promote', request: plan.outputs.request! });
  return { id: c.id, plan, promote };
}

const statusOf = (request: number) =>
  gh!
    .commentsOn(7)
    .find((c) => c.user.login === 'github-actions[bot]' && c.body.includes(`request ${request} by`))?.body ??
  '';

async function versionIn(region: string): Promise<string> {
  return (await serviceIn(sb!, region, 'httpbin API')).version;
}

describe('the two-job chat-ops workflow, fanned out', () => {
  it.each([
    ['/sync eu,us', ['eu', 'us']],
    ['/sync eu,us,ap', REGIONS],
  ])(
    '%s: the promote job promotes every target, each with its deployment and result',
    async (body, targets) => {
      await setUp();
      const { id, plan, promote } = await twoJobs(body);
      // The promote job runs in the first target's GitHub Environment: the plan job names it.
      expect(plan.outputs.environment).toBe('eu');
      expect(promote.code, promote.log).toBe(0);
      for (const region of REGIONS)
        expect(await versionIn(region), region).toBe(targets.includes(region) ? '1.0.0' : '0.9.0');
      const status = statusOf(id);
      expect(status).toMatch(/\*\*done\*\*/);
      for (const region of targets) expect(status).toContain(`test → ${region}`);
      expect(gh!.deployments.map((d) => d.body.environment)).toEqual(targets);
      expect(gh!.deployments.map(deploymentOutcome)).toEqual(targets.map(() => 'success'));
      const check = gh!.checkRuns.find((c) => c.run.external_id === String(id))!;
      expect(check.run).toMatchObject({ status: 'completed', conclusion: 'success' });
      expect(gh!.refs.size).toBe(0);
      expect(promote.summary).toMatch(/\*\*done\*\*/);
    },
  );

  it('a later target whose GitHub reviewers did not approve this run stops the whole fan-out before any write', async () => {
    // Both regions ask for an approval: GitHub's reviewers of each environment give it.
    await setUp((text) => text.replace(/( {4}wave: [12]\n)/g, '$1    protection: {approvals: 1}\n'));
    // The promote job ran in `eu` (the plan job's `environment`): only eu's reviewers approved it.
    gh!.runApprovals.set(RUN_ID, [
      { environments: [{ name: 'eu' }], state: 'approved', user: { login: 'bob' }, comment: '' },
    ]);
    const { id, promote } = await twoJobs('/sync eu,us');
    expect(promote.code, promote.log).toBe(0);
    expect(await writes(sb!)).toEqual([]);
    expect(statusOf(id)).toMatch(/\*\*failed\*\*[\s\S]*`us` needs approval/);
    expect(statusOf(id)).toMatch(
      /This run was approved in `eu`; a job runs in one GitHub Environment, so the reviewers of `us` were not asked: promote it with a `\/sync` of its own/,
    );
    expect(gh!.deployments).toEqual([]);
    expect(gh!.refs.size).toBe(0);
  });

  it('/sync @production is answered that chat-ops takes environment names, and names no request', async () => {
    await setUp();
    const c = gh!.addComment(7, 'alice', '/sync @production');
    const dir = mkdtempSync(path.join(tmpdir(), 'chatops-fanout-'));
    const eventPath = path.join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(commentPayload(c)));
    const plan = await runActionStep(
      gh!.url,
      dir,
      { 'state-secret': STATE_SECRET, 'chatops-job': 'plan' },
      { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath },
    );
    expect(plan.code, plan.log).toBe(0);
    expect(plan.outputs.request ?? '').toBe('');
    const reply = gh!.commentsOn(7).at(-1)!;
    expect(reply.user.login).toBe('github-actions[bot]');
    expect(reply.body).toMatch(
      /^@alice @\u200bproduction is a tag: name the environments instead, in order \(`\/sync eu,us,ap`\)/,
    );
    expect(await writes(sb!)).toEqual([]);
    expect(gh!.deployments).toEqual([]);
  });
});
