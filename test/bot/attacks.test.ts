/**
 * The pull-request door as an attacker would try it: each test is one way in that used to work,
 * driven through Probot with GitHub's own webhook payloads, the GitHub stand-in and the sandbox.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { origin, type RepositoryPolicy } from '../../bot/policy.js';
import { lockRequestId } from '../../chatops/lock-holder.js';
import { decodeState, encodeState, stateKey } from '../../chatops/state.js';
import { sweepInstallations } from '../../bot/sweep.js';
import type { GitHubClient } from '../../github/api.js';
import { EnvironmentLock } from '../../github/lock.js';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, commentPayload, harness, STATE_SECRET, type Harness } from '../helpers/bot.js';
import { TestClock } from '../helpers/clock.js';
import { modelClient } from '../helpers/github-server.js';
import { regionsConfigText, regionsSeed } from '../helpers/regions.js';
import {
  deadPort,
  gatedUpstream,
  PROD,
  requestLog,
  sandbox,
  serviceIn,
  walkthroughSeed,
  withProductionAt090,
  writes,
} from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let hs: Harness[] = [];
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  // Nothing the bot wrote on GitHub ever holds the API7 token; checked after cleaning up, so that
  // a leak fails this test only, never the next one.
  const written = hs.map((h) => JSON.stringify({ c: h.github.comments, d: h.github.deployments }));
  const token = sb?.token;
  for (const h of hs) h.close();
  for (const c of cleanups) await c();
  await sb?.close();
  sb = undefined;
  hs = [];
  cleanups = [];
  if (token) for (const text of written) expect(text).not.toContain(token);
});

function start(options: Parameters<typeof harness>[1] = {}): Harness {
  const h = harness(sb!, options);
  hs.push(h);
  return h;
}

/** An operator policy that lets acme/shop use the sandbox's control plane for anything. */
const openPolicy = (s: Sandbox, extra: Partial<RepositoryPolicy> = {}) => ({
  'acme/shop': {
    controlPlane: origin(s.controlPlane),
    gatewayGroups: '*' as const,
    services: '*' as const,
    gatewayOrigins: '*' as const,
    ...extra,
  },
});

const statusOf = (h: Harness, request: number) =>
  h.comments().find((c) => c.includes(`request ${request} by`)) ?? '';
const last = (h: Harness) => h.comments().at(-1) ?? '';
const lockWrites = (h: Harness) =>
  h.github.requests.filter((r) => r.path.includes('/git/') && r.method !== 'GET');

describe('request state comes only from the app’s own status comment', () => {
  it('a pasted copy of an old status comment is not a request: /approve runs nothing', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('alice', '/sync production');
    const pendingBody = statusOf(h, request);
    expect(pendingBody).toMatch(/\*\*pending\*\*/);
    await h.say('bob', `/deny ${request}`);
    expect(statusOf(h, request)).toMatch(/\*\*denied\*\*/);
    // carol (a writer) pastes the pending status comment, signature and all, as her own comment.
    h.github.addComment(7, 'carol', pendingBody);
    await h.say('dave', `/approve ${request}`);
    expect(last(h)).toMatch(/^@dave there is no request \d+ waiting for a decision/);
    await h.say('dave', '/approve');
    expect(last(h)).toMatch(/^@dave there is no request waiting for a decision/);
    expect(await writes(sb)).toEqual([]);
    expect(h.github.deployments).toEqual([]);
  });

  it('a state block smuggled into a command is never echoed back', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('alice', '/sync production');
    expect(statusOf(h, request)).not.toContain('api7-sync:state'); // the state is in the check run
    const block = /<!-- api7-sync:state [^>]+-->/.exec(h.github.checkRuns[0]!.run.output.text)![0];
    await h.say('carol', `/sync production "${block}"`);
    expect(last(h)).not.toContain('<!--');
    expect(h.comments().filter((c) => c.includes('<!-- api7-sync:state'))).toHaveLength(0);
  });
});

