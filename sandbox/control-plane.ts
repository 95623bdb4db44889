/**
 * The control plane's HTTP surface: the API7 EE Admin API endpoints of CONTRACT.md §4, the
 * `/apisix/admin` paths used to create services directly in a group ("No Version"), and the
 * template API used to publish services the way API7 users do.
 */
import { AdminApi } from './admin-api.js';
import { ApiError, newId, type PublishedService, type Route, type Store, type Upstream } from './store.js';
import {
  bad,
  checkHosts,
  checkPathPrefix,
  checkRoute,
  checkStatus,
  checkUpstream,
  onlyKeys,
  optionalString,
  requireId,
  requireObject,
  requireString,
} from './validate.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
}

type Handler = (req: ApiRequest, params: string[]) => ApiResponse;

const ok = (value: unknown): ApiResponse => ({ status: 200, body: { value } });

function paged<T extends { name?: string }>(items: T[], query: URLSearchParams): ApiResponse {
  let list = items;
  const search = query.get('search');
  if (search) list = list.filter((i) => (i.name ?? '').toLowerCase().includes(search.toLowerCase()));
  const name = query.get('name');
  if (name !== null) list = list.filter((i) => i.name === name);
  const page = positiveInt(query.get('page'), 'page', 1);
  // API7's default page size is not documented; a small default makes clients that forget to
  // page explicitly fail loudly in tests instead of in production.
  const size = positiveInt(query.get('page_size'), 'page_size', 10);
  if (size > 500) bad('page_size', 'must be at most 500');
  return { status: 200, body: { list: list.slice((page - 1) * size, page * size), total: list.length } };
}

function positiveInt(raw: string | null, field: string, fallback: number): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) bad(field, 'must be a positive integer');
  return n;
}

function orderBy<T extends { created_at: number; updated_at?: number }>(
  items: T[],
  query: URLSearchParams,
): T[] {
  const key = (query.get('order_by') ?? 'updated_at') as 'created_at' | 'updated_at';
  const asc = (query.get('direction') ?? 'desc').toLowerCase() === 'asc';
  return [...items].sort((a, b) => ((a[key] ?? 0) - (b[key] ?? 0)) * (asc ? 1 : -1));
}

/** The list/detail shape of a published service under `/api/gateway_groups/{gg}/services`. */
export function publishedView(p: PublishedService): Record<string, unknown> {
  return {
    id: p.id,
    service_id: p.service_id,
    gateway_group_id: p.gateway_group_id,
    name: p.name,
    version: p.version,
    ...(p.service_version_id ? { service_version_id: p.service_version_id } : {}),
    status: p.status,
    ...(p.hosts ? { hosts: p.hosts } : {}),
    ...(p.path_prefix ? { path_prefix: p.path_prefix } : {}),
    ...(p.strip_path_prefix !== undefined ? { strip_path_prefix: p.strip_path_prefix } : {}),
    ...(p.upstream ? { upstream: p.upstream } : {}),
    created_at: p.created_at,
    updated_at: p.updated_at,
    publish_time: p.history.at(-1)?.publish_time ?? '',
  };
}

function runtimeView(p: PublishedService): Record<string, unknown> {
  return {
    ...(p.upstream ? { upstreams: p.upstream } : {}),
    ...(p.hosts ? { hosts: p.hosts } : {}),
    ...(p.path_prefix ? { path_prefix: p.path_prefix } : {}),
    status: p.status,
  };
}

export class ControlPlane {
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  private readonly admin: AdminApi;

