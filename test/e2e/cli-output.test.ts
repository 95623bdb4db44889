/**
 * The CLI's output contract: results on stdout, progress and diagnostics on
 * stderr, one JSON document on every exit 0/1/2, nothing on stdout for 64, and messages a
 * person can act on.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { COMMANDS } from '../../cli/spec.js';
import { repoFor, runCli, type Run } from '../helpers/cli.js';
import { PROD, sandbox, walkthroughSeed, writes } from '../helpers/sandbox.js';

const TOKEN = 'a7ee-test-secret-token';
const outputs: Run[] = [];
const run = async (...args: Parameters<typeof runCli>) => {
  const res = await runCli(...args);
  outputs.push(res);
  return res;
};

let sb: Sandbox | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  }
});

const env = (s: Sandbox, token = TOKEN) => ({ API7_TOKEN: token, PROD_GATEWAY: s.gateways[PROD]! });
const PLAN = ['plan', '--from', 'test', '--to', 'production'];

/** Messages never carry these. */
function expectClean(text: string): void {
  expect(text).not.toMatch(/<html|<!doctype|\[object Object\]|undefined|\n\s+at .+:\d+:\d+\)?$/im);
  expect(text).not.toContain(TOKEN);
}

/** A server on 127.0.0.1 that answers every request with a web page, as a login proxy would. */
async function webPage(status = 200): Promise<string> {
  server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!DOCTYPE html><html><head><title>API7 Dashboard</title></head><body><div id="app"></div></body></html>',
    );
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('results on stdout, progress on stderr', () => {
  it('plan > plan.txt holds the plan; the progress stays on stderr', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const plan = await run(PLAN, env(sb), dir);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /^plan test \(测试网关组\) -> production \(生产网关组\)\n +planned +httpbin API +1\.0\.0/,
    );
    expect(plan.stderr).not.toMatch(/planned/);
    const dry = await run(['sync', '--from', 'test', '--to', 'production', '--dry-run'], env(sb), dir);
    expect(dry.stdout).toMatch(/planned +httpbin API/);
    const synced = await run(
      ['sync', '--from', 'test', '--to', 'production', '--verify-timeout', '3000'],
      env(sb),
      dir,
    );
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stdout).toMatch(/synced +httpbin API +1\.0\.0/);
    expect(synced.stderr).toMatch(/syncing "httpbin API" 1\.0\.0/);
    expect(synced.stdout).not.toMatch(/syncing/);
  });
});

describe('--json on exits 1 and 2 when nothing could be planned', () => {
  it('an unreachable control plane: exit 1 and {ok: false, error: {code: "unreachable"}}', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const gateway = sb.gateways[PROD]!;
    await sb.close();
    sb = undefined;
    const down = await run([...PLAN, '--json'], { API7_TOKEN: TOKEN, PROD_GATEWAY: gateway }, dir);
    expect(down.code).toBe(1);
    const doc = JSON.parse(down.stdout);
    expect(doc).toEqual({
      schemaVersion: 1,
      ok: false,
      error: {
        code: 'unreachable',
        message: expect.stringMatching(/connection refused; is the control plane URL right/),
      },
      services: [],
    });
    expect(down.stderr).toMatch(/connection refused/);
  });

  it('a refused token: exit 1, code "unauthorized", and the advice names API7_TOKEN', async () => {
    sb = await sandbox(walkthroughSeed());
    const res = await run([...PLAN, '--json'], env(sb, 'a7ee-wrong-token-value'), repoFor(sb));
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout)).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
      services: [],
    });
    expect(res.stderr).toMatch(/the control plane refused the token: .*HTTP 401.*check API7_TOKEN/);
    expect(res.stdout + res.stderr).not.toContain('a7ee-wrong-token-value');
  });

  it('an HTML answer is summarised, never dumped, with code "bad-answer"', async () => {
    sb = await sandbox(walkthroughSeed());
    for (const status of [200, 404]) {
      const url = await webPage(status);
      const res = await run([...PLAN, '--json'], env(sb), repoFor(sb, undefined, url));
      expect(res.code).toBe(1);
      const doc = JSON.parse(res.stdout);
      expect(doc).toMatchObject({ ok: false, error: { code: 'bad-answer' }, services: [] });
      expect(doc.error.message).toMatch(
        new RegExp(
          `HTTP ${status}: the answer is a web page \\(text/html, \\d+ bytes\\), not API7's Admin API: check controlPlane\\.url`,
        ),
      );
      expect(res.stderr).toContain("not API7's Admin API");
      expectClean(res.stdout + res.stderr);
      server!.closeAllConnections();
      await new Promise((r) => server!.close(r));
      server = undefined;
    }
  });

  it('a config error exits 64 with nothing on stdout, even with --json', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const file = path.join(dir, '.github', 'api7-sync.yml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(`gatewayGroup: ${PROD}`, 'gatewayGroup: 测试网关组'),
    );
    const res = await run([...PLAN, '--json'], env(sb), dir);
    expect(res.code).toBe(64);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(
      /^\.github\/api7-sync\.yml:8:19: environments "test" and "production" both use gateway group "测试网关组"/m,
    );
  });
});

