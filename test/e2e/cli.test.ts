/** The built `api7-sync` program, run as its own process against a sandbox. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { BIN, recordingRunCli, repoFor } from '../helpers/cli.js';
import { fakeGitHub } from '../helpers/github-server.js';
import {
  api,
  deadPort,
  PROD,
  sandbox,
  serviceIn,
  TEST,
  walkthroughSeed,
  withProductionAt090,
  writes,
} from '../helpers/sandbox.js';
import { clockEnv } from '../helpers/clock.js';

const TOKEN = 'a7ee-test-secret-token';

/** Every run's output, to check at the end that no token ever leaked. */
const outputs: string[] = [];
const run = recordingRunCli(outputs);

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const env = (s: Sandbox) => ({ API7_TOKEN: TOKEN, PROD_GATEWAY: s.gateways[PROD]! });

describe('api7-sync sync and plan', () => {
  it('syncs with --json: exit 0 and exactly one JSON document on stdout', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const res = await run(
      [
        'sync',
        '--from',
        'test',
        '--to',
        'production',
        '--version',
        '1.0.0',
        '--json',
        '--verify-timeout',
        '3000',
      ],
      env(sb),
      dir,
    );
    expect(res.code, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout);
    expect(result).toMatchObject({
      schemaVersion: 1,
      ok: true,
      from: { environment: 'test', gatewayGroup: TEST },
      to: { environment: 'production', gatewayGroup: PROD },
    });
    expect(result.services[0]).toMatchObject({
      name: 'httpbin API',
      action: 'synced',
      version: '1.0.0',
      requestedVersion: '1.0.0',
      reason: null,
    });
    expect(res.stderr).toMatch(/syncing "httpbin API" 1\.0\.0/);
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });

  it('--version after a command is the expected source version: exit 2, no write', async () => {
    sb = await sandbox(walkthroughSeed());
    const res = await run(
      ['sync', '--from', 'test', '--to', 'production', '--version', '0.9.0', '--json'],
      env(sb),
      repoFor(sb),
    );
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout).services[0]).toMatchObject({
      action: 'refused',
      reason: 'not-current-version',
    });
    expect(await writes(sb)).toEqual([]);
    const version = await run(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('plan and --dry-run send no write and exit 0 with changes pending', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const plan = await run(['plan', '--from', 'test', '--to', 'production', '--json'], env(sb), dir);
    const dry = await run(['sync', '--from', 'test', '--to', 'production', '--dry-run'], env(sb), dir);
    expect(plan.code).toBe(0);
    expect(dry.code).toBe(0);
    expect(JSON.parse(plan.stdout).services[0].action).toBe('planned');
    expect(dry.stdout).toMatch(/planned +httpbin API/);
    expect(dry.stderr).not.toMatch(/planned/);
    expect(await writes(sb)).toEqual([]);
  });

  it('without a gateway URL, verification is refused unless --no-verify', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const noGateway = { API7_TOKEN: TOKEN, PROD_GATEWAY: '' };
    const file = path.join(dir, '.github', 'api7-sync.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    gatewayUrl: ${PROD_GATEWAY}\n', ''));
    const refused = await run(['sync', '--from', 'test', '--to', 'production', '--json'], noGateway, dir);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).services[0]).toMatchObject({ reason: 'no-gateway-url' });
    const synced = await run(
      ['sync', '--from', 'test', '--to', 'production', '--json', '--no-verify'],
      noGateway,
      dir,
    );
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).services[0]).toMatchObject({ action: 'synced', verify: [] });
  });

  it('a failed verification rolls back and exits 1 with the result on stdout', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb, `{host: 127.0.0.1, port: ${await deadPort()}}`);
    const res = await run(
      ['sync', '--from', 'test', '--to', 'production', '--json', '--verify-timeout', '1000'],
      env(sb),
      dir,
    );
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout).services[0]).toMatchObject({
      action: 'rolled-back',
      reason: 'verify-failed',
    });
  });

  it('a malformed config exits 64 with file:line:col and nothing on stdout', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    writeFileSync(
      path.join(dir, 'bad.yml'),
      'controlPlane:\n  url: https://x:7443\nenvironments:\n  test: {gatewayGroup: 7}\nservices: {}\n',
    );
    const res = await run(
      ['sync', '--from', 'test', '--to', 'production', '--config', 'bad.yml', '--json'],
      env(sb),
      dir,
    );
    expect(res.code).toBe(64);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(
      /^bad\.yml:4:24: environments\.test\.gatewayGroup must be a string, not a number; quote it: "7"$/m,
    );
  });

  it('usage errors exit 64; the token is never taken from argv', async () => {
    const noToken = await run(['sync', '--from', 'test', '--to', 'production', '--token', TOKEN]);
    expect(noToken.code).toBe(64);
    expect(noToken.stderr).toMatch(/Unknown option '--token'/);
    expect((await run(['frobnicate'])).code).toBe(64);
    const help = await run(['sync', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: api7-sync sync --from ENV --to ENV/);
  });

  it('a rejected token or an unreachable control plane exits 1 and says why', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const rejected = await run(
      ['status'],
      { API7_TOKEN: 'a7ee-wrong-token-value', PROD_GATEWAY: sb.gateways[PROD]! },
      dir,
    );
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/refused the token: .*HTTP 401.*check API7_TOKEN/);
    expect(rejected.stderr).not.toContain('a7ee-wrong-token-value');
    await sb.close();
    sb = undefined;
    const down = await run(
      ['plan', '--from', 'test', '--to', 'production', '--json'],
      { API7_TOKEN: TOKEN, PROD_GATEWAY: 'http://127.0.0.1:1' },
      dir,
    );
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({
      ok: false,
      error: { code: 'unreachable' },
      services: [],
    });
    expect(down.stderr).toMatch(/connection refused/);
  });

  it('status prints the service × environment matrix; rollback goes back to the earlier version', async () => {
    sb = await sandbox(withProductionAt090());
    const dir = repoFor(sb);
    const before = await run(['status'], env(sb), dir);
    expect(before.stdout).toMatch(/^service\s+test\s+production\nhttpbin API\s+1\.0\.0\s+0\.9\.0$/m);
    expect(
      (await run(['sync', '--from', 'test', '--to', 'production', '--no-verify'], env(sb), dir)).code,
    ).toBe(0);
    const back = await run(
      ['rollback', '--env', 'production', '--service', 'httpbin API', '--json', '--no-verify'],
      env(sb),
      dir,
    );
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout).services[0]).toMatchObject({ version: '0.9.0', previousVersion: '1.0.0' });
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('0.9.0');
  });
});

