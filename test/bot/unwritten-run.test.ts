/**
 * A `/sync` that needs no approval is written to GitHub once, when it ends (its 👀, lock and
 * deployment say it runs meanwhile). These tests leave behind what such a run leaves when its
 * process dies, written as that process would have, and check what recovery makes of it, and of
 * the same traces forged or replayed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { lockRequestId } from '../../chatops/lock-holder.js';
import { encodeState, stateKey, type RequestState } from '../../chatops/state.js';
import { EnvironmentLock } from '../../github/lock.js';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, commentPayload, harness, HEAD, STATE_SECRET, type Harness } from '../helpers/bot.js';
import { modelClient } from '../helpers/github-server.js';
import { sandbox, walkthroughSeed, writes } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
  h?.close();
  await sb?.close();
  sb = h = undefined;
});

const shop = { owner: 'acme', repo: 'shop' };

async function start(): Promise<Harness> {
  sb = await sandbox(walkthroughSeed());
  h = harness(sb, { configText: botConfig(sb, 0), heartbeatMs: 1_000 });
  return h;
}

/** The state such a run holds in memory while it runs. */
function runningState(request: number): RequestState {
  return {
    v: 3,
    seq: 0,
    kind: 'sync',
    request,
    repository: 'acme/shop',
    pr: 7,
    environment: 'production',
    from: 'test',
    services: ['httpbin API'],
    requester: 'alice',
    headSha: HEAD,
    sourceVersions: {},
    approvalsNeeded: 0,
    approvalsAfter: request,
    settledAfter: request,
    createdAt: new Date().toISOString(),
    status: 'running',
    approvals: [],
    handled: [request],
  };
}

/**
 * What the run leaves: its command taken (👀), the lock held for it until `lockUntil`, and the
 * app's deployment carrying `signed` (its signed state) and no status (it died within a beat).
 */
async function leaveUnwrittenRun(
  h: Harness,
  lockUntil: number,
  signed = (request: number) => encodeState(stateKey(STATE_SECRET), runningState(request)),
): Promise<number> {
  const command = h.github.addComment(7, 'alice', '/sync production');
  h.github.reactions.push({ comment: command.id, content: 'eyes', user: 'api7-sync[bot]' });
  await new EnvironmentLock(modelClient(h.github), shop, () => lockUntil - 120_000).claim(
    'production',
    { holder: 'bot', reason: '/sync production', request: lockRequestId('acme/shop', 7, command.id) },
    120_000,
  );
  h.github.handle('POST', '/repos/acme/shop/deployments', {
    environment: 'production',
    ref: HEAD,
    payload: {
      api7Sync: {
        repository: 'acme/shop',
        pr: 7,
        request: command.id,
        checkRun: 0,
        state: signed(command.id),
        kind: 'sync',
        environment: 'production',
        services: ['httpbin API'],
      },
    },
  });
  return command.id;
}

const statusComment = (h: Harness, request: number) =>
  h.comments().find((c) => c.includes(`request ${request} by`));

