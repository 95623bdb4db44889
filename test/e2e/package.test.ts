/**
 * The release tarball, as a user and an operator get it (`npm run pack:release`, which bundles
 * the locked dependencies into what `npm pack` packs). It holds the program, its
 * schema, examples, README, LICENSE and CHANGELOG, and every runtime dependency, and nothing of
 * the tests, benchmarks, sources or local secrets. Installed into an empty folder with the
 * registry out of reach (`--offline`), `api7-sync --version` and `api7-sync demo` work. And the bot
 * runs from it the way the Dockerfile's image runs it (its ENV, WORKDIR, an unprivileged user, its
 * CMD), answering the image's own HEALTHCHECK command. Docker itself is not needed: the image's
 * command is run as the image would run it. `npm test` has built lib/ just before (pretest).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRIVATE_KEY, WEBHOOK_SECRET } from '../helpers/bot.js';
import { until } from '../helpers/bot-process.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';

const run = promisify(execFile);
const ROOT = path.resolve('.');
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
/** Only what npm needs: none of the npm_config_* that `npm test` passes to its children. */
const NPM_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };

let work: string;
let tarball: string;
let entries: string[];
let prefix: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'api7-sync-package-'));
  // `npm run pack:release`; lib/ is fresh (pretest built it), so it needs no second build.
  const packed = await run(process.execPath, ['scripts/pack-release.mjs', '--no-build', '--out', work], {
    cwd: ROOT,
    env: NPM_ENV,
  });
  tarball = packed.stdout.trim();
  const listing = await run('tar', ['-tzf', tarball], { maxBuffer: 64 * 1024 * 1024 });
  entries = listing.stdout.split('\n').filter(Boolean);
  prefix = path.join(work, 'prefix');
  // The README's `npm install --global`, into an empty prefix, and never a registry.
  await run(
    'npm',
    ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball],
    { cwd: work, env: NPM_ENV },
  );
}, 300_000);

const own = () =>
  entries.filter((e) => !e.startsWith('package/node_modules/')).map((e) => e.replace(/^package\//, ''));

describe('the release tarball (npm run pack:release)', () => {
  it('is named for the version and holds the program, its schema, examples, README, LICENSE and CHANGELOG', () => {
    expect(path.basename(tarball)).toBe(`api7-sync-${VERSION}.tgz`);
    expect(own()).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'README.zh-CN.md',
        'LICENSE',
        'CHANGELOG.md',
        'bin/api7-sync.js',
        'lib/cli/main.js',
        'lib/engine/index.js',
        'lib/bot/server.js',
        'lib/sandbox/server.js',
        'schema/api7-sync.schema.json',
        'examples/api7-sync.yml',
        'examples/api7-sync.sandbox.yml',
        'examples/sandbox.yaml',
        'examples/workflows/promote-after-tests.yml',
      ]),
    );
  });

  it('holds no tests, benchmarks, TypeScript sources, source maps, secrets or repository tooling', () => {
    const unwanted = own().filter((f) =>
      /^(test|testing|src|bench|lib\/bench|scripts|\.github|\.ci|coverage|dist|node_modules)\/|\.(ts|map|pem|key|tgz|log)$|(^|\/)\.env($|\.)|^tsconfig|^vitest|^eslint/.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
  });

  it('carries its runtime dependencies at the locked versions, no development tools, no build scripts', () => {
    const bundled = new Set(
      entries
        .map((e) => /^package\/node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(e)?.[1])
        .filter((n): n is string => n !== undefined),
    );
    const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies))
      expect(bundled, dependency).toContain(dependency);
    for (const tool of ['typescript', 'vitest', 'eslint', 'esbuild', 'nock'])
      expect(bundled).not.toContain(tool);
    const installed = path.join(prefix, 'lib', 'node_modules', 'api7-sync');
    const packedManifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
    expect(packedManifest.version).toBe(VERSION);
    expect(packedManifest.scripts).toBeUndefined();
    const locked = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;
    const probot = JSON.parse(
      readFileSync(path.join(installed, 'node_modules', 'probot', 'package.json'), 'utf8'),
    );
    expect(probot.version).toBe(locked['node_modules/probot'].version);
  });
});

