/**
 * Request-body checks for the sandbox, each failing with a 400 whose `error_msg` names the
 * offending field the way API7 does ("services[0].upstream: ...").
 */
import { ApiError, type Generation, type Route, type Store, type Upstream } from './store.js';

const HOST_PATTERN = /^\*?[0-9a-zA-Z-._]+$/;
const ID_PATTERN = /^[a-zA-Z0-9-_.]+$/;

export function bad(field: string, message: string): never {
  throw new ApiError(400, `${field}: ${message}`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) bad(field, 'must be a JSON object');
  return value;
}

export function requireString(value: unknown, field: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) bad(field, 'must be a non-empty string');
  if (pattern && !pattern.test(value)) bad(field, `"${value}" does not match ${pattern.source}`);
  return value;
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  return requireString(value, field);
}

export function requireId(value: unknown, field: string): string {
  return requireString(value, field, ID_PATTERN);
}

export function onlyKeys(body: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) bad(field ? `${field}.${key}` : key, 'unknown field');
  }
}

export function checkStatus(value: unknown, field: string): 0 | 1 | undefined {
  if (value === undefined) return undefined;
  if (value !== 0 && value !== 1) bad(field, 'must be 0 (disabled) or 1 (enabled)');
  return value;
}

export function checkHosts(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > 32) {
    bad(field, 'must be an array of 1 to 32 host names (omit the key for "any host")');
  }
  const seen = new Set<string>();
  value.forEach((h, i) => {
    requireString(h, `${field}[${i}]`, HOST_PATTERN);
    if (seen.has(h as string)) bad(`${field}[${i}]`, `duplicate host "${String(h)}"`);
    seen.add(h as string);
  });
  return value as string[];
}

export function checkPathPrefix(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.startsWith('/')) bad(field, 'must be a string starting with "/"');
  return value;
}

function integerIn(value: unknown, min: number, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Checks an upstream object; discovery upstreams must name a registry of `groupId`. */
export function checkUpstream(
  value: unknown,
  field: string,
  ctx: { store: Store; groupId: string; generation: Generation; stream?: boolean },
): Upstream {
  const up = requireObject(value, field);
  const schemes = ctx.stream
    ? ['http', 'https', 'grpc', 'grpcs', 'tcp', 'udp', 'tls']
    : ['http', 'https', 'grpc', 'grpcs'];
  if (up.scheme !== undefined && !schemes.includes(up.scheme as string)) {
    bad(`${field}.scheme`, `must be one of ${schemes.join(', ')}`);
  }
  if (up.pass_host !== undefined && !['pass', 'node', 'rewrite'].includes(up.pass_host as string)) {
    bad(`${field}.pass_host`, 'must be one of pass, node, rewrite');
  }
  if (up.pass_host === 'rewrite') requireString(up.upstream_host, `${field}.upstream_host`, HOST_PATTERN);
  const hasNodes = up.nodes !== undefined;
  const hasDiscovery = up.discovery_type !== undefined || up.service_name !== undefined;
  if (hasNodes === hasDiscovery) bad(field, 'set exactly one of nodes, or discovery_type with service_name');
  if (hasNodes) {
    if (!Array.isArray(up.nodes) || up.nodes.length === 0 || up.nodes.length > 64) {
      bad(`${field}.nodes`, 'must be an array of 1 to 64 nodes');
    }
    up.nodes.forEach((node: unknown, i: number) => {
      const f = `${field}.nodes[${i}]`;
      const n = requireObject(node, f);
      requireString(n.host, `${f}.host`, HOST_PATTERN);
      integerIn(n.port, 1, 65535, `${f}.port`);
      integerIn(n.weight, 0, 65535, `${f}.weight`);
    });
  } else {
    const types = ctx.generation === 'modern' ? ['nacos', 'kubernetes', 'consul'] : ['nacos', 'kubernetes'];
    if (!types.includes(up.discovery_type as string))
      bad(`${field}.discovery_type`, `must be one of ${types.join(', ')}`);
    const name = requireString(up.service_name, `${field}.service_name`);
    const registryId = name.split('/')[0] ?? '';
    const registry = ctx.store.registries.get(registryId);
    if (!registry || registry.gateway_group_id !== ctx.groupId) {
      bad(
        `${field}.service_name`,
        `service registry "${registryId}" not found in gateway group "${ctx.groupId}"`,
      );
    }
  }
  return up as Upstream;
}

export function checkRoute(value: unknown, field: string): Omit<Route, 'id'> {
  const r = requireObject(value, field);
  requireString(r.name, `${field}.name`);
  if (!Array.isArray(r.paths) || r.paths.length === 0)
    bad(`${field}.paths`, 'must be a non-empty array of paths');
  r.paths.forEach((p: unknown, i: number) => {
    if (typeof p !== 'string' || !p.startsWith('/')) bad(`${field}.paths[${i}]`, 'must start with "/"');
  });
  if (r.methods !== undefined) {
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE'];
    if (!Array.isArray(r.methods)) bad(`${field}.methods`, 'must be an array');
    r.methods.forEach((m: unknown, i: number) => {
      if (!methods.includes(m as string))
        bad(`${field}.methods[${i}]`, `must be one of ${methods.join(', ')}`);
    });
  }
  return r as Omit<Route, 'id'>;
}
