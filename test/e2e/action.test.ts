/**
 * The committed bundle (`node dist/index.js`) as GitHub runs it: INPUT_* and GITHUB_* variables,
 * against the sandbox and a local server playing the GitHub endpoints.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, GITHUB_TOKEN, runActionStep } from '../helpers/action.js';
import { deploymentOutcome, fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { api, PROD, sandbox, serviceIn, TEST, walkthroughSeed, writes } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

function workspace(s: Sandbox, extra = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'action-ws-'));
  mkdirSync(path.join(dir, '.github'));
  writeFileSync(
    path.join(dir, '.github', 'api7-sync.yml'),
    `controlPlane:
  url: ${s.controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: ${s.gateways[PROD]}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      production:
        upstream: {nodes: [{host: httpbin, port: 80}]}
    verify: [{path: /headers}]
${extra}`,
  );
  return dir;
}

/**
 * Whether a token shows anywhere. `::add-mask::` lines are the masking command itself, which the
 * runner consumes and never displays; everything else counts.
 */
const secretsIn = (...texts: string[]) =>
  texts.some((t) => {
    const visible = t
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    return visible.includes(API7_TOKEN) || visible.includes(GITHUB_TOKEN);
  });

const step = (workdir: string, inputs: Record<string, string>, extraEnv: Record<string, string> = {}) =>
  runActionStep(gh?.url, workdir, inputs, extraEnv);

