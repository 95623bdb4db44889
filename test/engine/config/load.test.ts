import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../../engine/config/load.js';

const F = '.github/api7-sync.yml';

const VALID = `controlPlane:
  url: https://api7.example.com:7443
environments:
  test:
    gatewayGroup: 测试网关组
    gatewayUrl: http://test-gw.internal:9080
  production:
    gatewayGroup: 生产网关组
    gatewayUrl: https://api.example.com
    promoteFrom: test
    protection:
      deployers: ["@acme/sre", alice]
      approvals: 1
      approvers: ["@acme/platform"]
services:
  httpbin API:
    runtime:
      production:
        hosts: [api.example.com]
        pathPrefix: /v1
        upstream:
          nodes: [{host: httpbin.org, port: 80, weight: 100}]
          passHost: node
    verify:
      - {path: /headers, status: 200}
`;

/** The problems of a config, as the CLI prints them. */
function problems(text: string, env: Record<string, string> | false = {}): string[] {
  try {
    parseConfig(text, F, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('loading .github/api7-sync.yml', () => {
  it('accepts the design example as written', () => {
    const config = parseConfig(VALID, F, { env: {} });
    expect(config.environments.production).toMatchObject({ gatewayGroup: '生产网关组', promoteFrom: 'test' });
    expect(config.services['httpbin API']!.runtime!.production!.upstream!.nodes![0]).toEqual({
      host: 'httpbin.org',
      port: 80,
      weight: 100,
    });
  });

  it('points at the unknown key, with the allowed ones', () => {
    const text = VALID.replace(
      '    gatewayUrl: http://test-gw.internal:9080\n',
      '    gatewayUrl: http://test-gw.internal:9080\n    gateway_group: x\n',
    );
    expect(problems(text)).toEqual([
      `${F}:7:5: unknown key "gateway_group" in environments.test; allowed: gatewayGroup, gatewayUrl, promoteFrom, protection, githubEnvironment, tags, wave, verify`,
    ]);
  });

  it('takes protection.workflowApprovals: environment or comments, and points at anything else', () => {
    const opted = VALID.replace(
      '      approvals: 1\n',
      '      approvals: 1\n      workflowApprovals: comments\n',
    );
    expect(parseConfig(opted, F, { env: {} }).environments.production!.protection!.workflowApprovals).toBe(
      'comments',
    );
    const wrong = VALID.replace(
      '      approvals: 1\n',
      '      approvals: 1\n      workflowApprovals: anyone\n',
    );
    const [problem, ...rest] = problems(wrong);
    expect(rest).toEqual([]);
    expect(problem).toBe(
      `${F}:14:26: environments.production.protection.workflowApprovals must be one of environment, comments, not "anyone"`,
    );
  });

  it('does not coerce types, and says to quote', () => {
    expect(problems(VALID.replace('gatewayGroup: 测试网关组', 'gatewayGroup: 7'))).toEqual([
      `${F}:5:19: environments.test.gatewayGroup must be a string, not a number; quote it: "7"`,
    ]);
  });

  it('says that "@org/team" must be quoted', () => {
    const [p] = problems(VALID.replace('["@acme/sre", alice]', '[@acme/sre, alice]'));
    expect(p).toMatch(
      /^\.github\/api7-sync\.yml:12:19: a value starting with "@" must be quoted in YAML: write "@org\/team"$/,
    );
  });

  it('checks runtime and promoteFrom against the declared environments', () => {
    const text = VALID.replace('promoteFrom: test', 'promoteFrom: staging').replace(
      '    runtime:\n      production:',
      '    runtime:\n      prod:',
    );
    expect(problems(text)).toEqual([
      `${F}:10:18: promoteFrom names "staging", which is not an environment; declared: test, production`,
      `${F}:18:7: runtime for "prod", which is not an environment; declared: test, production`,
    ]);
  });

  it('needs exactly one of nodes or discovery, and upstreamHost with rewrite', () => {
    const both = VALID.replace(
      '          passHost: node',
      '          passHost: rewrite\n          discovery: {registry: r, service: s}',
    );
    const out = problems(both);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /:22:11: services\."httpbin API"\.runtime\.production\.upstream must set exactly one of nodes or discovery$/,
    );
    expect(problems(VALID.replace('passHost: node', 'passHost: rewrite'))).toEqual([
      `${F}:23:21: passHost: rewrite needs upstreamHost; add upstreamHost: <host>`,
    ]);
  });

  it('interpolates ${VAR} in values only, and reports a missing one', () => {
    const text = VALID.replace('https://api7.example.com:7443', '${API7_URL}');
    expect(parseConfig(text, F, { env: { API7_URL: 'https://cp.internal:7443' } }).controlPlane.url).toBe(
      'https://cp.internal:7443',
    );
    expect(problems(text, {})).toEqual([
      `${F}:2:8: environment variable API7_URL is not set; set it or write the value itself`,
    ]);
    expect(problems(text, false)[0]).toMatch(/:2:8: "\$\{\.\.\.\}" is not interpolated here/);
  });

  it('reports YAML syntax, duplicate keys, an empty file and bad patterns with positions', () => {
    expect(problems('controlPlane: [\n')[0]).toMatch(/^\.github\/api7-sync\.yml:\d+:\d+: /);
    expect(problems(VALID.replace('  test:\n', '  production:\n    gatewayGroup: x\n  test:\n'))[0]).toMatch(
      /:\d+:\d+: .*keep only one$/,
    );
    expect(problems('')).toEqual([`${F}:1:1: the config is empty; start from examples/api7-sync.yml`]);
    expect(
      problems(VALID.replace('https://api7.example.com:7443', 'https://api7.example.com/dashboard/')),
    ).toEqual([
      `${F}:2:8: controlPlane.url "https://api7.example.com/dashboard/" is not valid: write an origin such as https://api.example.com (no path, no trailing slash)`,
    ]);
  });

  it('keeps caFile inside the repository and resolves it against the directory holding .github/', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    mkdirSync(path.join(root, '.github'));
    const file = path.join(root, '.github', 'api7-sync.yml');
    writeFileSync(
      file,
      VALID.replace(
        '  url: https://api7.example.com:7443\n',
        '  url: https://api7.example.com:7443\n  caFile: .github/ca.pem\n',
      ),
    );
    writeFileSync(path.join(root, '.github', 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    expect(loadConfigFile(file, { env: {} }).controlPlane.caFile).toBe(path.join(root, '.github', 'ca.pem'));
    writeFileSync(
      file,
      VALID.replace(
        '  url: https://api7.example.com:7443\n',
        '  url: https://api7.example.com:7443\n  caFile: ../../etc/ssl/key.pem\n',
      ),
    );
    expect(() => loadConfigFile(file, { env: {} })).toThrow(
      /:3:11: caFile "\.\.\/\.\.\/etc\/ssl\/key\.pem" leaves the repository/,
    );
  });

  it('says what to do when the file is missing', () => {
    expect(() => loadConfigFile('/nonexistent/api7-sync.yml', { env: {} })).toThrow(
      '/nonexistent/api7-sync.yml:1:1: cannot read the config: no such file; create it (start from examples/api7-sync.yml) or pass --config with its path',
    );
  });
});

describe('the shipped example', () => {
  it('examples/api7-sync.yml is a valid config', () => {
    const config = loadConfigFile('examples/api7-sync.yml', { env: {} });
    expect(Object.keys(config.services)).toEqual(['httpbin API', 'orders']);
    expect(config.environments.production!.protection!.deployers).toEqual(['@acme/sre', 'alice']);
  });
});
