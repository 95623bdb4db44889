/**
 * The Action's notification step in process: GitHub's context comes from GITHUB_* variables
 * and the event file, workflow commands go to stdout, and the webhook is a local receiver.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../engine/index.js';
import { syncResult } from '../helpers/results.js';
import { webhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

let notifyFromAction: typeof import('../../action/notify.js').notifyFromAction;

const saved = { ...process.env };
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

beforeAll(async () => {
  const event = path.join(mkdtempSync(path.join(tmpdir(), 'gh-event-')), 'event.json');
  writeFileSync(
    event,
    JSON.stringify({ pull_request: { html_url: 'https://github.example/acme/shop/pull/7' } }),
  );
  Object.assign(process.env, {
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '4242',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
  });
  // @actions/github reads its context once, when first imported: after the variables are set.
  ({ notifyFromAction } = await import('../../action/notify.js'));
});

let hook: WebhookReceiver | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await hook?.close();
  hook = undefined;
});

/** What the step writes to stdout (workflow commands and log lines), one entry per line. */
function captureStdout(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split(/\r?\n/).filter(Boolean));
    return true;
  });
  return lines;
}

const config = (url: string): Config => ({
  file: '.github/api7-sync.yml',
  controlPlane: { url: 'https://api7.example.test' },
  environments: { test: { gatewayGroup: 't' }, production: { gatewayGroup: 'p' } },
  services: { 'httpbin API': {} },
  notify: [{ url }],
});

describe('the Action’s notification', () => {
  it('masks the URL first, then posts the result with links to the run, the pull request and the deployment', async () => {
    hook = await webhookReceiver([200]);
    const stdout = captureStdout();
    const outcomes = await notifyFromAction(config(hook.url), syncResult([{ action: 'synced' }]), true);
    vi.restoreAllMocks();

    expect(outcomes).toEqual([{ index: 0, status: 'sent' }]);
    const { pathname } = new URL(hook.url);
    expect(stdout.slice(0, 2)).toEqual([`::add-mask::${hook.url}`, `::add-mask::${pathname}`]);
    expect(stdout.slice(2)).toEqual(['sent the notification notify[0]']);
    expect(hook.received[0]!.body.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '<https://github.example/acme/shop/actions/runs/4242|Workflow run> · <https://github.example/acme/shop/pull/7|Pull request> · <https://github.example/acme/shop/deployments/production|Deployment>',
        },
      ],
    });
  });

  it('warns, without the URL, when the webhook fails, and never throws', async () => {
    hook = await webhookReceiver([500]);
    const stdout = captureStdout();
    const outcomes = await notifyFromAction(config(hook.url), syncResult([{ action: 'failed' }]));
    vi.restoreAllMocks();

    expect(outcomes).toEqual([
      { index: 0, status: 'failed', message: 'the webhook answered 500, also when tried again' },
    ]);
    expect(hook.received).toHaveLength(2);
    // No deployment was recorded: no link to one.
    expect(JSON.stringify(hook.received[0]!.body)).not.toContain('/deployments/');
    const logged = stdout.filter((l) => !l.startsWith('::add-mask::'));
    expect(logged).toEqual([
      '::warning::could not send the notification notify[0]: the webhook answered 500, also when tried again; the promotion is not affected',
    ]);
    expect(logged.join('\n')).not.toContain(new URL(hook.url).pathname);
  });

  it('does nothing, and calls nothing, without notify in the config', async () => {
    const stdout = captureStdout();
    const bare = { ...config('https://unused.example.test/x'), notify: undefined };
    expect(await notifyFromAction(bare, syncResult([{ action: 'synced' }]))).toEqual([]);
    vi.restoreAllMocks();
    expect(stdout).toEqual([]);
  });
});
