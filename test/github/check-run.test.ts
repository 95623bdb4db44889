import { getOctokit } from '@actions/github';
import { ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import type { GitHubClient } from '../../github/api.js';
import {
  CheckRun,
  checkRunName,
  conclusionFor,
  createCheckRun,
  findCheckRun,
  resumeCheckRun,
  type CheckRunContext,
} from '../../github/check-run.js';
import type { Sandbox } from '../../sandbox/server.js';
import { configFor, engineFor, QUICK } from '../helpers/engine.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { syncResult } from '../helpers/results.js';
import { sandbox, withProductionAt090 } from '../helpers/sandbox.js';

const HEAD = 'c0ffee'.padEnd(40, '0');
const repo = { owner: 'acme', repo: 'shop' };

let gh: FakeGitHub;
let sb: Sandbox | undefined;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await sb?.close();
  sb = undefined;
  await gh?.close();
});

/** The two Octokits the doors hold: the Action's (undici) and the App's (Probot, global fetch). */
const OCTOKITS: [string, (url: string) => GitHubClient][] = [
  ['the Action', (url) => getOctokit('ghs_action-token', { baseUrl: url })],
  [
    'the App',
    (url) =>
      new ProbotOctokit({
        auth: { token: 'ghs_installation-token' },
        baseUrl: url,
        retry: { enabled: false },
        throttle: { enabled: false },
      }),
  ],
];

function logger() {
  const lines: string[] = [];
  return {
    lines,
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
  };
}

function context(
  github: GitHubClient,
  log = logger(),
  extra: Partial<CheckRunContext> = {},
): CheckRunContext {
  return { github, repo, headSha: HEAD, environment: 'production', logger: log, ...extra };
}

describe.each(OCTOKITS)('the check run, through the Octokit of %s', (_door, octokit) => {
  it('is queued with the plan, goes in progress, and completes with success and the result table', async () => {
    gh = await fakeGitHub();
    sb = await sandbox(withProductionAt090());
    engine = engineFor(
      sb,
      configFor(
        sb,
        `  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [{host: httpbin, port: 80}]
    verify:
      - {path: /headers}
`,
      ),
    );
    const plan = await engine.plan({ from: 'test', to: 'production' });
    const planned = await engine.apply(plan, { dryRun: true });
    const log = logger();
    const run = await createCheckRun(
      context(octokit(gh.url), log, { externalId: '1042', detailsUrl: 'https://example.test/c/1042' }),
      planned,
    );

    expect(gh.checkRuns).toHaveLength(1);
    const [created] = gh.checkRuns[0]!.history;
    expect(created).toMatchObject({
      name: 'api7-sync / production',
      head_sha: HEAD,
      status: 'queued',
      external_id: '1042',
      details_url: 'https://example.test/c/1042',
      output: { title: 'Waiting: 1 to sync' },
    });
    expect(created.output.summary).toContain('| Service | Plan | Version | Runtime | Drift |');
    expect(created.output.summary).toMatch(
      /\| httpbin API \| 📝 will sync \| 0\.9\.0 → 1\.0\.0 \| nodes httpbin:80 \|/,
    );

    expect(await run.inProgress()).toBe(true);
    expect(gh.checkRuns[0]!.run.status).toBe('in_progress');

    const result = await engine.apply(plan, QUICK);
    expect(result.ok).toBe(true);
    expect(await run.complete(result)).toBe(true);

    // One check run for the request, updated in place, through its whole life.
    expect(gh.checkRuns).toHaveLength(1);
    expect(gh.checkRuns[0]!.history.map((h) => h.status)).toEqual(['queued', 'in_progress', 'completed']);
    const done = gh.checkRuns[0]!.run;
    expect(done).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(done.output.title).toBe('Done: 1 synced');
    expect(done.output.summary).toContain('### Promotion: test → production');
    expect(done.output.summary).toMatch(
      /\| httpbin API \| ✅ synced \| 0\.9\.0 → 1\.0\.0 \| .* \| ✔ \/headers 200 \|/,
    );
    expect(log.lines).toEqual([]);
    expect(gh.requests.filter((r) => r.path.includes('check-runs')).map((r) => r.method)).toEqual([
      'POST',
      'PATCH',
      'PATCH',
    ]);
  });
});

