/** Hostile input: the config loader and what ends up in PR comments. Never an untyped exception. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../engine/config/load.js';
import { resultMarkdown } from '../../engine/report.js';
import type { SyncResult } from '../../engine/model.js';

const F = 'hostile.yml';

/** The loader's answer: a config, or a ConfigError whose every problem has a position. */
function load(text: string): 'ok' | string[] {
  try {
    parseConfig(text, F, { env: { DEFINED: 'x' } });
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.col).toBeGreaterThanOrEqual(1);
      expect(p.message.length).toBeGreaterThan(5);
    }
    return problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
}

const VALID = `controlPlane: {url: "https://cp.example.com:7443"}
environments:
  test: {gatewayGroup: t}
  production: {gatewayGroup: p, promoteFrom: test}
services:
  a: {}
`;

describe('the config loader against hostile input', () => {
  it('random text never escapes as anything but a ConfigError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => void load(text)),
      { numRuns: 1500 },
    );
  });

  it('random YAML documents of the right rough shape never escape either', () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant('${DEFINED}'),
      fc.constant('${MISSING}'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 10 }), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    const doc = fc.record({
      controlPlane: fc.oneof(value, fc.record({ url: scalar })),
      environments: fc.oneof(
        value,
        fc.dictionary(
          fc.constantFrom('test', 'production', 'x y'),
          fc.record({ gatewayGroup: scalar, promoteFrom: scalar }),
        ),
      ),
      services: fc.oneof(
        value,
        fc.dictionary(fc.string({ maxLength: 8 }), fc.record({ runtime: value, verify: value })),
      ),
    });
    fc.assert(
      fc.property(doc, (d) => void load(stringify(d))),
      { numRuns: 800 },
    );
  });

  it('a catalogue of bad files, each with its own clear error', () => {
    const cases: [string, string, RegExp][] = [
      ['empty file', '', /the config is empty/],
      ['only a comment', '# nothing\n', /the config is empty/],
      ['a list at the top', '- a\n- b\n', /the top level must be a mapping \(key: value\), not a list/],
      [
        'a billion laughs',
        `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`,
        /alias/i,
      ],
      ['a huge file', `# ${'x'.repeat(2 * 1024 * 1024)}\n`, /more than 1048576 is not a config file/],
      [
        'a wrong type',
        VALID.replace('{gatewayGroup: t}', '{gatewayGroup: [t]}'),
        /gatewayGroup must be a string, not a list/,
      ],
      [
        'an unknown key',
        VALID.replace('services:', 'servcies: {}\nservices:'),
        /unknown key "servcies" in the top level; allowed: controlPlane, environments, notify, services/,
      ],
      ['a tab-indented block', 'controlPlane:\n\turl: x\n', /tab/i],
      [
        'an unquoted team',
        VALID.replace(
          '{gatewayGroup: p, promoteFrom: test}',
          '{gatewayGroup: p, promoteFrom: test, protection: {approvers: [@acme/sre]}}',
        ),
        /must be quoted in YAML/,
      ],
      [
        'an environment name with a space',
        VALID.replace('  test: {gatewayGroup: t}', '  "te st": {gatewayGroup: t}'),
        /environment name "te st" cannot be used: it becomes part of a git branch name/,
      ],
      ['a duplicated key', VALID.replace('  a: {}', '  a: {}\n  a: {}'), /keep only one/],
      [
        'an undefined variable',
        VALID.replace('"https://cp.example.com:7443"', '"${API7_URL}"'),
        /API7_URL is not set/,
      ],
    ];
    for (const [what, text, expected] of cases) {
      const answer = load(text);
      expect(answer, what).not.toBe('ok');
      expect((answer as string[]).join('\n'), what).toMatch(expected);
    }
    // Anchors in moderation are ordinary YAML and fine.
    expect(load(`${VALID}  b: &runtime {}\n  c: *runtime\n`)).toBe('ok');
  });

  it('non-UTF-8 bytes, and a caFile that climbs out of the repository or is no CA bundle', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hostile-'));
    const latin1 = path.join(dir, 'latin1.yml');
    writeFileSync(
      latin1,
      Buffer.concat([
        Buffer.from(VALID.replace('gatewayGroup: t', 'gatewayGroup: ')),
        Buffer.from([0xe9, 0x74, 0xe9, 0x0a]),
      ]),
    );
    expect(() => loadConfigFile(latin1, { env: {} })).toThrow(/not valid UTF-8; save it as UTF-8/);
    // Relative climbs are refused by path; an absolute path must still be a CA bundle.
    const refusals: [string, RegExp][] = [
      ['../../etc/passwd', /leaves the repository/],
      ['.github/../../outside.pem', /leaves the repository/],
      ['/etc/passwd', /holds no PEM certificate/],
      ['/dev/zero', /is not a regular file/],
      ['/etc/ssl/private/key.pem', /does not exist|cannot be read|holds no PEM certificate/],
    ];
    for (const [caFile, refusal] of refusals) {
      const file = path.join(dir, `ca-${caFile.length}.yml`);
      writeFileSync(
        file,
        VALID.replace(
          'controlPlane: {url: "https://cp.example.com:7443"}',
          `controlPlane: {url: "https://cp.example.com:7443", caFile: "${caFile}"}`,
        ),
      );
      expect(() => loadConfigFile(file, { env: {} }), caFile).toThrow(refusal);
    }
  });
});

describe('names that end up in pull-request comments', () => {
  it('control characters, Markdown and HTML in service names cannot break out of the table', () => {
    const nasty = [
      '<script>alert(1)</script>',
      'a | b | c',
      '[click](https://evil.example)',
      'line\nbreak',
      '`code` **bold** <!-- hidden -->',
      '@everyone #1',
      'null\u0000byte\u001b[31m',
    ];
    const result: SyncResult = {
      schemaVersion: 1,
      operation: 'promotion',
      from: { environment: 'test', gatewayGroup: '<b>t</b>' },
      to: { environment: 'production', gatewayGroup: 'p|q' },
      dryRun: false,
      ok: false,
      durationMs: 1,
      services: nasty.map((name) => ({
        name,
        action: 'refused',
        version: null,
        requestedVersion: null,
        previousVersion: null,
        serviceVersionId: null,
        runtimeRepaired: false,
        runtime: null,
        drift: [{ key: 'hosts', target: [name], config: null }],
        warnings: [name],
        verify: [],
        reason: 'unknown-service',
        message: `no ${name}`,
      })),
    };
    const md = resultMarkdown(result);
    const rows = md
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| Service') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(nasty.length);
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2, row).toBe(6);
    expect(md).not.toMatch(/<script>|<!--|<b>/);
    expect(md).not.toMatch(/\p{Cc}(?<!\n)/u);
    expect(md).not.toMatch(/\]\(https:/);
  });
});