describe('api7-sync adc render', () => {
  it('writes the environment file, and exits 64 with a position on a bad ADC file', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb, '{host: prod-httpbin.internal, port: 8080}');
    writeFileSync(
      path.join(dir, 'adc.yaml'),
      'services:\n  - name: httpbin API # ours\n    upstream:\n      nodes:\n        - {host: httpbin, port: 80, weight: 100}\n  - name: other\n    hosts: [x.example.com]\n',
    );
    const res = await run(
      ['adc', 'render', '--env', 'production', '-f', 'adc.yaml', '-o', 'adc.production.yaml'],
      env(sb),
      dir,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'adc.production.yaml'), 'utf8')).toBe(
      'services:\n  - name: httpbin API # ours\n    upstream:\n      nodes: [ { host: prod-httpbin.internal, port: 8080, weight: 100 } ]\n  - name: other\n    hosts: [x.example.com]\n',
    );
    expect(res.stderr).toMatch(
      /set runtime configuration of httpbin API; not in the config, left as they were: other/,
    );
    writeFileSync(path.join(dir, 'bad.yaml'), 'services:\n  - name: [\n');
    const bad = await run(['adc', 'render', '--env', 'production', '-f', 'bad.yaml'], env(sb), dir);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^bad\.yaml:\d+:\d+: /);
    expect((await run(['adc', 'lint'], env(sb), dir)).code).toBe(64);
  });
});

