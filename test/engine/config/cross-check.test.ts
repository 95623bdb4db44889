/** Config errors a schema cannot catch: each exits 64 with file:line:col. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../../engine/config/load.js';

const F = '.github/api7-sync.yml';

const config = (environments: string, upstream = 'nodes: [{host: httpbin.org, port: 80}]') => `controlPlane:
  url: https://api7.example.com:7443
environments:
${environments}services:
  httpbin API:
    runtime:
      production:
        upstream:
          ${upstream}
`;

const TWO = `  test:
    gatewayGroup: 测试网关组
  production:
    gatewayGroup: 生产网关组
    promoteFrom: test
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, F, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('config cross-checks', () => {
  it('refuses two environments on one gateway group, at the second one', () => {
    expect(problems(config(TWO.replace('生产网关组', '测试网关组')))).toEqual([
      `${F}:7:19: environments "test" and "production" both use gateway group "测试网关组"; a sync between them would write into the group it reads from: give each environment its own gateway group`,
    ]);
  });

  it('refuses two environments with one gatewayUrl (case and default port aside), at the second one', () => {
    const shared = `  test:
    gatewayGroup: 测试网关组
    gatewayUrl: https://gw.example.com
  production:
    gatewayGroup: 生产网关组
    gatewayUrl: https://GW.example.com:443
    promoteFrom: test
`;
    expect(problems(config(shared))).toEqual([
      `${F}:9:17: environments "test" and "production" both have gatewayUrl https://GW.example.com:443; verification of one would probe the other's gateway: set each environment's gatewayUrl to a gateway of its own gateway group`,
    ]);
    // Another port is another gateway.
    expect(problems(config(shared.replace('GW.example.com:443', 'gw.example.com:9443')))).toEqual([]);
  });

  it('refuses two environments answering for one GitHub environment (the deployment gate), whatever the case', () => {
    const claimed = TWO.replace('promoteFrom: test\n', 'promoteFrom: test\n    githubEnvironment: Test\n');
    expect(problems(config(claimed))).toEqual([
      `${F}:9:24: environments "test" and "production" both answer for GitHub environment "Test"; give each its own githubEnvironment`,
    ]);
    // Each its own: accepted, and the name is kept for the gate.
    const own = TWO.replace('promoteFrom: test\n', 'promoteFrom: test\n    githubEnvironment: prod-deploy\n');
    expect(problems(config(own))).toEqual([]);
    expect(parseConfig(config(own), F, { env: {} }).environments.production!.githubEnvironment).toBe(
      'prod-deploy',
    );
  });

  it('refuses a promoteFrom cycle and says which way it goes round', () => {
    const cycle = `  test:
    gatewayGroup: t
    promoteFrom: production
  staging:
    gatewayGroup: s
    promoteFrom: test
  production:
    gatewayGroup: p
    promoteFrom: staging
`;
    expect(problems(config(cycle))).toEqual([
      `${F}:6:18: promoteFrom goes round in a circle: test → staging → production → test; promotions must flow one way, so remove promoteFrom from one of these environments`,
    ]);
    expect(
      problems(
        config(
          TWO.replace(
            '    gatewayGroup: 测试网关组\n',
            '    gatewayGroup: 测试网关组\n    promoteFrom: [production]\n',
          ),
        ),
      ),
    ).toEqual([
      `${F}:6:18: promoteFrom goes round in a circle: test → production → test; promotions must flow one way, so remove promoteFrom from one of these environments`,
    ]);
  });

  it('refuses nodes whose weights are all 0, and accepts one node above 0', () => {
    expect(
      problems(
        config(
          TWO,
          'nodes: [{host: a.internal, port: 80, weight: 0}, {host: b.internal, port: 80, weight: 0}]',
        ),
      ),
    ).toEqual([
      `${F}:14:18: every node has weight 0, so the gateway would send this upstream no traffic; give at least one node a weight above 0 (the default is 100)`,
    ]);
    expect(
      problems(config(TWO, 'nodes: [{host: a.internal, port: 80, weight: 0}, {host: b.internal, port: 80}]')),
    ).toEqual([]);
  });

  it('refuses a wildcard node host and accepts IPv6 nodes, bare or in brackets', () => {
    expect(problems(config(TWO, 'nodes: [{host: "*.example.com", port: 80}]'))).toEqual([
      `${F}:14:26: services."httpbin API".runtime.production.upstream.nodes.0.host "*.example.com" is a wildcard, but an upstream node is one machine: list each host as its own node (wildcards belong in hosts)`,
    ]);
    const ipv6 = parseConfig(
      config(
        TWO,
        'nodes: [{host: "::1", port: 80}, {host: "[::1]", port: 81}, {host: 2001:db8::1, port: 82}]',
      ),
      F,
      { env: {} },
    );
    expect(ipv6.services['httpbin API']!.runtime!.production!.upstream!.nodes!.map((n) => n.host)).toEqual([
      '::1',
      '[::1]',
      '2001:db8::1',
    ]);
    expect(problems(config(TWO, 'nodes: [{host: [::1], port: 80}]'))).toEqual([
      `${F}:14:26: services."httpbin API".runtime.production.upstream.nodes.0.host must be a string, not a list; [...] makes a list in YAML: to write an IPv6 address in brackets, quote it: "[::1]"`,
    ]);
  });

  it('refuses a caFile that does not exist, at the key', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cfg-ca-'));
    mkdirSync(path.join(root, '.github'));
    const file = path.join(root, '.github', 'api7-sync.yml');
    writeFileSync(
      file,
      config(TWO).replace(
        '  url: https://api7.example.com:7443\n',
        '  url: https://api7.example.com:7443\n  caFile: .github/api7-ca.pem\n',
      ),
    );
    expect(() => loadConfigFile(file, { env: {} })).toThrow(
      `${file}:3:3: caFile ".github/api7-ca.pem" does not exist (looked for ${path.join(root, '.github', 'api7-ca.pem')}); add the control plane's CA bundle there, fix the path, or remove caFile`,
    );
    // A config that did not come from this disk (the bot's) names files it cannot check.
    expect(
      parseConfig(
        config(TWO).replace(
          '  url: https://api7.example.com:7443\n',
          '  url: https://api7.example.com:7443\n  caFile: .github/api7-ca.pem\n',
        ),
        file,
        { env: false },
      ).controlPlane.caFile,
    ).toBe(path.join(root, '.github', 'api7-ca.pem'));
  });

  it('wants environment names that can be part of a git ref, and says so instead of "[object Object]"', () => {
    for (const bad of ['prod/eu', 'a..b', 'production.lock', '-x']) {
      const out = problems(
        config(
          TWO.replace('  production:', `  "${bad}":`).replace(
            'production:\n        upstream',
            `"${bad}":\n        upstream`,
          ),
        ),
      );
      expect(out[0]).toBe(
        `${F}:6:3: environment name "${bad}" cannot be used: it becomes part of a git branch name (api7-sync-lock/<environment>) and of /sync commands, so use letters, digits, ".", "_" or "-", start with a letter or digit, no "..", do not end in ".lock", at most 64 characters (for example: production)`,
      );
      expect(out.join('\n')).not.toMatch(/object Object|undefined/);
    }
    expect(problems(config(TWO.replace('promoteFrom: test', 'promoteFrom: "te..st"')))[0]).toMatch(
      /:8:18: environments\.production\.promoteFrom "te\.\.st" is not a valid environment name: it becomes part of a git branch name/,
    );
  });

  it('says "a whole number, not 1.5" rather than "not a number"', () => {
    expect(
      problems(
        config(
          TWO.replace('    promoteFrom: test\n', '    promoteFrom: test\n    protection: {approvals: 1.5}\n'),
        ),
      ),
    ).toEqual([`${F}:9:29: environments.production.protection.approvals must be a whole number, not 1.5`]);
  });

  it('suggests the environment meant by a near miss', () => {
    expect(problems(config(TWO.replace('promoteFrom: test', 'promoteFrom: Test')))).toEqual([
      `${F}:8:18: promoteFrom names "Test", which is not an environment (did you mean "test"?); declared: test, production`,
    ]);
    expect(problems(config(TWO).replace('      production:\n', '      prodution:\n'))).toEqual([
      `${F}:12:7: runtime for "prodution", which is not an environment (did you mean "production"?); declared: test, production`,
    ]);
  });
});
