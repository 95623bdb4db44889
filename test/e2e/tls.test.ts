/**
 * A control plane behind TLS with a certificate no public CA signed, as a real API7 is
 * (`https://…:7443`): `api7-sync sandbox --tls` serves one, and the CLI promotes through it with
 * `caFile`, refuses a wrong CA naming `caFile`, and goes through with `insecure: true`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTls } from '../../sandbox/tls.js';
import { PROD, TEST } from '../helpers/sandbox.js';
import { clockEnv } from '../helpers/clock.js';

const BIN = path.resolve('bin/api7-sync.js');

interface Ready {
  controlPlane: string;
  token: string;
  gateways: Record<string, string>;
  caFile?: string;
}

let child: ChildProcessWithoutNullStreams;
let ready: Ready;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'api7-sync-tls-'));
  const seed = path.join(dir, 'seed.yaml');
  writeFileSync(
    seed,
    `token: a7ee-tls-token
gatewayGroups: [{name: ${TEST}}, {name: ${PROD}}]
services:
  - {gatewayGroup: ${TEST}, name: httpbin API, version: 1.0.0, routes: [{name: headers, paths: [/headers]}]}
`,
  );
  child = spawn(process.execPath, [BIN, 'sandbox', '--tls', '--seed', seed], {
    env: { PATH: process.env.PATH ?? '', ...clockEnv() },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('close', (code) =>
      reject(new Error(`the sandbox exited (${code}) before its ready line:\n${stderr}`)),
    );
  });
  ready = JSON.parse(first);
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
});

/** A repository whose config points at the TLS control plane, with `controlPlane` extras. */
function repo(controlPlaneExtra: string, ca?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'api7-sync-tls-repo-'));
  mkdirSync(path.join(dir, '.github'));
  if (ca) writeFileSync(path.join(dir, '.github', 'api7-ca.pem'), ca);
  writeFileSync(
    path.join(dir, '.github', 'api7-sync.yml'),
    `controlPlane:
  url: ${ready.controlPlane}
${controlPlaneExtra}environments:
  test:
    gatewayGroup: ${TEST}
    gatewayUrl: ${ready.gateways[TEST]}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: ${ready.gateways[PROD]}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [{host: httpbin, port: 80}]
    verify:
      - {path: /headers}
`,
  );
  return dir;
}

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const cli = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...clockEnv(), API7_TOKEN: ready.token },
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d) => (stdout += d));
    cli.stderr.on('data', (d) => (stderr += d));
    cli.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a control plane behind TLS', () => {
  it('is served over HTTPS, with its CA in the file the ready line names', async () => {
    expect(ready.controlPlane).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.caFile && existsSync(ready.caFile)).toBe(true);
    // Untrusted without the CA, as a client's "self-signed certificate" check expects.
    await expect(request(`${ready.controlPlane}/api/version`)).rejects.toThrow(/^self-signed certificate$/);
  });

  it('a wrong CA fails, with a message that names caFile, and writes nothing', async () => {
    const dir = repo('  caFile: .github/api7-ca.pem\n', (await makeTls('another CA')).ca);
    const res = await run(['sync', '--from', 'test', '--to', 'production', '--json'], dir);
    expect(res.code).toBe(1);
    expect(`${res.stdout}${res.stderr}`).toMatch(/caFile/);
    const trusted = new Agent({ connect: { ca: readFileSync(ready.caFile!) } });
    const log = await request(`${ready.controlPlane}/sandbox/requests`, { dispatcher: trusted });
    const requests = ((await log.body.json()) as { list: { method: string }[] }).list;
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([]);
    await trusted.close();
  });

  it('without caFile the self-signed certificate is refused as self-signed, naming caFile', async () => {
    const res = await run(['plan', '--from', 'test', '--to', 'production'], repo(''));
    expect(res.code).toBe(1);
    expect(`${res.stdout}${res.stderr}`).toMatch(
      /the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is self-signed, and this machine does not trust it; set controlPlane\.caFile to that certificate/,
    );
  });

  it('takes the CA file the ready line names, an absolute path outside the repository', async () => {
    expect(path.isAbsolute(ready.caFile!)).toBe(true);
    const res = await run(
      ['plan', '--from', 'test', '--to', 'production', '--json'],
      repo(`  caFile: ${JSON.stringify(ready.caFile)}\n`),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).services[0]).toMatchObject({ name: 'httpbin API', action: 'planned' });
  });

  it('insecure: true goes through, loudly', async () => {
    const res = await run(
      ['plan', '--from', 'test', '--to', 'production', '--json'],
      repo('  insecure: true\n'),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/TLS verification is OFF/);
    expect(JSON.parse(res.stdout).services[0]).toMatchObject({ name: 'httpbin API', action: 'planned' });
  });

  it('a promotion with caFile succeeds end to end, verified through the gateway', async () => {
    const dir = repo('  caFile: .github/api7-ca.pem\n', readFileSync(ready.caFile!, 'utf8'));
    const res = await run(['sync', '--from', 'test', '--to', 'production', '--json'], dir);
    expect(res.code, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout);
    expect(result.ok).toBe(true);
    expect(result.services[0]).toMatchObject({ name: 'httpbin API', action: 'synced', version: '1.0.0' });
    expect(result.services[0].verify[0]).toMatchObject({ path: '/headers', ok: true });
  });
});
