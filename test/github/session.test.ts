import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../engine/errors.js';
import { parseHeartbeatMs } from '../../github/heartbeat.js';
import { CLAIM_ATTEMPTS, EnvironmentLock, isLockableEnvironment } from '../../github/lock.js';
import { endAbandonedSession } from '../../github/abandoned-session.js';
import { startSession, type SessionOptions } from '../../github/session.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { until as waitUntil } from '../helpers/until.js';

/** Polled every 5 ms: the heartbeats these tests count come every few milliseconds. */
const until = (check: () => boolean, what: string) => waitUntil(check, what, 20_000, 5);

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

const repo = { owner: 'acme', repo: 'shop' };
const REF = 'refs/heads/api7-sync-lock/production';

/** A log that keeps every line, by level. */
function recorder() {
  const lines: { level: string; m: string }[] = [];
  const at = (level: string) => (m: string) => void lines.push({ level, m });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function options(g: FakeGitHub, extra: Partial<SessionOptions> = {}): SessionOptions {
  return {
    github: getOctokit('ghs_session-token', { baseUrl: g.url }),
    repo,
    environment: 'production',
    lock: { holder: 'acme/shop run 1', reason: 'promote test → production', request: 'run-1' },
    heartbeatMs: 60_000,
    log: recorder().log,
    ...extra,
  };
}

const renewals = (g: FakeGitHub) => g.refEvents.filter((e) => e.ref === REF && e.event === 'moved').length;

async function started(o: SessionOptions) {
  const start = await startSession(o);
  if (!start.started) throw new Error('the session did not start');
  return start.session;
}

describe('a promotion session', () => {
  it('renews the lock several times from its latest head, beats the deployment, and deletes the lock at the end', async () => {
    gh = await fakeGitHub();
    const session = await started(
      options(gh, {
        heartbeatMs: 25,
        deployment: {
          ref: 'main',
          description: 'api7-sync test → production',
          payload: { api7Sync: { request: 7 } },
          production: true,
          environmentUrl: 'https://api.example.test',
          logUrl: 'https://ci.example.test/run/1',
        },
      }),
    );
    const first = session.lockSha;
    await until(() => renewals(gh!) >= 4, 'four renewals');
    expect(session.lockSha).not.toBe(first);
    const end = await session.end({ state: 'success', description: '1 synced' });
    expect(end).toEqual({ lockReleased: true, deploymentClosed: true, problems: [] });
    expect(gh.refs.has(REF)).toBe(false);
    expect(gh.refEvents.at(-1)).toEqual({ ref: REF, event: 'deleted' });

    // Each renewal is a child of the previous head: the bug of renewing from the claim is gone.
    const patches = gh.requests.filter((r) => r.method === 'PATCH');
    let head = first;
    for (const p of patches) {
      expect(p.body.force).toBe(false);
      if (p.body.sha === head) continue; // the same renewal sent again after a failed answer
      expect(gh.commits.get(p.body.sha)?.parents).toEqual([head]);
      head = p.body.sha;
    }
    const message = gh.commits.get(head)!.message;
    expect(message).toMatch(/^api7-sync lock: production\n\n\{/);
    expect(JSON.parse(message.slice(message.indexOf('{')))).toMatchObject({
      environment: 'production',
      holder: 'acme/shop run 1',
      request: 'run-1',
      reason: 'promote test → production',
    });

    expect(gh.deployments).toHaveLength(1);
    const [d] = gh.deployments;
    expect(d!.body).toMatchObject({
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      production_environment: true,
    });
    const states = d!.statuses.map((s) => s.state);
    expect(states.at(-1)).toBe('success');
    expect(states.slice(0, -1).every((s) => s === 'in_progress')).toBe(true);
    expect(states.length).toBeGreaterThanOrEqual(4);
    for (const s of d!.statuses.slice(0, -1)) {
      expect(s.description).toMatch(/^heartbeat \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(s.environment_url).toBe('https://api.example.test');
    }
  });

  it('logs a failed renewal, keeps beating, and still releases the renewed lock', async () => {
    gh = await fakeGitHub();
    const { lines, log } = recorder();
    gh.failNext('PATCH', /\/git\/refs\/heads\/api7-sync-lock\/production$/, 502, 'Server Error');
    const session = await started(options(gh, { heartbeatMs: 20, log }));
    await until(() => renewals(gh!) >= 2, 'two renewals after the failed one');
    const warning = lines.find((l) => l.level === 'warn');
    expect(warning?.m).toMatch(
      /^renewing the lock on "production" failed; it stays held until \S+ and is renewed again (in 5 ms|at the next heartbeat): Server Error/,
    );
    expect((await session.end({ state: 'success', description: 'ok' })).lockReleased).toBe(true);
    expect(gh.refs.size).toBe(0);
  });

  it('keeps a renewal whose answer was lost: the head is still its own claim', async () => {
    gh = await fakeGitHub();
    const { lines, log } = recorder();
    const octokit = getOctokit('ghs_session-token', { baseUrl: gh.url });
    let lost = false;
    // The first renewal reaches GitHub, but its answer never comes back.
    octokit.hook.wrap('request', async (request, params) => {
      const answer = await request(params);
      if (params.method === 'PATCH' && !lost) {
        lost = true;
        throw new Error('socket hang up');
      }
      return answer;
    });
    const github = octokit;
    const session = await started(options(gh, { github, heartbeatMs: 200, log }));
    await until(() => renewals(gh!) >= 3, 'renewals after the lost answer');
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.m)).toEqual([
      expect.stringMatching(/^renewing the lock on "production" failed; .*: socket hang up$/),
    ]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(await session.end({ state: 'success', description: 'ok' })).toEqual({
      lockReleased: true,
      deploymentClosed: true,
      problems: [],
    });
    expect(gh.refs.size).toBe(0);
  });

  it('says so when the lock was taken over, and leaves it to its new holder', async () => {
    gh = await fakeGitHub();
    const { lines, log } = recorder();
    const session = await started(options(gh, { heartbeatMs: 200, log }));
    // Another holder's commit, not a descendant of ours: our next renewal is not a fast forward.
    gh.commits.set('f'.repeat(40), {
      message: `api7-sync lock: production\n\n${JSON.stringify({ holder: 'acme/shop run 2', reason: 'r', since: 's', until: '2999-01-01T00:00:00.000Z' })}`,
      parents: [],
      tree: 't',
    });
    gh.refs.set(REF, 'f'.repeat(40));
    await until(() => lines.some((l) => l.level === 'error'), 'the lost lock to be reported');
    expect(lines.find((l) => l.level === 'error')!.m).toMatch(
      /^the lock on "production" is no longer this job's: it is held by acme\/shop run 2/,
    );
    const end = await session.end({ state: 'failure', description: 'x' });
    expect(end.lockReleased).toBe(false);
    expect(end.problems).toEqual([
      'the lock on "production" was taken over while this job ran; it was left to its new holder',
    ]);
    expect(gh.refs.get(REF)).toBe('f'.repeat(40));
  });

  it('reports a lock it could not release and a deployment it could not close, as errors, without throwing', async () => {
    gh = await fakeGitHub();
    const { lines, log } = recorder();
    const session = await started(
      options(gh, {
        log,
        deployment: { ref: 'main', description: 'd', payload: {}, production: false },
      }),
    );
    gh.failNext('POST', /\/deployments\/\d+\/statuses$/, 500, 'status down');
    gh.failNext('DELETE', /\/git\/refs\/heads\/api7-sync-lock\/production$/, 500, 'refs down');
    const end = await session.end({ state: 'success', description: 'ok' });
    expect(end.lockReleased).toBe(false);
    expect(end.deploymentClosed).toBe(false);
    expect(end.problems).toHaveLength(2);
    expect(end.problems[0]).toMatch(
      /^deployment #1 of "production" was not closed and still says in_progress .*status down/,
    );
    expect(end.problems[1]).toMatch(
      /^the lock on "production" is still held \(until \S+, when anyone may take it over\): releasing it failed: refs down/,
    );
    expect(lines.filter((l) => l.level === 'error').map((l) => l.m)).toEqual(end.problems);
    expect(gh.refs.has(REF)).toBe(true);
    // end() is idempotent: the same answer, no second attempt.
    expect(await session.end({ state: 'success', description: 'ok' })).toBe(end);
  });

  it('waits for a held lock and takes it once released; refuses at once without waitMs', async () => {
    gh = await fakeGitHub();
    const holder = await started(options(gh, { lock: { holder: 'someone else', reason: 'busy' } }));
    const refused = await startSession(options(gh!));
    expect(refused).toMatchObject({ started: false, heldBy: { holder: 'someone else', reason: 'busy' } });

    const waits: unknown[] = [];
    const waiting = startSession(
      options(gh, {
        waitMs: 60_000,
        pollMs: 10,
        onWait: (heldBy) => {
          waits.push(heldBy);
          void holder.end({ state: 'success', description: 'done' });
        },
      }),
    );
    const start = await waiting;
    expect(start.started).toBe(true);
    expect(waits).toEqual([expect.objectContaining({ holder: 'someone else' })]);
    if (start.started) await start.session.end({ state: 'success', description: 'done' });
    expect(gh.refs.size).toBe(0);
  });

  it('gives the lock back when the deployment cannot be recorded', async () => {
    gh = await fakeGitHub();
    gh.failNext('POST', /\/deployments$/, 500, 'no deployments today');
    const attempt = startSession(
      options(gh, { deployment: { ref: 'main', description: 'd', payload: {}, production: true } }),
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'lock-backend',
      message: expect.stringMatching(/could not record the deployment of "production": no deployments today/),
    });
    expect(gh.refEvents.map((e) => e.event)).toEqual(['created', 'deleted']);
  });
});

describe('lock names and claims', () => {
  it('tells which environment names can be lock branches', () => {
    for (const good of ['production', 'prod-eu.1', 'A_b', '9'])
      expect(isLockableEnvironment(good), good).toBe(true);
    for (const bad of [
      '',
      '-prod',
      '.prod',
      'a..b',
      'prod.lock',
      'pro duction',
      'a/b',
      'prod~1',
      'x:y',
      '生产',
    ])
      expect(isLockableEnvironment(bad), bad).toBe(false);
  });

  it('refuses a bad name before any GitHub request, whatever the operation', async () => {
    gh = await fakeGitHub();
    const lock = new EnvironmentLock(getOctokit('t', { baseUrl: gh.url }), repo);
    for (const name of ['../main', 'prod.lock', 'a..b', 'x y']) {
      await expect(startSession(options(gh, { environment: name }))).rejects.toMatchObject({ code: 'usage' });
      await expect(lock.claim(name, { holder: 'h', reason: 'r' })).rejects.toMatchObject({ code: 'usage' });
      await expect(lock.read(name)).rejects.toMatchObject({ code: 'usage' });
      await expect(lock.release(name, 'a'.repeat(40))).rejects.toMatchObject({ code: 'usage' });
      await expect(lock.releaseIfHeldBy(name, 'r')).rejects.toBeInstanceOf(SyncError);
    }
    expect(gh.requests).toEqual([]);
  });

  it('gives up after a bounded number of claims when the ref keeps vanishing', async () => {
    gh = await fakeGitHub();
    for (let i = 0; i < CLAIM_ATTEMPTS + 3; i++)
      gh.failNext('POST', /\/git\/refs$/, 422, 'Reference already exists');
    await expect(startSession(options(gh))).rejects.toMatchObject({
      code: 'lock-backend',
      message: `could not claim the lock on "production": ${CLAIM_ATTEMPTS} times GitHub said api7-sync-lock/production exists and then that it does not`,
    });
    expect(gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))).toHaveLength(
      CLAIM_ATTEMPTS,
    );
  });

  it('takes an error GitHub gives for the ref name as final', async () => {
    gh = await fakeGitHub();
    gh.failNext('POST', /\/git\/refs$/, 422, 'Reference name is not valid');
    await expect(startSession(options(gh))).rejects.toMatchObject({
      code: 'lock-backend',
      message: 'GitHub refused the lock branch api7-sync-lock/production: Reference name is not valid',
    });
    expect(gh.requests.filter((r) => r.path.includes('/git/ref'))).toHaveLength(1);
  });

  it('releaseIfHeldBy frees the lock only for the request holding it, even after renewals', async () => {
    gh = await fakeGitHub();
    const lock = new EnvironmentLock(getOctokit('t', { baseUrl: gh.url }), repo);
    // A job that renewed twice and then died: its lock has moved past the commit it claimed.
    const claim = await lock.claim('production', { holder: 'bot', reason: 'r', request: 'run-1' }, 60_000);
    if (!claim.claimed) throw new Error('not claimed');
    const renewed = await lock.renew((await lock.renew(claim.lock, 60_000))!, 60_000);
    expect(gh.refs.get(REF)).toBe(renewed!.sha);
    expect(await lock.releaseIfHeldBy('production', 'run-2')).toBe(false);
    expect(gh.refs.has(REF)).toBe(true);
    expect(await lock.releaseIfHeldBy('production', 'run-1')).toBe(true);
    expect(gh.refs.has(REF)).toBe(false);
    expect(await lock.releaseIfHeldBy('production', 'run-1')).toBe(false);
  });

  it('an abandoned session is ended by request id: lock freed, deployment failed', async () => {
    gh = await fakeGitHub();
    const session = await started(
      options(gh, { deployment: { ref: 'main', description: 'd', payload: {}, production: true } }),
    );
    const { lines, log } = recorder();
    const end = await endAbandonedSession({
      github: getOctokit('t', { baseUrl: gh.url }),
      repo,
      environment: 'production',
      request: 'run-1',
      deploymentId: session.deploymentId,
      outcome: { state: 'failure', description: 'the promotion was cancelled' },
      log,
    });
    expect(end).toEqual({ lockReleased: true, deploymentClosed: true, problems: [] });
    expect(lines.map((l) => l.m)).toContain('released the lock on "production"');
    expect(gh.refs.size).toBe(0);
    expect(gh.deployments[0]!.statuses.at(-1)).toMatchObject({
      state: 'failure',
      description: 'the promotion was cancelled',
    });
  });
});

describe('the heartbeat setting', () => {
  it('defaults to 60000 and refuses what is not a whole number of milliseconds above the floor', () => {
    expect(parseHeartbeatMs(undefined, 'API7_SYNC_HEARTBEAT_MS', 1000)).toBe(60_000);
    expect(parseHeartbeatMs(' ', 'API7_SYNC_HEARTBEAT_MS', 1000)).toBe(60_000);
    expect(parseHeartbeatMs('1500', 'API7_SYNC_HEARTBEAT_MS', 1000)).toBe(1500);
    for (const bad of ['abc', '1e', '999', '0', '-5', '12.5', 'NaN'])
      expect(() => parseHeartbeatMs(bad, 'API7_SYNC_HEARTBEAT_MS', 1000), bad).toThrow(
        /^API7_SYNC_HEARTBEAT_MS takes whole milliseconds, at least 1000/,
      );
  });
});