  constructor(
    private readonly store: Store,
    private readonly api7Version: string,
  ) {
    this.admin = new AdminApi(store, api7Version);
    const gg = '/api/gateway_groups/([^/]+)';
    this.on('GET', '/api/version', () => ok(this.api7Version));
    this.on('GET', '/api/gateway_groups', (r) =>
      paged(orderBy([...store.groups.values()], r.query), r.query),
    );
    this.on('POST', '/api/gateway_groups', (r) => ok(this.createGroup(r.body)));
    this.on('GET', gg, (_r, [g]) => ok(store.group(g!)));
    this.on('GET', `${gg}/services`, (r, [g]) => {
      store.group(g!);
      return paged(orderBy(store.servicesOf(g!), r.query).map(publishedView), r.query);
    });
    this.on('GET', `${gg}/services/([^/]+)`, (_r, [g, s]) => ok(publishedView(this.published(g!, s!))));
    this.on('DELETE', `${gg}/services/([^/]+)`, (_r, [g, s]) => {
      this.published(g!, s!);
      store.published.delete(`${g}/${s}`);
      store.onChange();
      return { status: 200 };
    });
    this.on('GET', `${gg}/services/([^/]+)/versions`, (r, [g, s]) =>
      paged(this.history(g!, s!, r.query), r.query),
    );
    this.on('GET', `${gg}/services/([^/]+)/runtime_configuration`, (_r, [g, s]) =>
      ok(runtimeView(this.published(g!, s!))),
    );
    this.on('PATCH', `${gg}/services/([^/]+)/runtime_configuration`, (r, [g, s]) =>
      this.patchRuntime(r, g!, s!),
    );
    this.on('GET', `${gg}/service_registries`, (r, [g]) => {
      store.group(g!);
      return paged(store.registriesOf(g!).map(registryView), r.query);
    });
    this.on('POST', `${gg}/service_registries`, (r, [g]) =>
      ok(registryView(this.createRegistry(r.body, g!))),
    );
    this.on('GET', `${gg}/service_registries/([^/]+)`, (_r, [g, id]) => {
      const reg = store.registries.get(id!);
      if (!reg || reg.gateway_group_id !== g) throw new ApiError(404, `service registry "${id}" not found`);
      return ok(registryView(reg));
    });
    this.on('POST', '/api/services/publish', (r) => this.publish(r.body, false));
    this.on('POST', '/api/services/conflict_check', (r) => this.publish(r.body, true));
    this.on('GET', '/api/service_versions/([^/]+)', (_r, [id]) => ok(versionView(this.version(id!))));
    this.on('GET', '/api/service_versions/([^/]+)/routes', (r, [id]) =>
      paged(
        this.version(id!).routes.map((rt) => ({ ...rt, service_version_id: id })),
        r.query,
      ),
    );
    this.on('GET', '/api/service_versions/([^/]+)/routes/([^/]+)', (_r, [id, rid]) => {
      const route = this.version(id!).routes.find((rt) => rt.id === rid);
      if (!route) throw new ApiError(404, `route "${rid}" not found in service version "${id}"`);
      return ok({ ...route, service_version_id: id });
    });
    // Without gateway_group_id, `/apisix/admin/services` and `/routes` are the service template
    // API; with it (or with a group's admin key), `AdminApi` serves the group's runtime view.
    this.on('GET', '/apisix/admin/services', (r) => paged([...store.templates.values()], r.query));
    this.on('POST', '/apisix/admin/services', (r) => this.putTemplate(r, newId('svc')));
    this.on('GET', '/apisix/admin/services/([^/]+)', (_r, [id]) => ok(store.template(id!)));
    this.on('PUT', '/apisix/admin/services/([^/]+)', (r, [id]) => this.putTemplate(r, id!));
    this.on('GET', '/apisix/admin/routes', (r) => {
      const serviceId = r.query.get('service_id');
      const all = [...store.templates.values()].flatMap((t) =>
        t.routes.map((rt) => ({ ...rt, service_id: t.id })),
      );
      return paged(
        all.filter((rt) => !serviceId || rt.service_id === serviceId),
        r.query,
      );
    });
    this.on('POST', '/apisix/admin/routes', (r) => this.putTemplateRoute(r, newId('rt')));
    this.on('PUT', '/apisix/admin/routes/([^/]+)', (r, [id]) => this.putTemplateRoute(r, id!));
    // What ADC reads for server-side defaults: the same ones ADC fills in itself.
    this.on('GET', '/api/schema/core', () => {
      const upstream = {
        type: 'object',
        properties: {
          type: { default: 'roundrobin' },
          pass_host: { default: 'pass' },
          scheme: { default: 'http' },
        },
      };
      return ok({
        service: { type: 'object', properties: { upstream } },
        upstream,
        route: { type: 'object', properties: {} },
        consumer: { type: 'object', properties: {} },
        ssl: { type: 'object', properties: { type: { default: 'server' } } },
      });
    });
  }

