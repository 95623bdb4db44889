/**
 * The App shut down (SIGTERM, as a deployment rolls it) while a `/sync` is verifying: the run
 * stops before its next API7 write, undoes what it wrote, ends its session and records why,
 * instead of dying at the SIGKILL with the target half-promoted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, harness, type Harness } from '../helpers/bot.js';
import { gatedUpstream, PROD, sandbox, serviceIn, withProductionAt090, writes } from '../helpers/sandbox.js';
import { until } from '../helpers/bot-process.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  h?.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sb?.close();
  sb = h = undefined;
});

describe('the App shut down during a run', () => {
  it('stops before its next write, undoes it, frees the lock and says so', async () => {
    sb = await sandbox(withProductionAt090());
    // Verification waits on an upstream that does not answer: the write has landed, the run is
    // verifying when the shutdown comes.
    let answer = false;
    const upstream = await gatedUpstream(() => answer);
    cleanups.push(() => ((answer = true), upstream.close()));
    const config = botConfig(sb).replace(
      'upstream: {nodes: [{host: httpbin, port: 80}]}',
      `upstream: {nodes: [{host: 127.0.0.1, port: ${upstream.port}}]}`,
    );
    h = harness(sb, { configText: config, verifyTimeoutMs: 60_000 });
    const said = h.say('alice', '/sync production');
    await until(() => upstream.held() > 0, 'the first probe of production');
    expect((await writes(sb)).length).toBeGreaterThan(0);
    await h.bot.stop();
    await said;

    const status = h.comments().at(-1) ?? '';
    expect(status).toMatch(/\*\*interrupted\*\*/);
    expect(status).toMatch(/\| httpbin API \| ⏹️ interrupted \|/);
    expect(status).toMatch(/api7-sync was shut down during the promotion: it stopped before its next write/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
    expect(h.github.deployments[0]!.statuses.at(-1)).toMatchObject({ state: 'failure' });
    expect(h.github.refs.size).toBe(0);
  });
});
