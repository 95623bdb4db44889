/**
 * Workflow mode as an insider with write access would try it: re-running old runs, approving
 * by comment where GitHub's reviewers are the gate, running the promotion job without them,
 * commands on a closed pull request, a control plane that echoes the token. Each test runs the
 * committed bundle as a workflow step against the sandbox and the GitHub stand-in over HTTP.
 */
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, runActionStep, type StepRun } from '../helpers/action.js';
import { botConfig, commentPayload, openPullRequest } from '../helpers/bot.js';
import { runCli } from '../helpers/cli.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { PROD, sandbox, serviceIn, walkthroughSeed, writes } from '../helpers/sandbox.js';

const STATE_SECRET = 'insider-test-state-secret-32-bytes-long';
const RUN_ID = 4242; // GITHUB_RUN_ID of every step the helper runs
let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

const byComments = (config: string) =>
  config.replace(/( +)approvals: (\d+)\n/g, '$1approvals: $2\n$1workflowApprovals: comments\n');

async function setUp(config: (s: Sandbox) => string): Promise<FakeGitHub> {
  sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
  gh = await fakeGitHub();
  gh.commentAs = 'github-actions[bot]';
  gh.files.set('main:.github/api7-sync.yml', config(sb));
  for (const login of ['alice', 'bob', 'carol', 'dave']) gh.permissions.set(login, 'write');
  gh.permissions.set('mallory', 'read');
  gh.teams.set('acme/platform', ['bob']);
  openPullRequest(gh, 'alice');
  return gh;
}

/** One run of one job for a comment event, as GitHub would start it. */
function run(
  payload: unknown,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<StepRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'insiders-'));
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(payload));
  return runActionStep(
    gh!.url,
    dir,
    { 'state-secret': STATE_SECRET, ...inputs },
    { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventPath, ...env },
  );
}

async function comment(login: string, body: string, inputs: Record<string, string> = {}) {
  const c = gh!.addComment(7, login, body);
  const payload = commentPayload(c);
  return { id: c.id, payload, step: await run(payload, inputs) };
}

const botComments = () => gh!.commentsOn(7).filter((c) => c.user.login === 'github-actions[bot]');
const statusOf = (request: number) =>
  botComments().find((c) => c.body.includes(`request ${request} by`))?.body ?? '';
const githubWrites = () => gh!.requests.filter((r) => r.method !== 'GET');

describe('a re-run of a chat-ops workflow run acts on nothing', () => {
  it('re-running a /sync run and an /approve run changes nothing, writes nothing and says so', async () => {
    await setUp((s) => byComments(botConfig(s, 1)));
    const sync = await comment('alice', '/sync production');
    expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
    const approve = await comment('bob', '/approve');
    expect(approve.step.code, approve.step.log).toBe(0);
    expect(statusOf(sync.id)).toMatch(/\*\*done\*\*/);
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
    const apiWrites = (await writes(sb!)).length;
    const requestsBefore = gh!.requests.length;
    // A writer deletes the status comment, then re-runs both old runs (attempt 2).
    gh!.comments.splice(
      gh!.comments.findIndex((c) => c.body.includes(`request ${sync.id} by`)),
      1,
    );
    for (const old of [sync, approve]) {
      const rerun = await run(old.payload, {}, { GITHUB_RUN_ATTEMPT: '2' });
      expect(rerun.code, rerun.log).toBe(0);
      expect(rerun.log).toMatch(/attempt 2 of this workflow run, a re-run\. A chat-ops command acts once/);
      expect(rerun.summary).toMatch(/re-run, nothing done/);
    }
    expect(gh!.requests.length).toBe(requestsBefore); // not even a read
    expect((await writes(sb!)).length).toBe(apiWrites);
    expect(gh!.deployments).toHaveLength(1);
  });

  it('re-running a /sync that was refused while the lock was held does not promote once it is free', async () => {
    await setUp((s) => botConfig(s, 0));
    gh!.permissions.set('mallory', 'read');
    const lock = await comment('alice', '/lock production release freeze');
    expect(lock.step.code).toBe(0);
    const refused = await comment('bob', '/sync production');
    expect(botComments().at(-1)!.body).toMatch(/lock on `production` is held/);
    await comment('alice', '/unlock production');
    const rerun = await run(refused.payload, {}, { GITHUB_RUN_ATTEMPT: '3' });
    expect(rerun.code).toBe(0);
    expect(await writes(sb!)).toEqual([]);
  });
});

