import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

const ENV = [
  'GITHUB_REPOSITORY',
  'GITHUB_API_URL',
  'INPUT_GITHUB-TOKEN',
  'STATE_fanoutSessions',
  'STATE_lockRequest',
];
const before = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let gh: FakeGitHub | undefined;
afterEach(async () => {
  for (const k of ENV) {
    if (before[k] === undefined) delete process.env[k];
    else process.env[k] = before[k];
  }
  await gh?.close();
  gh = undefined;
});

describe('the post step after a cancelled fan-out', () => {
  it("releases this run's lock on every environment and fails each deployment; another run's lock stays", async () => {
    gh = await fakeGitHub();
    const request = 'acme/shop run 77 attempt 1';
    const lock = (env: string, sha: string, holder: string) => {
      gh!.commits.set(sha, {
        message: `api7-sync lock: ${env}\n\n${JSON.stringify({ holder, request: holder, reason: 'r', since: 's', until: 'u' })}`,
        parents: [],
        tree: 't',
      });
      gh!.refs.set(`refs/heads/api7-sync-lock/${env}`, sha);
    };
    lock('ap', 'a'.repeat(40), request);
    lock('eu', 'b'.repeat(40), request);
    lock('us', 'c'.repeat(40), 'acme/shop run 1 attempt 1');
    for (const id of [1, 2])
      gh.deployments.push({
        id,
        body: {},
        statuses: [{ state: 'in_progress' }],
        created_at: new Date().toISOString(),
      });
    Object.assign(process.env, {
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_API_URL: gh.url,
      'INPUT_GITHUB-TOKEN': 'ghs_post',
      STATE_lockRequest: request,
      // The main step was cancelled while claiming "us": it had not claimed it yet.
      STATE_fanoutSessions: JSON.stringify([
        { environment: 'ap', deploymentId: 1 },
        { environment: 'eu', deploymentId: 2 },
        { environment: 'us' },
      ]),
    });
    // @actions/github reads GITHUB_API_URL when it is first imported: import it now.
    vi.resetModules();
    const { post } = await import('../../action/post.js');
    await post();
    expect([...gh.refs.keys()]).toEqual(['refs/heads/api7-sync-lock/us']);
    expect(gh.deployments.map((d) => d.statuses.map((s) => s.state))).toEqual([
      ['in_progress', 'failure'],
      ['in_progress', 'failure'],
    ]);
  });
});