describe('recovery of a run whose request was not written yet', () => {
  it('writes the request once, interrupted, with what production runs; marks the deployment failed; frees the lock', async () => {
    const h = await start();
    const request = await leaveUnwrittenRun(h, Date.now() - 60_000);
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([request]);
    expect(statusComment(h, request)).toMatch(
      new RegExp(`^\\*\\*api7-sync\\*\\* · request ${request} by @alice · \\*\\*interrupted\\*\\*`),
    );
    expect(statusComment(h, request)).toMatch(/What `production` runs now:[\s\S]*\| httpbin API \|/);
    expect(h.github.checkRuns.map((c) => [c.run.external_id, c.run.status, c.run.conclusion])).toEqual([
      [String(request), 'completed', 'neutral'],
    ]);
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['failure']);
    expect(h.github.refs.size).toBe(0);
    // Once: the next sweep finds nothing more to do, and the command's redelivery runs nothing.
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([]);
    await h.deliver('issue_comment', commentPayload(h.github.comments.find((c) => c.id === request)!));
    expect(h.github.checkRuns).toHaveLength(1);
    expect(await writes(sb!)).toEqual([]);
  });

  it('a writer buries the run under their own deployments: the lock leads to the run, whose deployment is still closed', async () => {
    const h = await start();
    const request = await leaveUnwrittenRun(h, Date.now() - 60_000);
    // A writer creates a dozen deployments naming the same request: the app's own is no longer
    // among the newest the sweep reads, and none of theirs counts.
    h.github.actingAs = 'carol';
    for (let i = 0; i < 12; i++)
      h.github.handle('POST', '/repos/acme/shop/deployments', {
        environment: 'production',
        ref: HEAD,
        payload: { api7Sync: { pr: 7, request, checkRun: 0, environment: 'production', state: 'forged' } },
      });
    h.github.actingAs = undefined;
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([request]);
    const [own, ...theirs] = h.github.deployments;
    expect(own!.statuses.map((s) => s.state)).toEqual(['failure']);
    expect(theirs.every((d) => d.statuses.length === 0)).toBe(true);
    expect(h.github.refs.size).toBe(0);
    expect(statusComment(h, request)).toMatch(/· \*\*interrupted\*\*/);
    expect(statusComment(h, request)).toMatch(
      /`production`: deployment #1 is marked failed; its lock is released/,
    );
    expect(h.github.checkRuns.map((c) => c.run.status)).toEqual(['completed']);
  });

  it('a recovery stopped half-way by a GitHub error is finished by the next sweep, which still says it marked the deployment failed', async () => {
    const h = await start();
    const request = await leaveUnwrittenRun(h, Date.now() - 60_000);
    // GitHub fails the status comment: the deployment is closed, the request not yet written.
    h.github.failNext('POST', /\/issues\/7\/comments$/, 502, 'Server Error');
    await expect(h.bot.recover(modelClient(h.github), shop)).rejects.toThrow();
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['failure']);
    expect(statusComment(h, request)).toBeUndefined();
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([request]);
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['failure']);
    expect(h.github.refs.size).toBe(0);
    // The deployment was closed by the first recovery, not by the run, and the lock freed then.
    expect(statusComment(h, request)).toMatch(
      /`production`: deployment #1 is marked failed; its lock was not held for this request \(released already, or taken by another run\)/,
    );
    expect(statusComment(h, request)).not.toMatch(/closed by the run/);
  });

  it('leaves a live run alone: a deployment with no status yet is as fresh as its creation', async () => {
    const h = await start();
    await leaveUnwrittenRun(h, Date.now() + 60_000);
    const refs = [...h.github.refs];
    const before = h.github.requests.length;
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([]);
    expect(h.github.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect([...h.github.refs]).toEqual(refs);
    expect(h.github.checkRuns).toEqual([]);
  });

  it('ignores a state not signed with the app’s key, and one signed for another request', async () => {
    const h = await start();
    const forged = await leaveUnwrittenRun(h, Date.now() - 60_000, (request) =>
      encodeState(stateKey('a-writer-guessing-the-secret-wrongly-32b'), runningState(request)),
    );
    // A real signed state, replayed in a deployment naming another request.
    await leaveUnwrittenRun(h, Date.now() - 60_000, () =>
      encodeState(stateKey(STATE_SECRET), runningState(forged)),
    );
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([]);
    expect(h.github.checkRuns).toEqual([]);
    expect(h.comments().filter((c) => /request \d+ by/.test(c))).toEqual([]);
    expect(h.github.deployments.every((d) => d.statuses.length === 0)).toBe(true);
  });

  it('leaves a request the run did write before dying as it is', async () => {
    const h = await start();
    await h.say('alice', '/sync production');
    const done = h.github.checkRuns[0]!;
    expect(done.run.conclusion).toBe('success');
    // The same request's deployment, as if the process died between writing the result and closing it.
    const request = Number(done.run.external_id);
    h.github.handle('POST', '/repos/acme/shop/deployments', {
      environment: 'production',
      ref: HEAD,
      payload: {
        api7Sync: {
          repository: 'acme/shop',
          pr: 7,
          request,
          checkRun: 0,
          state: encodeState(stateKey(STATE_SECRET), runningState(request)),
          kind: 'sync',
          environment: 'production',
        },
      },
    });
    const before = h.github.requests.length;
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([]);
    expect(h.github.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(h.comments().at(-1)).toMatch(/\*\*done\*\*/);
  });

  it('a run whose result could not be written: the next sweep writes it with what production runs, the deployment keeps the run’s word', async () => {
    const h = await start();
    // GitHub fails the status comment with the result: the request cannot be written.
    h.github.failNext('POST', /\/issues\/7\/comments$/, 502, 'Server Error');
    const request = await h.say('alice', '/sync production');
    expect(h.github.checkRuns).toEqual([]);
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['success']);
    expect(h.github.refs.size).toBe(0);
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([request]);
    expect(statusComment(h, request)).toMatch(/· \*\*interrupted\*\*/);
    expect(statusComment(h, request)).toMatch(/already closed by the run/);
    expect(statusComment(h, request)).toMatch(
      /What `production` runs now:[\s\S]*\| httpbin API \| 1\.0\.0 \|/,
    );
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['success']);
    expect(h.github.checkRuns.map((c) => c.run.status)).toEqual(['completed']);
  });

  it('two replicas given the same /sync delivery run it once: one request, one deployment, one publish', async () => {
    const a = await start();
    const b = harness(sb!, { configText: botConfig(sb!, 0), heartbeatMs: 1_000, github: a.github });
    const command = a.github.addComment(7, 'alice', '/sync production');
    await Promise.all([
      a.deliver('issue_comment', commentPayload(command)),
      b.deliver('issue_comment', commentPayload(command)),
    ]);
    expect(a.github.deployments).toHaveLength(1);
    expect(a.github.checkRuns).toHaveLength(1);
    expect(a.comments().filter((c) => c.includes(`request ${command.id} by`))).toEqual([
      expect.stringMatching(/· \*\*done\*\*/),
    ]);
    expect((await writes(sb!)).filter((w) => w.path === '/api/services/publish')).toHaveLength(1);
    expect(a.github.refs.size).toBe(0);
  });
});
