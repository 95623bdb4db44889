import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../engine/config/load.js';
import type { SyncResult } from '../../engine/index.js';
import { chatMessage } from '../../github/notify-message.js';
import { notify, scrub, wantsNotification, type NotifyOptions } from '../../github/notify.js';
import { syncResult } from '../helpers/results.js';
import { webhookReceiver, type Answer, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  while (receivers.length) await receivers.pop()!.close();
});

/** Every log line of every test, to check at the end that no webhook URL ever got into one. */
const allLogs: string[] = [];
const urls: string[] = [];

async function receiver(answers?: Answer[]): Promise<WebhookReceiver> {
  const r = await webhookReceiver(answers);
  receivers.push(r);
  urls.push(r.url);
  return r;
}

function options(extra: Partial<NotifyOptions> = {}) {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => {
    lines.push(`${level} ${m}`);
    allLogs.push(m);
  };
  return { lines, opts: { logger: { info: push('info'), warn: push('warn') }, retryDelayMs: 10, ...extra } };
}

const LINKS = {
  run: 'https://github.com/acme/shop/actions/runs/42',
  pullRequest: 'https://github.com/acme/shop/pull/7',
  deployment: 'https://github.com/acme/shop/deployments/production',
};

afterAll(() => {
  for (const url of urls) {
    const pathname = URL.canParse(url) ? new URL(url).pathname : url;
    for (const line of allLogs) {
      expect(line).not.toContain(url);
      expect(line).not.toContain(pathname);
    }
  }
});

describe('the notification message', () => {
  it('has a text, a header, the result table as fields, and the links', async () => {
    const hook = await receiver();
    const result = syncResult([
      { action: 'synced' },
      { name: 'orders', action: 'unchanged', previousVersion: '2.0.0', version: '2.0.0' },
    ]);
    const { lines, opts } = options({ links: LINKS });
    const outcomes = await notify([{ url: hook.url }], result, opts);

    expect(outcomes).toEqual([{ index: 0, status: 'sent' }]);
    expect(lines).toEqual(['info sent the notification notify[0]']);
    expect(hook.received).toHaveLength(1);
    const [got] = hook.received;
    expect(got).toMatchObject({ method: 'POST', contentType: 'application/json; charset=utf-8' });
    expect(new URL(hook.url).pathname).toBe(got!.path);
    expect(got!.body.text).toBe(
      'api7-sync test → production: ✅ synced: httpbin API 0.9.0 → 1.0.0, orders 2.0.0 (unchanged)',
    );
    expect(got!.body.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: 'api7-sync test → production: ✅ synced', emoji: true },
      },
      {
        type: 'context',
        elements: [
          { type: 'plain_text', text: 'Gateway groups 测试网关组 → 生产网关组 · 42 ms', emoji: true },
        ],
      },
      {
        type: 'section',
        fields: [
          { type: 'plain_text', text: 'httpbin API', emoji: true },
          { type: 'plain_text', text: '✅ synced 0.9.0 → 1.0.0', emoji: true },
          { type: 'plain_text', text: 'orders', emoji: true },
          { type: 'plain_text', text: '➖ unchanged 2.0.0', emoji: true },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: '<https://github.com/acme/shop/actions/runs/42|Workflow run> · <https://github.com/acme/shop/pull/7|Pull request> · <https://github.com/acme/shop/deployments/production|Deployment>',
          },
        ],
      },
    ]);
  });

  it('says why a service failed, and leaves out links that are unknown', () => {
    const message = chatMessage(
      syncResult([{ action: 'rolled-back', reason: 'verify-failed', message: '/headers answered 502' }]),
      { run: 'https://github.com/acme/shop/actions/runs/42' },
    );
    expect(message.blocks[0]).toMatchObject({
      text: { text: 'api7-sync test → production: ↩️ rolled back' },
    });
    expect(message.blocks[2]).toMatchObject({
      fields: [
        { text: 'httpbin API' },
        { text: '↩️ rolled back 0.9.0 → 1.0.0\nverify-failed: /headers answered 502' },
      ],
    });
    expect(message.blocks[3]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<https://github.com/acme/shop/actions/runs/42|Workflow run>' }],
    });
  });

  it('cannot be turned into links or mentions by a service name or a link', () => {
    const message = chatMessage(syncResult([{ name: '<!channel> <https://evil.test|click> & *x*' }]), {
      run: 'https://example.test/a|b>c',
      pullRequest: 'javascript:alert(1)',
    });
    expect(message.text).toContain('&lt;!channel&gt; &lt;https://evil.test|click&gt; &amp; *x*');
    expect(message.text).not.toMatch(/<!channel>|<https/);
    // Fields are plain text: Slack shows them as written.
    const [section] = message.blocks.filter((b) => b.type === 'section');
    expect(section).toMatchObject({ type: 'section' });
    expect(section?.type === 'section' && section.fields[0]).toEqual({
      type: 'plain_text',
      text: '<!channel> <https://evil.test|click> & *x*',
      emoji: true,
    });
    expect(message.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<https://example.test/a%7Cb%3Ec|Workflow run>' }],
    });
  });

  it('names environments, services and versions in the text, or counts them when there are many', () => {
    const few = chatMessage(
      syncResult([
        { action: 'rolled-back', reason: 'verify-failed', message: '/headers answered 502' },
        { name: 'orders', action: 'synced', previousVersion: null, version: '2.0.0' },
      ]),
    );
    expect(few.text).toBe(
      'api7-sync test → production: ↩️ rolled back: httpbin API 0.9.0 → 1.0.0 (rolled-back), orders 2.0.0',
    );
    const many = chatMessage(
      syncResult([
        ...Array.from({ length: 10 }, (_, i) => ({ name: `svc-${i}` })),
        { name: 'orders', action: 'failed' as const },
        { name: 'users', action: 'unchanged' as const },
      ]),
    );
    expect(many.text).toBe(
      'api7-sync test → production: ❌ failed: 12 services (10 synced, 1 failed, 1 unchanged)',
    );
  });

  it('stays within Slack’s limits for a promotion of many services', () => {
    const services = Array.from({ length: 300 }, (_, i) => ({ name: `service-${i}`.padEnd(3000, 'x') }));
    const message = chatMessage(syncResult(services));
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const sections = message.blocks.filter((b) => b.type === 'section');
    expect(sections.every((b) => b.type === 'section' && b.fields.length <= 10)).toBe(true);
    expect(
      sections.every((b) => b.type === 'section' && b.fields.every((f) => [...f.text].length <= 2000)),
    ).toBe(true);
    expect(message.blocks.at(-1)).toMatchObject({
      elements: [{ text: `… and ${300 - sections.length * 5} more services: see the run` }],
    });
  });
});

