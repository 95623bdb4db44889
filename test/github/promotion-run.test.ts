/**
 * The one promotion run (github/promotion.ts) on the GitHub stand-in and the sandbox: sessions
 * are claimed in the engine's lock order and given back when a later lock is held; a run whose
 * lock is held elsewhere writes nothing and says by whom, in every target.
 */
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, lockOrder, parseConfig } from '../../engine/index.js';
import { claimSessions, runPromotion, type SessionFactory } from '../../github/promotion.js';
import { startSession } from '../../github/session.js';
import type { Sandbox } from '../../sandbox/server.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { sandbox, writes } from '../helpers/sandbox.js';

let gh: FakeGitHub | undefined;
let sb: Sandbox | undefined;
afterEach(async () => {
  await gh?.close();
  await sb?.close();
  gh = sb = undefined;
});

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function sessions(g: FakeGitHub, holder: string): SessionFactory {
  const github = getOctokit('ghs_run-token', { baseUrl: g.url });
  return (environment) =>
    startSession({
      github,
      repo: { owner: 'acme', repo: 'shop' },
      environment,
      lock: { holder, reason: `promote to ${environment}`, request: holder },
      heartbeatMs: 60_000,
      log: quiet,
    });
}

const created = (g: FakeGitHub) =>
  g.refEvents
    .filter((e) => e.event === 'created')
    .map((e) => e.ref.replace('refs/heads/api7-sync-lock/', ''));

describe('the sessions of a promotion run', () => {
  it('are claimed in lock order; when a later lock is held, the ones taken are given back', async () => {
    gh = await fakeGitHub();
    // Someone else holds "us": the third lock in the order.
    const theirs = await claimSessions(['us'], sessions(gh, 'another run'));
    expect(theirs.ok).toBe(true);
    const ours = await claimSessions(lockOrder([['us'], ['eu', 'ap']]), sessions(gh, 'this run'));
    expect(ours).toMatchObject({
      ok: false,
      environment: 'us',
      message: expect.stringMatching(/^the lock on environment "us" is held by another run since /),
    });
    expect(created(gh)).toEqual(['us', 'ap', 'eu']);
    // ap and eu were given back; only the other run's lock remains.
    expect([...gh.refs.keys()]).toEqual(['refs/heads/api7-sync-lock/us']);
  });

  it('a run whose lock is held writes nothing and says so for every target', async () => {
    gh = await fakeGitHub();
    sb = await sandbox(regionsSeed());
    const config = parseConfig(regionsConfigText(sb, '{host: httpbin, port: 80}'), 'api7-sync.yml', {
      env: {},
    });
    await claimSessions(['eu'], sessions(gh, 'another run'));
    const engine = createEngine({ config, token: sb.token });
    try {
      const run = await runPromotion({
        to: '@production',
        engine,
        config,
        request: { from: 'test' },
        apply: {},
        sessions: sessions(gh, 'this run'),
      });
      expect(run.single).toBe(false);
      expect(run.lockHeld).toMatch(/^the lock on environment "eu" is held by another run/);
      expect(run.result.ok).toBe(false);
      expect(
        run.result.targets.map((t) => [t.to.environment, t.services[0]!.action, t.services[0]!.reason]),
      ).toEqual([
        ['eu', 'refused', 'lock-held'],
        ['us', 'refused', 'lock-held'],
        ['ap', 'refused', 'lock-held'],
      ]);
      expect(await writes(sb)).toEqual([]);
      expect([...gh.refs.keys()]).toEqual(['refs/heads/api7-sync-lock/eu']);
    } finally {
      await engine.close();
    }
  });
});
