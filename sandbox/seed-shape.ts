/**
 * The seed's shape, checked before anything is applied. A seed is written by hand: a wrong type
 * deep inside it must say where it is and what is expected, not end as "unexpected failure" or
 * start a sandbox with a nameless gateway group. API7's own field checks still run when applied.
 */
import { isObject } from './validate.js';

type Kind = 'string' | 'port' | 'list' | 'mapping' | 'scalar';
type Shape = Record<string, { kind: Kind; required?: boolean; items?: Shape }>;

const NODE: Shape = { host: { kind: 'string', required: true }, port: { kind: 'port' } };
const GROUP: Shape = {
  name: { kind: 'string', required: true },
  gatewayPort: { kind: 'port' },
  adminKey: { kind: 'string' },
};
const REGISTRY: Shape = {
  gatewayGroup: { kind: 'string', required: true },
  name: { kind: 'string', required: true },
  type: { kind: 'string' },
  services: {
    kind: 'list',
    items: { name: { kind: 'string', required: true }, instances: { kind: 'list', items: NODE } },
  },
};
const SERVICE: Shape = {
  gatewayGroup: { kind: 'string', required: true },
  name: { kind: 'string', required: true },
  version: { kind: 'scalar' },
  hosts: { kind: 'list' },
  routes: { kind: 'list', items: {} },
  upstream: { kind: 'mapping' },
  discovery: { kind: 'mapping' },
};
const SEED: Shape = {
  listen: { kind: 'string' },
  token: { kind: 'string' },
  gatewayGroups: { kind: 'list', items: GROUP },
  registries: { kind: 'list', items: REGISTRY },
  services: { kind: 'list', items: SERVICE },
};

function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function fits(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string' && value.trim() !== '';
    case 'port':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
    case 'list':
      return Array.isArray(value);
    case 'mapping':
      return isObject(value);
    case 'scalar':
      return ['string', 'number'].includes(typeof value);
  }
}

const EXPECTED: Record<Kind, string> = {
  string: 'a non-empty string',
  port: 'a port number from 0 to 65535 (0: any free port)',
  list: 'a list',
  mapping: 'a mapping (key: value)',
  scalar: 'a string such as 1.0.0',
};

/** The first problem in `doc` against `shape`, as "where: what is wrong", or undefined. */
export function seedShapeProblem(
  doc: Record<string, unknown>,
  shape: Shape = SEED,
  at = '',
): string | undefined {
  for (const [key, rule] of Object.entries(shape)) {
    const where = at ? `${at}.${key}` : key;
    const value = doc[key];
    if (value === undefined) {
      if (rule.required) return `${at}: "${key}" is missing; it must be ${EXPECTED[rule.kind]}`;
      continue;
    }
    if (!fits(rule.kind, value)) return `${where} must be ${EXPECTED[rule.kind]}, not ${describe(value)}`;
    if (!rule.items) continue;
    for (const [i, item] of (value as unknown[]).entries()) {
      if (!isObject(item)) return `${where}[${i}] must be a mapping (key: value), not ${describe(item)}`;
      const problem = seedShapeProblem(item, rule.items, `${where}[${i}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}
