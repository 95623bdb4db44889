/**
 * A chat-ops `/sync` whose lock can no longer be vouched for: GitHub refuses every renewal with a
 * secondary rate limit asking to wait past the lease. The shared promotion run's lease signal
 * stops the promotion before its next API7 write and undoes what it wrote, while the lease still
 * keeps other runs out; the status comment, the deployment and the lock say so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, harness, type Harness } from '../helpers/bot.js';
import { gatedUpstream, PROD, sandbox, serviceIn, withProductionAt090 } from '../helpers/sandbox.js';
import { until } from '../helpers/bot-process.js';

const LOCK_REF = /\/git\/refs\/heads\/api7-sync-lock\/production$/;
const SECONDARY = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';

let sb: Sandbox | undefined;
let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  h?.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sb?.close();
  sb = h = undefined;
});

describe('a /sync whose lock lease cannot be confirmed', () => {
  it('stops before its next write, undoes what it wrote, and says so in the comment and the deployment', async () => {
    sb = await sandbox(withProductionAt090());
    // Verification waits on an upstream that does not answer: the write has landed, the run is
    // verifying, for as long as the test needs.
    let answer = false;
    const upstream = await gatedUpstream(() => answer);
    cleanups.push(() => ((answer = true), upstream.close()));
    const config = botConfig(sb).replace(
      'upstream: {nodes: [{host: httpbin, port: 80}]}',
      `upstream: {nodes: [{host: 127.0.0.1, port: ${upstream.port}}]}`,
    );
    h = harness(sb, { configText: config, heartbeatMs: 1_000, verifyTimeoutMs: 60_000 });
    let done = false;
    const said = h.say('alice', '/sync production').finally(() => (done = true));
    // (On a machine so busy that a renewal came late anyway, the run stops by itself: the same story.)
    await until(() => upstream.held() > 0 || done, 'the first probe of production');
    // From now on GitHub refuses every renewal and asks to wait an hour: past the lease.
    for (let i = 0; i < 30; i++)
      h.github.failNext('PATCH', LOCK_REF, 403, SECONDARY, { 'retry-after': '3600' });
    await said;

    const status = h.comments().at(-1) ?? '';
    expect(status).toMatch(/\*\*failed\*\*/);
    expect(status).toMatch(/\| httpbin API \| ⏹️ interrupted \|/);
    expect(status).toMatch(
      /The promotion into `production` stopped before its next write: the lease on the lock on \\?"production\\?" could not be confirmed/,
    );
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
    const [deployment] = h.github.deployments;
    expect(deployment!.statuses.at(-1)).toMatchObject({ state: 'failure' });
    // The lock was still this run's: it is given back at the end.
    expect(h.github.refs.size).toBe(0);
  });
});
