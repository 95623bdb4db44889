/**
 * Request-body checks that are not a resource schema (publish bodies, runtime configuration,
 * query parameters), and the upstream rules a schema cannot say. Every failure is a 400 worded
 * as API7 words it: `Error at "/services/0/service_version_id": value must be a string`.
 */
import { checkResource } from './schema/check.js';
import { ID_PATTERN } from './schema/resources.js';
import { ApiError, type Store, type Upstream } from './store.js';
import type { Api7Version } from './version.js';

/** `services[0].upstream` or `/services/0/upstream` → `/services/0/upstream`. */
function pointer(field: string): string {
  if (field === '' || field.startsWith('/')) return field;
  return `/${field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .join('/')}`;
}

export function bad(field: string, message: string): never {
  throw new ApiError(400, `Error at "${pointer(field) || '/'}": ${message}`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) bad(field, value === undefined ? 'property is missing' : 'value must be an object');
  return value;
}

export function requireString(value: unknown, field: string, pattern?: RegExp): string {
  if (value === undefined) bad(field, `property "${pointer(field).split('/').pop()}" is missing`);
  if (typeof value !== 'string') bad(field, 'value must be a string');
  if (value.length === 0) bad(field, 'minimum string length is 1');
  if (pattern && !pattern.test(value))
    bad(field, `string doesn't match the regular expression "${pattern.source}"`);
  return value;
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  return requireString(value, field);
}

export function requireId(value: unknown, field: string): string {
  return requireString(value, field, new RegExp(ID_PATTERN));
}

export function onlyKeys(body: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) bad(field || '/', `property "${key}" is unsupported`);
  }
}

export function checkStatus(value: unknown, field: string): 0 | 1 | undefined {
  if (value === undefined) return undefined;
  if (value !== 0 && value !== 1) bad(field, 'value is not one of the allowed values');
  return value;
}

/** Hosts as a service has them; `undefined` = any host (the key is omitted, never `[]`). */
export function checkHosts(value: unknown, field: string, v: Api7Version): string[] | undefined {
  if (value === undefined) return undefined;
  checkResource('service', { name: 'x', hosts: value }, v, pointer(field).replace(/\/hosts$/, ''));
  return value as string[];
}

export function checkPathPrefix(value: unknown, field: string, v: Api7Version): string | undefined {
  if (value === undefined) return undefined;
  checkResource(
    'service',
    { name: 'x', path_prefix: value },
    v,
    pointer(field).replace(/\/path_prefix$/, ''),
  );
  return value as string;
}

export interface UpstreamContext {
  store: Store;
  groupId: string;
  version: Api7Version;
  stream?: boolean;
}

/**
 * Checks an upstream and fills API7's defaults into a copy, which it returns. Besides the
 * schema: exactly one of nodes or discovery; `pass_host: rewrite` needs `upstream_host`; a
 * discovery upstream names a registry of the same gateway group.
 */
export function checkUpstream(value: unknown, field: string, ctx: UpstreamContext): Upstream {
  const at = pointer(field);
  const up = structuredClone(requireObject(value, field));
  checkResource(ctx.stream ? 'stream_upstream' : 'upstream', up, ctx.version, at);
  const hasNodes = up.nodes !== undefined;
  const hasDiscovery = up.discovery_type !== undefined || up.service_name !== undefined;
  if (hasNodes === hasDiscovery) bad(at, 'set exactly one of nodes, or discovery_type with service_name');
  if (up.pass_host === 'rewrite' && up.upstream_host === undefined)
    bad(`${at}/upstream_host`, 'property "upstream_host" is missing (pass_host is rewrite)');
  if (hasDiscovery) {
    const types =
      ctx.version.generation === 'modern' ? ['nacos', 'kubernetes', 'consul'] : ['nacos', 'kubernetes'];
    if (!types.includes(up.discovery_type as string))
      bad(`${at}/discovery_type`, 'value is not one of the allowed values');
    const name = requireString(up.service_name, `${at}/service_name`);
    const registryId = name.split('/')[0] ?? '';
    const registry = ctx.store.registries.get(registryId);
    if (!registry || registry.gateway_group_id !== ctx.groupId) {
      bad(
        `${at}/service_name`,
        `service registry "${registryId}" not found in gateway group "${ctx.groupId}"`,
      );
    }
  }
  return up as Upstream;
}
