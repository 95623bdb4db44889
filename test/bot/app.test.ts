import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, commentPayload, harness, HEAD, pushPayload, type Harness } from '../helpers/bot.js';
import { TestClock } from '../helpers/clock.js';
import {
  api,
  PROD,
  requestLog,
  sandbox,
  serviceIn,
  walkthroughSeed,
  withProductionAt090,
  writes,
} from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
  try {
    // Whatever the bot wrote on GitHub (comments, deployment payloads and statuses) never holds the token.
    if (h && sb)
      expect(
        JSON.stringify({ comments: h.github.comments, deployments: h.github.deployments }),
      ).not.toContain(sb.token);
  } finally {
    // Cleaned up even when the check fails: the next test must not inherit nock or a sandbox.
    h?.close();
    await sb?.close();
    sb = h = undefined;
  }
});

const last = (h: Harness) => h.comments().at(-1) ?? '';

describe('/sync without approvals', () => {
  it('syncs, keeps one status comment, reacts, records a deployment, takes and releases the lock', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    const id = await h.say('alice', '/sync production --version 1.0.0');
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    const statusComments = h.comments();
    expect(statusComments).toHaveLength(1);
    expect(statusComments[0]).toMatch(/\*\*done\*\*/);
    expect(statusComments[0]).toMatch(/\| httpbin API \| ✅ synced \| 1\.0\.0 \|/);
    // 👀 takes the command; the status comment, not a second reaction, says how it ended.
    expect(h.github.reactions.filter((r) => r.comment === id).map((r) => r.content)).toEqual(['eyes']);
    expect(h.github.deployments).toHaveLength(1);
    expect(h.github.deployments[0]!.body).toMatchObject({
      environment: 'production',
      ref: HEAD,
      auto_merge: false,
      required_contexts: [],
    });
    // A run shorter than a heartbeat: the deployment's creation is its heartbeat, then its result.
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['success']);
    expect(
      h.github.requests.filter((r) => r.path.includes('/git/ref') && r.method !== 'GET').map((r) => r.method),
    ).toEqual(['POST', 'DELETE']);
    expect(h.github.refs.size).toBe(0);
  });

  it('a commenter with read permission gets an answer and no API7 request is made', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    await h.say('mallory', '/sync production');
    expect(last(h)).toMatch(/^@mallory you need write permission on this repository/);
    expect(await requestLog(sb)).toEqual([]);
  });

  it('ignores bots, edited comments, other commands, and redelivered webhooks', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    await h.say('renovate[bot]', '/sync production', 'Bot');
    const edited = h.github.addComment(7, 'alice', '/sync production');
    await h.deliver('issue_comment', commentPayload(edited, 'edited'));
    await h.say('alice', 'LGTM, /sync production later');
    expect(h.comments()).toEqual([]);
    expect(await requestLog(sb)).toEqual([]);
    const comment = h.github.addComment(7, 'alice', '/sync production');
    await Promise.all([
      h.deliver('issue_comment', commentPayload(comment)),
      h.deliver('issue_comment', commentPayload(comment)),
    ]);
    expect(h.github.deployments).toHaveLength(1);
    expect(h.comments()).toHaveLength(1);
  });

  it('answers a malformed command with the usage, and /help', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    await h.say('alice', '/sync production --force');
    expect(last(h)).toMatch(/^@alice unknown option --force\.\n\nUsage:/);
    await h.say('alice', '/help');
    expect(last(h)).toMatch(/`\/approve \[request\]`/);
  });
});

