/**
 * The App as GitHub's deployment gate (a custom deployment protection rule), as its own process:
 * GitHub (the stand-in) sends `deployment_protection_rule` and waits for the App to answer through
 * the run's callback; API7 is the sandbox. Every answer names its rules, and the gate never writes
 * to API7.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentLock } from '../../github/lock.js';
import type { Sandbox } from '../../sandbox/server.js';
import { botConfig, gatePayload } from '../helpers/bot.js';
import { deliverTo, startBotProcess, until, type BotProcess } from '../helpers/bot-process.js';
import { fakeGitHub, modelClient, type FakeGitHub } from '../helpers/github-server.js';
import {
  api,
  deadPort,
  groupId,
  PROD,
  sandbox,
  serviceIn,
  withProductionAt090,
  writes,
} from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
let gh: FakeGitHub | undefined;
let bot: BotProcess | undefined;
afterEach(async () => {
  await bot?.stop();
  await sb?.close();
  await gh?.close();
  sb = gh = bot = undefined;
});

/** A window three days from today (UTC): closed whenever the test runs, even across midnight. */
const CLOSED_DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][(new Date().getUTCDay() + 3) % 7]!;

/** botConfig's production, with extra lines under it (promoteFrom and protection replaced). */
function gateConfig(s: Sandbox, production: string, controlPlane = s.controlPlane): string {
  return botConfig(s, 0, controlPlane).replace(
    / {4}promoteFrom: test\n {4}protection:\n[\s\S]*?(?=services:)/,
    production,
  );
}

async function start(configText: string | undefined, env: Record<string, string> = {}): Promise<void> {
  sb = await sandbox(withProductionAt090());
  gh = await fakeGitHub();
  if (configText !== undefined) gh.files.set('main:.github/api7-sync.yml', configText);
  bot = await startBotProcess(sb, gh, env);
}

let runs = 100;

/** GitHub asks the gate about a job of a new run that references `environment`; resolves with the answer. */
async function ask(
  environment: string,
): Promise<{ environment_name: string; state: string; comment: string }> {
  const runId = ++runs;
  expect(
    await deliverTo(bot!.url, 'deployment_protection_rule', gatePayload(environment, runId, gh!.url)),
  ).toBe(200);
  await until(() => gh!.gateReviews.some((r) => r.runId === runId), `the gate's answer for run ${runId}`);
  const answers = gh!.gateReviews.filter((r) => r.runId === runId);
  expect(answers).toHaveLength(1);
  const body = answers[0]!.body;
  // What every answer owes its reader: a verdict, no stack trace, no secret, nothing undefined.
  expect(body.comment).toMatch(/^\*\*api7-sync deployment gate: (approved|rejected)\*\*/);
  expect(body.comment).not.toMatch(/\n\s+at |\[object Object\]|undefined/);
  expect(body.comment).not.toContain(sb!.token);
  return body;
}

const rule = (comment: string, name: string) =>
  new RegExp(`^- (✅|❌|❔) \\*\\*${name}\\*\\* \\(([^)]*)\\): (.*)$`, 'm').exec(comment);