  private on(method: string, path: string, handler: Handler): void {
    this.routes.push({ method, pattern: new RegExp(`^${path}$`), handler });
  }

  handle(req: ApiRequest, impliedGroup?: string): ApiResponse {
    const groupId = req.query.get('gateway_group_id') ?? impliedGroup;
    if (req.path.startsWith('/apisix/admin/') && groupId) {
      try {
        const answer = this.admin.handle({
          method: req.method,
          path: req.path.slice('/apisix/admin'.length),
          query: req.query,
          body: req.body,
          groupId,
        });
        if (answer) return answer;
      } catch (err) {
        if (err instanceof ApiError) return { status: err.status, body: { error_msg: err.message } };
        throw err;
      }
      return { status: 404, body: { error_msg: `no such API: ${req.method} ${req.path}` } };
    }
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(req.path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      try {
        return route.handler(
          req,
          m.slice(1).map((s) => decodeURIComponent(s)),
        );
      } catch (err) {
        if (err instanceof ApiError) return { status: err.status, body: { error_msg: err.message } };
        throw err;
      }
    }
    return pathMatched
      ? { status: 405, body: { error_msg: `method ${req.method} is not allowed on ${req.path}` } }
      : { status: 404, body: { error_msg: `no such API: ${req.method} ${req.path}` } };
  }

  private published(groupId: string, templateId: string): PublishedService {
    this.store.group(groupId);
    const p = this.store.publishedIn(groupId, templateId);
    if (!p) throw new ApiError(404, `service "${templateId}" is not published in gateway group "${groupId}"`);
    return p;
  }

  private version(id: string) {
    const v = this.store.versions.get(id);
    if (!v) throw new ApiError(404, `service version "${id}" not found`);
    return v;
  }

  private history(groupId: string, templateId: string, query: URLSearchParams) {
    const p = this.published(groupId, templateId);
    const asc = (query.get('direction') ?? 'desc').toLowerCase() === 'asc';
    const items = [...p.history]
      .sort((a, b) => (a.seq - b.seq) * (asc ? 1 : -1))
      .map((h) => {
        const v = this.version(h.service_version_id);
        return { ...versionView(v), gateway_group_id: groupId, publish_time: h.publish_time };
      });
    return items;
  }

  private createGroup(body: unknown) {
    const b = requireObject(body, 'body');
    onlyKeys(b, ['name', 'description', 'desc', 'labels'], '');
    const name = requireString(b.name, 'name');
    const labels =
      b.labels === undefined ? undefined : (requireObject(b.labels, 'labels') as Record<string, string>);
    return this.store.createGroup({
      name,
      description: optionalString(b.description ?? b.desc, 'description'),
      labels,
    });
  }

  private createRegistry(body: unknown, groupId: string) {
    const b = requireObject(body, 'body');
    const name = requireString(b.name, 'name');
    if (!['nacos', 'kubernetes', 'consul'].includes(b.type as string))
      bad('type', 'must be nacos or kubernetes');
    return this.store.createRegistry(groupId, { name, type: b.type as 'nacos' });
  }

  private patchRuntime(r: ApiRequest, groupId: string, templateId: string): ApiResponse {
    const p = this.published(groupId, templateId);
    const b = requireObject(r.body, 'body');
    onlyKeys(b, ['upstreams', 'hosts', 'path_prefix', 'status', 'plugins'], '');
    if (Object.keys(b).length === 0)
      bad('body', 'must set at least one of upstreams, hosts, path_prefix, status');
    const ctx = { store: this.store, groupId, generation: this.store.generation };
    const upstream = b.upstreams === undefined ? p.upstream : checkUpstream(b.upstreams, 'upstreams', ctx);
    const hosts = b.hosts === undefined ? p.hosts : checkHosts(b.hosts, 'hosts');
    const pathPrefix =
      b.path_prefix === undefined ? p.path_prefix : checkPathPrefix(b.path_prefix, 'path_prefix');
    const status = checkStatus(b.status, 'status') ?? p.status;
    if (status === 1 && !upstream)
      bad('upstreams', 'an upstream is required before the service can be enabled');
    const next = { ...p, upstream, hosts, path_prefix: pathPrefix, status };
    if (r.query.get('dry-run') === 'all') return ok(runtimeView(next));
    Object.assign(p, {
      upstream,
      hosts,
      path_prefix: pathPrefix,
      status,
      updated_at: Math.floor(Date.now() / 1000),
    });
    if (hosts === undefined) delete p.hosts;
    if (pathPrefix === undefined) delete p.path_prefix;
    this.store.onChange();
    return ok(runtimeView(p));
  }