describe('guards', () => {
  it('refuses an environment out of promoteFrom order, a non-deployer, a fork, and a held lock', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb);
    await h.say('alice', '/sync production --from staging');
    expect(last(h)).toMatch(/`production` accepts promotions only from `test`, not from staging/);
    await h.say('dave', '/sync production');
    expect(last(h)).toMatch(/^@dave you are not among the deployers of `production`/);

    h.github.pulls.get(7)!.head.repo = { full_name: 'mallory/shop', fork: true };
    await h.say('alice', '/sync production');
    expect(last(h)).toMatch(/comes from a fork/);
    h.github.pulls.get(7)!.head.repo = { full_name: 'acme/shop', fork: false };

    await h.say('carol', '/lock production database migration');
    expect(last(h)).toMatch(/🔒 `production` is locked by @carol/);
    await h.say('alice', '/sync production');
    expect(last(h)).toMatch(
      // The holder comes from a ref anyone may write: quoted inertly (no mention, no issue link).
      /the lock on `production` is held by @\u200bcarol \\\(PR \\#\u200b7\\\) since .* \(database migration\)/,
    );
    expect(await writes(sb)).toEqual([]);
    await h.say('carol', '/unlock production');
    expect(last(h)).toMatch(/🔓 `production` is unlocked/);
    expect(h.github.refs.size).toBe(0);
  });

  it('refuses a config naming a control plane outside API7_CONTROL_PLANES; the token is never sent', async () => {
    sb = await sandbox(walkthroughSeed());
    const seen: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
      res.end('{}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    try {
      const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
      h = harness(sb, { configText: botConfig(sb, 0, other) });
      await h.say('alice', '/sync production');
      expect(last(h)).toMatch(
        /not permitted for this repository: .*control plane http:\/\/127\.0\.0\.1:\d+, which the operator has not allowed/,
      );
      expect(seen).toEqual([]);
      expect(await requestLog(sb)).toEqual([]);
    } finally {
      elsewhere.close();
    }
  });

  it('reads the config from the default branch: a change inside the pull request is ignored', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, { configText: botConfig(sb, 1) });
    h.github.files.set('feature:.github/api7-sync.yml', botConfig(sb, 0));
    await h.say('alice', '/sync production');
    expect(last(h)).toMatch(/\*\*pending\*\*[\s\S]*\*\*Approvals:\*\* 0 of 1/);
    expect(await writes(sb)).toEqual([]);
    expect(h.github.requests.some((r) => r.path.includes('/contents/') && !r.path.includes('ref=main'))).toBe(
      false,
    );
  });
});

