/**
 * The Action's door onto the one promotion run, with locks and deployments on the GitHub stand-in:
 * a fan-out (`to: "@production"`) whose renewals GitHub refuses with a secondary rate limit that
 * asks to wait past the lease. The run stops before its next API7 write, undoes the region it was
 * verifying, leaves the later regions untouched, and the outputs, the deployments and the post
 * step's state say what happened.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Inputs } from '../../action/io.js';
import { parseConfig } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { regionsConfigText, regionsSeed } from '../helpers/regions.js';
import { gatedUpstream, groupId, sandbox, serviceIn, writes } from '../helpers/sandbox.js';
import { until } from '../helpers/bot-process.js';

const SECONDARY = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
const VARIABLES = [
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_REPOSITORY',
  'GITHUB_API_URL',
  'GITHUB_SHA',
  'GITHUB_RUN_ID',
] as const;
const saved = Object.fromEntries(VARIABLES.map((v) => [v, process.env[v]]));

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
  for (const v of VARIABLES) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

/** A file the runner would give the step, and what was written to it. */
function runnerFile(name: string): () => string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), `action-${name}-`)), name);
  writeFileSync(file, '');
  process.env[`GITHUB_${name.toUpperCase()}`] = file;
  return () => readFileSync(file, 'utf8');
}

/** `name<<DELIMITER\nvalue\nDELIMITER` entries of a runner file. */
function entry(text: string, name: string): string | undefined {
  return [...text.matchAll(/^(\w+)<<(.+)\n([\s\S]*?)\n\2$/gm)].findLast((m) => m[1] === name)?.[3];
}

describe('the Action, promoting to several regions, when its lock lease cannot be confirmed', () => {
  it('stops before its next write, undoes the region it was verifying, and says so', async () => {
    sb = await sandbox(regionsSeed());
    gh = await fakeGitHub();
    process.env.GITHUB_REPOSITORY = 'acme/shop';
    process.env.GITHUB_API_URL = gh.url;
    process.env.GITHUB_SHA = 'a'.repeat(40);
    process.env.GITHUB_RUN_ID = '42';
    // @actions/github reads its context when it loads: the Action is loaded once it is set.
    const { promote } = await import('../../action/promote.js');
    const outputs = runnerFile('output');
    const state = runnerFile('state');
    let answer = false;
    const upstream = await gatedUpstream(() => answer);
    cleanups.push(() => ((answer = true), upstream.close()));
    const text = regionsConfigText(sb, '{host: httpbin, port: 80}').replace(
      /( {6}eu:\n {8}upstream:\n {10}nodes: )\[[^\]]*\]/,
      `$1[{host: 127.0.0.1, port: ${upstream.port}}]`,
    );
    const config = parseConfig(text, '.github/api7-sync.yml', { env: {} });
    const inputs: Inputs = {
      from: 'test',
      to: '@production',
      services: [],
      config: '.github/api7-sync.yml',
      token: sb.token,
      githubToken: 'ghs_action-lease',
      dryRun: false,
      verify: true,
      verifyTimeoutMs: 60_000,
      rollbackOnFailure: true,
      lock: true,
      lockWaitSeconds: 0,
      recordDeployment: true,
      heartbeatMs: 2_000,
      force: false,
      routeDiff: true,
      atomic: false,
    };
    let done = false;
    const running = promote(inputs, config).finally(() => (done = true));
    await until(() => upstream.held() > 0 || done, 'the first probe of eu');
    // From now on GitHub refuses every renewal of eu's lock and asks to wait an hour.
    for (let i = 0; i < 30; i++)
      gh.failNext('PATCH', /\/git\/refs\/heads\/api7-sync-lock\/eu$/, 403, SECONDARY, {
        'retry-after': '3600',
      });
    const run = await running;

    expect([...run.lostLocks.keys()]).toEqual(['eu']);
    expect(run.lostLocks.get('eu')).toMatch(/^the lease on the lock on "eu" could not be confirmed by /);
    const result = JSON.parse(entry(outputs(), 'result')!);
    expect(result.targets.map((t: any) => [t.to.environment, t.services[0].action])).toEqual([
      ['eu', 'interrupted'],
      ['us', 'interrupted'],
      ['ap', 'interrupted'],
    ]);
    expect(entry(outputs(), 'changed')).toBe('false');
    for (const region of ['eu', 'us', 'ap'])
      expect((await serviceIn(sb, region, 'httpbin API')).version, region).toBe('0.9.0');
    const later = [await groupId(sb, 'us'), await groupId(sb, 'ap')];
    expect((await writes(sb)).filter((w) => later.some((id) => JSON.stringify(w).includes(id)))).toEqual([]);
    // One deployment per region, each ended with its own outcome; every lock given back.
    const ended = gh.deployments.map((d) => [
      d.body.environment,
      d.statuses.at(-1).state,
      d.statuses.at(-1).description,
    ]);
    // Recorded in the order of the targets, once all were planned under the locks.
    expect(ended).toEqual([
      [
        'eu',
        'failure',
        expect.stringMatching(/^stopped: the lease on the lock on "eu" could not be confirmed/),
      ],
      ['us', 'failure', '1 interrupted'],
      ['ap', 'failure', '1 interrupted'],
    ]);
    expect(gh.refs.size).toBe(0);
    // The post step would find every session with its deployment.
    expect(JSON.parse(entry(state(), 'fanoutSessions')!)).toEqual([
      { environment: 'ap', deploymentId: ended.findIndex(([e]) => e === 'ap') + 1 },
      { environment: 'eu', deploymentId: ended.findIndex(([e]) => e === 'eu') + 1 },
      { environment: 'us', deploymentId: ended.findIndex(([e]) => e === 'us') + 1 },
    ]);
  });
});
