/**
 * Problems in the data the engine reads (API7's answers, the config) are errors with a code from
 * the one vocabulary: the CLI names them and exits for what they are, never "unexpected failure".
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, parseConfig, SyncError } from '../../engine/index.js';
import type { Sandbox } from '../../sandbox/server.js';
import { repoFor, runCli, writeRepo } from '../helpers/cli.js';
import { PROD, sandbox, TEST, walkthroughSeed } from '../helpers/sandbox.js';

const TOKEN = 'a7ee-test-secret-token';
let sb: Sandbox | undefined;
let stub: http.Server | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
  stub = undefined;
});

/** A control plane that lists two gateway groups of one name, as API7 allows. */
async function twoGroupsNamedProduction(): Promise<string> {
  stub = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body =
      url.pathname === '/api/version'
        ? { value: '3.9.14' }
        : url.pathname === '/api/gateway_groups'
          ? {
              list: [
                { id: 'gg-1', name: 'test' },
                { id: 'gg-2', name: 'production' },
                { id: 'gg-3', name: 'production' },
              ],
              total: 3,
            }
          : { list: [], total: 0 };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
}

const CONFIG = (url: string) => `controlPlane:
  url: ${url}
environments:
  test:
    gatewayGroup: test
  production:
    gatewayGroup: production
    promoteFrom: test
services:
  httpbin API: {}
`;

describe('engine data problems at the CLI', () => {
  it('two gateway groups of one name: exit 1 naming them, and a --json error document with its code', async () => {
    const dir = writeRepo(CONFIG(await twoGroupsNamedProduction()));
    const res = await runCli(['plan', '--from', 'test', '--to', 'production'], { API7_TOKEN: TOKEN }, dir);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/2 gateway groups are named "production" in API7.*rename all but one in API7/);
    expect(res.stderr).not.toMatch(/unexpected failure/);
    const json = await runCli(
      ['plan', '--from', 'test', '--to', 'production', '--json'],
      { API7_TOKEN: TOKEN },
      dir,
    );
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'bad-answer' }, services: [] });
  });

  it('an ADC render naming a registry the gateway group lacks: refused as registry-not-found, exit 2', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    writeFileSync(
      path.join(dir, '.github', 'api7-sync.yml'),
      `controlPlane:
  url: ${sb.controlPlane}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: ${PROD}, promoteFrom: test}
services:
  httpbin API:
    runtime:
      production:
        upstream: {discovery: {registry: no-such-registry, service: httpbin}}
`,
    );
    writeFileSync(
      path.join(dir, 'adc.yaml'),
      'services:\n  - name: httpbin API\n    upstream:\n      nodes: []\n',
    );
    const res = await runCli(
      ['adc', 'render', '--env', 'production', '-f', 'adc.yaml'],
      { API7_TOKEN: TOKEN },
      dir,
    );
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(
      /service registry "no-such-registry" does not exist in the environment's gateway group/,
    );
    expect(res.stderr).not.toMatch(/unexpected failure/);
  });
});

describe('adc render through the one funnel', () => {
  it('an ADC file that cannot be read: exit 64 at file:1:1; a gateway group API7 lacks: exit 2', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repoFor(sb);
    const missing = await runCli(
      ['adc', 'render', '--env', 'production', '-f', 'nowhere.yaml'],
      { API7_TOKEN: TOKEN, PROD_GATEWAY: sb.gateways[PROD]! },
      dir,
    );
    expect(missing.code, missing.stderr).toBe(64);
    expect(missing.stderr.trim()).toBe('nowhere.yaml:1:1: cannot read the ADC file: ENOENT');
    writeFileSync(
      path.join(dir, '.github', 'api7-sync.yml'),
      `controlPlane:
  url: ${sb.controlPlane}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: no-such-group, promoteFrom: test}
services:
  httpbin API:
    runtime:
      production:
        upstream: {discovery: {registry: r, service: httpbin}}
`,
    );
    writeFileSync(path.join(dir, 'adc.yaml'), 'services:\n  - name: httpbin API\n');
    const res = await runCli(
      ['adc', 'render', '--env', 'production', '-f', 'adc.yaml'],
      { API7_TOKEN: TOKEN },
      dir,
    );
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(
      /gateway group "no-such-group" \(environment "production"\) does not exist on the control plane/,
    );
    expect(res.stderr).not.toMatch(/unexpected failure/);
  });
});

describe('a soak the schema never saw (a config built in code)', () => {
  it('is a config error naming the environment, not a plain Error', async () => {
    sb = await sandbox(walkthroughSeed());
    const withRuntime = CONFIG(sb.controlPlane).replace(
      'httpbin API: {}',
      'httpbin API:\n    runtime:\n      production:\n        upstream: {nodes: [{host: httpbin, port: 80}]}',
    );
    const config = parseConfig(withRuntime, 'c.yml', { env: {} });
    config.environments.test!.gatewayGroup = TEST;
    config.environments.production!.gatewayGroup = PROD;
    config.environments.production!.soak = { test: 'a while' };
    const engine = createEngine({ config, token: sb.token });
    try {
      const err = await engine.plan({ from: 'test', to: 'production' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyncError);
      expect(err).toMatchObject({
        code: 'config',
        message: expect.stringMatching(/soak "a while" is not a duration/),
      });
    } finally {
      await engine.close();
    }
  });
});

describe('status and plan with a gateway group the control plane does not have', () => {
  it('marks the column and says which groups exist and which key to change, in text and in --json', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = writeRepo(`controlPlane:
  url: ${sb.controlPlane}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: ${PROD.slice(0, -1)}, promoteFrom: test}
services:
  httpbin API: {}
`);
    const message = `gateway group "${PROD.slice(0, -1)}" (environment "production") does not exist on the control plane (did you mean "${PROD}"?); the groups it has: "${TEST}", "${PROD}"; set environments.production.gatewayGroup in .github/api7-sync.yml to one of them`;
    const text = await runCli(['status'], { API7_TOKEN: TOKEN }, dir);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      `service      test   production (group missing)\nhttpbin API  1.0.0  —\n\n${message}\n`,
    );
    const json = await runCli(['status', '--json'], { API7_TOKEN: TOKEN }, dir);
    expect(JSON.parse(json.stdout).environments).toEqual([
      { name: 'test', gatewayGroup: TEST, found: true },
      { name: 'production', gatewayGroup: PROD.slice(0, -1), found: false, message },
    ]);
    // A plan is refused with the same message; the source group, which exists, is still named.
    const plan = await runCli(
      ['plan', '--from', 'test', '--to', 'production', '--json'],
      { API7_TOKEN: TOKEN },
      dir,
    );
    expect(plan.code).toBe(2);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      from: { environment: 'test', gatewayGroup: TEST },
      to: { environment: 'production', gatewayGroup: null },
      services: [{ action: 'refused', reason: 'unknown-environment', message }],
    });
  });
});
