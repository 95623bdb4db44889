/**
 * `POST /api/services/publish` (publish a new version, sync or roll back an existing one) and
 * `POST /api/services/conflict_check` (the same body; reports route conflicts, changes nothing).
 * Every item is checked before any is applied, so a 400 leaves the store exactly as it was.
 */
import type { Route, Store, Upstream } from '../store.js';
import {
  bad,
  checkHosts,
  checkPathPrefix,
  checkStatus,
  checkUpstream,
  onlyKeys,
  requireId,
  requireObject,
  requireString,
} from '../validate.js';
import { ok, type ApiResponse, type Context, type On } from './common.js';
import { publishedView } from './runtime.js';

const ITEM_KEYS = [
  'service_id',
  'service_version_id',
  'version',
  'name',
  'upstream',
  'hosts',
  'path_prefix',
  'status',
  'desc',
  'labels',
];

interface Item {
  serviceId: string;
  version: string;
  versionId?: string;
  status?: 0 | 1;
  runtime: { upstream?: Upstream; hosts?: string[]; path_prefix?: string };
}

export function registerPublish(on: On, ctx: Context): void {
  on('POST', '/api/services/publish', (r) => publish(ctx, r.body, false));
  on('POST', '/api/services/conflict_check', (r) => publish(ctx, r.body, true));
}

function checkItems(ctx: Context, groupId: string, createNew: boolean, services: unknown[]): Item[] {
  const { store, version: v } = ctx;
  const legacy = v.generation === 'legacy';
  const seen = new Set<string>();
  return services.map((raw, i) => {
    const f = `services[${i}]`;
    const item = requireObject(raw, f);
    onlyKeys(item, ITEM_KEYS, f);
    const serviceId = requireId(item.service_id, `${f}.service_id`);
    const template = store.template(serviceId);
    if (seen.has(serviceId)) bad(`${f}.service_id`, `service "${serviceId}" appears twice in one request`);
    seen.add(serviceId);
    const status = checkStatus(item.status, `${f}.status`);
    let runtime: Item['runtime'] = {};
    if (legacy) {
      if (item.upstream === undefined) bad(`${f}.upstream`, 'property "upstream" is missing');
      runtime = {
        upstream: checkUpstream(item.upstream, `${f}.upstream`, { store, groupId, version: v }),
        hosts: checkHosts(item.hosts, `${f}.hosts`, v),
        path_prefix: checkPathPrefix(item.path_prefix, `${f}.path_prefix`, v),
      };
    } else {
      for (const k of ['upstream', 'hosts', 'path_prefix']) {
        if (item[k] !== undefined) {
          bad(
            `${f}.${k}`,
            `runtime configuration cannot travel in a publish request on API7 ${v.text}; ` +
              'set it with PATCH /api/gateway_groups/{id}/services/{id}/runtime_configuration',
          );
        }
      }
    }
    if (createNew) {
      const label = requireString(item.version, `${f}.version`);
      if (item.service_version_id !== undefined)
        bad(`${f}.service_version_id`, 'must be omitted when create_new_version is true');
      for (const existing of store.versions.values()) {
        if (existing.service_id === serviceId && existing.version === label)
          bad(`${f}.version`, `"${label}" already exists for service "${template.name}"; choose a new label`);
      }
      return { serviceId, version: label, status, runtime };
    }
    const versionId = requireId(item.service_version_id, `${f}.service_version_id`);
    const found = store.versions.get(versionId);
    if (!found || found.service_id !== serviceId)
      bad(`${f}.service_version_id`, `version "${versionId}" does not belong to service "${serviceId}"`);
    if (legacy || item.version !== undefined) {
      const label = requireString(item.version, `${f}.version`);
      if (label !== found.version)
        bad(`${f}.version`, `"${label}" does not match the version's label "${found.version}"`);
    }
    return { serviceId, version: found.version, versionId, status, runtime };
  });
}

