/**
 * `api7-sync sync --lock` as its own process: the lock is renewed through a long promotion and
 * deleted at the end; settings and names that cannot work are refused before any GitHub request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { runCli, writeRepo } from '../helpers/cli.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { api, PROD, sandbox, serviceIn, TEST, walkthroughSeed, writes } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';

const LOCK_REF = 'refs/heads/api7-sync-lock/production';

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

/** A repository whose production environment is called `target`. */
function repo(s: Sandbox, target = 'production'): string {
  return writeRepo(
    `controlPlane:
  url: ${s.controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
  ${target}:
    gatewayGroup: ${PROD}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      ${target}:
        upstream: {nodes: [{host: httpbin, port: 80}]}
`,
    'api7-sync-lock-',
  );
}

describe('api7-sync --lock with a heartbeat', () => {
  it('renews the lock from its latest head while the promotion runs, and deletes it at the end', async () => {
    sb = await sandbox(walkthroughSeed());
    gh = await fakeGitHub();
    const renewals = () => gh!.refEvents.filter((e) => e.ref === LOCK_REF && e.event === 'moved').length;
    // Slow control-plane answers until the lock has been renewed several times: no clock in the test.
    // A heartbeat of a second: a lease (three beats) must outlast a few GitHub round trips.
    expect((await api(sb, 'PUT', '/sandbox/faults', { latencyMs: 1000 })).status).toBe(200);
    let done = false;
    const running = runCli(
      ['sync', '--from', 'test', '--to', 'production', '--lock', 'acme/shop', '--no-verify', '--json'],
      {
        API7_TOKEN: sb.token,
        GITHUB_TOKEN: 'ghs_cli-lock',
        GITHUB_API_URL: gh.url,
        API7_SYNC_HEARTBEAT_MS: '1000',
      },
      repo(sb),
    ).finally(() => (done = true));
    await until(() => renewals() >= 3 || done, 'three renewals of the lock');
    expect((await api(sb, 'DELETE', '/sandbox/faults')).status).toBe(200);
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    expect(renewals()).toBeGreaterThanOrEqual(3);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    const events = gh.refEvents.filter((e) => e.ref === LOCK_REF).map((e) => e.event);
    expect([events[0], events.at(-1)]).toEqual(['created', 'deleted']);
    let head = gh.requests.find((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))!.body.sha;
    for (const patch of gh.requests.filter((r) => r.method === 'PATCH')) {
      expect(gh.commits.get(patch.body.sha)?.parents).toEqual([head]);
      head = patch.body.sha;
    }
    expect(gh.refs.size).toBe(0);
    expect(result.stderr).toMatch(/released the lock on "production"/);
    expect(result.stderr).not.toMatch(/^(warning|error): /m);
  });

  it('refuses a heartbeat that is not a number and a name that cannot be a branch: exit 64, no GitHub request', async () => {
    sb = await sandbox(walkthroughSeed());
    gh = await fakeGitHub();
    const lockEnv = { API7_TOKEN: sb.token, GITHUB_TOKEN: 'ghs_cli-lock', GITHUB_API_URL: gh.url };
    const badBeat = await runCli(
      ['sync', '--from', 'test', '--to', 'production', '--lock', 'acme/shop', '--no-verify'],
      { ...lockEnv, API7_SYNC_HEARTBEAT_MS: '1m' },
      repo(sb),
    );
    expect(badBeat.code).toBe(64);
    expect(badBeat.stderr).toMatch(
      /API7_SYNC_HEARTBEAT_MS takes whole milliseconds, at least 10 \(default 60000\), not "1m"/,
    );
    const badName = await runCli(
      ['sync', '--from', 'test', '--to', 'prod.lock', '--lock', 'acme/shop', '--no-verify'],
      lockEnv,
      repo(sb, 'prod.lock'),
    );
    expect(badName.code, badName.stderr).toBe(64);
    // git refuses "prod.lock" as a branch name, so the config refuses it as an environment name.
    expect(badName.stderr).toMatch(
      /environment name "prod\.lock" cannot be used: it becomes part of a git branch name/,
    );
    expect(gh.requests).toEqual([]);
    expect(await writes(sb)).toEqual([]);
  });
});
