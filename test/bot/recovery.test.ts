import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { recoverStaleDeployments } from '../../bot/recovery.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

describe('start-up recovery', () => {
  it('marks failed only the bot deployments whose heartbeat stopped, and says so on their pull request', async () => {
    gh = await fakeGitHub();
    const t0 = Date.parse('2026-11-27T12:00:00Z');
    let clock = t0;
    gh.now = () => new Date(clock);
    const add = (payload: unknown, state: string) => {
      gh!.deployments.push({
        id: gh!.deployments.length + 1,
        body: { environment: 'production', payload },
        statuses: [{ state, created_at: new Date(clock).toISOString() }],
        created_at: new Date(clock).toISOString(),
      });
    };
    add({ api7Sync: { pr: 7, request: 1001 } }, 'in_progress'); // stale
    add({ other: 'tool' }, 'in_progress'); // not ours
    add({ api7Sync: { pr: 8, request: 1002 } }, 'success'); // finished
    clock = t0 + 110_000;
    add({ api7Sync: { pr: 9, request: 1003 } }, 'in_progress'); // heartbeat 10 s ago: alive
    clock = t0 + 120_000;
    const octokit = getOctokit('ghs_x', { baseUrl: gh.url });
    const recovered = await recoverStaleDeployments(octokit, { owner: 'acme', repo: 'shop' }, 30_000, clock);
    expect(recovered).toEqual([1]);
    expect(gh.deployments[0]!.statuses.at(-1)).toMatchObject({
      state: 'failure',
      description: 'stale: api7-sync restarted while this ran',
    });
    expect(gh.deployments[3]!.statuses).toHaveLength(1);
    expect(gh.commentsOn(7).map((c) => c.body)).toEqual([
      expect.stringMatching(/restarted while request 1001 was running; its deployment #1 is marked failed/),
    ]);
    expect(gh.commentsOn(9)).toEqual([]);
  });
});
