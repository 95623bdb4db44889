/**
 * The plain reading of a config: js-yaml, several times faster than building `yaml`'s Document
 * with positions (a 500-service config: ~30 ms against ~200 ms). It is trusted only for a config
 * that is valid; at the first doubt (a parse error, an alias, a schema or cross-check problem)
 * the loader reads the file again with positions (positioned.ts), which is the authority on
 * what is wrong and where.
 *
 * Scalars resolve as YAML 1.2's core schema says, which is what `yaml` does by default, so both
 * readings give the same data: js-yaml's default schema would also turn `2024-01-01` into a Date
 * and `<<` into a merge.
 */
import jsYaml from 'js-yaml';
import { crossCheck } from './cross-check.js';
import { interpolateValue, type ReadOptions } from './positioned.js';
import type { Config } from './types.js';
import { schemaErrors } from './validate.js';

const { FAILSAFE_SCHEMA, Type, load } = jsYaml;

/**
 * What js-yaml is given for a null scalar, replaced by null once the document is read. js-yaml
 * turns a mapping key into text with `String()`, so a null key (`~:`) would become "null", where
 * the careful reading makes it "": marked, such a key is seen and left to the careful reading.
 */
const NULL_KEY = '\u0000null key';
const NULL_MARK = { [Symbol.toStringTag]: 'NullScalar', toString: () => NULL_KEY };

/** The document has something only the careful reading reads right (a null mapping key). */
export class CarefulReadingNeeded extends Error {}

const scalar = (tag: string, resolve: (s: string) => boolean, construct: (s: string) => unknown) =>
  new Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: string | null) => resolve(data ?? ''),
    construct: (data: string | null) => construct(data ?? ''),
  });

/** YAML 1.2 core schema (spec §10.3.2): null, booleans, integers (decimal, 0o, 0x), floats. */
const CORE_1_2 = FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar(
      'null',
      (s) => /^(?:~|[Nn]ull|NULL)?$/.test(s),
      () => NULL_MARK,
    ),
    scalar(
      'bool',
      (s) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
      (s) => /^[Tt]/.test(s),
    ),
    scalar(
      'int',
      (s) => /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(s),
      (s) =>
        s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s, 16) : Number(s),
    ),
    scalar(
      'float',
      (s) =>
        /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(
          s,
        ),
      (s) =>
        /nan$/i.test(s) ? NaN : /inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s),
    ),
  ],
});

/**
 * The YAML alone, as js-yaml reads it with the core schema; throws on a syntax error, and
 * `CarefulReadingNeeded` for a null mapping key.
 */
export function parsePlain(text: string, file: string): unknown {
  const data = load(text, { schema: CORE_1_2, filename: file });
  return data === NULL_MARK ? null : settleNulls(data);
}

/** Puts null where js-yaml was given the null mark; throws at a null key. */
function settleNulls(root: unknown): unknown {
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key === NULL_KEY) throw new CarefulReadingNeeded('a null mapping key');
      if (record[key] === NULL_MARK) record[key] = null;
      else walk(record[key]);
    }
  };
  walk(root);
  return root;
}

/** A config read without positions, or undefined when it needs the careful reading. */
export function readFast(text: string, file: string, options: ReadOptions): Config | undefined {
  // Directives (`%YAML 1.1`) change how scalars resolve: leave them to the careful reading.
  if (/^%/m.test(text)) return undefined;
  let data: unknown;
  try {
    data = parsePlain(text, file);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  if (!plainTree(data, options.env)) return undefined;
  if (schemaErrors(data).length > 0) return undefined;
  const config = { ...(data as Omit<Config, 'file'>), file };
  if (crossCheck(config, options).length > 0) return undefined;
  return config;
}

/**
 * Interpolates `${NAME}` in values, in place, and says whether the tree is plain: no node
 * reached twice (an alias, which the careful reading bounds), no interpolation problem.
 */
function plainTree(root: object, env: ReadOptions['env']): boolean {
  const seen = new Set<object>();
  const walk = (node: object): boolean => {
    if (seen.has(node)) return false;
    seen.add(node);
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((v, i) => [i, v])
      : Object.entries(node);
    for (const [key, value] of entries) {
      if (typeof value === 'string') {
        if (!value.includes('${')) continue;
        const result = interpolateValue(value, env);
        if (!result.ok) return false;
        (node as Record<string | number, unknown>)[key] = result.value;
      } else if (value !== null && typeof value === 'object') {
        if (!walk(value)) return false;
      }
    }
    return true;
  };
  return walk(root);
}
