/**
 * The README's quick start, run as written, and its examples checked against the files they
 * show and against a sandbox. In a clone the program is `node bin/api7-sync.js` (package.json's
 * `bin` for `api7-sync`), which starts at once, unlike npx, which would copy the folder into
 * npm's cache and build it again first. `npm ci` has already run (this test runs from an
 * installed clone); `npm test` is this suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Seed } from '../../sandbox/seed.js';
import type { Sandbox } from '../../sandbox/server.js';
import { runCli } from '../helpers/cli.js';
import { blocks, section } from '../helpers/markdown.js';
import { sandbox } from '../helpers/sandbox.js';
import { clockEnv } from '../helpers/clock.js';

const ROOT = path.resolve('.');
const README = readFileSync('README.md', 'utf8');

function shell(line: string, env: NodeJS.ProcessEnv): ChildProcess {
  const command = line.replace(/^npx api7-sync\b/, `node ${path.join(ROOT, 'bin', 'api7-sync.js')}`);
  return spawn('sh', ['-c', command], { cwd: ROOT, env, detached: true });
}

/** Stops a background command's whole process group; a clean-up never fails the next test. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch (err) {
    // ESRCH: the group is already gone, which is what stopping wants.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') console.warn(`could not stop ${child.pid}: ${err}`);
    return;
  }
  await closed;
}

let background: ChildProcess[] = [];
let sb: Sandbox | undefined;
afterEach(async () => {
  const stopping = background.map(stop);
  background = [];
  const closing = sb?.close();
  sb = undefined;
  for (const r of await Promise.allSettled([...stopping, closing]))
    if (r.status === 'rejected') console.warn(`clean-up failed: ${r.reason}`);
});

/** The first stdout line of a background command; its exit before that fails at once, with its stderr. */
function firstLine(child: ChildProcess, line: string): Promise<string> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('close', (code) =>
      reject(new Error(`\`${line}\` exited (${code}) before it was ready:\n${stderr}`)),
    );
  });
}

/**
 * The quick start's seed and config, as files that differ from the README's only in their ports:
 * the copies take free ports (a user's own sandbox on 17443, or another test run, must not matter),
 * and `localize` turns each of the README's fixed addresses and file names into the copies'.
 */
function quickStartCopies(): { seedCopy: string; configCopy: string; seed: Seed; dir: string } {
  const seedText = readFileSync('examples/sandbox.yaml', 'utf8');
  const dir = mkdtempSync(path.join(tmpdir(), 'readme-quick-start-'));
  const seedCopy = path.join(dir, 'sandbox.yaml');
  const configCopy = path.join(dir, 'api7-sync.sandbox.yml');
  writeFileSync(
    seedCopy,
    seedText.replace(/^listen: (.+):\d+$/m, 'listen: $1:0').replace(/gatewayPort: \d+/g, 'gatewayPort: 0'),
  );
  return { seedCopy, configCopy, seed: parse(seedText) as Seed, dir };
}

