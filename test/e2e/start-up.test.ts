/**
 * `api7-sync sandbox` and `api7-sync bot` as their own processes, when they cannot start: a seed
 * path that names no file, a seed they cannot use, a port another process holds. Each must end
 * with one line naming the file or the port and what to do, and exit 64 (fix the command or the
 * file) or 69 (a service it needs is unavailable), never "unexpected failure".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PRIVATE_KEY, WEBHOOK_SECRET } from '../helpers/bot.js';
import { runCli, type Run } from '../helpers/cli.js';

const holders: net.Server[] = [];
afterEach(async () => {
  await Promise.all(holders.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Another process's hold on a port, as far as the program under test can tell: a free port, taken. */
async function heldPort(): Promise<number> {
  const server = net.createServer();
  holders.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as net.AddressInfo).port;
}

function seedFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'start-up-seed-')), 'seed.yaml');
  writeFileSync(file, text);
  return file;
}

/** One line on stderr, nothing on stdout (which holds only a ready line), no stack, no "unexpected". */
function expectOneLine(run: Run): string {
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/unexpected failure|\n\s+at |undefined|\[object Object\]/);
  return run.stderr.trimEnd();
}

describe('api7-sync sandbox cannot start', () => {
  it('a misspelled seed path exits 64, naming the path and the file it probably meant', async () => {
    const run = await runCli(['sandbox', '--seed', 'examples/sandbox.yml']);
    expect(run.code).toBe(64);
    expect(expectOneLine(run)).toBe(
      'api7-sync sandbox: there is no seed file examples/sandbox.yml: did you mean examples/sandbox.yaml?',
    );
  });

  it('a seed path that names nothing near exits 64, saying to check --seed', async () => {
    const missing = path.join(tmpdir(), 'no-such-dir-for-api7-sync', 'seed.yaml');
    const run = await runCli(['sandbox', '--seed', missing]);
    expect(run.code).toBe(64);
    expect(expectOneLine(run)).toBe(
      `api7-sync sandbox: there is no seed file ${missing}: check the path given to --seed`,
    );
  });

  it('a directory, a bad listen address or a bad version in the seed exits 64, naming the file', async () => {
    const dir = await runCli(['sandbox', '--seed', tmpdir()]);
    expect(dir.code).toBe(64);
    expect(expectOneLine(dir)).toContain(`${tmpdir()} is a directory`);

    const badListen = seedFile('listen: localhost\n');
    const listen = await runCli(['sandbox', '--seed', badListen]);
    expect(listen.code).toBe(64);
    expect(expectOneLine(listen)).toBe(
      `api7-sync sandbox: ${badListen}: listen: "localhost" is not host:port, such as 127.0.0.1:17443`,
    );

    const badVersion = seedFile('api7Version: banana\n');
    const version = await runCli(['sandbox', '--seed', badVersion]);
    expect(version.code).toBe(64);
    expect(expectOneLine(version)).toMatch(
      new RegExp(
        `^api7-sync sandbox: ${badVersion}: api7Version "banana" is not a version such as 3\\.5\\.0`,
      ),
    );
  });

  it('a seed of the wrong shape exits 64, naming where and what is expected, never "unexpected failure"', async () => {
    const cases: [string, string][] = [
      ['services: {}\n', 'services must be a list, not a mapping'],
      ['gatewayGroups: [{}]\n', 'gatewayGroups[0]: "name" is missing; it must be a non-empty string'],
      [
        'gatewayGroups: [{name: g, gatewayPort: abc}]\n',
        'gatewayGroups[0].gatewayPort must be a port number from 0 to 65535 (0: any free port), not string "abc"',
      ],
      [
        'gatewayGroups: [{name: g}]\nservices: [{name: s, gatewayGroup: g, routes: 5}]\n',
        'services[0].routes must be a list, not number 5',
      ],
      [
        'gatewayGroups: [{name: g}]\nservices: [{name: s}]\n',
        'services[0]: "gatewayGroup" is missing; it must be a non-empty string',
      ],
      [
        'gatewayGroups: [{name: g}]\nregistries: [{gatewayGroup: g, name: r, type: nacos, services: 5}]\n',
        'registries[0].services must be a list, not number 5',
      ],
    ];
    for (const [text, problem] of cases) {
      const seed = seedFile(text);
      const run = await runCli(['sandbox', '--seed', seed]);
      expect(run.code, run.stderr).toBe(64);
      expect(expectOneLine(run)).toBe(`api7-sync sandbox: ${seed}: ${problem}`);
    }
  });

  it('a control-plane port another process holds exits 69, naming the port and what to do', async () => {
    const port = await heldPort();
    const seed = seedFile(`listen: 127.0.0.1:${port}\ngatewayGroups: [{name: test}]\n`);
    const run = await runCli(['sandbox', '--seed', seed]);
    expect(run.code).toBe(69);
    expect(expectOneLine(run)).toBe(
      `api7-sync sandbox: cannot listen on 127.0.0.1:${port} for the control plane (listen in the seed): the port is already in use by another process; stop the process that holds port ${port} (another sandbox still running?), or give another port in ${seed}`,
    );
  });

  it('a gateway port another process holds exits 69, naming the gateway group', async () => {
    const port = await heldPort();
    const seed = seedFile(`gatewayGroups: [{name: test}, {name: 生产网关组, gatewayPort: ${port}}]\n`);
    const run = await runCli(['sandbox', '--seed', seed]);
    expect(run.code).toBe(69);
    expect(expectOneLine(run)).toMatch(
      new RegExp(
        `^api7-sync sandbox: cannot listen on 127\\.0\\.0\\.1:${port} for the gateway of "生产网关组" \\(its gatewayPort in the seed\\): the port is already in use`,
      ),
    );
  });
});

describe('api7-sync bot cannot start', () => {
  it('a PORT another process holds exits 69, naming the address and saying to set PORT', async () => {
    const port = await heldPort();
    const run = await runCli(['bot'], {
      APP_ID: '1',
      PRIVATE_KEY,
      WEBHOOK_SECRET,
      API7_TOKEN: 'a7ee-start-up',
      API7_SYNC_STATE_SECRET: 'start-up-state-secret-of-at-least-32-bytes',
      API7_CONTROL_PLANES: JSON.stringify({
        'acme/shop': { controlPlane: 'http://127.0.0.1:9', gatewayGroups: '*', services: '*' },
      }),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    expect(run.code, run.stderr).toBe(69);
    expect(run.stdout).toBe('');
    // Settings warnings may come first; the reason is the last line, and it is the only error.
    const last = run.stderr.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      `api7-sync bot: cannot listen on 127.0.0.1:${port}: the port is already in use by another process; stop the process that holds port ${port} (another bot still running?), or set PORT (and HOST) to a free one`,
    );
    expect(run.stderr).not.toMatch(/unexpected failure|\n\s+at /);
    expect(run.stderr).not.toContain(WEBHOOK_SECRET);
  });
});