  /**
   * `POST /api/services/publish` (and, with `checkOnly`, `conflict_check`). Every item is checked
   * before any is applied, so a 400 leaves the store exactly as it was.
   */
  private publish(body: unknown, checkOnly: boolean): ApiResponse {
    const b = requireObject(body, 'body');
    onlyKeys(b, ['create_new_version', 'gateway_group_id', 'services'], '');
    if (b.create_new_version !== undefined && typeof b.create_new_version !== 'boolean') {
      bad('create_new_version', 'must be a boolean');
    }
    const createNew = b.create_new_version === true;
    const groupId = requireId(b.gateway_group_id, 'gateway_group_id');
    this.store.group(groupId);
    if (!Array.isArray(b.services) || b.services.length === 0) bad('services', 'must be a non-empty array');
    const legacy = this.store.generation === 'legacy';
    const seen = new Set<string>();
    const items = b.services.map((raw: unknown, i: number) => {
      const f = `services[${i}]`;
      const item = requireObject(raw, f);
      onlyKeys(
        item,
        [
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
        ],
        f,
      );
      const serviceId = requireId(item.service_id, `${f}.service_id`);
      const template = this.store.template(serviceId);
      if (seen.has(serviceId)) bad(`${f}.service_id`, `service "${serviceId}" appears twice in one request`);
      seen.add(serviceId);
      const status = checkStatus(item.status, `${f}.status`);
      let runtime: { upstream?: Upstream; hosts?: string[]; path_prefix?: string } = {};
      if (legacy) {
        if (item.upstream === undefined) bad(`${f}.upstream`, 'is required');
        runtime = {
          upstream: checkUpstream(item.upstream, `${f}.upstream`, {
            store: this.store,
            groupId,
            generation: 'legacy',
          }),
          hosts: checkHosts(item.hosts, `${f}.hosts`),
          path_prefix: checkPathPrefix(item.path_prefix, `${f}.path_prefix`),
        };
      } else {
        for (const k of ['upstream', 'hosts', 'path_prefix']) {
          if (item[k] !== undefined) {
            bad(
              `${f}.${k}`,
              `runtime configuration cannot travel in a publish request on API7 ${this.api7Version}; ` +
                'set it with PATCH /api/gateway_groups/{id}/services/{id}/runtime_configuration',
            );
          }
        }
      }
      let version: string;
      let versionId: string | undefined;
      if (createNew) {
        version = requireString(item.version, `${f}.version`);
        if (item.service_version_id !== undefined)
          bad(`${f}.service_version_id`, 'must be omitted when create_new_version is true');
        for (const v of this.store.versions.values()) {
          if (v.service_id === serviceId && v.version === version) {
            bad(
              `${f}.version`,
              `"${version}" already exists for service "${template.name}"; choose a new label`,
            );
          }
        }
      } else {
        versionId = requireId(item.service_version_id, `${f}.service_version_id`);
        const v = this.store.versions.get(versionId);
        if (!v || v.service_id !== serviceId) {
          bad(`${f}.service_version_id`, `version "${versionId}" does not belong to service "${serviceId}"`);
        }
        if (legacy || item.version !== undefined) {
          const label = requireString(item.version, `${f}.version`);
          if (label !== v.version)
            bad(`${f}.version`, `"${label}" does not match the version's label "${v.version}"`);
        }
        version = v.version;
      }
      return { serviceId, version, versionId, status, runtime, legacy };
    });
    if (checkOnly) return ok(this.conflicts(groupId, items));
    const results = items.map((it) => {
      const existing = this.store.publishedIn(groupId, it.serviceId);
      const v = it.versionId
        ? this.store.versions.get(it.versionId)!
        : this.store.mintVersion(it.serviceId, it.version, groupId);
      let runtime: Parameters<Store['run']>[2];
      if (it.legacy) {
        // Legacy: the request carries the group's runtime configuration; the service runs at once.
        runtime = {
          upstream: it.runtime.upstream,
          hosts: it.runtime.hosts,
          path_prefix: it.runtime.path_prefix,
          status: it.status ?? existing?.status ?? 1,
        };
      } else if (existing) {
        // Modern: later syncs inherit the group's runtime configuration and status.
        runtime =
          it.status === undefined || (it.status === 1 && !existing.upstream) ? {} : { status: it.status };
      } else {
        // Modern, first time in this group: lands without runtime configuration, disabled.
        runtime = { status: 0 };
      }
      const p = this.store.run(groupId, v, runtime);
      return publishedView(p);
    });
    return ok({ services: results });
  }

