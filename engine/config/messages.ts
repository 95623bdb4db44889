/**
 * Turns schema errors into sentences that say what is wrong, where, and what to write instead.
 * The positions come from the YAML document, so this runs only when something is wrong.
 */
import type { ErrorObject } from 'ajv';
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE as RULE } from '../environment-name.js';
import { configSchema, NODE_HOST_PATTERN } from './schema.js';

const ENVIRONMENT_NAME_RULE = `it becomes part of a git branch name (api7-sync-lock/<environment>) and of /sync commands, so ${RULE} (for example: production)`;

const PATTERN_HINTS: Record<string, string> = {
  '^(@[A-Za-z0-9-]+/[A-Za-z0-9_.-]+|[A-Za-z0-9-]+)$':
    'write a GitHub login (alice) or a team as "@org/team", quoted',
  '^https?://[^/]+$': 'write an origin such as https://api.example.com (no path, no trailing slash)',
  '^/': 'start it with "/"',
  '^\\*?[0-9a-zA-Z-._]+$': 'write a host name such as api.example.com or *.example.com',
  [NODE_HOST_PATTERN]: 'write one host name or IP address, such as httpbin.org, 10.0.0.5, "::1" or "[::1]"',
  [ENVIRONMENT_NAME_PATTERN]: ENVIRONMENT_NAME_RULE,
};

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

/**
 * What a value is, in words a YAML author knows. A number that is of the right kind but not the
 * right sort (1.5 for a whole number) is shown as itself: "a number" would say nothing.
 */
function describeValue(value: unknown, want?: string): string {
  if (value === null) return 'empty (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && (want === 'integer' || want === undefined)) return String(value);
  return `a ${typeof value}`;
}

/** Drops the noise of `oneOf`/`anyOf` branches and of `propertyNames` when its cause is reported. */
export function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  return errors.filter((e) => {
    if (e.keyword === 'propertyNames') return false;
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return true;
    return !combinators.some(
      (c) =>
        e.instancePath.startsWith(c.instancePath) &&
        e.schemaPath.startsWith(c.schemaPath.replace(/\/(oneOf|anyOf)$/, '')) &&
        e.schemaPath.includes(`/${c.keyword}/`),
    );
  });
}

export function segments(instancePath: string): string[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A path as a person reads it: `services."httpbin API".runtime.production`. */
export function where(segs: (string | number)[]): string {
  return segs.length === 0
    ? 'the top level'
    : segs.map((s) => (/^[\w.-]+$/.test(String(s)) ? String(s) : JSON.stringify(String(s)))).join('.');
}

/** The schema object a JSON pointer such as `#/properties/x/additionalProperties` names. */
function schemaAt(pointer: string): Record<string, unknown> | undefined {
  let node: unknown = configSchema;
  for (const seg of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

/** The key node of `key` in the mapping at `parent`. */
export function keyNode(doc: Document, parent: (string | number)[], key: string | number): Node | undefined {
  const map = parent.length ? doc.getIn(parent, true) : doc.contents;
  if (isSeq(map) && typeof key === 'number') return map.items[key] as Node | undefined;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
  return (pair?.key as Node | undefined) ?? undefined;
}

/** One schema error as a node to point at and a sentence. */
export function describe(doc: Document, e: ErrorObject): { node: Node | undefined; message: string } {
  const segs = segments(e.instancePath);
  const node = (segs.length ? doc.getIn(segs, true) : doc.contents) as Node | undefined;
  const value = segs.length
    ? isNode(node)
      ? node.toJS(doc, { maxAliasCount: 100 })
      : doc.getIn(segs)
    : doc.toJS({ maxAliasCount: 100 });
  const field = where(segs);
  // An error about a key's name (propertyNames): point at the key, quote the name.
  if (e.propertyName !== undefined) {
    const name = e.propertyName;
    const rule = PATTERN_HINTS[String(e.params.pattern)] ?? 'it is not a valid name';
    const what = segs.at(-1) === 'environments' ? 'environment name' : `name in ${field}`;
    return { node: keyNode(doc, segs, name) ?? node, message: `${what} "${name}" cannot be used: ${rule}` };
  }
  // An unknown key: point at the key and list the ones allowed there.
  if (e.keyword === 'additionalProperties') {
    const extra = String(e.params.additionalProperty);
    const parent = schemaAt(e.schemaPath.replace(/\/additionalProperties$/, ''));
    const allowed = Object.keys((parent?.properties as object | undefined) ?? {});
    return {
      node: keyNode(doc, segs, extra) ?? node,
      message: `unknown key "${extra}" in ${field}; allowed: ${allowed.join(', ')}`,
    };
  }
  return { node, message: valueSentence(e, segs, field, node, value) };
}

/** What is wrong with a value, for every keyword that is about the value rather than a key. */
function valueSentence(
  e: ErrorObject,
  segs: string[],
  field: string,
  node: Node | undefined,
  value: unknown,
): string {
  switch (e.keyword) {
    case 'required':
      return `${field} is missing "${String(e.params.missingProperty)}"; add it`;
    case 'type':
      return typeSentence(String(e.params.type), field, node, value);
    case 'enum':
      return `${field} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}, not ${JSON.stringify(value)}`;
    case 'pattern':
      return patternSentence(String(e.params.pattern), field, value);
    case 'oneOf':
      if (segs.at(-1) === 'upstream') return `${field} must set exactly one of nodes or discovery`;
      return `${field} matches none or several of the allowed forms`;
    case 'anyOf':
      if (segs.at(-1) === 'promoteFrom' && typeof value === 'string')
        return `${field} "${value}" is not a valid environment name: ${ENVIRONMENT_NAME_RULE}`;
      return `${field} must be an environment name, {environment: NAME, soak: 1h}, or a list of them`;
    case 'minimum':
    case 'maximum':
      return `${field} must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(e.params.limit)}, not ${describeValue(value)}`;
    case 'minItems':
      return `${field} must not be empty; list at least ${String(e.params.limit)}`;
    case 'minProperties':
      return `${field} must not be empty; declare at least one`;
    default:
      return `${field} ${e.message ?? 'is not valid'}`;
  }
}

/** A value of the wrong type, with a hint where YAML read something other than what was meant. */
function typeSentence(want: string, field: string, node: Node | undefined, value: unknown): string {
  const shown = isScalar(node) ? node.value : value;
  let hint = '';
  if (want === 'string' && shown !== null && typeof shown !== 'object')
    hint = `; quote it: "${String(isScalar(node) ? (node.source ?? shown) : shown)}"`;
  else if (want === 'string' && Array.isArray(shown) && shown.length === 1 && typeof shown[0] === 'string')
    hint = `; [...] makes a list in YAML: to write an IPv6 address in brackets, quote it: "[${shown[0]}]"`;
  return `${field} must be ${TYPE_NAMES[want] ?? want}, not ${describeValue(shown, want)}${hint}`;
}

/** A string that does not match its pattern, with the rule in words. */
function patternSentence(pattern: string, field: string, value: unknown): string {
  if (pattern === NODE_HOST_PATTERN && typeof value === 'string' && value.includes('*')) {
    return `${field} "${value}" is a wildcard, but an upstream node is one machine: list each host as its own node (wildcards belong in hosts)`;
  }
  return `${field} "${String(value)}" is not valid: ${PATTERN_HINTS[pattern] ?? `it must match ${pattern}`}`;
}