describe('the README', () => {
  it('the api7-sync command is bin/api7-sync.js', () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).bin).toEqual({ 'api7-sync': 'bin/api7-sync.js' });
  });

  it('its quick-start config points at the addresses its seed listens on', () => {
    const seed = parse(readFileSync('examples/sandbox.yaml', 'utf8')) as Seed;
    const config = parse(readFileSync('examples/api7-sync.sandbox.yml', 'utf8'));
    expect(config.controlPlane.url).toBe(`http://${seed.listen}`);
    const ports = Object.fromEntries(seed.gatewayGroups!.map((g) => [g.name, g.gatewayPort]));
    for (const env of Object.values(config.environments) as { gatewayGroup: string; gatewayUrl: string }[])
      expect(env.gatewayUrl).toBe(`http://127.0.0.1:${ports[env.gatewayGroup]}`);
  });

  it('runs its quick start as written, on free ports', async () => {
    const quick = section(README, 'Quick start');
    const lines = blocks(quick, 'sh')
      .flatMap((b) => b.split('\n'))
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toContain('node bin/api7-sync.js demo');
    expect(lines.join('\n')).not.toMatch(/\bnpx\b/);
    const { seedCopy, configCopy, seed } = quickStartCopies();
    // The README's addresses → the copies' (known once the sandbox is ready).
    const addresses = new Map<string, string>();
    const localize = (text: string) => {
      let out = text
        .replaceAll('examples/sandbox.yaml', seedCopy)
        .replaceAll('examples/api7-sync.sandbox.yml', configCopy);
      for (const [fixed, free] of addresses) out = out.replaceAll(fixed, free);
      return out;
    };
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...clockEnv() };
    const seen: Record<string, string> = {};
    for (const line of lines) {
      if (line === 'npm ci' || line === 'npm test') continue;
      const exported = /^export (\w+)=(\S+)$/.exec(line);
      if (exported) {
        env[exported[1]!] = exported[2]!;
        continue;
      }
      if (line.endsWith('&')) {
        const child = shell(localize(line.slice(0, -1).trim()), env);
        background.push(child);
        const ready = JSON.parse(await firstLine(child, line));
        expect(line).toContain('examples/sandbox.yaml');
        addresses.set(`http://${seed.listen}`, ready.controlPlane);
        for (const g of seed.gatewayGroups!)
          addresses.set(`http://127.0.0.1:${g.gatewayPort}`, ready.gateways[g.name]);
        writeFileSync(configCopy, localize(readFileSync('examples/api7-sync.sandbox.yml', 'utf8')));
        continue;
      }
      const child = shell(localize(line), env);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code, `${line}\n${stderr}`).toBe(0);
      seen[line] = stdout;
    }
    const outputOf = (prefix: string) => Object.entries(seen).find(([l]) => l.startsWith(prefix))![1];
    expect(JSON.parse(outputOf('node bin/api7-sync.js demo')).headers.Host).toBe('httpbin');
    expect(outputOf('node bin/api7-sync.js status')).toMatch(
      /^service +test +production\nhttpbin API +1\.0\.0 +—$/m,
    );
    expect(outputOf('node bin/api7-sync.js plan')).toMatch(
      /planned +httpbin API +1\.0\.0 +upstream: discovery 生产用注册中心/,
    );
    expect(outputOf('node bin/api7-sync.js sync')).toMatch(/synced +httpbin API +1\.0\.0/);
    expect(JSON.parse(outputOf('curl')).headers.Host).toBe('api.example.com');
  });

  it('shows the sandbox config and the template exactly as the files hold them', () => {
    expect(blocks(section(README, 'Quick start'), 'yaml')).toEqual([
      readFileSync('examples/api7-sync.sandbox.yml', 'utf8'),
    ]);
    expect(blocks(section(README, 'The config file'), 'yaml')).toEqual([
      readFileSync('examples/api7-sync.yml', 'utf8'),
    ]);
  });

  it('its template is complete: every group, registry and service it names, it plans and syncs', async () => {
    sb = await sandbox({
      token: 'a7ee-readme',
      gatewayGroups: [{ name: '测试网关组' }, { name: '生产网关组' }],
      registries: [
        {
          gatewayGroup: '生产网关组',
          name: '生产用注册中心',
          type: 'nacos',
          services: [
            {
              namespace: 'public',
              group: 'DEFAULT_GROUP',
              name: 'orders',
              instances: [{ host: 'httpbin', port: 80 }],
            },
          ],
        },
      ],
      services: ['httpbin API', 'orders'].map((name) => ({
        gatewayGroup: '测试网关组',
        name,
        version: '1.0.0',
        routes: [{ name: 'all', paths: [name === 'orders' ? '/orders/*' : '/headers'] }],
        upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
      })),
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'readme-template-'));
    mkdirSync(path.join(dir, '.github'));
    writeFileSync(
      path.join(dir, '.github', 'api7-sync.yml'),
      readFileSync('examples/api7-sync.yml', 'utf8').replace(
        'https://api7.example.com:7443',
        sb.controlPlane,
      ),
    );
    const env = { API7_TOKEN: 'a7ee-readme' };
    const plan = await runCli(['plan', '--from', 'test', '--to', 'production', '--json'], env, dir);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).services.map((s: { action: string }) => s.action)).toEqual([
      'planned',
      'planned',
    ]);
    // httpbin.org is not reachable from a test, so the template syncs without verification.
    const sync = await runCli(
      ['sync', '--from', 'test', '--to', 'production', '--json', '--no-verify'],
      env,
      dir,
    );
    expect(sync.code, sync.stderr).toBe(0);
    expect(JSON.parse(sync.stdout).services.map((s: { action: string }) => s.action)).toEqual([
      'synced',
      'synced',
    ]);
  });
});