describe('the check run conclusion', () => {
  it.each([
    [
      'every service synced',
      'success',
      [{ action: 'synced' }, { name: 'b', action: 'synced' }],
      'Done: 2 synced',
    ],
    ['synced and unchanged', 'success', [{ action: 'synced' }, { name: 'b', action: 'unchanged' }], 'Done'],
    ['a dry run', 'success', [{ action: 'planned' }], 'Done: 1 planned'],
    ['a failure', 'failure', [{ action: 'failed', reason: 'verify-failed' }], 'Failed: 1 failed'],
    ['a rollback', 'failure', [{ action: 'rolled-back', reason: 'verify-failed' }], 'Failed: 1 rolled-back'],
    [
      'a rollback beside a refusal',
      'failure',
      [
        { action: 'rolled-back', reason: 'verify-failed' },
        { name: 'b', action: 'refused' },
      ],
      'Failed',
    ],
    ['a refusal at plan', 'neutral', [{ action: 'refused', reason: 'promote-from' }], 'Not done: 1 refused'],
  ] as const)('for %s is %s', async (_case, conclusion, services, title) => {
    gh = await fakeGitHub();
    const result = syncResult([...services]);
    expect(conclusionFor(result)).toBe(conclusion);
    // A request refused or run at once has no queued run to update: completing creates it.
    const run = new CheckRun(context(getOctokit('t', { baseUrl: gh.url })));
    expect(await run.complete(result)).toBe(true);
    expect(gh.checkRuns[0]!.run).toMatchObject({ status: 'completed', conclusion });
    expect(gh.checkRuns[0]!.run.output.title).toContain(title);
  });

  it.each(['denied', 'cancelled', 'refused'] as const)(
    'is neutral when the request is %s, keeping the plan and saying why',
    async (why) => {
      gh = await fakeGitHub();
      const github = getOctokit('t', { baseUrl: gh.url });
      const plan = syncResult([{ action: 'planned' }], { dryRun: true });
      const run = await createCheckRun(context(github), plan);
      expect(await run.end(why, `by dave: not during the freeze @here`, plan)).toBe(true);
      const final = gh.checkRuns[0]!.run;
      expect(final).toMatchObject({ status: 'completed', conclusion: 'neutral' });
      expect(final.output.title).toBe(why[0]!.toUpperCase() + why.slice(1));
      expect(final.output.summary).toMatch(
        new RegExp(`^\\*\\*${why[0]!.toUpperCase()}${why.slice(1)}\\*\\*: by dave`),
      );
      expect(final.output.summary).toContain('@\u200bhere');
      expect(final.output.summary).toContain('| httpbin API | 📝 will sync |');
      expect(gh.checkRuns[0]!.history.map((h) => h.status)).toEqual(['queued', 'completed']);
    },
  );
});

