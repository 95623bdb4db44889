import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { describeHolder, EMPTY_TREE, EnvironmentLock, lockBranch } from '../../github/lock.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

let gh: FakeGitHub;
afterEach(async () => gh?.close());

const repo = { owner: 'acme', repo: 'shop' };
const who = (holder: string) => ({
  holder,
  reason: 'promote test → production',
  url: `https://example.test/${holder}`,
});

/** A lock on the test's clock; the stand-in stamps what it records on the same clock. */
function lockAt(time: { now: number }) {
  gh.now = () => new Date(time.now);
  const octokit = getOctokit('ghs_fake-token', { baseUrl: gh.url });
  return new EnvironmentLock(octokit, repo, () => time.now);
}

describe('the environment lock', () => {
  it('is claimed by creating the branch, refused to a second claimant with the holder named, released only by its owner', async () => {
    gh = await fakeGitHub();
    const time = { now: Date.parse('2026-11-27T12:00:00Z') };
    const lock = lockAt(time);
    const first = await lock.claim('production', who('run-1'));
    expect(first.claimed).toBe(true);
    expect(gh.refs.get(`refs/heads/${lockBranch('production')}`)).toBe(first.claimed && first.lock.sha);
    const second = await lock.claim('production', who('run-2'));
    expect(second).toMatchObject({
      claimed: false,
      heldBy: { holder: 'run-1', since: '2026-11-27T12:00:00.000Z' },
    });
    expect(describeHolder(second.claimed ? undefined : second.heldBy)).toMatch(
      /^held by run-1 since 2026-11-27T12:00:00.000Z \(promote test → production\)/,
    );
    expect(await lock.release('production', 'deadbeef')).toBe(false);
    expect(gh.refs.size).toBe(1);
    expect(await lock.release('production', first.claimed ? first.lock.sha : '')).toBe(true);
    expect(gh.refs.size).toBe(0);
  });

  it('is taken over after its TTL by exactly one of two contenders', async () => {
    gh = await fakeGitHub();
    const time = { now: Date.parse('2026-11-27T12:00:00Z') };
    const lock = lockAt(time);
    const crashed = await lock.claim('production', who('crashed-run'), 60_000);
    expect(crashed.claimed).toBe(true);
    time.now += 61_000;
    const [a, b] = await Promise.all([
      lock.claim('production', who('run-a')),
      lock.claim('production', who('run-b')),
    ]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    const winner = a.claimed ? a : b;
    expect(winner).toMatchObject({ tookOverFrom: { holder: 'crashed-run' } });
    // The old holder can neither renew nor release what is no longer its lock.
    expect(await lock.renew(crashed.claimed ? crashed.lock : (undefined as never))).toBeUndefined();
    expect(await lock.release('production', crashed.claimed ? crashed.lock.sha : '')).toBe(false);
    expect((await lock.read('production'))?.info.holder).toBe(winner.claimed ? winner.lock.info.holder : '');
  });

  it('renews by a fast-forward that keeps it held', async () => {
    gh = await fakeGitHub();
    const time = { now: Date.parse('2026-11-27T12:00:00Z') };
    const lock = lockAt(time);
    const held = await lock.claim('production', who('run-1'), 60_000);
    if (!held.claimed) throw new Error('not claimed');
    time.now += 50_000;
    const renewed = await lock.renew(held.lock, 60_000);
    expect(renewed?.info.until).toBe('2026-11-27T12:01:50.000Z');
    time.now += 30_000;
    expect((await lock.claim('production', who('run-2'))).claimed).toBe(false);
    const patch = gh.requests.find((r) => r.method === 'PATCH');
    expect(patch?.body).toMatchObject({ force: false });
  });

  it("is claimed and renewed with two writes each: commits on git's empty tree, no tree written", async () => {
    gh = await fakeGitHub();
    const time = { now: Date.parse('2026-11-27T12:00:00Z') };
    const lock = lockAt(time);
    const held = await lock.claim('production', who('run-1'), 60_000);
    if (!held.claimed) throw new Error('not claimed');
    time.now += 20_000;
    await lock.renew(held.lock, 60_000);
    const writes = gh.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual([
      'POST /repos/acme/shop/git/commits',
      'POST /repos/acme/shop/git/refs',
      'POST /repos/acme/shop/git/commits',
      'PATCH /repos/acme/shop/git/refs/heads/api7-sync-lock/production',
    ]);
    const head = gh.commits.get(gh.refs.get(`refs/heads/${lockBranch('production')}`)!)!;
    expect(head.tree).toBe(EMPTY_TREE);
    expect(head.message).toMatch(/^api7-sync lock: production\n\n\{/);
    expect(JSON.parse(head.message.slice(head.message.indexOf('{')))).toMatchObject({
      environment: 'production',
      holder: 'run-1',
      until: '2026-11-27T12:01:20.000Z',
    });
  });

  it('writes a tree once and keeps using it when GitHub refuses a commit on the empty tree', async () => {
    gh = await fakeGitHub();
    gh.trees.delete(EMPTY_TREE); // a GitHub that does not resolve the empty tree unwritten
    const time = { now: Date.parse('2026-11-27T12:00:00Z') };
    const lock = lockAt(time);
    const held = await lock.claim('production', who('run-1'), 60_000);
    if (!held.claimed) throw new Error('not claimed');
    time.now += 20_000;
    const renewed = await lock.renew(held.lock, 60_000);
    expect(renewed?.info.until).toBe('2026-11-27T12:01:20.000Z');
    expect(await lock.release('production', renewed!.sha)).toBe(true);
    // A second claim by the same lock object goes to the written tree at once.
    expect((await lock.claim('production', who('run-2'), 60_000)).claimed).toBe(true);
    const writes = gh.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual([
      'POST /repos/acme/shop/git/commits', // refused: 422, the empty tree is unknown
      'POST /repos/acme/shop/git/trees',
      'POST /repos/acme/shop/git/commits',
      'POST /repos/acme/shop/git/refs',
      'POST /repos/acme/shop/git/commits',
      'PATCH /repos/acme/shop/git/refs/heads/api7-sync-lock/production',
      'DELETE /repos/acme/shop/git/refs/heads/api7-sync-lock/production',
      'POST /repos/acme/shop/git/commits',
      'POST /repos/acme/shop/git/refs',
    ]);
    expect(
      gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/commits')).map((r) => r.status),
    ).toEqual([422, 201, 201, 201]);
  });
});
