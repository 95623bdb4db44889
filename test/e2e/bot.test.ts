/**
 * `api7-sync bot` as its own process: signed webhooks over HTTP, GitHub played by a local
 * server (GitHub Enterprise Server style, GHE_HOST), API7 by the sandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, commentPayload, openPullRequest, PRIVATE_KEY } from '../helpers/bot.js';
import { deliverTo, startBotProcess, until } from '../helpers/bot-process.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { api, PROD, sandbox, serviceIn, walkthroughSeed, writes } from '../helpers/sandbox.js';
import { clockEnv } from '../helpers/clock.js';

const BIN = path.resolve('bin/api7-sync.js');

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('close', r));
    child.kill('SIGTERM');
    await exited;
  }
  await sb?.close();
  await gh?.close();
  sb = gh = child = undefined;
});

function seedGitHub(g: FakeGitHub, s: Sandbox) {
  g.files.set('main:.github/api7-sync.yml', botConfig(s));
  g.permissions.set('alice', 'write');
  openPullRequest(g, 'alice');
}

describe('npx api7-sync bot', () => {
  it('acknowledges a signed webhook before the slow sync behind it, which then completes; a bad signature changes nothing', async () => {
    sb = await sandbox(walkthroughSeed());
    gh = await fakeGitHub();
    seedGitHub(gh, sb);
    const bot = await startBotProcess(sb, gh);
    child = bot.child;

    const forged = gh.addComment(7, 'alice', '/sync production');
    const rejected = await deliverTo(
      bot.url,
      'issue_comment',
      commentPayload(forged),
      undefined,
      'not-the-secret',
    );
    expect(rejected).toBeGreaterThanOrEqual(400);
    // Nothing ran for it, proven by what would have come after it: a signed command for the same
    // environment (the same queue lane), delivered next, is answered; had the forged comment been
    // taken, it would have been handled first.
    const probe = gh.addComment(7, 'alice', '/sync production --dry-run');
    expect(await deliverTo(bot.url, 'issue_comment', commentPayload(probe))).toBe(200);
    await until(
      () =>
        gh!.comments.some((c) => c.body.includes(`request ${probe.id} by`) && /\*\*done\*\*/.test(c.body)),
      'the signed dry run to be answered',
    );
    expect(gh.requests.filter((r) => r.path.includes(String(forged.id)))).toEqual([]);
    expect(gh.reactions.filter((r) => r.comment === forged.id)).toEqual([]);
    expect(gh.comments.filter((c) => c.body.includes(`request ${forged.id} by`))).toEqual([]);
    expect(await writes(sb)).toEqual([]);

    // Every control-plane request now takes 1.5 s: the sync behind the webhook takes many seconds.
    await api(sb, 'PUT', '/sandbox/faults', { latencyMs: 1500 }, null);
    const comment = gh.addComment(7, 'alice', '/sync production');
    expect(await deliverTo(bot.url, 'issue_comment', commentPayload(comment))).toBe(200);
    // Acknowledged before the job got anywhere: nothing published, no status comment yet.
    expect(await writes(sb)).toEqual([]);
    expect(gh.comments.filter((c) => c.body.includes(`request ${comment.id} by`))).toEqual([]);

    await until(
      () =>
        gh!.comments.some(
          (c) => c.body.includes(`request ${comment.id} by`) && /\*\*done\*\*/.test(c.body),
        ) &&
        gh!.deployments[0]?.statuses.at(-1)?.state === 'success' &&
        gh!.refs.size === 0,
      'the status comment to say done, then the deployment to say so and the lock to be released',
    );
    await api(sb, 'DELETE', '/sandbox/faults', undefined, null);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    // 👀 took the command; the status comment says how it ended, no second reaction.
    expect(gh.reactions.filter((r) => r.comment === comment.id).map((r) => r.content)).toEqual(['eyes']);
    // Heartbeats while it ran (as many as beats passed), then the result.
    const states = gh.deployments[0]!.statuses.map((s) => s.state);
    expect(states.at(-1)).toBe('success');
    expect(states.slice(0, -1).every((s) => s === 'in_progress')).toBe(true);
    expect(bot.output()).not.toContain(sb.token);
  });

  it('refuses to start without WEBHOOK_SECRET or API7_CONTROL_PLANES', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, 'bot'], {
          env: {
            PATH: process.env.PATH ?? '',
            ...clockEnv(),
            APP_ID: '1',
            PRIVATE_KEY,
            API7_TOKEN: 'a7ee-x',
            ...env,
          },
        });
        let stderr = '';
        c.stderr.on('data', (d) => (stderr += d));
        c.on('close', (code) => resolve({ code, stderr }));
      });
    const noSecret = await run({ API7_CONTROL_PLANES: '{}' });
    expect(noSecret.code).toBe(64);
    expect(noSecret.stderr).toMatch(/WEBHOOK_SECRET is not set/);
    const noPolicy = await run({ WEBHOOK_SECRET: 's' });
    expect(noPolicy.code).toBe(64);
    expect(noPolicy.stderr).toMatch(/API7_CONTROL_PLANES is not set/);
  });
});
