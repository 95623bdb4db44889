/**
 * Every request api7-sync makes to GitHub is checked against GitHub's published REST API
 * description (@octokit/openapi, extracted by scripts/extract-github-openapi.mjs). The stand-in
 * checks each request it receives in every test (github-openapi-setup.ts fails a test that made
 * one GitHub would refuse); here: the extract covers every route the sources name, the checker
 * refuses wrong requests, and a whole promotion session's requests pass.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { gitHubClient } from '../../github/client.js';
import { createCheckRun } from '../../github/check-run.js';
import { startSession } from '../../github/session.js';
import { checkGitHubRequest, GITHUB_OPENAPI } from '../helpers/github-openapi.js';
import { syncResult } from '../helpers/results.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

const root = new URL('../..', import.meta.url).pathname;
function routesIn(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return routesIn(path);
    if (!path.endsWith('.ts')) return [];
    return [...readFileSync(path, 'utf8').matchAll(/'((?:GET|POST|PUT|PATCH|DELETE) \/[^'\s]*)'/g)].map(
      (m) => m[1]!,
    );
  });
}

const check = (method: string, path: string, body?: unknown) => {
  const url = new URL(path, 'https://api.github.com');
  return checkGitHubRequest(method, url.pathname, url.searchParams, body);
};

describe("GitHub's REST API description", () => {
  it('has every route the production sources call (else: node scripts/extract-github-openapi.mjs)', () => {
    const used = new Set(
      ['action', 'bot', 'chatops', 'cli', 'github'].flatMap((d) => routesIn(join(root, d))),
    );
    expect(used.size).toBeGreaterThan(20);
    const missing = [...used].filter((route) => !GITHUB_OPENAPI.operations[route]);
    expect(missing, 'routes missing from test/contract/github-openapi.json').toEqual([]);
    expect(GITHUB_OPENAPI.source).toMatch(/^@octokit\/openapi \d+\.\d+\.\d+/);
  });

  it('refuses a request GitHub would not take: the checker can fail', () => {
    const lock = '/repos/acme/shop/git/refs/heads%2Fapi7-sync-lock%2Fproduction';
    // A route GitHub does not have, and a method it does not take there.
    expect(check('POST', '/repos/acme/shop/git/ref')).toMatchObject({ status: 404 });
    expect(check('PUT', lock, { sha: 'a'.repeat(40) })).toMatchObject({ status: 404 });
    // A body of the wrong shape, a field GitHub does not know, a missing required field.
    expect(check('PATCH', lock, { sha: 42 })?.message).toMatch(/body\/sha must be string/);
    expect(check('PATCH', lock, { sha: 'a'.repeat(40), forse: false })?.message).toMatch(
      /must NOT have additional properties \(forse\)/,
    );
    expect(check('POST', '/repos/acme/shop/git/refs', { ref: 'refs/heads/x' })?.message).toMatch(
      /must have required property 'sha'/,
    );
    expect(
      check('POST', '/repos/acme/shop/deployments/1/statuses', { state: 'running', description: 'x' })
        ?.message,
    ).toMatch(/body\/state must be equal to one of the allowed values/);
    // A query parameter GitHub does not take, a path or query value of the wrong type.
    expect(check('GET', '/repos/acme/shop/deployments?perpage=100')?.message).toMatch(
      /query parameter perpage/,
    );
    expect(check('GET', '/repos/acme/shop/deployments?per_page=all')?.message).toMatch(/per_page="all"/);
    expect(check('GET', '/repos/acme/shop/issues/seven/comments')?.message).toMatch(/issue_number "seven"/);
    // A body where GitHub takes none.
    expect(check('DELETE', lock, { sha: 'a'.repeat(40) })?.message).toMatch(/takes no body/);
    // And the right ones pass.
    expect(check('PATCH', lock, { sha: 'a'.repeat(40), force: false })).toBeUndefined();
    expect(check('GET', '/repos/acme/shop/deployments?per_page=100&page=2')).toBeUndefined();
  });

  it('is enforced by the stand-in: a wrong request is answered as GitHub would and recorded', async () => {
    gh = await fakeGitHub();
    const octokit = getOctokit('ghs_contract', { baseUrl: gh.url });
    await expect(
      // Octokit's types refuse this at compile time; a route given as plain text is not checked.
      octokit.request('POST /repos/{owner}/{repo}/git/refs' as string, {
        owner: 'acme',
        repo: 'shop',
        ref: 'refs/heads/x',
        shaa: 'a',
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(gh.violations).toEqual([
      expect.stringMatching(/^POST \/repos\/acme\/shop\/git\/refs does not match/),
    ]);
    // Taken back so that the check after each test does not fail this one for it.
    gh.violations.length = 0;
  });

  it("passes every request of a promotion session and a check run, through the Action's and the CLI's client", async () => {
    gh = await fakeGitHub();
    const github = gitHubClient('ghs_contract', { warn: () => {} }, { baseUrl: gh.url });
    const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const start = await startSession({
      github,
      repo: { owner: 'acme', repo: 'shop' },
      environment: 'production',
      lock: { holder: 'acme/shop run 1', reason: 'promote test → production', request: 'run-1' },
      heartbeatMs: 60_000,
      deployment: {
        ref: 'main',
        description: 'promote',
        payload: { api7Sync: { run: 1 } },
        production: true,
      },
      log,
    });
    if (!start.started) throw new Error('the session did not start');
    await start.session.progress('syncing');
    await start.session.end({ state: 'success', description: 'done' });
    const context = { github, repo: { owner: 'acme', repo: 'shop' }, headSha: 'c0ffee'.padEnd(40, '0') };
    const run = await createCheckRun(
      { ...context, environment: 'production', logger: log },
      syncResult([{}]),
    );
    await run.complete(syncResult([{ action: 'synced' }]));
    expect(gh.requests.length).toBeGreaterThanOrEqual(8);
    expect(gh.violations).toEqual([]);
  });
});
