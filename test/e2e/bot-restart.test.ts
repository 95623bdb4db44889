/**
 * Nothing a crash loses, nothing run twice: whole `api7-sync bot` processes killed with SIGKILL
 * mid-run, restarted, and run as two replicas behind one webhook URL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, commentPayload, openPullRequest } from '../helpers/bot.js';
import { deliverTo, startBotProcess, until, type BotProcess } from '../helpers/bot-process.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { REGIONS, regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { gatedUpstream, sandbox, walkthroughSeed, writes } from '../helpers/sandbox.js';

const HEARTBEAT_MS = 1_000;
let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
let bots: BotProcess[] = [];
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const b of bots) await b.stop();
  for (const c of cleanups) await c();
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
  bots = [];
  cleanups = [];
});

async function setUp(configText: (s: Sandbox) => string): Promise<FakeGitHub> {
  sb = await sandbox(walkthroughSeed());
  gh = await fakeGitHub();
  gh.files.set('main:.github/api7-sync.yml', configText(sb));
  for (const login of ['alice', 'bob']) gh.permissions.set(login, 'write');
  gh.teams.set('acme/platform', ['bob']);
  openPullRequest(gh, 'carol');
  return gh;
}

async function bot(): Promise<BotProcess> {
  const b = await startBotProcess(sb!, gh!, { API7_SYNC_HEARTBEAT_MS: String(HEARTBEAT_MS) });
  bots.push(b);
  return b;
}

const statusComment = () =>
  gh!.comments.find((c) => c.user.login === 'api7-sync[bot]' && c.body.includes('request '));

describe('api7-sync bot, killed and restarted', () => {
  it('kill -9 mid-run: the restarted bot marks the deployment failed, says where production stands, frees the lock; the redelivery runs nothing', async () => {
    // Verification through this upstream never answers: the run is held mid-way, after its writes.
    const upstream = await gatedUpstream(() => false);
    cleanups.push(upstream.close);
    await setUp((s) =>
      botConfig(s, 1).replace(
        'upstream: {nodes: [{host: httpbin, port: 80}]}',
        `upstream: {nodes: [{host: 127.0.0.1, port: ${upstream.port}}]}`,
      ),
    );
    const first = await bot();
    const request = gh!.addComment(7, 'alice', '/sync production');
    expect(await deliverTo(first.url, 'issue_comment', commentPayload(request))).toBe(200);
    await until(
      () => /\*\*pending\*\*/.test(statusComment()?.body ?? ''),
      'the request to wait for approval',
    );
    const approve = gh!.addComment(7, 'bob', '/approve');
    const delivery = 'delivery-of-the-approval';
    expect(await deliverTo(first.url, 'issue_comment', commentPayload(approve), delivery)).toBe(200);
    await until(() => upstream.held() > 0, 'verification to reach the upstream');
    expect(gh!.refs.size).toBe(1);
    // Open: no status yet or heartbeats only (its creation is its first heartbeat).
    expect(gh!.deployments[0]!.statuses.every((s) => s.state === 'in_progress')).toBe(true);
    await first.kill();

    // The restarted bot finds the run by itself, from its heartbeat sweeps: no webhook is sent.
    // (How soon is not asserted: on a busy machine a start-up alone can take many seconds.)
    const second = await bot();
    await until(
      () =>
        gh!.deployments[0]!.statuses.at(-1)?.state === 'failure' &&
        /\*\*interrupted\*\*/.test(statusComment()?.body ?? '') &&
        gh!.refs.size === 0 &&
        gh!.checkRuns.some((c) => c.run.status === 'completed'),
      'the restarted bot to recover the interrupted run (its comment, check run, deployment and lock)',
    );
    expect(statusComment()!.body).toMatch(/What `production` runs now:[\s\S]*\| httpbin API \| 1\.0\.0 \|/);
    expect(gh!.deployments[0]!.statuses.at(-1)!.description).toMatch(/interrupted/);

    const writesBefore = (await writes(sb!)).length;
    const requestsBefore = gh!.requests.length;
    expect(await deliverTo(second.url, 'issue_comment', commentPayload(approve), delivery)).toBe(200);
    // Wait until the redelivery was looked at (it tries to take the comment), then check it did nothing.
    await until(
      () =>
        gh!.requests
          .slice(requestsBefore)
          .some((r) => r.path.includes(`/issues/comments/${approve.id}/reactions`) && r.status === 200),
      'the redelivered approval to be handled',
    );
    await second.stop();
    bots = bots.filter((b) => b !== second);
    expect(gh!.deployments).toHaveLength(1);
    expect((await writes(sb!)).length).toBe(writesBefore);
    expect(statusComment()!.body).toMatch(/\*\*interrupted\*\*/);
    expect(second.output()).not.toContain(sb!.token);
  });

  it('kill -9 mid-run of a /sync that needed no approval (its request not yet written): the restarted bot writes it interrupted; the redelivery runs nothing', async () => {
    const upstream = await gatedUpstream(() => false);
    cleanups.push(upstream.close);
    await setUp((s) =>
      botConfig(s, 0).replace(
        'upstream: {nodes: [{host: httpbin, port: 80}]}',
        `upstream: {nodes: [{host: 127.0.0.1, port: ${upstream.port}}]}`,
      ),
    );
    const first = await bot();
    const request = gh!.addComment(7, 'alice', '/sync production');
    const delivery = 'delivery-of-the-sync';
    expect(await deliverTo(first.url, 'issue_comment', commentPayload(request), delivery)).toBe(200);
    await until(() => upstream.held() > 0, 'verification to reach the upstream');
    // Mid-run: the lock and the app's deployment say it runs; no status comment, no check run yet.
    expect(gh!.refs.size).toBe(1);
    expect(gh!.deployments).toHaveLength(1);
    expect(statusComment()).toBeUndefined();
    expect(gh!.checkRuns).toEqual([]);
    await first.kill();

    const second = await bot();
    await until(
      () =>
        gh!.deployments[0]!.statuses.at(-1)?.state === 'failure' &&
        /\*\*interrupted\*\*/.test(statusComment()?.body ?? '') &&
        gh!.refs.size === 0 &&
        gh!.checkRuns.some((c) => c.run.status === 'completed'),
      'the restarted bot to recover the interrupted run (its comment, check run, deployment and lock)',
    );
    expect(statusComment()!.body).toMatch(
      new RegExp(`^\\*\\*api7-sync\\*\\* · request ${request.id} by @alice · \\*\\*interrupted\\*\\*`),
    );
    expect(statusComment()!.body).toMatch(/What `production` runs now:[\s\S]*\| httpbin API \|/);
    expect(gh!.checkRuns.map((c) => [c.run.external_id, c.run.status, c.run.conclusion])).toEqual([
      [String(request.id), 'completed', 'neutral'],
    ]);

    const writesBefore = (await writes(sb!)).length;
    const requestsBefore = gh!.requests.length;
    expect(await deliverTo(second.url, 'issue_comment', commentPayload(request), delivery)).toBe(200);
    await until(
      () =>
        gh!.requests
          .slice(requestsBefore)
          .some((r) => r.path.includes(`/issues/comments/${request.id}/reactions`) && r.status === 200),
      'the redelivered command to be handled',
    );
    await second.stop();
    bots = bots.filter((b) => b !== second);
    expect(gh!.deployments).toHaveLength(1);
    expect(gh!.checkRuns).toHaveLength(1);
    expect((await writes(sb!)).length).toBe(writesBefore);
    expect(second.output()).not.toContain(sb!.token);
  });

  it("kill -9 mid-way through a fan-out /sync eu,us: the restarted bot closes every target's deployment, frees every lock, and says what each target runs now", async () => {
    // Every region's verification goes to an upstream that never answers: the run is held in eu
    // (wave 1), with the deployments of both targets recorded and both locks held.
    const upstream = await gatedUpstream(() => false);
    cleanups.push(upstream.close);
    sb = await sandbox(regionsSeed());
    gh = await fakeGitHub();
    gh.files.set(
      'main:.github/api7-sync.yml',
      regionsConfigText(sb, '{host: httpbin, port: 80}').replaceAll(
        '{host: httpbin, port: 80}',
        `{host: 127.0.0.1, port: ${upstream.port}}`,
      ),
    );
    gh.permissions.set('alice', 'write');
    openPullRequest(gh, 'carol');
    const policy = {
      'acme/shop': {
        controlPlane: sb.controlPlane,
        gatewayGroups: '*',
        services: '*',
        gatewayOrigins: REGIONS.map((r) => sb!.gateways[r]),
      },
    };
    const env = { API7_SYNC_HEARTBEAT_MS: String(HEARTBEAT_MS), API7_CONTROL_PLANES: JSON.stringify(policy) };
    const first = await startBotProcess(sb, gh, env);
    bots.push(first);
    const request = gh.addComment(7, 'alice', '/sync eu,us');
    expect(await deliverTo(first.url, 'issue_comment', commentPayload(request))).toBe(200);
    await until(() => upstream.held() > 0, 'verification of eu to reach the upstream');
    expect(gh.deployments.map((d) => d.body.environment).sort()).toEqual(['eu', 'us']);
    expect([...gh.refs.keys()].sort()).toEqual([
      'refs/heads/api7-sync-lock/eu',
      'refs/heads/api7-sync-lock/us',
    ]);
    await first.kill();

    const second = await startBotProcess(sb, gh, env);
    bots.push(second);
    const closed = () => gh!.deployments.every((d) => d.statuses.at(-1)?.state === 'failure');
    await until(
      () =>
        closed() &&
        /\*\*interrupted\*\*/.test(statusComment()?.body ?? '') &&
        gh!.refs.size === 0 &&
        gh!.checkRuns.some((c) => c.run.status === 'completed'),
      'the restarted bot to recover the fan-out (every deployment, every lock, its comment and check run)',
    );
    await second.stop();
    bots = bots.filter((b) => b !== second);
    for (const d of gh.deployments) expect(d.statuses.at(-1)!.description).toMatch(/interrupted/);
    const body = statusComment()!.body;
    expect(body).toMatch(
      new RegExp(`^\\*\\*api7-sync\\*\\* · request ${request.id} by @alice · \\*\\*interrupted\\*\\*`),
    );
    // The first line names what was asked: both targets, not the first alone.
    expect(body.split('\n')[0]).toContain('· `/sync eu,us` from `test`');
    // Each target's outcome: its deployment, its lock, and what it runs now (eu may have moved).
    for (const [environment, deployment] of gh.deployments.map((d) => [d.body.environment, d.id]))
      expect(body).toMatch(
        new RegExp(`\`${environment}\`: deployment #${deployment} is marked failed; its lock is released`),
      );
    expect(body).toMatch(
      /What `eu` runs now:[\s\S]*\| httpbin API \|[\s\S]*What `us` runs now:[\s\S]*\| httpbin API \| 0\.9\.0 /,
    );
    const [check] = gh.checkRuns;
    expect(gh.checkRuns).toHaveLength(1);
    expect(check!.run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(check!.run.output.summary).toMatch(
      /`eu`: deployment #1 is marked failed[\s\S]*`us`: deployment #2 is marked failed[\s\S]*What `eu` runs now:[\s\S]*What `us` runs now:/,
    );
    expect(body).toContain('ask again with `/sync eu,us`');
    expect(second.output()).not.toContain(sb.token);
  });

  it('two replicas given the same /approve delivery: exactly one run', async () => {
    await setUp((s) => botConfig(s, 1));
    const [a, b] = [await bot(), await bot()];
    const request = gh!.addComment(7, 'alice', '/sync production');
    expect(await deliverTo(a.url, 'issue_comment', commentPayload(request))).toBe(200);
    await until(
      () => /\*\*pending\*\*/.test(statusComment()?.body ?? ''),
      'the request to wait for approval',
    );
    const approve = gh!.addComment(7, 'bob', '/approve');
    const payload = commentPayload(approve);
    const answers = await Promise.all([
      deliverTo(a.url, 'issue_comment', payload, 'same-delivery'),
      deliverTo(b.url, 'issue_comment', payload, 'same-delivery'),
    ]);
    expect(answers).toEqual([200, 200]);
    await until(() => /\*\*done\*\*/.test(statusComment()?.body ?? ''), 'the run to finish');
    // Both replicas finish their handling: stopping waits for their queues to drain.
    await a.stop();
    await b.stop();
    bots = [];
    expect(gh!.deployments).toHaveLength(1);
    expect((await writes(sb!)).filter((w) => w.path === '/api/services/publish')).toHaveLength(1);
    expect(gh!.refs.size).toBe(0);
    expect(
      gh!.comments.filter(
        (c) => c.user.login === 'api7-sync[bot]' && c.body.includes(`request ${request.id} by`),
      ),
    ).toHaveLength(1);
    expect(gh!.checkRuns).toHaveLength(1);
  });
});