describe('messages a person can act on', () => {
  it('a token with a trailing newline is trimmed, with a warning naming API7_TOKEN', async () => {
    sb = await sandbox(walkthroughSeed());
    const res = await run([...PLAN, '--json'], env(sb, `${TOKEN}\n`), repoFor(sb));
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).services[0].action).toBe('planned');
    expect(res.stderr).toMatch(/warning: API7_TOKEN has spaces or a line break around it .*using it trimmed/);
  });

  it('a missing caFile is a config error at the key, exit 64, not a bare ENOENT', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const file = path.join(dir, '.github', 'api7-sync.yml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/(url: .*\n)/, '$1  caFile: .github/api7-ca.pem\n'),
    );
    const res = await run(PLAN, env(sb), dir);
    expect(res.code).toBe(64);
    expect(res.stderr).toMatch(
      /^\.github\/api7-sync\.yml:3:3: caFile "\.github\/api7-ca\.pem" does not exist/m,
    );
    expect(res.stderr).not.toMatch(/ENOENT/);
    expect(await writes(sb)).toEqual([]);
  });
});

describe('help', () => {
  it('help COMMAND and COMMAND --help explain every flag, and --version in both meanings', async () => {
    for (const spec of COMMANDS) {
      const viaHelp = await run(['help', spec.name]);
      const viaFlag = await run([spec.name, '--help']);
      expect(viaHelp.code).toBe(0);
      expect(viaFlag.stdout).toBe(viaHelp.stdout);
      for (const flag of spec.flags) expect(viaHelp.stdout).toContain(`--${flag.name}`);
    }
    const sync = await run(['help', 'sync']);
    expect(sync.stdout).toMatch(/--version V +the version you expect the SOURCE group to be running/);
    expect(sync.stdout).toMatch(/`api7-sync --version` prints the program's version/);
    const top = await run(['help']);
    expect(top.stdout).toMatch(/api7-sync --version +the program's version\. After a command, --version V/);
    expect((await run(['help', 'frobnicate'])).code).toBe(64);
  });

  it('--version and help load no engine, no Probot, no sandbox', async () => {
    for (const args of [['--version'], ['help'], ['help', 'sync'], ['sync', '--help']]) {
      const record = path.join(mkdtempSync(path.join(tmpdir(), 'imports-')), 'imports.txt');
      const res = await runCli(args, { RECORD_IMPORTS: record }, process.cwd(), [
        '--import',
        path.resolve('test/e2e/fixtures/record-imports.mjs'),
      ]);
      expect(res.code).toBe(0);
      const loaded = readFileSync(record, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:'));
      expect(loaded.map((u) => path.relative(process.cwd(), fileURLToPath(u)))).toContain(
        path.join('lib', 'bundle', 'main.js'),
      );
      expect(loaded.join('\n')).not.toMatch(/\/lib\/(engine|sandbox|bot|cli)\/|node_modules\//);
      // The bundle's files that did load hold no HTTP client, no API7 client and no YAML reader.
      for (const url of loaded.filter((u) => u.includes('/lib/bundle/')))
        expect(readFileSync(fileURLToPath(url), 'utf8'), url).not.toMatch(
          /UND_ERR|gateway_groups|YAMLException|runtime_configuration/,
        );
    }
  });
});

it('no run printed the token or a raw page', () => {
  expect(outputs.length).toBeGreaterThan(10);
  for (const out of outputs) expectClean(out.stdout + out.stderr);
});