describe('approvals bind to one request', () => {
  it('a bare /approve counts only for the newest waiting request', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const first = await h.say('alice', '/sync production --dry-run');
    const older = await h.say('alice', '/sync production');
    const newer = await h.say('carol', '/sync production');
    expect(statusOf(h, first)).toMatch(/\*\*done\*\*/);
    await h.say('bob', '/approve');
    expect(statusOf(h, newer)).toMatch(/\*\*done\*\*/);
    // Had bob's one comment counted for both, the older request would have run too.
    expect(statusOf(h, older)).toMatch(/\*\*pending\*\*/);
    expect(h.github.deployments).toHaveLength(1);
  });

  it('an /approve posted before the request, in the same second, does not count', async () => {
    sb = await sandbox(walkthroughSeed());
    // One frozen instant for the stand-in and the bot alike, taken from today's clock so that
    // approval expiry (24 h) is measured on the same clock as the comments' timestamps.
    const frozen = new Date(Math.floor(Date.now() / 1000) * 1000);
    const h = start({ configText: botConfig(sb, 2), now: () => frozen.getTime() });
    h.github.now = () => frozen;
    await h.say('bob', '/approve');
    const request = await h.say('alice', '/sync production');
    await h.say('dave', '/approve');
    expect(statusOf(h, request)).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@dave\)/);
    expect(await writes(sb)).toEqual([]);
  });

  it('the requester and the pull request’s author are told why their /approve does not count', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('carol', '/sync production');
    await h.say('carol', '/approve');
    expect(last(h)).toMatch(/^@carol you asked for request \d+/);
    h.github.teams.set('acme/platform', ['bob', 'alice']);
    await h.say('alice', `/approve ${request}`);
    expect(last(h)).toMatch(
      /^@alice you opened this pull request: your approval of request \d+ does not count/,
    );
    expect(await writes(sb)).toEqual([]);
  });

  it('an approver with read permission does not count', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    h.github.teams.set('acme/platform', ['bob', 'mallory']);
    await h.say('alice', '/sync production');
    await h.say('mallory', '/approve');
    expect(last(h)).toMatch(/^@mallory you need write permission/);
    expect(await writes(sb)).toEqual([]);
  });
});

describe('every command is authorised', () => {
  it('/lock and /unlock need a deployer and a declared environment; bad names never reach GitHub', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start();
    await h.say('dave', '/lock production');
    expect(last(h)).toMatch(/^@dave you are not among the deployers of `production`/);
    await h.say('alice', '/lock nowhere');
    expect(last(h)).toMatch(/^@alice there is no environment nowhere /);
    await h.say('alice', '/lock prod..uction');
    expect(last(h)).toMatch(/is not an environment name/);
    await h.say('alice', '/lock production.lock');
    expect(last(h)).toMatch(/is not an environment name/);
    expect(lockWrites(h)).toEqual([]);
  });

  it('/unlock does not lift a lock held by a running promotion', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start();
    // A lock as the Action holds it while it runs.
    const { EnvironmentLock } = await import('../../github/lock.js');
    const lock = new EnvironmentLock(modelClient(h.github), { owner: 'acme', repo: 'shop' });
    await lock.claim('production', { holder: 'acme/shop run 42', reason: 'promote', request: 'run-42' });
    await h.say('alice', '/unlock production');
    expect(last(h)).toMatch(/held by acme\/shop run 42.*a running promotion releases its own lock/);
    expect(h.github.refs.has('refs/heads/api7-sync-lock/production')).toBe(true);
  });

  it('/rollback needs the rollbackers and records a deployment', async () => {
    sb = await sandbox(walkthroughSeed());
    const config = botConfig(sb).replace(
      '      approvals: 0\n',
      '      approvals: 0\n      rollbackers: [carol]\n',
    );
    const h = start({ configText: config });
    await h.say('alice', '/sync production');
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    await h.say('alice', '/rollback production httpbin API');
    expect(last(h)).toMatch(/^@alice you are not among the rollbackers of `production` \(carol\)/);
    const rollback = await h.say('carol', '/rollback production httpbin API');
    expect(statusOf(h, rollback)).toMatch(/\*\*(done|failed)\*\*/);
    expect(h.github.deployments).toHaveLength(2);
    expect(h.github.deployments[1]!.body.payload.api7Sync).toMatchObject({
      kind: 'rollback',
      request: rollback,
    });
    expect(h.github.refs.size).toBe(0);
  });

  it('a fork whose repository was deleted (head.repo null) is a fork', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start();
    (h.github.pulls.get(7)!.head as { repo: unknown }).repo = null;
    await h.say('alice', '/sync production');
    expect(last(h)).toMatch(/comes from a fork \(or from a repository that no longer exists\)/);
    expect(await requestLog(sb)).toEqual([]);
  });
});

