/**
 * The Action's one error funnel, as a workflow sees it: every failure fails the step with a
 * message a person can act on, and sets `error-code` for a later step to branch on; the post step
 * is funnelled too. The committed bundle runs as GitHub runs it.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, runActionStep, type StepRun } from '../helpers/action.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { deadPort, PROD, sandbox, serviceIn, TEST, walkthroughSeed } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
afterEach(async () => {
  await sb?.close();
  await gh?.close();
  sb = gh = undefined;
});

function workspace(controlPlane: string, text?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'action-err-'));
  mkdirSync(path.join(dir, '.github'));
  writeFileSync(
    path.join(dir, '.github', 'api7-sync.yml'),
    text ??
      `controlPlane:
  url: ${controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
  production:
    gatewayGroup: ${PROD}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      production:
        upstream: {nodes: [{host: httpbin, port: 80}]}
`,
  );
  return dir;
}

const NO_GITHUB = { lock: 'false', 'record-deployment': 'false' };

/** A failed step: exit 1, the message as an error, no stack trace, and the code in the output. */
function expectFailure(run: StepRun, code: string, message: RegExp): void {
  expect(run.code, run.log).toBe(1);
  expect(run.outputs['error-code']).toBe(code);
  expect(run.log).toMatch(message);
  expect(run.log).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(run.log).not.toMatch(/undefined|\[object Object\]/);
}

describe('the error-code output', () => {
  it('is the reason of a refused promotion', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    const run = await runActionStep(undefined, workspace(sb.controlPlane), {
      from: 'test',
      to: 'production',
      version: '0.9.0',
      ...NO_GITHUB,
    });
    expectFailure(
      run,
      'not-current-version',
      /::error::promotion test → production did not succeed: "httpbin API" refused \(not-current-version\)/,
    );
    expect(await serviceIn(sb, PROD, 'httpbin API')).toBeUndefined();
  });

  it('is "config" for a config problem, reported at file:line:col', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    const ws = workspace(sb.controlPlane, `controlPlane:\n  url: ${sb.controlPlane}\n  colour: blue\n`);
    const run = await runActionStep(undefined, ws, { from: 'test', to: 'production', ...NO_GITHUB });
    expectFailure(
      run,
      'config',
      /::error title=api7-sync config,file=.*api7-sync\.yml,line=3,col=3::unknown key "colour"/,
    );
  });

  it('is "usage" for an input that cannot be right', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    const run = await runActionStep(undefined, workspace(sb.controlPlane), {
      from: 'test',
      to: 'production',
      ...NO_GITHUB,
      'dry-run': 'perhaps',
    });
    expectFailure(run, 'usage', /::error::input dry-run must be true or false, not "perhaps"/);
  });

  it('is "lock-held" while another run holds the environment', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    gh = await fakeGitHub();
    const since = new Date(Date.now() - 60_000).toISOString();
    const until = new Date(Date.now() + 600_000).toISOString();
    gh.commits.set('c0ffee'.padEnd(40, '0'), {
      message: `api7-sync lock: production\n\n${JSON.stringify({ holder: 'acme/shop run 7 (by bob)', reason: 'r', since, until })}\n`,
      parents: [],
      tree: 't',
    });
    gh.refs.set('refs/heads/api7-sync-lock/production', 'c0ffee'.padEnd(40, '0'));
    const run = await runActionStep(gh.url, workspace(sb.controlPlane), { from: 'test', to: 'production' });
    expectFailure(
      run,
      'lock-held',
      /::error::the lock on environment "production" is held by acme\/shop run 7/,
    );
  });

  it('is "unreachable" when the control plane does not answer', async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    const run = await runActionStep(undefined, workspace(url), {
      from: 'test',
      to: 'production',
      ...NO_GITHUB,
    });
    expectFailure(run, 'unreachable', /::error::.*127\.0\.0\.1/);
  });
});

describe('the post step', () => {
  it('fails with a clear message and error-code when what the main step saved cannot be read', async () => {
    gh = await fakeGitHub();
    gh.refs.set('refs/heads/api7-sync-lock/eu', 'a'.repeat(40));
    const run = await runActionStep(
      gh.url,
      mkdtempSync(path.join(tmpdir(), 'action-post-')),
      {},
      {
        STATE_isPost: 'true',
        STATE_lockRequest: 'acme/shop run 4242 attempt 1',
        STATE_fanoutSessions: '[{"env',
      },
    );
    expectFailure(
      run,
      'internal',
      /::error::api7-sync post step: the promotion sessions the main step saved for this step cannot be read, so no lock was released/,
    );
    expect(run.log).not.toMatch(/SyntaxError|JSON/);
    // Nothing was guessed: the lock is left to expire, as the message says.
    expect([...gh.refs.keys()]).toEqual(['refs/heads/api7-sync-lock/eu']);
  });

  it('does nothing and sets no error-code after a main step that finished', async () => {
    gh = await fakeGitHub();
    const run = await runActionStep(
      gh.url,
      mkdtempSync(path.join(tmpdir(), 'action-post-')),
      {},
      { STATE_isPost: 'true', STATE_finished: 'true', STATE_fanoutSessions: 'not read' },
    );
    expect(run.code, run.log).toBe(0);
    expect(run.outputs['error-code']).toBeUndefined();
    expect(gh.requests).toEqual([]);
  });
});