describe('the App as a deployment protection rule', () => {
  it('approves when every rule holds, naming each, for the GitHub environment mapped by githubEnvironment', async () => {
    await start(undefined);
    const seeded = Date.now();
    gh!.files.set(
      'main:.github/api7-sync.yml',
      gateConfig(
        sb!,
        `    promoteFrom: {environment: test, soak: 1s}\n    githubEnvironment: Production EU\n    protection:\n      windows: {timezone: UTC, allow: ["Sun-Sat 00:00-24:00"]}\n`,
      ),
    );
    // The seeded version must have run in test for the 1s soak: a property of the rule, not a sync.
    await until(() => Date.now() - seeded > 1_100, 'the 1s soak to pass');

    const answer = await ask('Production EU');
    expect(answer).toMatchObject({ environment_name: 'Production EU', state: 'approved' });
    for (const name of [
      'config',
      'environment',
      'operator policy',
      'source runs the version',
      'soak',
      'promotion window',
      'drift guard',
      'lock',
    ])
      expect(rule(answer.comment, name)?.[1], name).toBe('✅');
    expect(rule(answer.comment, 'source runs the version')![3]).toBe('`test` runs httpbin API 1.0.0');
    expect(rule(answer.comment, 'promotion window')![3]).toMatch(/^open/);
    expect(answer.comment).toContain('api7-sync environment `production` (from `test`)');
    // The plan table: what the deployment will bring.
    expect(answer.comment).toMatch(/\| httpbin API \| 📝 planned \| 0\.9\.0 → 1\.0\.0 \|/);
    expect(await writes(sb!)).toEqual([]);
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('0.9.0');
  }, 60_000);

  it('rejects a version that has not soaked, saying how long is left', async () => {
    await start(undefined);
    gh!.files.set(
      'main:.github/api7-sync.yml',
      gateConfig(sb!, `    promoteFrom: {environment: test, soak: 1h}\n`),
    );
    const answer = await ask('production');
    expect(answer.state).toBe('rejected');
    expect(rule(answer.comment, 'soak')).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(answer.comment).toMatch(
      /\*\*soak\*\* \(failed\): not met:\n {2}- httpbin API: .*of the 1h it must soak there; .* left$/m,
    );
    // The rules it could check still say so.
    expect(rule(answer.comment, 'source runs the version')?.[1]).toBe('✅');
    expect(rule(answer.comment, 'lock')?.[1]).toBe('✅');
    expect(await writes(sb!)).toEqual([]);
  }, 60_000);

  it('rejects outside the promotion window, and still checks the other rules', async () => {
    await start(undefined);
    gh!.files.set(
      'main:.github/api7-sync.yml',
      gateConfig(
        sb!,
        `    promoteFrom: test\n    protection:\n      windows: {timezone: UTC, allow: ["${CLOSED_DAY} 09:00-17:00"]}\n`,
      ),
    );
    const answer = await ask('production');
    expect(answer.state).toBe('rejected');
    expect(rule(answer.comment, 'promotion window')).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(rule(answer.comment, 'promotion window')![3]).toContain(
      `takes promotions only \`${CLOSED_DAY} 09:00-17:00\``,
    );
    expect(rule(answer.comment, 'drift guard')?.[1]).toBe('✅');
    expect(rule(answer.comment, 'source runs the version')?.[1]).toBe('✅');
    expect(await writes(sb!)).toEqual([]);
  }, 60_000);

  it('rejects when the target was edited by hand ("No Version"): the drift guard', async () => {
    await start(undefined);
    gh!.files.set('main:.github/api7-sync.yml', gateConfig(sb!, `    promoteFrom: test\n`));
    const prod = await serviceIn(sb!, PROD, 'httpbin API');
    const edit = await api(
      sb!,
      'PUT',
      `/apisix/admin/routes/hand-made?gateway_group_id=${await groupId(sb!, PROD)}`,
      {
        name: 'hand-made',
        service_id: prod.id,
        paths: ['/ip'],
        methods: ['GET'],
      },
    );
    expect(edit.status).toBe(200);
    await api(sb!, 'DELETE', '/sandbox/requests', undefined, null);

    const answer = await ask('production');
    expect(answer.state).toBe('rejected');
    expect(rule(answer.comment, 'drift guard')).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(rule(answer.comment, 'drift guard')![3]).toContain('No Version');
    expect(answer.comment).toContain('hand-made');
    expect(await writes(sb!)).toEqual([]);
  }, 60_000);

  it('rejects while another promotion holds the lock, naming the holder as inert text', async () => {
    await start(undefined);
    gh!.files.set('main:.github/api7-sync.yml', gateConfig(sb!, `    promoteFrom: test\n`));
    // Anyone with write access can author a lock commit: its holder and reason are untrusted.
    const claim = await new EnvironmentLock(modelClient(gh!), { owner: 'acme', repo: 'shop' }).claim(
      'production',
      {
        holder: '@acme/everyone `x` [pwn](https://evil.example)',
        reason: 'fixing #12 <b>now</b>',
        request: 'hand:eve',
      },
      3_600_000,
    );
    expect(claim.claimed).toBe(true);

    const answer = await ask('production');
    expect(answer.state).toBe('rejected');
    const lock = rule(answer.comment, 'lock')!;
    expect(lock).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(lock[3]).toContain('@\u200bacme/everyone \\`x\\` \\[pwn\\]\\(https:\u200b//evil.example\\)');
    expect(lock[3]).toContain('(fixing \\#\u200b12 \\<b\\>now\\</b\\>)');
    expect(answer.comment).not.toMatch(/@acme|#12|<b>|\[pwn\]/);
    expect(await writes(sb!)).toEqual([]);
  }, 60_000);

  it('rejects when API7 cannot be reached: the rules it needs could not be evaluated', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    sb = await sandbox(withProductionAt090());
    gh = await fakeGitHub();
    gh.files.set('main:.github/api7-sync.yml', gateConfig(sb, `    promoteFrom: test\n`, dead));
    bot = await startBotProcess(sb, gh, {
      API7_CONTROL_PLANES: JSON.stringify({
        'acme/shop': { controlPlane: dead, gatewayGroups: '*', services: '*', gatewayOrigins: '*' },
      }),
    });
    const answer = await ask('production');
    expect(answer.state).toBe('rejected');
    for (const name of ['source runs the version', 'soak', 'drift guard']) {
      expect(rule(answer.comment, name), name).toMatchObject({ 1: '❔' });
      expect(rule(answer.comment, name)![2]).toBe('could not be evaluated, so it rejects');
      expect(rule(answer.comment, name)![3]).toMatch(/API7 could not be asked: unreachable: /);
    }
    // What needs no API7 is still checked.
    expect(rule(answer.comment, 'lock')?.[1]).toBe('✅');
  }, 60_000);

  it('rejects an invalid config, a missing one, and a GitHub environment nothing answers for; ignores a callback to another repository', async () => {
    await start(
      'controlPlane:\n  url: https://api7.example.com\nenvironments:\n  production:\n    gateway_group: x\n',
    );
    const invalid = await ask('production');
    expect(invalid.state).toBe('rejected');
    expect(rule(invalid.comment, 'config')).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(rule(invalid.comment, 'config')![3]).toContain('is invalid, so no rule can be checked');
    expect(invalid.comment).toMatch(/api7-sync\.yml:5:5: unknown key "gateway\\_group"/);

    gh!.files.delete('main:.github/api7-sync.yml');
    const missing = await ask('production');
    expect(missing.state).toBe('rejected');
    expect(rule(missing.comment, 'config')![3]).toContain(
      'there is no `.github/api7-sync.yml` on the default branch',
    );

    gh!.files.set('main:.github/api7-sync.yml', gateConfig(sb!, `    promoteFrom: test\n`));
    const unmapped = await ask('qa @team');
    expect(unmapped.state).toBe('rejected');
    expect(rule(unmapped.comment, 'environment')).toMatchObject({ 1: '❌', 2: 'failed' });
    expect(rule(unmapped.comment, 'environment')![3]).toContain(
      'no environment in `.github/api7-sync.yml` answers for GitHub environment qa @\u200bteam;',
    );
    expect(rule(unmapped.comment, 'environment')![3]).toContain('githubEnvironment');

    // A signed event whose callback names another repository's run: the token is not spent there.
    const forged = gatePayload('production', 999, gh!.url);
    forged.deployment_callback_url = `${gh!.url}/api/v3/repos/other/place/actions/runs/999/deployment_protection_rule`;
    expect(await deliverTo(bot!.url, 'deployment_protection_rule', forged)).toBe(200);
    await until(
      () => /cannot answer this event/.test(bot!.output()),
      'the App to log the unanswerable event',
    );
    expect(gh!.requests.filter((r) => r.path.includes('/runs/999/'))).toEqual([]);
    expect(await writes(sb!)).toEqual([]);
  }, 60_000);
});