describe('the plan table', () => {
  it('shows drift and route changes when the entries carry them', async () => {
    gh = await fakeGitHub();
    const plan = syncResult(
      [
        {
          action: 'planned',
          drift: [{ key: 'upstream', target: 'nodes old:80', config: 'nodes new:80' }],
          routes: {
            added: ['status'],
            removed: [{ name: 'ip' }],
            changed: [{ name: 'headers', fields: ['paths', 'methods'] }],
          },
        },
        { name: 'orders', action: 'unchanged', previousVersion: '2.0.0', version: '2.0.0' },
      ],
      { dryRun: true },
    );
    await createCheckRun(context(getOctokit('t', { baseUrl: gh.url })), plan);
    const summary: string = gh.checkRuns[0]!.run.output.summary;
    expect(summary).toContain('| Service | Plan | Version | Runtime | Drift | Route changes |');
    expect(summary).toContain(
      '| httpbin API | 📝 will sync | 0.9.0 → 1.0.0 | nodes httpbin:80 | upstream: target nodes old:80, config nodes new:80 | added status<br>removed ip<br>changed headers (paths, methods) |',
    );
    expect(summary).toContain('| orders | ➖ unchanged | 2.0.0 | nodes httpbin:80 | — | — |');
  });

  it('leaves the route column out when no entry knows its routes', async () => {
    gh = await fakeGitHub();
    await createCheckRun(context(getOctokit('t', { baseUrl: gh.url })), syncResult([{ action: 'planned' }]));
    expect(gh.checkRuns[0]!.run.output.summary).not.toContain('Route changes');
  });

  it('keeps text from API7 and comments inert: one row per service, no markup, HTML, mention or link', async () => {
    gh = await fakeGitHub();
    const hostile =
      'a|b\\|c `x` **bold** @alice #12 <img src=x onerror=alert(1)> https://evil.test \u202eevil\nrow';
    const plan = syncResult([{ action: 'planned', name: hostile, version: '1.0|0', runtime: null }], {
      dryRun: true,
    });
    await createCheckRun(context(getOctokit('t', { baseUrl: gh.url })), plan);
    const summary: string = gh.checkRuns[0]!.run.output.summary;
    const row = summary.split('\n').find((l) => l.startsWith('| a'))!;
    // Cell separators are pipes not preceded by an odd run of backslashes.
    const separators = row.match(/(?<!\\)(?:\\\\)*\|/g) ?? [];
    expect(separators).toHaveLength(6);
    expect(row).not.toMatch(/(?<!\\)<|(?<!\\)`|(?<!\\)\*\*|@alice|#12|https:\/\/|\u202e|\n/);
    expect(row).toContain('\\<img src=x onerror=alert\\(1\\)\\>');
    expect(row).toContain('@\u200balice');
    expect(row).toContain('\\\\u202eevil row');
    expect(row).toContain('1.0\\|0');
  });
});

describe('the result table of a rollback', () => {
  it('names the one environment instead of a promotion from it to itself', async () => {
    gh = await fakeGitHub();
    const rollback = syncResult([{ action: 'synced', version: '0.9.0', previousVersion: '1.0.0' }], {
      from: { environment: 'production', gatewayGroup: '生产网关组' },
      to: { environment: 'production', gatewayGroup: '生产网关组' },
    });
    await new CheckRun(context(getOctokit('t', { baseUrl: gh.url }))).complete(rollback);
    const summary: string = gh.checkRuns[0]!.run.output.summary;
    expect(summary).toMatch(/^### Promotion: rollback in production$/m);
    expect(summary).toContain('| httpbin API | ✅ synced | 1.0.0 → 0.9.0 |');
  });
});

describe('a check run that GitHub will not take', () => {
  it('logs the failure, returns false, and is created by the next update instead', async () => {
    gh = await fakeGitHub();
    gh.failNext('POST', /\/check-runs$/, 500);
    const log = logger();
    const run = await createCheckRun(
      context(getOctokit('t', { baseUrl: gh.url }), log),
      syncResult([{ action: 'planned' }]),
    );
    expect(run.id).toBeUndefined();
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(
      /^warn could not queue the check run "api7-sync \/ production" on c0ffee000000: .*; the promotion is not affected$/,
    );
    expect(await run.inProgress()).toBe(true);
    expect(gh.checkRuns).toHaveLength(1);
    expect(gh.checkRuns[0]!.run).toMatchObject({ status: 'in_progress', name: 'api7-sync / production' });
  });

  it('never throws from an update that fails; the failure is in the log', async () => {
    gh = await fakeGitHub();
    const log = logger();
    const run = resumeCheckRun(context(getOctokit('t', { baseUrl: gh.url }), log), 777);
    expect(await run.complete(syncResult([{ action: 'synced' }]))).toBe(false);
    expect(log.lines[0]).toMatch(/^warn could not complete the check run "api7-sync \/ production"/);
  });
});

describe('finding a request’s check run again', () => {
  it('matches the external ID on the head SHA, and says when GitHub cannot be asked', async () => {
    gh = await fakeGitHub();
    const github = getOctokit('t', { baseUrl: gh.url });
    await createCheckRun(
      context(github, logger(), { externalId: '1001' }),
      syncResult([{ action: 'planned' }]),
    );
    const mine = await createCheckRun(
      context(github, logger(), { externalId: '1002' }),
      syncResult([{ action: 'planned' }]),
    );
    const found = await findCheckRun(context(github, logger(), { externalId: '1002' }));
    expect(found?.id).toBe(mine.id);
    expect(found?.name).toBe(checkRunName('production'));
    expect(await findCheckRun(context(github, logger(), { externalId: '9999' }))).toBeUndefined();
    const log = logger();
    gh.failNext('GET', /check-runs$/, 502);
    expect(await findCheckRun(context(github, log, { externalId: '1002' }))).toBeUndefined();
    expect(log.lines[0]).toMatch(/^warn could not look for the check run "api7-sync \/ production"/);
  });
});