describe("GitHub's environment reviewers are the gate", () => {
  it('the plan job never writes to API7; the promote job runs once the environment was approved, and shows by whom', async () => {
    await setUp((s) => botConfig(s, 1));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    expect(sync.step.code, sync.step.log).toBe(0);
    expect(sync.step.outputs).toMatchObject({ request: String(sync.id), environment: 'production' });
    expect(await writes(sb!)).toEqual([]);
    // GitHub held the promote job until bob, a required reviewer of `production`, approved it.
    gh!.runApprovals.set(RUN_ID, [
      {
        environments: [{ name: 'production' }],
        state: 'approved',
        user: { login: 'bob' },
        comment: 'ok @carol see #12',
      },
    ]);
    const promote = await run(sync.payload, { 'chatops-job': 'promote', request: String(sync.id) });
    expect(promote.code, promote.log).toBe(0);
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
    const status = statusOf(sync.id);
    expect(status).toMatch(/\*\*done\*\*/);
    expect(status).toMatch(
      /Approved in the GitHub Environment `production` by @bob \(ok @\u200bcarol see \\#\u200b12\)/,
    );
    const check = gh!.checkRuns.find((c) => c.run.external_id === String(sync.id))!;
    expect(check.run).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(check.run.output.text).toMatch(/Approved in the GitHub Environment `production` by @bob/);
    expect(gh!.requests.some((r) => r.path.endsWith(`/actions/runs/${RUN_ID}/approvals`))).toBe(true);
  });

  it('a promote job that nobody approved in the environment (a writer’s own workflow) runs nothing', async () => {
    await setUp((s) => botConfig(s, 1));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    const promote = await run(sync.payload, { 'chatops-job': 'promote', request: String(sync.id) });
    expect(promote.code).toBe(0);
    expect(statusOf(sync.id)).toMatch(
      /\*\*failed\*\*[\s\S]*`production` needs approval[\s\S]*nobody approved/,
    );
    expect(await writes(sb!)).toEqual([]);
    expect(gh!.refs.size).toBe(0);
  });

  it('a reviewer rejects the promote job in the environment: the settle job writes the request denied, by whom; nothing runs after', async () => {
    await setUp((s) => botConfig(s, 1));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    expect(statusOf(sync.id)).toMatch(/\*\*approved\*\*/);
    // bob, a required reviewer of `production`, rejects: GitHub never starts the promote job,
    // and the workflow's settle job (`needs: [plan, promote]`, `if: always()`) runs instead.
    gh!.runApprovals.set(RUN_ID, [
      {
        environments: [{ name: 'production' }],
        state: 'rejected',
        user: { login: 'bob' },
        comment: 'not during the sale @carol',
      },
    ]);
    const settle = await run(sync.payload, { 'chatops-job': 'settle', request: String(sync.id) });
    expect(settle.code, settle.log).toBe(0);
    const status = statusOf(sync.id);
    expect(status).toMatch(
      new RegExp(`^\\*\\*api7-sync\\*\\* · request ${sync.id} by @alice · \\*\\*denied\\*\\*`),
    );
    expect(status).toMatch(
      /Rejected in the GitHub Environment `production` by @bob \(not during the sale @\u200bcarol\)\. Nothing was changed\./,
    );
    const check = gh!.checkRuns.find((c) => c.run.external_id === String(sync.id))!;
    expect(check.run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(check.run.output.summary).toMatch(/rejected in the GitHub Environment `?production`? by @/i);
    // A promote job started afterwards for the same request (a writer's retry) runs nothing.
    gh!.runApprovals.set(RUN_ID, [
      { environments: [{ name: 'production' }], state: 'approved', user: { login: 'dave' }, comment: '' },
    ]);
    const promote = await run(sync.payload, { 'chatops-job': 'promote', request: String(sync.id) });
    expect(promote.code, promote.log).toBe(0);
    expect(statusOf(sync.id)).toMatch(/\*\*denied\*\*/);
    expect(await writes(sb!)).toEqual([]);
    expect(gh!.deployments).toHaveLength(0);
    expect(gh!.refs.size).toBe(0);
  });

  it('a request approved by comments before the hand-over (written already) is bound to the run that hands it, and settled by it', async () => {
    await setUp((s) => byComments(botConfig(s, 1)));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
    const handing = RUN_ID + 7;
    const approve = gh!.addComment(7, 'bob', `/approve ${sync.id}`);
    const plan = await run(
      commentPayload(approve),
      { 'chatops-job': 'plan' },
      { GITHUB_RUN_ID: String(handing) },
    );
    expect(plan.code, plan.log).toBe(0);
    expect(plan.outputs).toMatchObject({ request: String(sync.id) });
    expect(statusOf(sync.id)).toMatch(new RegExp(`\\*\\*approved\\*\\*[\\s\\S]*workflow run ${handing}`));
    gh!.runApprovals.set(handing, [
      { environments: [{ name: 'production' }], state: 'rejected', user: { login: 'dave' }, comment: '' },
    ]);
    // The run of the /sync comment was not the one that handed it over: it settles nothing.
    const early = await run(sync.payload, { 'chatops-job': 'settle', request: String(sync.id) });
    expect(early.log).toMatch(/not handed to this workflow run/);
    const settle = await run(
      commentPayload(approve),
      { 'chatops-job': 'settle', request: String(sync.id) },
      { GITHUB_RUN_ID: String(handing) },
    );
    expect(settle.code, settle.log).toBe(0);
    expect(statusOf(sync.id)).toMatch(
      /\*\*denied\*\*[\s\S]*Rejected in the GitHub Environment `production` by @dave\./,
    );
    expect(await writes(sb!)).toEqual([]);
  });

  it('a settle job in another workflow run (a writer’s own, with its own rejection) cannot end a request it was not handed', async () => {
    await setUp((s) => botConfig(s, 1));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    const other = RUN_ID + 1;
    gh!.runApprovals.set(other, [
      { environments: [{ name: 'production' }], state: 'rejected', user: { login: 'bob' }, comment: '' },
    ]);
    const settle = await run(
      sync.payload,
      { 'chatops-job': 'settle', request: String(sync.id) },
      { GITHUB_RUN_ID: String(other) },
    );
    expect(settle.code, settle.log).toBe(0);
    expect(settle.log).toMatch(/not handed to this workflow run/);
    expect(statusOf(sync.id)).toMatch(/\*\*approved\*\*/);
  });

  it('a promote job that ended without running the request (its run cancelled while waiting): the settle job writes it cancelled', async () => {
    await setUp((s) => botConfig(s, 1));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    const settle = await run(sync.payload, { 'chatops-job': 'settle', request: String(sync.id) });
    expect(settle.code, settle.log).toBe(0);
    expect(statusOf(sync.id)).toMatch(
      /\*\*cancelled\*\*[\s\S]*promote job of this workflow run ended without running it/,
    );
    expect(await writes(sb!)).toEqual([]);
  });

  it('/approve comments do not count unless the config opts in', async () => {
    await setUp((s) => botConfig(s, 1));
    const sync = await comment('alice', '/sync production', { 'chatops-job': 'plan' });
    const before = gh!.requests.filter((r) => r.path.includes('/check-runs') && r.method !== 'GET').length;
    const approve = await comment('bob', `/approve ${sync.id}`, { 'chatops-job': 'plan' });
    expect(approve.step.code).toBe(0);
    expect(approve.step.outputs.request ?? '').toBe('');
    expect(botComments().at(-1)!.body).toMatch(
      /^@bob in this repository's workflow, approvals come from the required reviewers of the GitHub Environment/,
    );
    expect(gh!.requests.filter((r) => r.path.includes('/check-runs') && r.method !== 'GET').length).toBe(
      before,
    );
    expect(await writes(sb!)).toEqual([]);
  });
});

describe('nothing runs before the sender may write', () => {
  it("a reader's /help makes no recovery sweep: the only write is the refusal", async () => {
    await setUp((s) => botConfig(s, 0));
    const help = await comment('mallory', '/help');
    expect(help.step.code).toBe(0);
    // Replies and reactions only: recovery would have read deployments and lock refs.
    expect(githubWrites().length).toBeGreaterThan(0);
    for (const r of githubWrites())
      expect(r.path).toMatch(/\/issues\/(7\/comments|comments\/\d+\/reactions)$/);
    expect(gh!.requests.some((r) => /\/deployments|\/git\//.test(r.path))).toBe(false);
    expect(botComments().at(-1)!.body).toMatch(/^@mallory you need write permission/);
  });
});

describe('a closed or merged pull request takes no /sync and no /approve', () => {
  it.each(['closed', 'merged'] as const)(
    '%s: both are refused with a reply, nothing promoted',
    async (how) => {
      await setUp((s) => byComments(botConfig(s, 1)));
      const sync = await comment('alice', '/sync production');
      expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
      Object.assign(gh!.pulls.get(7)!, { state: 'closed', merged: how === 'merged' });
      await comment('bob', '/approve');
      expect(botComments().at(-1)!.body).toBe(
        `@bob this pull request is ${how}: it takes no \`/sync\` and no \`/approve\`; open a new pull request (or reopen this one) to promote`,
      );
      await comment('carol', '/sync production');
      expect(botComments().at(-1)!.body).toMatch(new RegExp(`^@carol this pull request is ${how}`));
      expect(statusOf(sync.id)).toMatch(/\*\*pending\*\*/);
      expect(await writes(sb!)).toEqual([]);
    },
  );
});

describe('a control plane that echoes the token', () => {
  /** The sandbox behind a proxy that answers the publish with the caller's own X-API-KEY. */
  async function echoingControlPlane(s: Sandbox): Promise<string> {
    const server = http.createServer((req, res) => {
      const key = String(req.headers['x-api-key'] ?? '');
      if (req.method === 'POST' && req.url?.startsWith('/api/services/publish')) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_msg: `key ${key} may not publish (${encodeURIComponent(key)})` }));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void request(`${s.controlPlane}${req.url}`, {
          method: req.method as 'GET',
          headers: { ...req.headers, host: undefined } as unknown as Record<string, string>,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        }).then(
          async (answer) => {
            res.writeHead(answer.statusCode, { 'content-type': 'application/json' });
            res.end(Buffer.from(await answer.body.arrayBuffer()));
          },
          (err: Error) => res.writeHead(502).end(err.message),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('never gets it into the status comment, the check run, the step log, the job summary or CLI JSON', async () => {
    let echo = '';
    await setUp((s) => botConfig(s, 0));
    echo = await echoingControlPlane(sb!);
    gh!.files.set('main:.github/api7-sync.yml', botConfig(sb!, 0, echo));
    const sync = await comment('alice', '/sync production');
    expect(statusOf(sync.id)).toMatch(/\*\*failed\*\*[\s\S]*key \\\*\\\*\\\* may not publish/);
    const github = JSON.stringify({ c: gh!.comments, r: gh!.checkRuns, d: gh!.deployments });
    expect(github).toContain('may not publish');
    expect(github).not.toContain(API7_TOKEN);
    expect((sync.step.log + sync.step.summary).replace(/^::add-mask::.*$/gm, '')).not.toContain(API7_TOKEN);

    const dir = mkdtempSync(path.join(tmpdir(), 'echo-cli-'));
    writeFileSync(path.join(dir, 'api7-sync.yml'), botConfig(sb!, 0, echo));
    const cli = await runCli(
      ['sync', '--config', 'api7-sync.yml', '--from', 'test', '--to', 'production', '--json', '--no-verify'],
      { API7_TOKEN },
      dir,
    );
    expect(cli.code, cli.stderr).not.toBe(0);
    expect(cli.stdout + cli.stderr).toContain('may not publish');
    expect(cli.stdout + cli.stderr).not.toContain(API7_TOKEN);
  });
});