describe('the operator policy is enforced where the engine is built', () => {
  it('a control plane changed on the default branch between /sync and /approve never gets the token', async () => {
    sb = await sandbox(walkthroughSeed());
    const seen: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end('{}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => elsewhere.close(() => r())));
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('alice', '/sync production');
    expect(statusOf(h, request)).toMatch(/\*\*pending\*\*/);
    const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    h.github.files.set('main:.github/api7-sync.yml', botConfig(sb, 1, other));
    await h.say('bob', '/approve');
    expect(statusOf(h, request)).toMatch(/\*\*failed\*\*[\s\S]*not permitted for this repository/);
    expect(seen).toEqual([]);
    expect(await writes(sb)).toEqual([]);
    expect(h.github.refs.size).toBe(0);
  });
});

describe('user text is inert', () => {
  it('mentions, images and links in a malformed command are quoted inertly', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start();
    await h.say('alice', '/sync production --team @acme/sre');
    await h.say('alice', '/sync ![x](https://evil.example/x.png)');
    await h.say('alice', '/lock production see #12 @acme/sre ![x](https://evil.example/x.png)');
    for (const body of h.comments()) {
      expect(body).not.toMatch(/@acme\/sre/);
      expect(body).not.toMatch(/!\[x\]\(https/);
      expect(body).not.toMatch(/(^|[^＃`])#12/);
    }
  });
});

describe('at most once, across redeliveries, restarts and replicas', () => {
  it('the same /sync delivered again after a restart runs nothing more', async () => {
    sb = await sandbox(walkthroughSeed());
    const first = start();
    const comment = first.github.addComment(7, 'alice', '/sync production');
    await first.deliver('issue_comment', commentPayload(comment));
    expect(first.github.deployments).toHaveLength(1);
    const writesBefore = (await writes(sb)).length;
    // A new process, with no memory of the first delivery.
    const restarted = start({ github: first.github });
    await restarted.deliver('issue_comment', commentPayload(comment));
    expect(first.github.deployments).toHaveLength(1);
    expect(first.comments().filter((c) => c.includes(`request ${comment.id} by`))).toHaveLength(1);
    expect((await writes(sb)).length).toBe(writesBefore);
  });

  it('two replicas given the same /approve run it exactly once', async () => {
    sb = await sandbox(walkthroughSeed());
    const a = start({ configText: botConfig(sb, 1) });
    const b = start({ github: a.github, configText: botConfig(sb, 1) });
    const request = await a.say('alice', '/sync production');
    const approve = a.github.addComment(7, 'bob', '/approve');
    await Promise.all([
      a.deliver('issue_comment', commentPayload(approve)),
      b.deliver('issue_comment', commentPayload(approve)),
    ]);
    expect(a.github.deployments).toHaveLength(1);
    expect(statusOf(a, request)).toMatch(/\*\*done\*\*/);
    expect((await writes(sb)).filter((w) => w.path === '/api/services/publish')).toHaveLength(1);
    expect(a.github.refs.size).toBe(0);
  });
});

describe('locks never leak', () => {
  it('a job longer than several heartbeats renews the lock, keeping the new head, and deletes it at the end', async () => {
    sb = await sandbox(walkthroughSeed());
    const box: { h?: Harness } = {};
    const moves = () => box.h!.github.refEvents.filter((e) => e.event === 'moved').length;
    // Verification waits until the lock has been renewed three times: an event, not a clock.
    const upstream = await gatedUpstream(() => moves() >= 3);
    cleanups.push(upstream.close);
    const config = botConfig(sb).replace(
      'upstream: {nodes: [{host: httpbin, port: 80}]}',
      `upstream: {nodes: [{host: 127.0.0.1, port: ${upstream.port}}]}`,
    );
    // A lease the promotion can vouch for on a busy machine: a renewal late by more than half a
    // heartbeat now stops the promotion (the lease signal), which is not what this test is about.
    const h = (box.h = start({ configText: config, heartbeatMs: 300, verifyTimeoutMs: 60_000 }));
    const request = await h.say('alice', '/sync production');
    expect(statusOf(h, request)).toMatch(/\*\*done\*\*/);
    const events = h.github.refEvents.map((e) => e.event);
    expect(events[0]).toBe('created');
    expect(events.at(-1)).toBe('deleted');
    expect(moves()).toBeGreaterThanOrEqual(3);
    expect(h.github.refs.size).toBe(0);
    const statuses = h.github.deployments[0]!.statuses;
    expect(statuses.at(-1)!.state).toBe('success');
    expect(statuses.filter((s) => /^heartbeat /.test(s.description)).length).toBeGreaterThan(1);
  });
});

/** The request's state as its check run holds it (signed with the harness's state secret). */
function stateOf(h: Harness, request: number) {
  const check = h.github.checkRuns.find(
    (c) => c.run.external_id === String(request) && !c.run.output.text.includes('carriedTo'),
  );
  return { check: check!, state: decodeState(stateKey(STATE_SECRET), check!.run.output.text)! };
}

/**
 * What a process killed mid-run leaves behind, written as that process would have: its request
 * `running` in its check run, the lock held for it (lease `lockUntil`), and the app's deployment.
 */
async function leaveDeadRun(h: Harness, request: number, lockUntil: number): Promise<void> {
  const { check, state } = stateOf(h, request);
  check.run.output.text = encodeState(stateKey(STATE_SECRET), {
    ...state,
    status: 'running',
    seq: state.seq + 1,
  });
  const gh = modelClient(h.github);
  await new EnvironmentLock(gh, { owner: 'acme', repo: 'shop' }, () => lockUntil - 120_000).claim(
    'production',
    { holder: 'bot', reason: '/sync production', request: lockRequestId('acme/shop', 7, request) },
    120_000,
  );
  h.github.handle('POST', '/repos/acme/shop/deployments', {
    environment: 'production',
    ref: 'a'.repeat(40),
    payload: {
      api7Sync: {
        repository: 'acme/shop',
        pr: 7,
        request,
        kind: 'sync',
        environment: 'production',
        checkRun: check.id,
      },
    },
  });
  h.github.handle('POST', `/repos/acme/shop/deployments/${h.github.deployments.length}/statuses`, {
    state: 'in_progress',
    description: 'heartbeat',
  });
}

const shop = { owner: 'acme', repo: 'shop' };

describe('recovery', () => {
  it('a run whose process died is marked interrupted, says what production runs, and frees its lock', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1), heartbeatMs: 1_000 });
    const request = await h.say('alice', '/sync production');
    await leaveDeadRun(h, request, Date.now() - 60_000);
    const recovered = await h.bot.recover(modelClient(h.github), shop);
    expect(recovered).toEqual([request]);
    expect(h.github.deployments[0]!.statuses.at(-1)!.state).toBe('failure');
    expect(statusOf(h, request)).toMatch(
      /\*\*interrupted\*\*[\s\S]*What `production` runs now:[\s\S]*\| httpbin API \|/,
    );
    expect(stateOf(h, request).state.status).toBe('interrupted');
    expect(stateOf(h, request).check.run.status).toBe('completed');
    expect(h.github.refs.size).toBe(0);
  });

  it('a deployment a writer made, naming a running request, is ignored: the lock stays, the request runs on', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1), heartbeatMs: 1_000 });
    const running = await h.say('alice', '/sync production');
    const pending = await h.say('carol', '/sync production');
    // The request runs in a live process: its lock's lease is current. Its own deployment is not
    // listed yet; carol (write access) creates one in its name, and one naming a pending request.
    await leaveDeadRun(h, running, Date.now() + 60_000);
    h.github.deployments.splice(0);
    h.github.actingAs = 'carol';
    for (const request of [running, pending])
      h.github.handle('POST', '/repos/acme/shop/deployments', {
        environment: 'production',
        ref: 'a'.repeat(40),
        payload: {
          api7Sync: {
            repository: 'acme/shop',
            pr: 7,
            request,
            kind: 'sync',
            environment: 'production',
            checkRun: stateOf(h, request).check.id,
          },
        },
      });
    h.github.actingAs = undefined;
    const lockBefore = [...h.github.refs];
    const before = h.github.requests.length;
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([]);
    expect([...h.github.refs]).toEqual(lockBefore);
    expect(h.github.deployments.every((d) => d.statuses.length === 0)).toBe(true);
    expect(stateOf(h, running).state.status).toBe('running');
    expect(stateOf(h, pending).state.status).not.toBe('interrupted');
    // Not even the named requests' states were read: the writer's deployments are not looked at.
    expect(h.github.requests.slice(before).filter((r) => r.path.includes('/check-runs'))).toEqual([]);
  });

  it('never moves a request that is not running, even when its lock lease ran out', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1), heartbeatMs: 1_000 });
    const request = await h.say('alice', '/sync production');
    await new EnvironmentLock(modelClient(h.github), shop, () => Date.now() - 600_000).claim(
      'production',
      { holder: 'someone', reason: 'by hand', request: lockRequestId('acme/shop', 7, request) },
      120_000,
    );
    expect(await h.bot.recover(modelClient(h.github), shop)).toEqual([]);
    expect(stateOf(h, request).state.status).toBe('pending');
    expect(statusOf(h, request)).toMatch(/\*\*pending\*\*/);
  });

  it('costs the same few requests per sweep with 1 or 300 past promotions, 304s once nothing changes', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 0), heartbeatMs: 1_000 });
    await h.say('alice', '/sync production');
    // Probot's own client, as the server sweeps: a 304 must reach recovery as "unchanged".
    const octokit = (await h.probot.auth(1)) as unknown as GitHubClient;
    const sweep = async () => {
      const before = h.github.requests.length;
      await h.bot.recover(octokit, shop);
      return h.github.requests.slice(before);
    };
    await sweep();
    const one = await sweep();
    for (let i = 0; i < 300; i++)
      h.github.handle('POST', '/repos/acme/shop/deployments', {
        environment: 'production',
        ref: 'a'.repeat(40),
        payload: {
          api7Sync: { repository: 'acme/shop', pr: 7, request: 1, environment: 'production', checkRun: 1 },
        },
      });
    await sweep();
    const many = await sweep();
    expect(many.length).toBe(one.length);
    expect(many.length).toBeLessThanOrEqual(5);
    expect(many.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      many.map((r) => `${r.method} ${r.path} 304`),
    );
  });
});

describe('the sweep over an installation', () => {
  it('130 repositories in one installation: the stale run in the 120th is recovered', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1), heartbeatMs: 1_000 });
    const request = await h.say('alice', '/sync production');
    await leaveDeadRun(h, request, Date.now() - 60_000);
    const others = Array.from({ length: 129 }, (_, i) => `acme/repo-${i + 1}`);
    h.github.installationRepositories = [...others.slice(0, 119), 'acme/shop', ...others.slice(119)];
    const logs: string[] = [];
    await sweepInstallations({
      auth: async (id) => (await h.probot.auth(id)) as unknown as GitHubClient,
      recover: (github, repo) => h.bot.recover(github, repo),
      intervalMs: 0,
      log: (line) => logs.push(line),
    });
    expect(logs).toEqual([`api7-sync bot: recovered interrupted request(s) ${request} of acme/shop`]);
    expect(statusOf(h, request)).toMatch(/\*\*interrupted\*\*/);
    expect(h.github.refs.size).toBe(0);
    const swept = h.github.requests.filter((r) => r.path.includes('/git/matching-refs/'));
    expect(new Set(swept.map((r) => r.path.split('/')[3])).size).toBe(130);
  });
});

describe('the state lives in the app’s check run: comments a writer edits or deletes change nothing', () => {
  it('a status comment edited back to its earlier signed pending text does not revive a denied request', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('alice', '/sync production');
    const comment = h.github.comments.find((c) => c.body.includes(`request ${request} by`))!;
    const pendingText = comment.body;
    await h.say('bob', `/deny ${request}`);
    expect(statusOf(h, request)).toMatch(/\*\*denied\*\*/);
    // carol (write access) edits the app's own comment back to what it said while pending.
    comment.body = pendingText;
    comment.updated_at = new Date(Date.now() + 1_000).toISOString();
    await h.say('dave', `/approve ${request}`);
    expect(last(h)).toMatch(new RegExp(`^@dave there is no request ${request} waiting for a decision`));
    await h.say('dave', '/approve');
    expect(last(h)).toMatch(/^@dave there is no request waiting for a decision/);
    expect(stateOf(h, request).state.status).toBe('denied');
    expect(await writes(sb)).toEqual([]);
    expect(h.github.deployments).toEqual([]);
  });

  it('a deleted status comment is posted again from the state at the next move', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 2) });
    const request = await h.say('alice', '/sync production');
    await h.say('bob', '/approve');
    const at = h.github.comments.findIndex((c) => c.body.includes(`request ${request} by`));
    h.github.comments.splice(at, 1);
    await h.say('dave', '/approve');
    expect(statusOf(h, request)).toMatch(/\*\*done\*\*/);
    const { state } = stateOf(h, request);
    expect(state.approvals.map((a) => a.login)).toEqual(['bob', 'dave']);
    expect(h.github.comments.find((c) => c.id === state.statusComment)?.body).toMatch(/\*\*done\*\*/);
    expect(h.github.deployments).toHaveLength(1);
  });
});

describe('each command comment acts once: workflow re-runs and redeliveries replay nothing', () => {
  it('re-running the /sync and /approve runs after a rollback, with the status comment deleted, moves nothing', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const sync = h.github.addComment(7, 'alice', '/sync production');
    await h.deliver('issue_comment', commentPayload(sync));
    const approve = h.github.addComment(7, 'bob', '/approve');
    await h.deliver('issue_comment', commentPayload(approve));
    expect(statusOf(h, sync.id)).toMatch(/\*\*done\*\*/);
    const writesBefore = (await writes(sb)).length;
    h.github.comments.splice(
      h.github.comments.findIndex((c) => c.body.includes(`request ${sync.id} by`)),
      1,
    );
    // A re-run of a workflow run delivers the very same payloads again.
    await h.deliver('issue_comment', commentPayload(sync));
    await h.deliver('issue_comment', commentPayload(approve));
    expect((await writes(sb)).length).toBe(writesBefore);
    expect(h.github.deployments).toHaveLength(1);
    expect(h.github.checkRuns).toHaveLength(1);
  });

  it('a /sync refused while the lock was held does not run when re-delivered after the lock is free', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 0) });
    await h.say('carol', '/lock production');
    const sync = h.github.addComment(7, 'alice', '/sync production');
    await h.deliver('issue_comment', commentPayload(sync));
    expect(last(h)).toMatch(/^@alice the lock on `production` is/);
    await h.say('carol', '/unlock production');
    await h.deliver('issue_comment', commentPayload(sync));
    expect(await writes(sb)).toEqual([]);
    expect(h.github.deployments).toEqual([]);
  });

  it('a re-delivered /approve counts once, even with the 👀 claim gone: the state records it', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 2) });
    const request = await h.say('alice', '/sync production');
    const approve = h.github.addComment(7, 'bob', '/approve');
    await h.deliver('issue_comment', commentPayload(approve));
    expect(statusOf(h, request)).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@bob\)/);
    await h.deliver('issue_comment', commentPayload(approve));
    // Were the app's 👀 removed (a workflow token can), the state still knows the comment.
    h.github.reactions.splice(0);
    await h.deliver('issue_comment', commentPayload(approve));
    expect(statusOf(h, request)).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@bob\)/);
    expect(stateOf(h, request).state.approvals).toHaveLength(1);
    expect(await writes(sb)).toEqual([]);
  });
});

describe('the Check Run', () => {
  it('is queued with the plan while approvals are awaited, in progress while running, then success', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    await h.say('alice', '/sync production');
    expect(h.github.checkRuns).toHaveLength(1);
    const check = h.github.checkRuns[0]!;
    expect(check.run).toMatchObject({
      name: 'api7-sync / production',
      head_sha: 'a'.repeat(40),
      status: 'queued',
    });
    expect(check.history[0].output.summary).toMatch(/httpbin API/);
    await h.say('bob', '/approve');
    // Writes that only record the state (an approval) leave the status as it was.
    expect(check.history.map((u) => u.status).filter(Boolean)).toEqual([
      'queued',
      'in_progress',
      'completed',
    ]);
    expect(check.run.conclusion).toBe('success');
  });

  it('is neutral when denied, and when refused at plan time', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    await h.say('alice', '/sync production');
    await h.say('bob', '/deny');
    expect(h.github.checkRuns[0]!.run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    await h.say('alice', '/sync production "no such service"');
    expect(h.github.checkRuns[1]!.run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
  });
});

describe('notifications from the App', () => {
  it('go only to the operator policy’s webhooks, never to one the repository config names', async () => {
    sb = await sandbox(walkthroughSeed());
    const received: { name: string; body: string }[] = [];
    const receiver = (name: string) =>
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          received.push({ name, body });
          res.end('ok');
        });
      });
    const operator = receiver('operator');
    const repository = receiver('repository');
    for (const s of [operator, repository]) {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
    }
    const url = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
    const config = `notify: [{url: "${url(repository)}"}]\n${botConfig(sb)}`;
    const h = start({
      configText: config,
      policy: openPolicy(sb, { notify: [url(operator)] }),
    });
    await h.say('alice', '/sync production');
    expect(received.map((r) => r.name)).toEqual(['operator']);
    expect(JSON.parse(received[0]!.body).text).toMatch(/production/);
    for (const body of h.comments()) expect(body).not.toContain('/hook');
  });
});

describe('rights are checked again when the run starts', () => {
  it('a requester removed from the deployers after asking does not get the run', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('carol', '/sync production');
    h.github.files.set(
      'main:.github/api7-sync.yml',
      botConfig(sb, 1).replace('deployers: [alice, bob, carol,', 'deployers: [alice, bob,'),
    );
    await h.say('bob', '/approve');
    expect(statusOf(h, request)).toMatch(/\*\*failed\*\*[\s\S]*@carol is no longer among the deployers/);
    expect(await writes(sb)).toEqual([]);
    expect(h.github.refs.size).toBe(0);
  });
});

describe('promotion windows from a pull request', () => {
  it('refuses outside the window; --break-glass runs it, recorded in the status comment and the deployment', async () => {
    sb = await sandbox(walkthroughSeed());
    // A window on another day of the week than the bot's (UTC): closed, whatever the hour. The
    // bot, its engine and GitHub share one clock.
    const clock = new TestClock();
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const other = days[(clock.date().getUTCDay() + 3) % 7];
    const config = botConfig(sb).replace(
      '      approvals: 0\n',
      `      approvals: 0\n      windows: {timezone: UTC, allow: ["${other} 09:00-17:00"]}\n`,
    );
    const h = start({ configText: config, clock });
    const refused = await h.say('alice', '/sync production');
    expect(statusOf(h, refused)).toMatch(/\*\*failed\*\*[\s\S]*outside-window/);
    // The refusal names the chat-ops way to break glass, not the CLI's.
    expect(statusOf(h, refused)).toMatch(/--break-glass REASON\\?`? on the \\?`?\/sync\\?`? command/);
    expect(await writes(sb)).toEqual([]);
    const glass = await h.say('alice', '/sync production --break-glass "INC-42 payments down"');
    expect(statusOf(h, glass)).toMatch(/\*\*done\*\*/);
    expect(statusOf(h, glass)).toMatch(
      /Break glass\*\* \(promotion window overridden\): INC-42 payments down/,
    );
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    // The refused attempt is on record too (a window gates the write, not the request).
    expect(h.github.deployments).toHaveLength(2);
    expect(h.github.deployments[0]!.statuses.at(-1).state).toBe('failure');
    expect(h.github.deployments[1]!.body.payload.api7Sync.breakGlass).toEqual({
      reason: 'INC-42 payments down',
      by: 'alice',
    });
  });

  it('the status comment shows the routes each service adds, removes and changes', async () => {
    sb = await sandbox(withProductionAt090());
    const h = start({ configText: botConfig(sb, 1) });
    const request = await h.say('alice', '/sync production');
    expect(statusOf(h, request)).toMatch(/\*\*Route changes\*\*[\s\S]*\| httpbin API \| /);
  });
});

describe('/sync to several environments from a pull request', () => {
  it('promotes in order, stops at the region that fails, reports each, and frees every lock', async () => {
    sb = await sandbox(regionsSeed());
    const config = regionsConfigText(sb, `{host: 127.0.0.1, port: ${await deadPort()}}`);
    const h = start({
      configText: config,
      policy: openPolicy(sb),
    });
    const request = await h.say('alice', '/sync eu,us,ap');
    const status = statusOf(h, request);
    expect(status).toMatch(/\*\*failed\*\*/);
    // eu synced and stays; us failed verification and was rolled back; ap was never started.
    expect(status).toMatch(
      /test → eu[\s\S]*✅ synced[\s\S]*test → us[\s\S]*↩️ rolled back[\s\S]*test → ap[\s\S]*not-started/,
    );
    expect(h.github.deployments.map((d) => d.body.environment).sort()).toEqual(['ap', 'eu', 'us']);
    expect(h.github.refs.size).toBe(0);
    // Locks were taken in sorted order: ap, eu, us.
    expect(h.github.refEvents.filter((e) => e.event === 'created').map((e) => e.ref)).toEqual([
      'refs/heads/api7-sync-lock/ap',
      'refs/heads/api7-sync-lock/eu',
      'refs/heads/api7-sync-lock/us',
    ]);
    expect(h.github.checkRuns[0]!.run).toMatchObject({ name: 'api7-sync / eu,us,ap', conclusion: 'failure' });
  });

  it('an approval counts for a fan-out only from someone who may approve every target', async () => {
    sb = await sandbox(regionsSeed());
    const config = regionsConfigText(sb, '{host: httpbin, port: 80}')
      .replace(
        '  eu:\n    gatewayGroup: eu\n',
        '  eu:\n    gatewayGroup: eu\n    protection: {approvals: 1, approvers: [bob, carol]}\n',
      )
      .replace(
        '  us:\n    gatewayGroup: us\n',
        '  us:\n    gatewayGroup: us\n    protection: {approvals: 1, approvers: [dave, carol]}\n',
      );
    const h = start({ configText: config, policy: openPolicy(sb) });
    const request = await h.say('alice', '/sync eu,us');
    expect(statusOf(h, request)).toMatch(/\*\*pending\*\*/);
    // bob may approve eu only, dave us only: neither approval opens both regions.
    await h.say('bob', '/approve');
    expect(last(h)).toMatch(/^@bob you are not among the approvers of `eu`, `us`/);
    await h.say('dave', `/approve ${request}`);
    expect(last(h)).toMatch(/^@dave you are not among the approvers of `eu`, `us`/);
    expect(await writes(sb)).toEqual([]);
    await h.say('carol', '/approve');
    expect(statusOf(h, request)).toMatch(/\*\*done\*\*/);
    expect(h.github.deployments.map((d) => d.body.environment).sort()).toEqual(['eu', 'us']);
  });

  it('every target is authorised: one the commenter may not deploy to refuses the whole request', async () => {
    sb = await sandbox(regionsSeed());
    const config = regionsConfigText(sb, '{host: httpbin, port: 80}').replace(
      '  ap:\n    gatewayGroup: ap\n',
      '  ap:\n    gatewayGroup: ap\n    protection: {deployers: [bob]}\n',
    );
    const h = start({
      configText: config,
      policy: openPolicy(sb),
    });
    await h.say('alice', '/sync eu,ap');
    expect(last(h)).toMatch(/^@alice you are not among the deployers of `ap` \(bob\)/);
    expect(await writes(sb)).toEqual([]);
  });
});

describe('/help', () => {
  it('answers people who may write, and refuses readers like every other command', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start();
    await h.say('mallory', '/help');
    expect(last(h)).toMatch(/^@mallory you need write permission/);
    await h.say('alice', '/help');
    expect(last(h)).toMatch(/^\*\*api7-sync\*\* commands/);
  });
});

describe('the GitHub budget of a command', () => {
  it('a stranger’s command on a pull request with 3,000 comments costs at most 3 requests', async () => {
    sb = await sandbox(walkthroughSeed());
    const h = start();
    for (let i = 0; i < 3_000; i++) h.github.addComment(7, i % 2 ? 'alice' : 'bob', `comment ${i}`);
    for (const command of ['/sync production', '/approve', '/help', '/sync production --bad-flag']) {
      const before = h.github.requests.length;
      await h.say('mallory', command);
      // The app's own sign-in (its login, an installation token) is made once per process, not per command.
      const made = h.github.requests.slice(before).filter((r) => r.path.startsWith('/repos/'));
      expect(last(h)).toMatch(/^@mallory you need write permission/);
      expect(made.length, made.map((r) => `${r.method} ${r.path}`).join('\n')).toBeLessThanOrEqual(3);
      expect(made.some((r) => r.path.includes('/issues/7/comments') && r.method === 'GET')).toBe(false);
    }
    expect(await writes(sb)).toEqual([]);
  });
});