describe('which webhooks are told', () => {
  it.each([
    ['a sync, by default', undefined, [{ action: 'synced' }], true],
    ['a failure, by default', undefined, [{ action: 'failed' }], true],
    [
      'a rollback, by default',
      undefined,
      [{ action: 'unchanged' }, { name: 'b', action: 'rolled-back' }],
      true,
    ],
    ['nothing changed, by default', undefined, [{ action: 'unchanged' }], false],
    ['a refusal, by default', undefined, [{ action: 'refused' }], false],
    ['a refusal, when asked for', ['refused'], [{ action: 'refused' }], true],
    ['a sync, when only failures are asked for', ['failed'], [{ action: 'synced' }], false],
  ] as const)('%s: %j → %j', async (_case, on, services, told) => {
    expect(wantsNotification({ url: 'https://x.test/h', on }, syncResult([...services]))).toBe(told);
  });

  it('sends one message per webhook that wants it, none to the others, none for a dry run', async () => {
    const wants = await receiver();
    const deaf = await receiver();
    const result = syncResult([{ action: 'synced' }]);
    const { opts } = options();
    const outcomes = await notify(
      [
        { url: deaf.url, on: ['failed'] },
        { url: wants.url },
        { url: deaf.url, on: ['unchanged', 'refused'] },
      ],
      result,
      opts,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['skipped', 'sent', 'skipped']);
    expect(wants.received).toHaveLength(1);
    expect(deaf.received).toHaveLength(0);

    const dry: SyncResult = syncResult([{ action: 'planned' }], { dryRun: true });
    expect((await notify([{ url: wants.url, on: ['synced', 'unchanged'] }], dry, opts))[0]!.status).toBe(
      'skipped',
    );
    expect(wants.received).toHaveLength(1);
  });
});