function publish(ctx: Context, body: unknown, checkOnly: boolean): ApiResponse {
  const { store } = ctx;
  const b = requireObject(body, 'body');
  onlyKeys(b, ['create_new_version', 'gateway_group_id', 'services'], '');
  if (b.create_new_version !== undefined && typeof b.create_new_version !== 'boolean')
    bad('create_new_version', 'value must be a boolean');
  const createNew = b.create_new_version === true;
  const groupId = requireId(b.gateway_group_id, 'gateway_group_id');
  store.group(groupId);
  if (!Array.isArray(b.services)) bad('services', 'value must be an array');
  if (b.services.length === 0) bad('services', 'minimum number of items is 1');
  const items = checkItems(ctx, groupId, createNew, b.services);
  if (checkOnly) return ok(conflicts(store, groupId, items));
  const legacy = ctx.version.generation === 'legacy';
  const results = items.map((it) => {
    const existing = store.publishedIn(groupId, it.serviceId);
    const v = it.versionId
      ? store.versions.get(it.versionId)!
      : store.mintVersion(it.serviceId, it.version, groupId);
    let runtime: Parameters<Store['run']>[2];
    if (legacy) {
      // Legacy: the request carries the group's runtime configuration; the service runs at once.
      runtime = { ...it.runtime, status: it.status ?? existing?.status ?? 1 };
    } else if (existing) {
      // Modern: later syncs inherit the group's runtime configuration and status.
      runtime =
        it.status === undefined || (it.status === 1 && !existing.upstream) ? {} : { status: it.status };
    } else {
      // Modern, first time in this group: lands without runtime configuration, disabled.
      runtime = { status: 0 };
    }
    return publishedView(store.run(groupId, v, runtime));
  });
  return ok({ services: results });
}

type Entry = {
  service_id: string;
  service_name: string;
  route_id: string;
  route_name: string;
  url: string;
  methods?: string[];
};

function entries(
  serviceId: string,
  name: string,
  routes: Route[],
  hosts?: string[],
  prefix?: string,
): Entry[] {
  return routes.flatMap((rt) =>
    (hosts ?? ['*']).flatMap((h) =>
      rt.paths.map((path) => ({
        service_id: serviceId,
        service_name: name,
        route_id: rt.id,
        route_name: rt.name,
        url: `${h}${prefix ?? ''}${path}`,
        ...(rt.methods ? { methods: rt.methods } : {}),
      })),
    ),
  );
}

const coversUrl = (wild: string, other: string) => wild.endsWith('*') && other.startsWith(wild.slice(0, -1));

function conflicts(store: Store, groupId: string, items: Item[]) {
  const legacy = store.generation === 'legacy';
  const incoming = items.flatMap((it) => {
    const t = store.template(it.serviceId);
    const existing = store.publishedIn(groupId, it.serviceId);
    const routes = it.versionId ? store.versions.get(it.versionId)!.routes : (existing?.routes ?? t.routes);
    const hosts = legacy ? it.runtime.hosts : existing?.hosts;
    const prefix = legacy ? it.runtime.path_prefix : existing?.path_prefix;
    return entries(it.serviceId, t.name, routes, hosts, prefix);
  });
  const moving = new Set(items.map((i) => i.serviceId));
  const present = store
    .servicesOf(groupId)
    .filter((p) => !moving.has(p.service_id))
    .flatMap((p) => entries(p.service_id, p.name, p.routes, p.hosts, p.path_prefix));
  const methodsMeet = (a: Entry, b: Entry) =>
    !a.methods || !b.methods || a.methods.some((m) => b.methods!.includes(m));
  const strip = ({ methods: _m, ...e }: Entry) => e;
  const duplicate: unknown[] = [];
  const overlapping: unknown[] = [];
  for (const a of incoming) {
    for (const b of present) {
      if (!methodsMeet(a, b)) continue;
      if (a.url === b.url) duplicate.push([strip(a), strip(b)]);
      else if (coversUrl(a.url, b.url) || coversUrl(b.url, a.url)) overlapping.push([strip(a), strip(b)]);
    }
  }
  return { duplicate, overlapping };
}