describe('approvals', () => {
  it('counts only distinct approvers who are not the requester, then runs', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, { configText: botConfig(sb, 1) });
    const request = await h.say('alice', '/sync production');
    expect(h.comments()).toHaveLength(1);
    await h.say('alice', '/approve');
    expect(last(h)).toMatch(
      /^@alice you asked for request \d+: someone else among the approvers must approve it/,
    );
    await h.say('carol', `/approve ${request}`);
    expect(last(h)).toMatch(/^@carol you are not among the approvers of `production`.*not counted/);
    expect(await writes(sb)).toEqual([]);
    await h.say('bob', '/approve');
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    const status = h.comments()[0]!;
    expect(status).toMatch(/\*\*done\*\*/);
    expect(h.github.deployments[0]!.statuses.map((s) => s.state)).toEqual(['success']);
  });

  it('an approval from an edited comment does not count', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, { configText: botConfig(sb, 1) });
    await h.say('alice', '/sync production');
    const sneaky = h.github.addComment(7, 'dave', 'looks good');
    await h.say('bob', '/deny-not-a-command');
    // dave edits an old comment into an approval: GitHub sends `edited`, and updated_at moves.
    sneaky.body = '/approve';
    sneaky.updated_at = new Date(h.github.now().getTime() + 5_000).toISOString();
    await h.deliver('issue_comment', commentPayload(sneaky, 'edited'));
    await h.say('erin', '/approve');
    expect(await writes(sb)).toEqual([]);
    expect(h.comments()[0]).toMatch(/\*\*pending\*\*/);
  });

  it('a push after the request makes approvals lapse, and the bot says so', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, { configText: botConfig(sb, 2) });
    await h.say('alice', '/sync production');
    await h.say('bob', '/approve');
    expect(h.comments()[0]).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@bob\)/);
    h.github.pulls.get(7)!.head.sha = 'b'.repeat(40);
    await h.deliver('pull_request', pushPayload('b'.repeat(40)));
    expect(h.comments()[0]).toMatch(/\*\*pending\*\*[\s\S]*new commits were pushed \(aaaaaaa → bbbbbbb\)/);
    // bob's approval saw the old head: it no longer counts, so dave's is the only one.
    await h.say('dave', '/approve');
    expect(h.comments()[0]).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@dave\)/);
    expect(await writes(sb)).toEqual([]);
  });

  it('a new version in the source group after the approvals makes them lapse at run time', async () => {
    sb = await sandbox(walkthroughSeed(), '3.5.0');
    h = harness(sb, { configText: botConfig(sb, 1) });
    await h.say('alice', '/sync production');
    const source = await serviceIn(sb, '测试网关组', 'httpbin API');
    const gid = [...sb.store.groups.values()].find((g) => g.name === '测试网关组')!.id;
    await api(sb, 'POST', '/api/services/publish', {
      create_new_version: true,
      gateway_group_id: gid,
      services: [{ service_id: source.service_id, version: '1.1.0', status: 1, upstream: source.upstream }],
    });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    await h.say('bob', '/approve');
    expect(h.comments()[0]).toMatch(
      /\*\*pending\*\*[\s\S]*Approvals have lapsed: a new version runs in `test`/,
    );
    expect(await writes(sb)).toEqual([]);
    expect(h.github.refs.size).toBe(0);
  });

  it('approvals expire after the environment approvalHours', async () => {
    sb = await sandbox(walkthroughSeed());
    const config = botConfig(sb, 2).replace(
      '      approvals: 2\n',
      '      approvals: 2\n      approvalHours: 1\n',
    );
    // One clock for GitHub, the bot and its engine: the second approval comes two hours after
    // the first, which has expired by then.
    const clock = new TestClock();
    h = harness(sb, { configText: config, clock });
    await h.say('alice', '/sync production');
    expect(h.comments()[0]).toMatch(/or after 1 h\./);
    await h.say('bob', '/approve');
    expect(h.comments()[0]).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@bob\)/);
    clock.advance(2 * 3_600_000);
    await h.say('dave', '/approve');
    expect(h.comments()[0]).toMatch(/\*\*pending\*\*[\s\S]*not counted: bob \(the approval has expired\)/);
    expect(h.comments()[0]).toMatch(/\*\*Approvals:\*\* 1 of 2 \(@dave\)/);
    expect(await writes(sb)).toEqual([]);
  });

  it('/deny cancels a pending request', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, { configText: botConfig(sb, 1) });
    await h.say('alice', '/sync production');
    await h.say('bob', '/deny');
    expect(h.comments()[0]).toMatch(/\*\*denied\*\*[\s\S]*Denied by @bob/);
    await h.say('dave', '/approve');
    expect(await writes(sb)).toEqual([]);
  });
});

describe('/status and /rollback', () => {
  it('answers the version matrix and rolls back', async () => {
    sb = await sandbox(withProductionAt090());
    h = harness(sb);
    await h.say('alice', '/status');
    expect(last(h)).toMatch(
      /\| Service \| test \| staging \(group missing\) \| production \|\n\| --- \| --- \| --- \| --- \|\n\| httpbin API \| 1\.0\.0 \| — \| 0\.9\.0 \|/,
    );
    await h.say('alice', '/sync production');
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
    await h.say('alice', '/rollback production httpbin API');
    expect(last(h)).toMatch(/\/rollback production[\s\S]*1\.0\.0 → 0\.9\.0/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
  });
});

describe('a run that stops on an error', () => {
  it('says so in the status comment, with where the environment stands as far as it can be read', async () => {
    sb = await sandbox(walkthroughSeed());
    h = harness(sb, { configText: botConfig(sb, 1) });
    await h.say('alice', '/sync production');
    // From now on the control plane answers every read with a server error.
    await api(sb, 'PUT', '/sandbox/faults', { errorRate: 1, match: { method: 'GET' } }, null);
    await h.say('bob', '/approve');
    const status = h.comments()[0]!;
    expect(status).toMatch(/\*\*failed\*\*[\s\S]*The sync failed: /);
    expect(status).toMatch(/What `production` runs now:\n\n\(could not be read: /);
    expect(status).not.toMatch(/undefined|\[object Object\]/);
    expect(h.github.refs.size).toBe(0);
  });
});
