/**
 * The Octokit of the Action and the CLI (github/client.ts): GitHub's rate-limit answers are
 * waited out as GitHub asks, a bounded number of times for a bounded wait; lists are paged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gitHubClient, RATE_LIMIT_MAX_WAIT_S } from '../../github/client.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

const SECONDARY = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
const LOCK_REF = /\/git\/refs?\/heads\/api7-sync-lock\/production$/;

function client(g: FakeGitHub) {
  const warnings: string[] = [];
  return {
    warnings,
    github: gitHubClient('ghs_client-token', { warn: (m) => warnings.push(m) }, { baseUrl: g.url }),
  };
}

describe("the Action's and the CLI's GitHub client", () => {
  it('waits out a secondary rate limit (403 with retry-after) and sends the request again', async () => {
    gh = await fakeGitHub();
    gh.refs.set('refs/heads/api7-sync-lock/production', 'a'.repeat(40));
    gh.failNext('GET', LOCK_REF, 403, SECONDARY, { 'retry-after': '1' });
    const { github, warnings } = client(gh);
    const started = Date.now();
    const { data } = await github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      owner: 'acme',
      repo: 'shop',
      ref: 'heads/api7-sync-lock/production',
    });
    expect(data.object.sha).toBe('a'.repeat(40));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(gh.requests.filter((r) => LOCK_REF.test(r.path))).toHaveLength(2);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^GitHub's secondary rate limit refused GET \/repos\/\{owner\}\/\{repo\}\/git\/ref\/\{ref\}: waiting 1 s as GitHub asks, then sending it again \(1 of 3\)$/,
      ),
    ]);
  });

  it('gives up at once, saying so, when GitHub asks to wait longer than it ever waits', async () => {
    gh = await fakeGitHub();
    gh.failNext('GET', LOCK_REF, 403, SECONDARY, { 'retry-after': String(RATE_LIMIT_MAX_WAIT_S + 1) });
    const { github, warnings } = client(gh);
    await expect(
      github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
        owner: 'acme',
        repo: 'shop',
        ref: 'heads/api7-sync-lock/production',
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(gh.requests).toHaveLength(1);
    expect(warnings).toEqual([
      expect.stringMatching(/refused GET \S+ for 601 s, longer than the 600 s api7-sync waits: giving up$/),
    ]);
  });

  it('waits for a primary rate limit to reset (x-ratelimit-remaining 0)', async () => {
    gh = await fakeGitHub();
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    gh.failNext('POST', /\/git\/trees$/, 403, 'API rate limit exceeded for installation ID 1.', {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': reset,
    });
    const { github, warnings } = client(gh);
    const { data } = await github.request('POST /repos/{owner}/{repo}/git/trees', {
      owner: 'acme',
      repo: 'shop',
      tree: [{ path: 'lock.json', mode: '100644', type: 'blob', content: '{}\n' }],
    });
    expect(data.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(warnings).toEqual([
      expect.stringMatching(/^GitHub's rate limit refused POST .*: waiting \d s as GitHub asks/),
    ]);
  });

  it('pages a list past 100 to its end, following the Link header', async () => {
    gh = await fakeGitHub();
    const { github } = client(gh);
    for (let i = 0; i < 130; i++)
      gh.handle('POST', '/repos/acme/shop/deployments', { ref: 'main', environment: `env-${i}` });
    gh.requests.length = 0;
    const all = await github.paginate('GET /repos/{owner}/{repo}/deployments', {
      owner: 'acme',
      repo: 'shop',
      per_page: 100,
    });
    expect(all).toHaveLength(130);
    expect(new Set(all.map((d) => d.id)).size).toBe(130);
    expect(gh.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
      '/repos/acme/shop/deployments?per_page=100',
      '/repos/acme/shop/deployments?per_page=100&page=2',
    ]);
  });
});
