/**
 * Chat-ops with no server: the committed bundle run as a workflow step for a sequence of
 * `issue_comment` and `pull_request` events, against the sandbox and the GitHub stand-in over
 * HTTP. What people see (comments, reactions, deployment, lock, the promotion) is what the App
 * gives them, from the same chat-ops core.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, GITHUB_TOKEN, runActionStep, type StepRun } from '../helpers/action.js';
import { botConfig, commentPayload, HEAD, openPullRequest, pushPayload } from '../helpers/bot.js';
import { decodeState, encodeState, stateKey } from '../../chatops/state.js';
import { EnvironmentLock } from '../../github/lock.js';
import { fakeGitHub, modelClient, type FakeGitHub } from '../helpers/github-server.js';
import { regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { PROD, sandbox, serviceIn, walkthroughSeed, writes } from '../helpers/sandbox.js';

const STATE_SECRET = 'workflow-state-secret-of-32-bytes-at-least';
let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

/** These runs are the comment-approvals choice: `/approve` counts (protection.workflowApprovals). */
const byComments = (config: string) =>
  config.replace(/( +)approvals: (\d+)\n/g, '$1approvals: $2\n$1workflowApprovals: comments\n');

async function setUp(approvals: number, regions = false): Promise<FakeGitHub> {
  sb = await sandbox(
    regions ? { ...regionsSeed(), token: API7_TOKEN } : walkthroughSeed({ token: API7_TOKEN }),
  );
  gh = await fakeGitHub();
  gh.commentAs = 'github-actions[bot]';
  gh.files.set(
    'main:.github/api7-sync.yml',
    byComments(regions ? regionsConfigText(sb, '{host: httpbin, port: 80}') : botConfig(sb, approvals)),
  );
  for (const login of ['alice', 'bob', 'carol', 'dave', 'erin']) gh.permissions.set(login, 'write');
  gh.teams.set('acme/platform', ['bob']);
  gh.teams.set('acme/sre', ['erin']);
  openPullRequest(gh, 'alice');
  return gh;
}

/** One workflow run for one event, as GitHub would start it. */
function run(
  event: 'issue_comment' | 'pull_request',
  payload: unknown,
  inputs: Record<string, string> = {},
): Promise<StepRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatops-'));
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(payload));
  return runActionStep(
    gh!.url,
    dir,
    { 'state-secret': STATE_SECRET, ...inputs },
    { GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: eventPath, GITHUB_SHA: 'f'.repeat(40) },
  );
}

async function comment(
  login: string,
  body: string,
  extra: Record<string, string> = {},
): Promise<{ id: number; step: StepRun }> {
  const c = gh!.addComment(7, login, body);
  return { id: c.id, step: await run('issue_comment', commentPayload(c), extra) };
}

const botComments = () => gh!.commentsOn(7).filter((c) => c.user.login === 'github-actions[bot]');
const statusOf = (request: number) =>
  botComments().find((c) => c.body.includes(`request ${request} by`))?.body ?? '';

/**
 * What a runner killed mid-run leaves, written as that run would have: its request `running` in its
 * check run, the lock held for it with a lease that ran out, and its deployment at `in_progress`.
 */
async function leaveKilledRun(request: number): Promise<void> {
  const check = gh!.checkRuns.find((c) => c.run.external_id === String(request))!;
  const key = stateKey(STATE_SECRET);
  const state = decodeState(key, check.run.output.text)!;
  check.run.output.text = encodeState(key, { ...state, status: 'running', seq: state.seq + 1 });
  // The Action runs on the system clock (the test's, passed on to it), so what the dead run wrote
  // is stamped ten minutes before it. The lease is still current: the stopped heartbeat tells.
  const tenMinutesAgo = new Date(Date.now() - 600_000);
  gh!.now = () => tenMinutesAgo;
  await new EnvironmentLock(modelClient(gh!), { owner: 'acme', repo: 'shop' }, () =>
    tenMinutesAgo.getTime(),
  ).claim(
    'production',
    { holder: 'a killed run', reason: '/sync production', request: `acme/shop#7/request-${request}` },
    3_600_000,
  );
  gh!.handle('POST', '/repos/acme/shop/deployments', {
    environment: 'production',
    ref: HEAD,
    payload: {
      api7Sync: {
        repository: 'acme/shop',
        pr: 7,
        request,
        kind: 'sync',
        environment: 'production',
        checkRun: check.id,
      },
    },
  });
  gh!.handle('POST', `/repos/acme/shop/deployments/${gh!.deployments.length}/statuses`, {
    state: 'in_progress',
    description: 'heartbeat',
  });
  gh!.now = () => new Date();
}

