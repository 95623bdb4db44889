/**
 * The deployment gate in process (Probot with GitHub through nock): the rules that need a moved
 * clock, an operator policy that refuses, GitHub failing, and an answer that could not be sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentLock } from '../../github/lock.js';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, gatePayload, harness, type Harness } from '../helpers/bot.js';
import { TestClock } from '../helpers/clock.js';
import { modelClient } from '../helpers/github-server.js';
import { api, requestLog, sandbox, withProductionAt090, writes } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
  h?.close();
  await sb?.close();
  sb = h = undefined;
});

/** botConfig with production's promoteFrom and protection replaced. */
const withProduction = (s: Sandbox, production: string) =>
  botConfig(s).replace(/ {4}promoteFrom: test\n {4}protection:\n[\s\S]*?(?=services:)/, production);

let runs = 0;

async function ask(environment = 'production'): Promise<{ state: string; comment: string }> {
  const runId = ++runs;
  await h!.deliver('deployment_protection_rule', gatePayload(environment, runId));
  const answers = h!.github.gateReviews.filter((r) => r.runId === runId);
  expect(answers).toHaveLength(1);
  expect(answers[0]!.body.environment_name).toBe(environment);
  expect(answers[0]!.body.comment).not.toMatch(/\n\s+at |\[object Object\]|undefined/);
  return answers[0]!.body;
}

const rule = (comment: string, name: string) =>
  new RegExp(`^- (✅|❌|❔) \\*\\*${name}\\*\\* \\(([^)]*)\\): (.*)$`, 'm').exec(comment);

describe('the deployment gate', () => {
  it('measures soak on the bot clock: rejected with the time left, approved once the clock has moved past it', async () => {
    sb = await sandbox(withProductionAt090());
    const clock = new TestClock();
    h = harness(sb, {
      clock,
      configText: withProduction(sb, '    promoteFrom: {environment: test, soak: 1h}\n'),
    });
    const young = await ask();
    expect(young.state).toBe('rejected');
    expect(young.comment).toMatch(/❌ \*\*soak\*\* \(failed\): not met:\n {2}- httpbin API: .* left$/m);

    clock.advance(61 * 60_000);
    const soaked = await ask();
    expect(soaked.state).toBe('approved');
    expect(rule(soaked.comment, 'soak')![3]).toBe('every version has run in `test` for at least 1h');
    expect(await writes(sb)).toEqual([]);
  });

  it('rejects what the operator policy does not allow, before any request to API7', async () => {
    sb = await sandbox(withProductionAt090());
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    h = harness(sb, {
      configText: withProduction(sb, '    promoteFrom: test\n'),
      policy: {
        'acme/shop': {
          controlPlane: 'https://api7.elsewhere.example:443',
          gatewayGroups: '*',
          services: '*',
          gatewayOrigins: '*',
        },
      },
    });
    const answer = await ask();
    expect(answer.state).toBe('rejected');
    expect(rule(answer.comment, 'operator policy')).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(rule(answer.comment, 'operator policy')![3]).toContain('not permitted for this repository');
    expect((await requestLog(sb)).filter((r) => !r.path.startsWith('/sandbox'))).toEqual([]);
  });

  it('rejects an environment with several sources, or none: the gate cannot tell what the deployment brings', async () => {
    sb = await sandbox(withProductionAt090());
    h = harness(sb, { configText: withProduction(sb, '    promoteFrom: [test, staging]\n') });
    const several = await ask();
    expect(several.state).toBe('rejected');
    expect(rule(several.comment, 'environment')![3]).toContain('promotes from `test`, `staging`');
    h.github.files.set('main:.github/api7-sync.yml', withProduction(sb, ''));
    const none = await ask();
    expect(none.state).toBe('rejected');
    expect(rule(none.comment, 'environment')![3]).toContain('has no promoteFrom');
  });

  it('rejects when GitHub fails to give the config, saying so without a stack', async () => {
    sb = await sandbox(withProductionAt090());
    h = harness(sb);
    h.github.failNext('GET', /\/contents\//, 500, 'Server Error');
    const answer = await ask();
    expect(answer.state).toBe('rejected');
    expect(rule(answer.comment, 'config')).toMatchObject({ 1: '❔' });
    expect(rule(answer.comment, 'config')![3]).toContain('GitHub answered 500');
  });

  it('passes a lock whose lease ran out, and names whose it was', async () => {
    sb = await sandbox(withProductionAt090());
    const clock = new TestClock();
    h = harness(sb, { clock, configText: withProduction(sb, '    promoteFrom: test\n') });
    const lock = new EnvironmentLock(modelClient(h.github), { owner: 'acme', repo: 'shop' }, clock.now);
    expect((await lock.claim('production', { holder: 'carol', reason: 'hotfix' }, 60_000)).claimed).toBe(
      true,
    );
    const held = await ask();
    expect(held.state).toBe('rejected');
    expect(rule(held.comment, 'lock')![3]).toMatch(/^`production` is locked by carol since .* \(hotfix\)/);
    clock.advance(61_000);
    const expired = await ask();
    expect(expired.state).toBe('approved');
    expect(rule(expired.comment, 'lock')![3]).toMatch(
      /^`production` is free: the lock of carol .* expired at/,
    );
  });

  it('an answer GitHub refuses is not retried blindly; a redelivery is answered', async () => {
    sb = await sandbox(withProductionAt090());
    h = harness(sb, { configText: withProduction(sb, '    promoteFrom: test\n') });
    h.github.failNext('POST', /\/deployment_protection_rule$/, 500, 'Server Error');
    const payload = gatePayload('production', 4242);
    await h.deliver('deployment_protection_rule', payload);
    expect(h.github.gateReviews).toEqual([]);
    expect(
      h.github.requests.filter((r) => r.path.endsWith('/runs/4242/deployment_protection_rule')),
    ).toHaveLength(1);
    await h.deliver('deployment_protection_rule', payload);
    expect(h.github.gateReviews.map((r) => [r.runId, r.body.state])).toEqual([[4242, 'approved']]);
  });
});
