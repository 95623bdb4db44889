/**
 * An attacker's (or a careless operator's) run takes over a lock while `api7-sync sync --to
 * @production --lock` is promoting, as its own process: the promotion run's lease signal stops
 * the fan-out before its next API7 write in every environment, undoes what it wrote, says which
 * lock was lost, exits 1, and leaves the taken lock to its new holder.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { runCli, writeRepo } from '../helpers/cli.js';
import { fakeGitHub, type FakeGitHub, type GitHubModel } from '../helpers/github-server.js';
import { regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { gatedUpstream, groupId, sandbox, serviceIn, writes } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

const lockRef = (environment: string) => `refs/heads/api7-sync-lock/${environment}`;

/**
 * Another run moves the lock to its own commit, as a run that took it over would: a child of the
 * current head whose message names another holder and request.
 */
function takeOver(github: GitHubModel, environment: string): string {
  const ref = lockRef(environment);
  const head = github.refs.get(ref)!;
  const commit = github.commits.get(head)!;
  const at = commit.message.indexOf('{');
  const info = JSON.parse(commit.message.slice(at)) as Record<string, unknown>;
  const message = `${commit.message.slice(0, at)}${JSON.stringify({ ...info, holder: 'mallory (another run)', request: 'mallory-1' })}\n`;
  const sha = createHash('sha1').update(message).digest('hex');
  github.commits.set(sha, { message, parents: [head], tree: commit.tree });
  github.refs.set(ref, sha);
  return sha;
}

describe('a fan-out whose lock is taken over mid-promotion', () => {
  it('stops before its next write in every region, undoes the first, says so and exits 1', async () => {
    sb = await sandbox(regionsSeed());
    gh = await fakeGitHub();
    // eu's verification waits on an upstream that does not answer: the promotion is mid-flight,
    // with eu written, for as long as the test needs.
    let answer = false;
    const upstream = await gatedUpstream(() => answer);
    cleanups.push(() => ((answer = true), upstream.close()));
    const config = regionsConfigText(sb, '{host: httpbin, port: 80}').replace(
      /( {6}eu:\n {8}upstream:\n {10}nodes: )\[[^\]]*\]/,
      `$1[{host: 127.0.0.1, port: ${upstream.port}}]`,
    );
    expect(config).toContain(`port: ${upstream.port}`);
    const running = runCli(
      ['sync', '--to', '@production', '--lock', 'acme/shop', '--verify-timeout', '60000', '--json'],
      {
        API7_TOKEN: sb.token,
        GITHUB_TOKEN: 'ghs_lease-lost',
        GITHUB_API_URL: gh.url,
        API7_SYNC_HEARTBEAT_MS: '1000',
      },
      writeRepo(config, 'api7-sync-lease-'),
    );
    // eu is written and verifying: then another run takes over the lock on us (the next wave).
    await until(() => upstream.held() > 0, 'the first probe of eu');
    const theirs = takeOver(gh, 'us');
    const run = await running;

    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /error: the promotion into "us" stopped before its next write: the lock on "us" is no longer this job's: it is held by mallory \(another run\)/,
    );
    const doc = JSON.parse(run.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.targets.map((t: any) => [t.to.environment, t.services[0].action])).toEqual([
      ['eu', 'interrupted'],
      ['us', 'interrupted'],
      ['ap', 'interrupted'],
    ]);
    // What it wrote is undone; the regions after it were never written.
    for (const region of ['eu', 'us', 'ap'])
      expect((await serviceIn(sb, region, 'httpbin API')).version, region).toBe('0.9.0');
    const untouched = [await groupId(sb, 'us'), await groupId(sb, 'ap')];
    const written = (await writes(sb)).filter((w) => untouched.some((id) => JSON.stringify(w).includes(id)));
    expect(written).toEqual([]);
    // Its own locks are released; the one taken over is left to its new holder.
    expect([...gh.refs.keys()]).toEqual([lockRef('us')]);
    expect(gh.refs.get(lockRef('us'))).toBe(theirs);
    expect(run.stderr).toMatch(
      /the lock on "us" was taken over while this job ran; it was left to its new holder/,
    );
  });
});