describe('the Action bundle', () => {
  it('promotes, records a deployment, writes outputs and summary, and takes and releases the lock', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const run = await step(workspace(sb), { from: 'test', to: 'production', version: '1.0.0' });
    expect(run.code, run.log).toBe(0);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    const result = JSON.parse(run.outputs.result!);
    expect(result).toMatchObject({ schemaVersion: 1, ok: true });
    expect(result.services[0]).toMatchObject({ action: 'synced', version: '1.0.0' });
    expect(run.outputs.changed).toBe('true');
    expect(JSON.parse(run.outputs.versions!)).toEqual({ 'httpbin API': '1.0.0' });
    expect(run.summary).toMatch(/\| httpbin API \| ✅ synced \| 1\.0\.0 \|/);

    expect(gh.deployments).toHaveLength(1);
    const [deployment] = gh.deployments;
    expect(deployment!.body).toMatchObject({
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      production_environment: true,
      ref: '0123456789abcdef0123456789abcdef01234567',
    });
    expect(deployment!.body.payload.services[0]).toMatchObject({ name: 'httpbin API', action: 'planned' });
    expect(deploymentOutcome(deployment!)).toBe('success');
    expect(deployment!.statuses.at(-1).environment_url).toBe(sb.gateways[PROD]);

    const refWrites = gh.requests.filter((r) => r.path.includes('/git/refs'));
    expect(refWrites.map((r) => r.method)).toEqual(['POST', 'DELETE']);
    expect(refWrites[0]!.body.ref).toBe('refs/heads/api7-sync-lock/production');
    expect(gh.refs.size).toBe(0);
    expect(run.state.finished).toBe('true');
    // The tokens are masked first thing, before anything else is printed.
    expect(run.log.split('\n').slice(0, 2).sort()).toEqual(
      [`::add-mask::${API7_TOKEN}`, `::add-mask::${GITHUB_TOKEN}`].sort(),
    );
    expect(secretsIn(run.log, run.summary, JSON.stringify(run.outputs), JSON.stringify(gh.deployments))).toBe(
      false,
    );
  });

  it('fails a refused promotion naming the reason, marks the deployment failed, releases the lock', async () => {
    sb = await sandbox(
      walkthroughSeed({
        token: API7_TOKEN,
        services: [
          ...walkthroughSeed().services!,
          {
            gatewayGroup: PROD,
            name: 'squatter',
            version: '1',
            routes: [{ name: 'x', paths: ['/anything/*'] }],
          },
        ],
      }),
    );
    gh = await fakeGitHub();
    const ws = workspace(sb);
    const refused = await step(ws, { from: 'test', to: 'production', version: '0.9.0' });
    expect(refused.code).toBe(1);
    expect(refused.log).toMatch(
      /::error::promotion test → production did not succeed: "httpbin API" refused \(not-current-version\)/,
    );
    expect(await writes(sb)).toEqual([]);
    expect(gh.refs.size).toBe(0);
    // The attempt is on record: a deployment that failed.
    expect(gh.deployments.map(deploymentOutcome)).toEqual(['failure']);

    const conflict = await step(ws, { from: 'test', to: 'production', services: 'httpbin API' });
    expect(conflict.code).toBe(1);
    expect(conflict.log).toMatch(
      /"httpbin API" refused \(route-conflict\): route \*\/anything\/\* of "httpbin API" is already served in the target group by service/,
    );
    expect(gh.refs.size).toBe(0);
    expect(secretsIn(refused.log, conflict.log, JSON.stringify(gh.deployments))).toBe(false);
  });

  it('marks the deployment failed when the sync is rolled back', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const ws = workspace(sb).replace(/$/, '');
    writeFileSync(
      path.join(ws, '.github', 'api7-sync.yml'),
      readFileSync(path.join(ws, '.github', 'api7-sync.yml'), 'utf8').replace(
        '{path: /headers}',
        '{path: /status/500, status: 200}',
      ),
    );
    const run = await step(ws, { from: 'test', to: 'production' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.outputs.result!).services[0]).toMatchObject({
      action: 'rolled-back',
      reason: 'verify-failed',
    });
    expect(deploymentOutcome(gh.deployments[0]!)).toBe('failure');
    expect(gh.refs.size).toBe(0);
  });

  it('fails fast while another run holds the lock, and takes over an expired one', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const ws = workspace(sb);
    // Another run's lock, claimed a minute ago on the clock the Action runs on too.
    const since = new Date(Date.now() - 60_000).toISOString();
    const lockCommit = (until: string) => {
      const sha = `c0ffee${until.replace(/\D/g, '')}`.slice(0, 40);
      gh!.commits.set(sha, {
        message: `api7-sync lock: production\n\n${JSON.stringify({ environment: 'production', holder: 'acme/shop run 7 (by bob)', reason: 'promote test → production', since, until })}\n`,
        parents: [],
        tree: 't',
      });
      gh!.refs.set('refs/heads/api7-sync-lock/production', sha);
    };
    lockCommit(new Date(Date.now() + 600_000).toISOString());
    const blocked = await step(ws, { from: 'test', to: 'production' });
    expect(blocked.code).toBe(1);
    expect(blocked.log).toContain(
      `::error::the lock on environment "production" is held by acme/shop run 7 (by bob) since ${since}`,
    );
    expect(await serviceIn(sb, PROD, 'httpbin API')).toBeUndefined();
    expect(gh.refs.size).toBe(1);

    // With lock-wait, the run waits for the holder instead of failing: here the holder releases,
    // once the run has been refused the lock and has read who holds it.
    const held = gh.refs.get('refs/heads/api7-sync-lock/production')!;
    const holderRead = gh.nextRequest((r) => r.method === 'GET' && r.path.endsWith(`/git/commits/${held}`));
    const waiting = step(ws, { from: 'test', to: 'production', 'lock-wait': '30' });
    await Promise.race([
      holderRead,
      waiting.then((run) => {
        throw new Error(`the Action ended before reading the lock's holder (exit ${run.code}):\n${run.log}`);
      }),
    ]);
    gh.refs.delete('refs/heads/api7-sync-lock/production');
    const waited = await waiting;
    expect(waited.code, waited.log).toBe(0);
    expect(waited.log).toMatch(/waiting up to 30 s: the lock on "production" is held by acme\/shop run 7/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');

    lockCommit('2020-01-01T00:00:00.000Z');
    const takeover = await step(ws, { from: 'test', to: 'production' });
    expect(takeover.code, takeover.log).toBe(0);
    expect(takeover.log).toMatch(
      /::warning::took over the expired lock on "production", which was held by acme\/shop run 7/,
    );
    expect(gh.refs.size).toBe(0);
  });

  it('calls no GitHub API with lock: false and record-deployment: false; reports config errors as annotations', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    const ws = workspace(sb);
    const run = await step(ws, {
      from: 'test',
      to: 'production',
      lock: 'false',
      'record-deployment': 'false',
      'github-token': '',
    });
    expect(run.code, run.log).toBe(0);
    writeFileSync(
      path.join(ws, 'bad.yml'),
      'controlPlane:\n  url: https://x:7443\n  colour: blue\nenvironments: {}\nservices: {}\n',
    );
    const bad = await step(ws, {
      from: 'test',
      to: 'production',
      config: 'bad.yml',
      lock: 'false',
      'record-deployment': 'false',
    });
    expect(bad.code).toBe(1);
    expect(bad.log).toMatch(
      /::error title=api7-sync config,file=bad\.yml,line=3,col=3::unknown key "colour" in controlPlane/,
    );
  });

  it('a dry run changes nothing, takes no lock, and says whether production would change', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const run = await step(workspace(sb), { from: 'test', to: 'production', 'dry-run': 'true' });
    expect(run.code, run.log).toBe(0);
    expect(run.outputs.changed).toBe('true');
    expect(JSON.parse(run.outputs.result!)).toMatchObject({
      dryRun: true,
      services: [{ action: 'planned' }],
    });
    expect(await writes(sb)).toEqual([]);
    expect(gh.requests).toEqual([]);
  });

  it('renews the lock from its latest head while a long promotion runs, and deletes it at the end', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const lockRef = 'refs/heads/api7-sync-lock/production';
    const renewals = () => gh!.refEvents.filter((e) => e.ref === lockRef && e.event === 'moved').length;
    // Every control-plane answer is slow until the test has seen the lock renewed several times:
    // the job lasts as long as it takes, with no clock in the test.
    // A heartbeat of a second: a lease (three beats) must outlast a few GitHub round trips.
    expect((await api(sb, 'PUT', '/sandbox/faults', { latencyMs: 1000 })).status).toBe(200);
    let done = false;
    const running = step(
      workspace(sb),
      { from: 'test', to: 'production', version: '1.0.0' },
      { API7_SYNC_HEARTBEAT_MS: '1000' },
    ).finally(() => (done = true));
    await until(() => renewals() >= 3 || done, 'three renewals of the lock');
    expect((await api(sb, 'DELETE', '/sandbox/faults')).status).toBe(200);
    const run = await running;
    expect(run.code, run.log).toBe(0);
    expect(renewals()).toBeGreaterThanOrEqual(3);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    // Created, moved by each renewal (each a child of the previous head), deleted at the end.
    const events = gh.refEvents.filter((e) => e.ref === lockRef).map((e) => e.event);
    expect(events[0]).toBe('created');
    expect(events.at(-1)).toBe('deleted');
    expect(events.slice(1, -1).every((e) => e === 'moved')).toBe(true);
    let head = gh.requests.find((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))!.body.sha;
    for (const patch of gh.requests.filter((r) => r.method === 'PATCH')) {
      expect(gh.commits.get(patch.body.sha)?.parents).toEqual([head]);
      head = patch.body.sha;
    }
    expect(gh.refs.size).toBe(0);
    // The deployment is recorded once the slow plan is done: a heartbeat for each beat it was open
    // (its creation is the first), then the result.
    expect(deploymentOutcome(gh.deployments[0]!)).toBe('success');
    for (const status of gh.deployments[0]!.statuses.slice(0, -1))
      expect(status.description).toMatch(/^heartbeat \d{4}-/);
    expect(run.log).not.toMatch(/::(warning|error)::/);
  });

  it('refuses a heartbeat that is not a number, and an environment that cannot name a lock branch, before any GitHub request', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const ws = workspace(sb);
    const run = await step(ws, { from: 'test', to: 'production' }, { API7_SYNC_HEARTBEAT_MS: 'soon' });
    expect(run.code).toBe(1);
    expect(run.log).toMatch(
      /::error::API7_SYNC_HEARTBEAT_MS takes whole milliseconds, at least 10 \(default 60000\), not "soon"/,
    );
    // git refuses "prod.lock" as a branch name, so the config refuses it as an environment name.
    const config = path.join(ws, '.github', 'api7-sync.yml');
    writeFileSync(config, readFileSync(config, 'utf8').replaceAll('production', 'prod.lock'));
    const badName = await step(ws, { from: 'test', to: 'prod.lock' });
    expect(badName.code).toBe(1);
    expect(badName.log).toMatch(
      /::error.*environment name "prod\.lock" cannot be used: it becomes part of a git branch name/,
    );
    expect(gh.requests).toEqual([]);
    expect(await writes(sb)).toEqual([]);
  });

  it('the post step releases the lock held for this run and fails the deployment of a cancelled main step', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const request = 'acme/shop run 4242 attempt 1';
    // The lock as the cancelled main step left it, renewed past the commit it first claimed.
    gh.commits.set('a'.repeat(40), {
      message: `api7-sync lock: production\n\n${JSON.stringify({ holder: 'this run', request, reason: 'r', since: 's', until: 'u' })}`,
      parents: ['9'.repeat(40)],
      tree: 't',
    });
    gh.refs.set('refs/heads/api7-sync-lock/production', 'a'.repeat(40));
    gh.deployments.push({
      id: 1,
      body: {},
      statuses: [{ state: 'in_progress' }],
      created_at: new Date().toISOString(),
    });
    const postEnv = {
      STATE_isPost: 'true',
      STATE_lockEnvironment: 'production',
      STATE_lockRequest: request,
      STATE_deploymentId: '1',
    };
    // Another run's lock is not this run's to free.
    const other = await step(
      workspace(sb),
      { from: 'test', to: 'production' },
      { ...postEnv, STATE_lockRequest: 'acme/shop run 1 attempt 1', STATE_deploymentId: '' },
    );
    expect(other.code, other.log).toBe(0);
    expect(gh.refs.size).toBe(1);
    const post = await step(workspace(sb), { from: 'test', to: 'production' }, postEnv);
    expect(post.code, post.log).toBe(0);
    expect(post.log).toMatch(/released the lock on "production"/);
    expect(gh.refs.size).toBe(0);
    expect(deploymentOutcome(gh.deployments[0]!)).toBe('failure');
    expect(await writes(sb)).toEqual([]);
  });
});

/** Waits for an effect the test can observe. */