describe('installed from the tarball into an empty folder, offline', () => {
  const bin = () => path.join(prefix, 'bin', 'api7-sync');
  const elsewhere = () => {
    const dir = path.join(work, 'elsewhere');
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  it('api7-sync --version prints the package version', async () => {
    const { stdout } = await run(bin(), ['--version'], { cwd: elsewhere(), env: { PATH: NPM_ENV.PATH } });
    expect(stdout.trim()).toBe(VERSION);
  });

  it('api7-sync demo runs the walkthrough and prints the production gateway answer', async () => {
    const { stdout } = await run(bin(), ['demo'], { cwd: elsewhere(), env: { PATH: NPM_ENV.PATH } });
    expect(JSON.parse(stdout).headers.Host).toBe('httpbin');
  }, 60_000);

  it('pulls no engine-incompatible dependency: no installed package wants a Node.js newer than 20', () => {
    const wantsNewer: string[] = [];
    const walk = (modules: string) => {
      for (const name of readdirSync(modules)) {
        if (name.startsWith('.')) continue;
        if (name.startsWith('@')) {
          for (const scoped of readdirSync(path.join(modules, name))) visit(path.join(modules, name, scoped));
        } else visit(path.join(modules, name));
      }
    };
    const visit = (dir: string) => {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const node = manifest.engines?.node;
      if (typeof node === 'string' && /^>=\s*2[1-9]/.test(node.trim()))
        wantsNewer.push(`${manifest.name} ${node}`);
      if (existsSync(path.join(dir, 'node_modules'))) walk(path.join(dir, 'node_modules'));
    };
    walk(path.join(prefix, 'lib', 'node_modules'));
    expect(wantsNewer).toEqual([]);
  });
});

/** The final stage of the Dockerfile: what the image sets and runs. */
function image(): { env: Record<string, string>; user: string; cmd: string[]; healthcheck: string[] } {
  const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ');
  const final = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, line] of final.matchAll(/^ENV (.+)$/gm))
    for (const [, k, v] of line!.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
  return {
    env,
    user: /^USER (\S+)$/m.exec(final)![1]!,
    cmd: JSON.parse(/^CMD (\[.+\])$/m.exec(final)![1]!),
    healthcheck: JSON.parse(/^HEALTHCHECK .*?CMD (\[.+\])$/m.exec(final)![1]!),
  };
}

describe('the bot, run as the Dockerfile runs it', () => {
  let github: FakeGitHub;
  let bot: ChildProcess | undefined;
  afterAll(async () => {
    if (bot && bot.exitCode === null && bot.signalCode === null) {
      const exited = new Promise((r) => bot!.once('close', r));
      bot.kill('SIGTERM');
      await exited;
    }
    await github?.close();
  });

  it('has a non-root user, HOST=0.0.0.0 and a HEALTHCHECK on /healthz', () => {
    const { env, user, cmd, healthcheck } = image();
    expect(user).not.toMatch(/^(root|0)$/);
    expect(env.HOST).toBe('0.0.0.0');
    expect(cmd).toEqual(['api7-sync', 'bot']);
    expect(healthcheck.join(' ')).toContain('/healthz');
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim$/m);
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/^ARG NODE_VERSION=(2[4-9]|[3-9]\d)$/m);
  });

  it('listens on 0.0.0.0 as an unprivileged user, passes its health check, and stops on SIGTERM', async () => {
    const { env, cmd, healthcheck } = image();
    github = await fakeGitHub();
    // The image's user is unprivileged; where this test runs as root it runs the bot as nobody.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    chmodSync(work, 0o755);
    const home = path.join(work, 'home');
    mkdirSync(home, { recursive: true });
    let output = '';
    // The operator's variables, as `docker run --env-file` would pass them; PORT 0 instead of
    // the image's 3000 so that the test takes a free port.
    const operator = {
      APP_ID: '1',
      PRIVATE_KEY,
      WEBHOOK_SECRET,
      API7_TOKEN: 'a7ee-image-test',
      API7_CONTROL_PLANES: JSON.stringify({
        'acme/shop': {
          controlPlane: 'http://127.0.0.1:9',
          gatewayGroups: '*',
          services: '*',
          gatewayOrigins: '*',
        },
      }),
      API7_SYNC_STATE_SECRET: 'image-test-state-secret-of-32-bytes!',
      GHE_HOST: new URL(github.url).host,
      GHE_PROTOCOL: 'http',
      API7_SYNC_GITHUB_THROTTLE: 'off',
      PORT: '0',
    };
    const runEnv = { ...env, HOME: home, PATH: `${path.join(prefix, 'bin')}:${NPM_ENV.PATH}`, ...operator };
    bot = spawn(cmd[0]!, cmd.slice(1), { cwd: home, env: runEnv, ...asUser });
    bot.stdout!.on('data', (d) => (output += d));
    bot.stderr!.on('data', (d) => (output += d));
    const closed = new Promise<number | null>((r) => bot!.once('close', r));
    await until(() => /listening on /.test(output) || bot!.exitCode !== null, 'the bot to listen', 60_000);
    const port = /listening on http:\/\/0\.0\.0\.0:(\d+)\/api\/github\/webhooks/.exec(output)?.[1];
    expect(port, output).toBeDefined();

    const check = (p: string) =>
      new Promise<number | null>((resolve) => {
        const probe = spawn(healthcheck[0]!, healthcheck.slice(1), {
          env: { ...runEnv, PORT: p },
          ...asUser,
        });
        probe.once('close', resolve);
      });
    expect(await check(port!)).toBe(0);

    bot.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(output).toContain('api7-sync bot: stopped');
    // The same check fails once nothing answers: it can tell a dead bot from a live one.
    expect(await check(port!)).toBe(1);
  }, 90_000);
});