describe('api7-sync --lock', () => {
  it('takes the same environment lock as the Action; a held lock refuses with exit 2 and no write', async () => {
    sb = await sandbox(walkthroughSeed());
    const gh = await fakeGitHub();
    try {
      const dir = repoFor(sb);
      const lockEnv = { ...env(sb), GITHUB_TOKEN: 'ghs_cli-secret', GITHUB_API_URL: gh.url };
      const ok = await run(
        ['sync', '--from', 'test', '--to', 'production', '--lock', 'acme/shop', '--no-verify', '--json'],
        lockEnv,
        dir,
      );
      expect(ok.code, ok.stderr).toBe(0);
      expect(gh.requests.filter((r) => r.path.includes('/git/refs')).map((r) => r.method)).toEqual([
        'POST',
        'DELETE',
      ]);
      expect(gh.refs.size).toBe(0);

      // Another run's lease, on the clock the CLI runs on too: taken a minute ago, for an hour.
      const since = new Date(Date.now() - 60_000).toISOString();
      const until = new Date(Date.now() + 3_600_000).toISOString();
      gh.commits.set('b'.repeat(40), {
        message: `api7-sync lock: production\n\n${JSON.stringify({ holder: 'acme/shop run 9 (by carol)', reason: 'promote test → production', since, until })}`,
        parents: [],
        tree: 't',
      });
      gh.refs.set('refs/heads/api7-sync-lock/production', 'b'.repeat(40));
      await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
      const held = await run(
        ['rollback', '--env', 'production', '--service', 'httpbin API', '--lock', 'acme/shop', '--json'],
        lockEnv,
        dir,
      );
      expect(held.code).toBe(2);
      expect(JSON.parse(held.stdout).services[0]).toMatchObject({ action: 'refused', reason: 'lock-held' });
      expect(JSON.parse(held.stdout).services[0].message).toMatch(/held by acme\/shop run 9 \(by carol\)/);
      expect(await writes(sb)).toEqual([]);
      const noToken = await run(
        ['sync', '--from', 'test', '--to', 'production', '--lock', 'acme/shop'],
        env(sb),
        dir,
      );
      expect(noToken.code).toBe(64);
      expect(noToken.stderr).toMatch(/--lock needs GITHUB_TOKEN/);
      for (const out of [ok, held, noToken]) expect(out.stdout + out.stderr).not.toContain('ghs_cli-secret');
    } finally {
      await gh.close();
    }
  });
});

describe('api7-sync sandbox and demo', () => {
  it('the sandbox prints one ready line, serves the walkthrough, and stops on SIGTERM', async () => {
    // The example seed with its fixed ports freed, so that it never collides with another run.
    const seed = path.join(mkdtempSync(path.join(tmpdir(), 'seed-')), 'sandbox.yaml');
    writeFileSync(
      seed,
      readFileSync('examples/sandbox.yaml', 'utf8')
        .replace(/listen: 127\.0\.0\.1:\d+/, 'listen: 127.0.0.1:0')
        .replace(/gatewayPort: \d+/g, 'gatewayPort: 0'),
    );
    const child = spawn(process.execPath, [BIN, 'sandbox', '--seed', seed], {
      env: { PATH: process.env.PATH ?? '', ...clockEnv() },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    const first: string = await new Promise((resolve, reject) => {
      lines.once('line', resolve);
      child.once('close', (code) =>
        reject(new Error(`the sandbox exited (${code}) before its ready line:\n${stderr}`)),
      );
    });
    const ready = JSON.parse(first);
    expect(Object.keys(ready)).toEqual(['controlPlane', 'token', 'api7Version', 'gateways', 'httpbin']);
    expect(ready.controlPlane).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const groups = await request(`${ready.controlPlane}/api/gateway_groups?page_size=10`, {
      headers: { 'x-api-key': ready.token },
    });
    expect(((await groups.body.json()) as any).list.map((g: any) => g.name)).toEqual(
      expect.arrayContaining([TEST, PROD]),
    );
    const headers = await request(`${ready.gateways[TEST]}/headers`);
    expect(headers.statusCode).toBe(200);
    expect(((await headers.body.json()) as any).headers).toHaveProperty('Host');
    let more = '';
    lines.on('line', (l) => (more += l));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(more).toBe('');
    expect(stderr).toMatch(/stopped/);
  });

  it('the demo replays the walkthrough and prints the production gateway answer', async () => {
    for (const version of ['3.5.0', '3.9.0']) {
      const res = await run(['demo', '--api7-version', version], { API7_TOKEN: TOKEN });
      expect(res.code, res.stderr).toBe(0);
      const answer = JSON.parse(res.stdout);
      expect(answer.headers.Host).toBe('httpbin');
      expect(res.stderr).toMatch(/after: \{"test":"1\.0\.0","production":"1\.0\.0"\}/);
    }
  });

  it('no run printed the token', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const out of outputs) expect(out).not.toContain(TOKEN);
  });
});
