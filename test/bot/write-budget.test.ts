/**
 * The GitHub writes of a command, counted on the GitHub stand-in (a count, not a timing): each
 * write costs a second of GitHub's recommended pacing (new comments three), and content-creating
 * requests are limited to 80 a minute per installation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { finalStatusIndex, pacedAnswers } from '../../bench/github-budget.js';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, harness, type Harness } from '../helpers/bot.js';
import type { RecordedRequest } from '../helpers/github-server.js';
import { PROD, sandbox, serviceIn, walkthroughSeed } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
  h?.close();
  await sb?.close();
  sb = h = undefined;
});

/** Method and path of each write, ids and names folded so that the list reads as a recipe. */
const writesOf = (requests: RecordedRequest[]) =>
  requests
    .filter((r) => r.method !== 'GET')
    .map((r) =>
      `${r.method} ${r.path}`
        .replace(/^(\w+) \/repos\/acme\/shop/, '$1 ')
        .replace(/\/\d+/g, '/{id}')
        .replace(/api7-sync-lock\/production$/, '{lock}'),
    );

async function onBusyPullRequest(approvals: number): Promise<Harness> {
  sb = await sandbox(walkthroughSeed());
  h = harness(sb, { configText: botConfig(sb, approvals) });
  for (let i = 0; i < 250; i++) h.github.addComment(7, i % 2 ? 'carol' : 'erin', `review note ${i}`);
  // The app's sign-in (an installation token, kept for an hour) is made once per process, not per command.
  await h.say('mallory', '/help');
  return h;
}

describe('GitHub writes of a command', () => {
  it('/sync with no approvals: at most 8 writes, the result shown before the deployment and lock are closed', async () => {
    const h = await onBusyPullRequest(0);
    const before = h.github.requests.length;
    await h.say('alice', '/sync production');
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
    const writes = writesOf(h.github.requests.slice(before));
    expect(writes).toEqual([
      'POST /issues/comments/{id}/reactions', // 👀: the command is taken, once
      'POST /git/commits', // the lock commit, on git's empty tree
      'POST /git/refs', // the lock claimed
      'POST /deployments', // before the first API7 write; carries the signed state for recovery
      'POST /issues/{id}/comments', // the status comment, written once with the result
      'POST /check-runs', // the request's state, written once, completed
      'POST /deployments/{id}/statuses', // success
      'DELETE /git/refs/heads/{lock}', // the lock released
    ]);
    expect(writes.length).toBeLessThanOrEqual(8);
    // What those writes say is the truth about what ran.
    expect(h.comments().at(-1)).toMatch(/^\*\*api7-sync\*\* · request \d+ by @alice · \*\*done\*\*/);
    expect(h.github.checkRuns.map((c) => [c.run.status, c.run.conclusion])).toEqual([
      ['completed', 'success'],
    ]);
    expect(h.github.deployments.map((d) => d.statuses.map((s) => s.state))).toEqual([['success']]);
    expect(h.github.refs.size).toBe(0);
    // With Probot's pacing, counted from this order (100 ms per answer): the result within 6 s.
    const made = h.github.requests.slice(before);
    expect(pacedAnswers(made)[finalStatusIndex(made)]).toBeLessThanOrEqual(6_000);
  });

  it('/approve that starts the run: 11 writes, the status comment not rewritten while it runs', async () => {
    const h = await onBusyPullRequest(1);
    await h.say('alice', '/sync production');
    const before = h.github.requests.length;
    await h.say('bob', '/approve');
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
    expect(writesOf(h.github.requests.slice(before))).toEqual([
      'POST /issues/comments/{id}/reactions', // 👀
      'PATCH /check-runs/{id}', // the approval recorded in the state
      'PATCH /issues/comments/{id}', // approved, starting
      'POST /git/commits',
      'POST /git/refs',
      'PATCH /check-runs/{id}', // running (the check run shows it; the comment is not rewritten)
      'POST /deployments',
      'PATCH /check-runs/{id}', // done
      'PATCH /issues/comments/{id}', // the result
      'POST /deployments/{id}/statuses',
      'DELETE /git/refs/heads/{lock}',
    ]);
    expect(h.comments().at(-1)).toMatch(/· \*\*done\*\*/);
  });

  it("counts Probot's pacing from the order of requests: writes 1 s apart, new comments 3 s apart", () => {
    const r = (method: string, path: string) => ({ method, path, body: undefined });
    const times = pacedAnswers([
      r('GET', '/repos/acme/shop/pulls/7'),
      r('POST', '/repos/acme/shop/issues/comments/1/reactions'),
      r('POST', '/repos/acme/shop/issues/7/comments'),
      r('PATCH', '/repos/acme/shop/issues/comments/2'),
      r('POST', '/repos/acme/shop/issues/7/comments'),
      r('GET', '/repos/acme/shop/check-runs/3'),
    ]);
    // The reaction at once; the comment a second after it; the edit a second after that; the next
    // comment three seconds after the first.
    expect(times).toEqual([100, 200, 1_200, 2_200, 4_200, 4_300]);
  });
});
