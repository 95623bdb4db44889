/**
 * The built `api7-sync` program with `notify` in its config, run as its own process against a
 * sandbox and a local webhook receiver: the message arrives, a receiver that fails or hangs
 * changes neither the result nor the exit code, and the webhook URL is never printed.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { recordingRunCli, writeRepo } from '../helpers/cli.js';
import { deadPort, PROD, sandbox, serviceIn, TEST, withProductionAt090 } from '../helpers/sandbox.js';
import { webhookReceiver, type Answer, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const TOKEN = 'a7ee-test-secret-token';

/** Every run's output and every webhook URL, to check at the end that none was ever printed. */
const outputs: string[] = [];
const urls: string[] = [];
const run = recordingRunCli(outputs);

/** A repository whose config sends notifications to `${SLACK_WEBHOOK_URL}`. */
function repo(sb: Sandbox, on: string, productionNode = '{host: httpbin, port: 80}'): string {
  return writeRepo(
    `controlPlane:
  url: ${sb.controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
    gatewayUrl: ${sb.gateways[TEST]}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: ${sb.gateways[PROD]}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [${productionNode}]
    verify:
      - {path: /headers}
notify:
  - url: \${SLACK_WEBHOOK_URL}
${on}`,
    'api7-sync-notify-',
  );
}

let sb: Sandbox | undefined;
let hook: WebhookReceiver | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
  await sb?.close();
  sb = undefined;
});

afterAll(() => {
  expect(urls.length).toBeGreaterThan(0);
  for (const url of urls)
    for (const text of outputs) {
      expect(text).not.toContain(url);
      expect(text).not.toContain(new URL(url).pathname);
    }
});

/**
 * A generous notification deadline by default, so that the one retry always fits however busy the
 * machine is; the hanging-receiver test shortens it to see the CLI give up.
 */
async function setUp(answers: Answer[], on = '', productionNode?: string, notifyTimeoutMs = '10000') {
  sb = await sandbox(withProductionAt090());
  hook = await webhookReceiver(answers);
  urls.push(hook.url);
  const dir = repo(sb, on, productionNode);
  const env = {
    API7_TOKEN: TOKEN,
    SLACK_WEBHOOK_URL: hook.url,
    API7_SYNC_NOTIFY_TIMEOUT_MS: notifyTimeoutMs,
  };
  return { dir, env, hook };
}

const SYNC = ['sync', '--from', 'test', '--to', 'production', '--json', '--verify-timeout', '1500'];

describe('api7-sync sync with notify in the config', () => {
  it('posts one message with the result, then exits 0 with the result on stdout', async () => {
    const { dir, env, hook } = await setUp([200]);
    const res = await run(SYNC, env, dir);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      ok: true,
      services: [{ action: 'synced', version: '1.0.0' }],
    });
    expect(hook.received).toHaveLength(1);
    const { body } = hook.received[0]!;
    expect(body.text).toBe('api7-sync test → production: ✅ synced: httpbin API 0.9.0 → 1.0.0');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'api7-sync test → production: ✅ synced', emoji: true },
    });
    expect(body.blocks).toContainEqual({
      type: 'section',
      fields: [
        { type: 'plain_text', text: 'httpbin API', emoji: true },
        { type: 'plain_text', text: '✅ synced 0.9.0 → 1.0.0', emoji: true },
      ],
    });
    expect(res.stderr).toContain('api7-sync: sent the notification notify[0]');
  });

  it('with a receiver answering 500: tried twice, a warning, and the same result and exit code', async () => {
    const { dir, env, hook } = await setUp([500]);
    const res = await run(SYNC, env, dir);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, services: [{ action: 'synced' }] });
    expect(hook.received).toHaveLength(2);
    expect(res.stderr).toContain(
      'api7-sync: warning: could not send the notification notify[0]: the webhook answered 500, also when tried again; the promotion is not affected',
    );
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('with a receiver that never answers: given up after the timeout, the promotion done and exit 0', async () => {
    const { dir, env, hook } = await setUp(['hang'], '', undefined, '400');
    const res = await run(SYNC, env, dir);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      ok: true,
      services: [{ action: 'synced', version: '1.0.0' }],
    });
    expect(hook.received).toHaveLength(1);
    expect(res.stderr).toContain(
      'api7-sync: warning: could not send the notification notify[0]: no answer within 400 ms; the promotion is not affected',
    );
    expect((await serviceIn(sb!, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('a failed promotion is told as rolled back and still exits 1 when the receiver fails too', async () => {
    const { dir, env, hook } = await setUp([503], '', `{host: 127.0.0.1, port: ${await deadPort()}}`);
    const res = await run(SYNC, env, dir);
    expect(res.code, res.stderr).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: false, services: [{ action: 'rolled-back' }] });
    expect(hook.received).toHaveLength(2);
    expect(hook.received[0]!.body.blocks[0].text.text).toBe('api7-sync test → production: ↩️ rolled back');
    expect(res.stderr).toContain('the webhook answered 503, also when tried again');
  });

  it('tells nobody when no service action is in `on`, and nothing for a dry run', async () => {
    const { dir, env, hook } = await setUp([200], '    on: [failed]\n');
    const synced = await run(SYNC, env, dir);
    expect(synced.code, synced.stderr).toBe(0);
    const dry = await run([...SYNC, '--dry-run'], { ...env }, dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(hook.received).toHaveLength(0);
    expect(synced.stderr + dry.stderr).not.toContain('notify[0]');
  });
});

describe('api7-sync rollback with notify in the config', () => {
  it('posts the rollback', async () => {
    const { dir, env, hook } = await setUp([200]);
    expect((await run(SYNC, env, dir)).code).toBe(0);
    const res = await run(
      ['rollback', '--env', 'production', '--service', 'httpbin API', '--json'],
      env,
      dir,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      operation: 'rollback',
      services: [{ action: 'rolled-back', version: '0.9.0', reason: null }],
    });
    expect(hook.received).toHaveLength(2);
    expect(hook.received[1]!.body.text).toBe(
      'api7-sync rollback in production: ↩️ rolled back: httpbin API 1.0.0 → 0.9.0 (rolled-back)',
    );
  });
});