describe('workflow mode (issue_comment)', () => {
  it('runs /sync, /approve, lapses on a push, and /deny, like the App', async () => {
    await setUp(1);
    const sync = await comment('alice', '/sync production');
    expect(sync.step.code).toBe(0);
    expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
    expect(await writes(sb!)).toEqual([]);

    const approve = await comment('bob', '/approve');
    expect(approve.step.code).toBe(0);
    expect(statusOf(sync.id)).toMatch(/\*\*done\*\*/);
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
    expect(gh!.deployments).toHaveLength(1);
    expect(gh!.deployments[0]!.statuses.at(-1)!.state).toBe('success');
    expect(gh!.refEvents.map((e) => e.event)).toEqual(['created', 'deleted']);
    expect(gh!.reactions.filter((r) => r.comment === sync.id).map((r) => r.content)).toEqual(['eyes']);
    // The Check Run sits on the pull request's head, never on GITHUB_SHA (the default branch here).
    expect(gh!.checkRuns[0]!.run).toMatchObject({
      name: 'api7-sync / production',
      head_sha: HEAD,
      status: 'completed',
      conclusion: 'success',
    });
    expect(gh!.checkRuns[0]!.history.map((u) => u.status).filter(Boolean)).toEqual([
      'queued',
      'in_progress',
      'completed',
    ]);
    expect(approve.step.summary).toMatch(/request \d+ by @alice · \*\*done\*\*/);

    // A new request, a push that lapses its approvals, and a /deny.
    // Production now runs 1.0.0 with the configured runtime: nothing to do.
    const again = await comment('carol', '/sync production --version 1.0.0');
    expect(statusOf(again.id)).toMatch(/\*\*done\*\*[\s\S]*Already in place/);
    gh!.files.set(
      'main:.github/api7-sync.yml',
      byComments(botConfig(sb!, 1)).replace(
        'upstream: {nodes: [{host: httpbin, port: 80}]}',
        'upstream: {nodes: [{host: httpbin, port: 80, weight: 50}]}',
      ),
    );
    // A runtime change on the default branch gives the next request something to wait for.
    const third = await comment('carol', '/sync production');
    expect(statusOf(third.id)).toMatch(/\*\*pending\*\*/);
    gh!.pulls.get(7)!.head.sha = 'b'.repeat(40);
    const push = await run('pull_request', pushPayload('b'.repeat(40)));
    expect(push.code).toBe(0);
    expect(statusOf(third.id)).toMatch(
      /\*\*pending\*\*[\s\S]*Approvals have lapsed: new commits were pushed \(aaaaaaa → bbbbbbb\)/,
    );
    const deny = await comment('bob', `/deny ${third.id}`);
    expect(deny.step.code).toBe(0);
    expect(statusOf(third.id)).toMatch(/\*\*denied\*\*[\s\S]*Denied by @bob/);
    expect(gh!.deployments).toHaveLength(1);
    const logs = [sync, approve, again, third, deny].map((c) => c.step.log + c.step.summary).join('\n');
    expect(logs.replace(/^::add-mask::.*$/gm, '')).not.toContain(API7_TOKEN);
    expect(logs.replace(/^::add-mask::.*$/gm, '')).not.toContain(GITHUB_TOKEN);
  }, 90_000); // seven workflow runs, each a new Node process: slow on a busy machine

  it('a comment that is no command ends the step with no GitHub write', async () => {
    await setUp(0);
    const { step } = await comment('alice', 'looks good to me');
    expect(step.code).toBe(0);
    expect(gh!.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('a refusal is answered in the pull request; a missing state secret with approvals fails the step', async () => {
    await setUp(1);
    gh!.permissions.set('mallory', 'read');
    const refused = await comment('mallory', '/sync production');
    expect(botComments().at(-1)!.body).toMatch(/^@mallory you need write permission/);
    expect(refused.step.code).toBe(0);
    const noSecret = await comment('alice', '/sync production', { 'state-secret': '' });
    expect(noSecret.step.code).not.toBe(0);
    expect(noSecret.step.log).toMatch(/state-secret is empty, and an environment needs approvals/);
  });

  it('a team among the approvers is refused with a message when the token cannot read teams', async () => {
    await setUp(1);
    await comment('alice', '/sync production');
    // The workflow's own token may not read an organisation's teams: GitHub answers 403.
    gh!.failNext('GET', /^\/orgs\/acme\/teams\/platform\/memberships\//, 403);
    const approve = await comment('erin', '/approve');
    expect(approve.step.code).toBe(0);
    expect(botComments().at(-1)!.body).toMatch(
      /^@erin the GitHub token cannot read the membership of @acme\/platform; use a token that can read team membership/,
    );
    expect(await writes(sb!)).toEqual([]);
  });

  it('/sync to two regions holds both locks, records both deployments, and leaves the post step all of them', async () => {
    await setUp(0, true);
    const { id, step } = await comment('alice', '/sync eu,us');
    expect(step.code, step.log).toBe(0);
    expect(statusOf(id)).toMatch(/\*\*done\*\*[\s\S]*test → eu[\s\S]*test → us/);
    expect(gh!.deployments.map((d) => d.body.environment)).toEqual(['eu', 'us']);
    expect(gh!.refs.size).toBe(0);
    // What a cancelled run's post step would free: every environment, with its deployment.
    expect(JSON.parse(step.state.fanoutSessions!)).toEqual([
      { environment: 'eu', deploymentId: 1 },
      { environment: 'us', deploymentId: 2 },
    ]);
    expect(step.state.lockRequest).toBe(`acme/shop#7/request-${id}`);
  });

  it('a run a killed runner left behind is recovered by the next chat-ops run', async () => {
    await setUp(1);
    const sync = await comment('alice', '/sync production');
    expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
    await leaveKilledRun(sync.id);
    const next = await comment('carol', '/status');
    expect(next.step.code, next.step.log).toBe(0);
    expect(gh!.deployments[0]!.statuses.at(-1)!.state).toBe('failure');
    expect(statusOf(sync.id)).toMatch(/\*\*interrupted\*\*[\s\S]*What `production` runs now/);
    expect(gh!.refs.size).toBe(0);
  });

  it('a stranger’s /help runs nothing before the permission check: not even recovery', async () => {
    await setUp(1);
    gh!.permissions.set('mallory', 'read');
    const sync = await comment('alice', '/sync production');
    await leaveKilledRun(sync.id);
    const before = gh!.requests.length;
    const help = await comment('mallory', '/help');
    expect(help.step.code, help.step.log).toBe(0);
    const made = gh!.requests.slice(before);
    expect(made.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /repos/acme/shop/collaborators/mallory/permission',
      'POST /repos/acme/shop/issues/7/comments',
      'POST /repos/acme/shop/issues/comments/' + String(gh!.comments.at(-2)!.id) + '/reactions',
    ]);
    expect(botComments().at(-1)!.body).toMatch(/^@mallory you need write permission/);
    expect(gh!.deployments[0]!.statuses.at(-1)!.state).toBe('in_progress');
    expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
    expect(gh!.refs.size).toBe(1);
  });
});
