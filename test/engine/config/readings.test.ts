/**
 * The two readings of a config agree: js-yaml (fast.ts, taken when the config is valid) and `yaml`
 * with positions (positioned.ts, the authority on problems). Kept because `npm run bench:config`
 * shows the positioned reading alone misses the 100 ms target at 500 services. Generated
 * documents cover every YAML 1.2 core scalar kind (null, bool, int in three bases, float with
 * inf and nan), plain and quoted, and look-alikes of YAML 1.1 (yes, on, 0b1, dates), nested.
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CarefulReadingNeeded, parsePlain, readFast } from '../../../engine/config/fast.js';
import { readWithPositions } from '../../../engine/config/positioned.js';

/** Plain scalars that a YAML 1.1 reader, or a sloppy core schema, would read differently. */
const TRICKY = [
  ...['~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE'],
  ...['yes', 'No', 'on', 'OFF', 'y', 'n', '0b101', '0o17', '0o8', '017', '08', '0x1F', '0xff_ff', '0x'],
  ...[
    '+12',
    '-0',
    '+0.5',
    '1_000',
    '1.5e3',
    '1e3',
    '1.',
    '.5',
    '-.5e-2',
    '.inf',
    '-.Inf',
    '+.INF',
    '.nan',
    '.NaN',
  ],
  ...['2024-01-01', '2024-01-01T10:00:00Z', '1:20', '12:30:45', '<<', '=', 'a b', 'é生', 'v1.2.3', '1.0.0'],
];

const plainNumber = fc.oneof(
  fc.integer().map(String),
  fc.nat().map((n) => `0x${n.toString(16)}`),
  fc.nat().map((n) => `0o${n.toString(8)}`),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);
const word = fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,10}[a-z0-9]$/);
const text = fc.string({ maxLength: 12 });

/** A scalar as YAML text: plain, single-quoted or double-quoted. */
const scalar = fc.oneof(
  fc.constantFrom(...TRICKY),
  plainNumber,
  word,
  fc.oneof(fc.constantFrom(...TRICKY), text).map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.oneof(fc.constantFrom(...TRICKY), text).map((s) => JSON.stringify(s)),
);

type Tree = string | Tree[] | [string, Tree][];
const key = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,8}$/)
  .filter((k) => !['null', 'true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n'].includes(k));

const { tree } = fc.letrec<{ tree: Tree; map: [string, Tree][]; seq: Tree[] }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('seq')),
  map: fc.uniqueArray(fc.tuple(key, tie('tree')), { maxLength: 4, selector: ([k]) => k }),
  seq: fc.array(tie('tree'), { maxLength: 4 }),
}));

const isMap = (t: Tree): t is [string, Tree][] =>
  Array.isArray(t) &&
  t.length > 0 &&
  t.every((e) => Array.isArray(e) && typeof e[0] === 'string' && e.length === 2);

/** Block style, two spaces a level; empty collections in flow style. */
function render(t: Tree, indent: number, asMap: boolean): string {
  const pad = ' '.repeat(indent);
  if (typeof t === 'string') return t;
  if (t.length === 0) return asMap ? '{}' : '[]';
  const child = (v: Tree, mapChild: boolean) =>
    typeof v === 'string' || v.length === 0
      ? ` ${render(v, 0, mapChild)}`
      : `\n${render(v, indent + 2, mapChild)}`;
  if (asMap) return (t as [string, Tree][]).map(([k, v]) => `${pad}${k}:${child(v, isMap(v))}`).join('\n');
  return (t as Tree[]).map((v) => `${pad}-${child(v, isMap(v))}`).join('\n');
}

/** A document: a mapping at the top, as a config is. */
const documents = fc
  .uniqueArray(fc.tuple(key, tree), { minLength: 1, maxLength: 5, selector: ([k]) => k })
  .map((entries) => `${render(entries, 0, true)}\n`);

describe('the two YAML readings', () => {
  it('give the same data for any document of core scalars, plain or quoted, nested', () => {
    fc.assert(
      fc.property(documents, (doc) => {
        let plain: unknown;
        try {
          plain = parsePlain(doc, 'doc.yml');
        } catch (err) {
          // The fast reading stands aside (a null key): the careful reading alone decides.
          if (err instanceof CarefulReadingNeeded) return;
          throw err;
        }
        expect(plain, doc).toEqual(parse(doc));
      }),
      { numRuns: 400 },
    );
  });

  it('leave a null mapping key to the careful reading, which reads it as "" where js-yaml says "null"', () => {
    for (const doc of ['~: 1\n', 'a:\n  null: x\n', 'a: [{NULL: 1}]\n', 'a:\n  - ~: 2\n'])
      expect(() => parsePlain(doc, 'doc.yml'), doc).toThrow(CarefulReadingNeeded);
    expect(parsePlain('a: ~\nb: [null, ~]\nc: {d: NULL}\n', 'doc.yml')).toEqual({
      a: null,
      b: [null, null],
      c: { d: null },
    });
    const config = [
      'controlPlane: {url: "https://cp.example"}',
      'environments:',
      '  ~: {gatewayGroup: default}',
      'services: {a: {}}',
      '',
    ].join('\n');
    expect(readFast(config, 'api7-sync.yml', { env: {}, checkFiles: false })).toBeUndefined();
  });

  it('give the same config, value for value, for generated valid configs', () => {
    const value = fc.oneof(word, fc.constantFrom('2024-01-01', '1.0', 'yes', 'on', '0x1F', 'null', '~'));
    const quoted = (s: string, how: number) =>
      how === 0 ? s : how === 1 ? `'${s.replace(/'/g, "''")}'` : JSON.stringify(s);
    const configs = fc
      .record({
        group: value,
        host: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        port: fc.integer({ min: 1, max: 65535 }),
        weight: fc.integer({ min: 0, max: 65535 }),
        path: fc.stringMatching(/^\/[a-z0-9/_-]{0,10}$/),
        services: fc.uniqueArray(word, { minLength: 1, maxLength: 3 }),
        quoting: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
      })
      .filter((c) => !['null', '~'].includes(c.group) || c.quoting[0] !== 0);
    fc.assert(
      fc.property(configs, (c) => {
        const [q0, q1, q2, q3] = c.quoting as [number, number, number, number];
        const doc = `controlPlane:
  url: ${quoted('https://api7.example.com:7443', q0)}
environments:
  test:
    gatewayGroup: ${quoted(`t-${c.group}`, q1)}
  production:
    gatewayGroup: ${quoted(c.group, c.quoting[0]!)}
    promoteFrom: test
services:
${c.services
  .map(
    (s) => `  ${quoted(s, q2)}:
    runtime:
      production:
        upstream:
          nodes: [{host: ${quoted(c.host, q3)}, port: ${c.port}, weight: ${c.weight}}]
    verify:
      - {path: ${quoted(c.path, q1)}}
`,
  )
  .join('')}`;
        const options = { env: {}, checkFiles: false };
        let careful: unknown;
        try {
          careful = readWithPositions(doc, 'c.yml', options);
        } catch {
          // Invalid for the careful reading (a gateway group read as a non-string, ...): the fast
          // one must not accept it either.
          expect(readFast(doc, 'c.yml', options), doc).toBeUndefined();
          return;
        }
        expect(readFast(doc, 'c.yml', options), doc).toEqual(careful);
      }),
      { numRuns: 200 },
    );
  });
});