describe('a webhook that does not take the message', () => {
  it.each([
    [[500], 2, 'the webhook answered 500, also when tried again'],
    [[429], 2, 'the webhook answered 429, also when tried again'],
    [[404], 1, 'the webhook answered 404'],
    [[302], 1, 'the webhook answered 302 (redirects are not followed)'],
  ] as const)('answering %j is tried %i time(s), logged, and reported', async (answers, tries, why) => {
    const hook = await receiver([...answers]);
    const result = syncResult([{ action: 'synced' }]);
    const before = structuredClone(result);
    const { lines, opts } = options();
    const outcomes = await notify([{ url: hook.url }], result, opts);
    expect(hook.received).toHaveLength(tries);
    expect(outcomes).toEqual([{ index: 0, status: 'failed', message: why }]);
    expect(lines).toEqual([
      `warn could not send the notification notify[0]: ${why}; the promotion is not affected`,
    ]);
    expect(result).toEqual(before);
  });

  it('is sent on the retry after one 503', async () => {
    const hook = await receiver([503, 200]);
    const { opts } = options();
    expect(await notify([{ url: hook.url }], syncResult([{ action: 'failed' }]), opts)).toEqual([
      { index: 0, status: 'sent' },
    ]);
    expect(hook.received).toHaveLength(2);
    expect(hook.received[1]!.body).toEqual(hook.received[0]!.body);
  });

  it('asking to wait past the deadline (Retry-After) is given up at the deadline, not tried again', async () => {
    const hook = await receiver([{ status: 429, retryAfter: '3600' }, 200]);
    const { lines, opts } = options({ timeoutMs: 3000 });
    const outcomes = await notify([{ url: hook.url }], syncResult([{ action: 'synced' }]), opts);
    expect(hook.received).toHaveLength(1);
    expect(outcomes).toEqual([
      { index: 0, status: 'failed', message: 'the webhook answered 429, and no retry fitted in 3000 ms' },
    ]);
    expect(lines).toHaveLength(1);
  });

  it('asking to wait a moment (Retry-After: 0) is tried again and gets the message', async () => {
    const hook = await receiver([{ status: 429, retryAfter: '0' }, 200]);
    const { opts } = options();
    expect(await notify([{ url: hook.url }], syncResult([{ action: 'synced' }]), opts)).toEqual([
      { index: 0, status: 'sent' },
    ]);
    expect(hook.received).toHaveLength(2);
  });

  it('that hangs is given up after the timeout, and the other webhooks still get theirs', async () => {
    const hanging = await receiver(['hang']);
    const fine = await receiver();
    // Long enough for the healthy receiver to answer on a busy machine.
    const { lines, opts } = options({ timeoutMs: 2000 });
    const outcomes = await notify(
      [{ url: hanging.url }, { url: fine.url }],
      syncResult([{ action: 'synced' }]),
      opts,
    );
    expect(hanging.received).toHaveLength(1);
    expect(fine.received).toHaveLength(1);
    expect(outcomes).toEqual([
      { index: 0, status: 'failed', message: 'no answer within 2000 ms' },
      { index: 1, status: 'sent' },
    ]);
    expect(lines).toContain(
      'warn could not send the notification notify[0]: no answer within 2000 ms; the promotion is not affected',
    );
  });

  it('that nothing listens on is reported without its address', async () => {
    const hook = await receiver();
    const url = hook.url;
    await hook.close();
    receivers.pop();
    const { lines, opts } = options();
    const [outcome] = await notify([{ url }], syncResult([{ action: 'synced' }]), opts);
    expect(outcome).toMatchObject({ index: 0, status: 'failed' });
    expect(outcome!.message).toMatch(/ECONNREFUSED/);
    expect(outcome!.message).not.toContain(new URL(url).host);
    expect(lines).toHaveLength(1);
  });

  it.each([
    ['not a URL', 'hooks.slack.com/services/T/B/SECRET', 'its url is not a URL'],
    [
      'plain http to another machine',
      'http://hooks.example.test/services/T/B/SECRET',
      'its url must start with https://',
    ],
    ['another scheme', 'ftp://hooks.example.test/SECRET', 'its url must start with https://'],
  ])('whose URL is %s is refused without quoting it', async (_case, url, why) => {
    urls.push(url);
    const { lines, opts } = options();
    const [outcome] = await notify([{ url }], syncResult([{ action: 'synced' }]), opts);
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome!.message).toContain(why);
    expect(lines.join('\n')).not.toContain('SECRET');
  });
});

describe('the webhook URL', () => {
  it('is scrubbed from any text, whole, by its path or by its host', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/SECRET';
    expect(scrub(`posting to ${url} failed`, url)).toBe('posting to *** failed');
    expect(scrub('GET /services/T0/B0/SECRET 500', url)).toBe('GET *** 500');
    expect(scrub('getaddrinfo ENOTFOUND hooks.slack.com', url)).toBe('getaddrinfo ENOTFOUND ***');
  });

  it('comes from the config through ${VAR}, with `on` given or left to its default', () => {
    const config = parseConfig(
      `controlPlane: {url: https://api7.example.test}
environments: {test: {gatewayGroup: t}, production: {gatewayGroup: p, promoteFrom: test}}
services: {httpbin API: {}}
notify:
  - url: \${SLACK_WEBHOOK_URL}
  - {url: "https://hooks.example.test/\${TEAM_HOOK}", on: [failed, refused]}
`,
      '.github/api7-sync.yml',
      { env: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/A/B/C', TEAM_HOOK: 'x/y' } },
    );
    expect(config.notify).toEqual([
      { url: 'https://hooks.slack.com/services/A/B/C' },
      { url: 'https://hooks.example.test/x/y', on: ['failed', 'refused'] },
    ]);
  });

  it('is a config error when `on` names something that is not a service action', () => {
    expect(() =>
      parseConfig(
        `controlPlane: {url: https://api7.example.test}
environments: {test: {gatewayGroup: t}}
services: {httpbin API: {}}
notify: [{url: "\${HOOK}", on: [synced, deployed]}]
`,
        '.github/api7-sync.yml',
        { env: { HOOK: 'https://hooks.slack.com/services/SECRET' } },
      ),
    ).toThrow(
      /^\.github\/api7-sync\.yml:4:\d+: .*must be one of synced, unchanged, refused, rolled-back, failed, not "deployed"$/,
    );
  });
});