  private conflicts(
    groupId: string,
    items: { serviceId: string; versionId?: string; runtime: { hosts?: string[]; path_prefix?: string } }[],
  ) {
    type Entry = {
      service_id: string;
      service_name: string;
      route_id: string;
      route_name: string;
      url: string;
      methods?: string[];
    };
    const entries = (
      serviceId: string,
      name: string,
      routes: Route[],
      hosts: string[] | undefined,
      prefix: string | undefined,
    ): Entry[] =>
      routes.flatMap((rt) =>
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
    const incoming = items.flatMap((it) => {
      const t = this.store.template(it.serviceId);
      const existing = this.store.publishedIn(groupId, it.serviceId);
      const routes = it.versionId
        ? this.store.versions.get(it.versionId)!.routes
        : (existing?.routes ?? t.routes);
      const hosts = this.store.generation === 'legacy' ? it.runtime.hosts : existing?.hosts;
      const prefix = this.store.generation === 'legacy' ? it.runtime.path_prefix : existing?.path_prefix;
      return entries(it.serviceId, t.name, routes, hosts, prefix);
    });
    const moving = new Set(items.map((i) => i.serviceId));
    const present = this.store
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

  /** PUT/POST `/apisix/admin/services[/{id}]` without a group: a service template. */
  private putTemplate(r: ApiRequest, id: string): ApiResponse {
    const b = requireObject(r.body, 'body');
    const name = requireString(b.name, 'name');
    const existing = this.store.templates.get(id);
    if (existing) {
      existing.name = name;
      existing.updated_at = Math.floor(Date.now() / 1000);
      return ok(existing);
    }
    const routes =
      b.routes === undefined ? [] : (b.routes as unknown[]).map((rt, i) => checkRoute(rt, `routes[${i}]`));
    return ok(this.store.createTemplate({ id, name, routes, desc: optionalString(b.desc, 'desc') }));
  }

  private putTemplateRoute(r: ApiRequest, id: string): ApiResponse {
    const b = requireObject(r.body, 'body');
    const serviceId = requireId(b.service_id, 'service_id');
    const { service_id: _s, ...rest } = b;
    const route = { ...checkRoute(rest, 'body'), id } as Route;
    const template = this.store.template(serviceId);
    template.routes = [...template.routes.filter((rt) => rt.id !== id), route];
    return ok({ ...route, service_id: serviceId });
  }
}

function coversUrl(wild: string, other: string): boolean {
  return wild.endsWith('*') && other.startsWith(wild.slice(0, -1));
}

function versionView(v: {
  id: string;
  service_id: string;
  version: string;
  name: string;
  created_at: number;
}) {
  return { id: v.id, service_id: v.service_id, version: v.version, name: v.name, created_at: v.created_at };
}

function registryView(r: Store['registries'] extends Map<string, infer R> ? R : never) {
  const { services: _s, ...rest } = r;
  // The registry's own connection settings: the sandbox has no real registry behind them.
  const connection =
    r.type === 'kubernetes'
      ? { kubernetes_config: { service: { schema: 'https', host: 'kubernetes.default.svc', port: '443' } } }
      : r.type === 'nacos'
        ? { nacos_config: { hosts: ['http://nacos.sandbox:8848'] } }
        : { consul_config: { servers: ['http://consul.sandbox:8500'] } };
  return {
    ...rest,
    ...connection,
    status: 'healthy',
    last_connect_time: r.updated_at,
    associated_services_count: 0,
  };
}
