/**
 * A lock is never lost silently: rate-limited renewals are waited out within the lease, and a
 * lease that cannot be confirmed in time tells the promotion to stop (the session's signal).
 * Over HTTP against the GitHub stand-in, with the real clock and no fixed sleeps.
 */
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../engine/errors.js';
import { startSession, type PromotionSession, type SessionOptions } from '../../github/session.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { until as waitUntil } from '../helpers/until.js';

/** Polled every 5 ms: the heartbeats these tests count come every few milliseconds. */
const until = (check: () => boolean, what: string) => waitUntil(check, what, 20_000, 5);

let gh: FakeGitHub | undefined;
const sessions: PromotionSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.end({ state: 'inactive', description: 'test over' });
  await gh?.close();
  gh = undefined;
});

const REF = 'refs/heads/api7-sync-lock/production';
const LOCK_REF = /\/git\/refs\/heads\/api7-sync-lock\/production$/;
const SECONDARY = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';

function recorder() {
  const lines: { level: string; m: string }[] = [];
  const at = (level: string) => (m: string) => void lines.push({ level, m });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

async function started(g: FakeGitHub, extra: Partial<SessionOptions>): Promise<PromotionSession> {
  const start = await startSession({
    // A bare Octokit: the session's own waiting is under test, not the throttling plugin's.
    github: getOctokit('ghs_session-token', { baseUrl: g.url }),
    repo: { owner: 'acme', repo: 'shop' },
    environment: 'production',
    lock: { holder: 'acme/shop run 1', reason: 'promote test → production', request: 'run-1' },
    heartbeatMs: 60_000,
    log: recorder().log,
    ...extra,
  });
  if (!start.started) throw new Error('the session did not start');
  sessions.push(start.session);
  return start.session;
}

const moved = (g: FakeGitHub) => g.refEvents.filter((e) => e.ref === REF && e.event === 'moved').length;
const count = (g: FakeGitHub, method: string, path: RegExp) =>
  g.requests.filter((r) => r.method === method && path.test(r.path)).length;

describe('a lock lease', () => {
  it('waits out a secondary rate limit on a renewal and sends the same commit again: the lease holds', async () => {
    gh = await fakeGitHub();
    const { lines, log } = recorder();
    // Lease 12 s, deadline 10 s: a renewal at 4 s told to wait 1 s lands in time, even on a busy machine.
    gh.failNext('PATCH', LOCK_REF, 403, SECONDARY, { 'retry-after': '1' });
    const session = await started(gh, { heartbeatMs: 4_000, log });
    const claimedUntil = Date.parse(lines.find((l) => l.level === 'info')!.m.match(/until (\S+),/)![1]!);
    await until(() => moved(gh!) >= 1, 'the renewal after the rate limit');

    expect(lines.filter((l) => l.level === 'warn').map((l) => l.m)).toEqual([
      expect.stringMatching(
        /^GitHub's rate limit refused renewing the lock on "production": sending it again in 1 s as GitHub asks, within its lease \(held until \S+\)$/,
      ),
    ]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(session.signal.aborted).toBe(false);
    // One renewal commit, sent twice: waiting costs no extra content-creating write.
    expect(count(gh, 'POST', /\/git\/commits$/)).toBe(2); // the claim's and the renewal's
    expect(count(gh, 'POST', /\/git\/trees$/)).toBe(0); // lock commits are on git's empty tree
    expect(count(gh, 'PATCH', LOCK_REF)).toBe(2);
    const head = gh.commits.get(gh.refs.get(REF)!)!;
    expect(Date.parse(JSON.parse(head.message.slice(head.message.indexOf('{'))).until)).toBeGreaterThan(
      claimedUntil,
    );
    expect((await session.end({ state: 'success', description: 'ok' })).lockReleased).toBe(true);
    expect(gh.refs.size).toBe(0);
  });

  it('tells the promotion to stop, saying why, when the lease cannot be confirmed before it runs out', async () => {
    gh = await fakeGitHub();
    const { lines, log } = recorder();
    // Every renewal is refused for longer than the lease: it cannot be confirmed in time.
    for (let i = 0; i < 200; i++)
      gh.failNext('PATCH', LOCK_REF, 429, 'API rate limit exceeded', { 'retry-after': '60' });
    // Lease 3 s, deadline 2.5 s: each beat is told to wait a minute, past the lease.
    const session = await started(gh, { heartbeatMs: 1_000, log });
    const aborted = new Promise<unknown>((resolve) =>
      session.signal.addEventListener('abort', () => resolve(session.signal.reason), { once: true }),
    );
    const reason = await aborted;

    expect(reason).toBeInstanceOf(SyncError);
    expect(reason).toMatchObject({
      code: 'lock-backend',
      message: expect.stringMatching(
        /^the lease on the lock on "production" could not be confirmed by \S+ \(it runs out at \S+, when another run may take the lock\): the promotion is told to stop before its next API7 write and undo what it wrote$/,
      ),
    });
    expect(lines.filter((l) => l.level === 'error').map((l) => l.m)).toEqual([(reason as Error).message]);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.m)).toContainEqual(
      expect.stringMatching(/GitHub asks to wait past its lease, so it is tried again at the next heartbeat/),
    );
    // Told before the lease ran out, so the promotion can stop while others are still kept out.
    const until_ = Date.parse(JSON.parse(gh.commits.get(gh.refs.get(REF)!)!.message.split('\n\n')[1]!).until);
    expect(Date.now()).toBeLessThan(until_);
    // Nobody took the lock: the session still gives it back at the end.
    expect((await session.end({ state: 'failure', description: 'stopped' })).lockReleased).toBe(true);
    expect(gh.refs.size).toBe(0);
  });

  it('tells the promotion to stop when another run took the lock over', async () => {
    gh = await fakeGitHub();
    const { log } = recorder();
    const session = await started(gh, { heartbeatMs: 1_000, log });
    const other = 'e'.repeat(40);
    gh.commits.set(other, {
      message: `api7-sync lock: production\n\n${JSON.stringify({ holder: 'acme/shop run 2', reason: 'r', since: 's', until: '2999-01-01T00:00:00.000Z' })}`,
      parents: [],
      tree: 't',
    });
    gh.refs.set(REF, other);
    await new Promise((r) => session.signal.addEventListener('abort', r, { once: true }));
    expect(session.signal.reason).toMatchObject({
      code: 'lock-backend',
      message: expect.stringMatching(
        /^the lock on "production" is no longer this job's: it is held by acme\/shop run 2/,
      ),
    });
  });

  it('is never aborted for a session that holds no lock', async () => {
    gh = await fakeGitHub();
    const session = await started(gh, { lock: false, heartbeatMs: 60_000 });
    expect(session.signal.aborted).toBe(false);
    expect(gh.refs.size).toBe(0);
  });
});
