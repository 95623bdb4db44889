import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBot } from '../../bot/app.js';
import { readBotSettings } from '../../bot/settings.js';
import { SyncError } from '../../engine/index.js';
import { PRIVATE_KEY } from '../helpers/bot.js';
import { clockEnv } from '../helpers/clock.js';

const POLICY = JSON.stringify({ 'acme/shop': { controlPlane: 'https://api7.internal:7443' } });

const good = {
  APP_ID: '12345',
  PRIVATE_KEY,
  WEBHOOK_SECRET: 'hook-secret',
  API7_TOKEN: 'a7ee-token',
  API7_CONTROL_PLANES: POLICY,
  API7_SYNC_STATE_SECRET: 'state-secret-of-thirty-two-bytes',
};

const refusal = (env: Record<string, string | undefined>) => {
  try {
    readBotSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe('config');
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('the bot settings', () => {
  it('has the documented defaults, and gives createBot the names it takes', () => {
    const s = readBotSettings(good);
    expect(s).toMatchObject({
      appId: '12345',
      webhookSecret: 'hook-secret',
      api7Token: 'a7ee-token',
      stateSecret: 'state-secret-of-thirty-two-bytes',
      heartbeatMs: 60_000,
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      githubThrottle: true,
      warnings: [],
    });
    expect(s.enterprise).toBeUndefined();
    expect(s.policy['acme/shop']?.controlPlane).toBe('https://api7.internal:7443');
    expect(s.privateKey).toContain('-----BEGIN RSA PRIVATE KEY-----');
    expect(typeof createBot(s).app).toBe('function');
  });

  it('reads the key from PRIVATE_KEY_PATH, base64 or with escaped newlines; trims the API7 token with a warning', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bot-key-'));
    const file = path.join(dir, 'app.pem');
    writeFileSync(file, PRIVATE_KEY);
    const { PRIVATE_KEY: _, ...withoutKey } = good;
    expect(readBotSettings({ ...withoutKey, PRIVATE_KEY_PATH: file }).privateKey).toBe(PRIVATE_KEY);
    expect(
      readBotSettings({ ...good, PRIVATE_KEY: Buffer.from(PRIVATE_KEY).toString('base64') }).privateKey,
    ).toBe(PRIVATE_KEY);
    expect(readBotSettings({ ...good, PRIVATE_KEY: PRIVATE_KEY.replace(/\n/g, '\\n') }).privateKey).toBe(
      PRIVATE_KEY,
    );
    const trimmed = readBotSettings({ ...good, API7_TOKEN: ' a7ee-token\n' });
    expect(trimmed.api7Token).toBe('a7ee-token');
    expect(trimmed.warnings).toEqual(['API7_TOKEN had surrounding whitespace; it was trimmed']);
    expect(
      readBotSettings({
        ...good,
        HOST: '0.0.0.0',
        PORT: '8080',
        LOG_LEVEL: 'DEBUG',
        API7_SYNC_HEARTBEAT_MS: '1000',
        GHE_HOST: 'github.acme.example:8443',
      }),
    ).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'debug',
      heartbeatMs: 1000,
      enterprise: { host: 'github.acme.example:8443', protocol: 'https' },
    });
  });

  it('refuses each bad variable with an error naming it', () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ APP_ID: undefined }, /^APP_ID is not set/],
      [{ APP_ID: 'my-app' }, /^APP_ID is the GitHub App's numeric id, not "my-app"/],
      [{ PRIVATE_KEY: undefined }, /^PRIVATE_KEY \(or PRIVATE_KEY_PATH\) is not set/],
      [{ PRIVATE_KEY: 'not a key' }, /^PRIVATE_KEY is not a PEM private key/],
      [
        { PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: '/nonexistent/app.pem' },
        /^PRIVATE_KEY_PATH: cannot read/,
      ],
      [{ PRIVATE_KEY_PATH: '/nonexistent/app.pem' }, /^PRIVATE_KEY and PRIVATE_KEY_PATH are both set/],
      [{ WEBHOOK_SECRET: '' }, /^WEBHOOK_SECRET is not set/],
      [{ API7_TOKEN: ' ' }, /^API7_TOKEN is not set/],
      [{ API7_CONTROL_PLANES: undefined }, /^API7_CONTROL_PLANES is not set/],
      [{ API7_CONTROL_PLANES: '{"acme": 1}' }, /^API7_CONTROL_PLANES: "acme"\.controlPlane must be a URL/],
      [{ API7_SYNC_STATE_SECRET: undefined }, /^API7_SYNC_STATE_SECRET is not set/],
      [{ API7_SYNC_STATE_SECRET: 'x' }, /^API7_SYNC_STATE_SECRET is 1 bytes long; it must be at least 32/],
      [
        { API7_SYNC_STATE_SECRET: 'h'.repeat(40), WEBHOOK_SECRET: 'h'.repeat(40) },
        /^API7_SYNC_STATE_SECRET is the same as WEBHOOK_SECRET; use a key of its own/,
      ],
      [
        { API7_SYNC_STATE_SECRET: 't'.repeat(40), API7_TOKEN: 't'.repeat(40) },
        /^API7_SYNC_STATE_SECRET is the same as API7_TOKEN/,
      ],
      [
        { API7_SYNC_HEARTBEAT_MS: 'fast' },
        /^API7_SYNC_HEARTBEAT_MS takes whole milliseconds, at least 1000 \(default 60000\), not "fast"/,
      ],
      [{ API7_SYNC_HEARTBEAT_MS: '999' }, /^API7_SYNC_HEARTBEAT_MS takes whole milliseconds, at least 1000/],
      [{ API7_SYNC_HEARTBEAT_MS: '1.5e3x' }, /^API7_SYNC_HEARTBEAT_MS /],
      [{ HOST: 'http://0.0.0.0' }, /^HOST is an address or host name to listen on/],
      [{ PORT: '65536' }, /^PORT is a TCP port from 0 to 65535 \(default 3000\), not "65536"/],
      [{ PORT: 'eighty' }, /^PORT is a TCP port/],
      [
        { LOG_LEVEL: 'loud' },
        /^LOG_LEVEL is one of trace, debug, info, warn, error, fatal \(default info\), not "loud"/,
      ],
      [
        { GHE_HOST: 'https://github.acme.example' },
        /^GHE_HOST is the server's host name \(and port\), without a scheme/,
      ],
      [{ GHE_HOST: 'github.acme.example', GHE_PROTOCOL: 'ftp' }, /^GHE_PROTOCOL is http or https/],
      [{ GHE_PROTOCOL: 'http' }, /^GHE_PROTOCOL is set without GHE_HOST/],
      [{ API7_SYNC_GITHUB_THROTTLE: 'no' }, /^API7_SYNC_GITHUB_THROTTLE is "off"/],
    ];
    for (const [change, message] of cases)
      expect(refusal({ ...good, ...change }), JSON.stringify(change)).toMatch(message);
    // Secrets are never quoted back.
    expect(refusal({ ...good, PRIVATE_KEY: 'super-secret-key-text' })).not.toContain('super-secret-key-text');
  });

  it('makes `api7-sync bot` exit 64 naming the variable, before listening', async () => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.resolve('bin/api7-sync.js'), 'bot'], {
        env: {
          PATH: process.env.PATH ?? '',
          ...clockEnv(),
          ...good,
          API7_SYNC_HEARTBEAT_MS: 'soon',
          PORT: '0',
        },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(
      /^api7-sync bot: API7_SYNC_HEARTBEAT_MS takes whole milliseconds, at least 1000/,
    );
    expect(run.stderr).not.toMatch(/listening/);
  });

  it.each([
    ['one character', { API7_SYNC_STATE_SECRET: 's' }, /API7_SYNC_STATE_SECRET is 1 bytes long/],
    [
      'the webhook secret again',
      { API7_SYNC_STATE_SECRET: 'w'.repeat(48), WEBHOOK_SECRET: 'w'.repeat(48) },
      /API7_SYNC_STATE_SECRET is the same as WEBHOOK_SECRET/,
    ],
  ])(
    'refuses a state secret that is %s: exit 64 before listening, the secret never printed',
    async (_, change, message) => {
      const run = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [path.resolve('bin/api7-sync.js'), 'bot'], {
          env: { PATH: process.env.PATH ?? '', ...good, ...change, PORT: '0' },
        });
        let stderr = '';
        let stdout = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.stdout.on('data', (d) => (stdout += d));
        child.on('close', (code) => resolve({ code, stderr, stdout }));
      });
      expect(run.code).toBe(64);
      expect(run.stderr).toMatch(message);
      expect(run.stderr + run.stdout).not.toMatch(/listening|w{48}/);
    },
  );
});
