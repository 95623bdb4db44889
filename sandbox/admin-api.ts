/**
 * The gateway-group-scoped `/apisix/admin/*` API: what ADC (API7's declarative CLI) reads and
 * writes (../shared/api7/adc-wire.md), and how services get into the "No Version" state. Objects
 * read back exactly as written, plus `id`, so that an ADC `diff` right after a `sync` is empty.
 */
import { ApiError, type PublishedService, type Route, type Store } from './store.js';
import {
  bad,
  checkHosts,
  checkPathPrefix,
  checkStatus,
  checkUpstream,
  isObject,
  requireObject,
  requireString,
} from './validate.js';

type Body = Record<string, unknown>;

export interface AdminRequest {
  method: string;
  /** The path after `/apisix/admin`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  groupId: string;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
}

/** What ADC keeps in a group besides services: consumers, SSLs, global rules, plugin metadata. */
interface GroupResources {
  consumers: Map<string, { body: Body; credentials: Map<string, Body> }>;
  ssls: Map<string, Body>;
  globalRules: Map<string, Body>;
  pluginMetadata: Map<string, Body>;
}

const ok = (value: unknown): AdminResponse => ({ status: 200, body: { value } });
const now = () => Math.floor(Date.now() / 1000);

/** `labels[k]=v` filters on the top-level lists, as ADC's `--label-selector` sends them. */
function byLabels<T extends object>(items: T[], query: URLSearchParams): T[] {
  const wanted = [...query.entries()].flatMap(([k, v]) => {
    const m = /^labels\[(.+)\]$/.exec(k);
    return m ? [[m[1]!, v] as const] : [];
  });
  return items.filter((item) => {
    const labels = (item as { labels?: unknown }).labels;
    return wanted.every(([k, v]) => isObject(labels) && String(labels[k]) === v);
  });
}

const list = (items: unknown[]): AdminResponse => ({
  status: 200,
  body: { list: items, total: items.length },
});

export class AdminApi {
  private readonly resources = new Map<string, GroupResources>();

  constructor(
    private readonly store: Store,
    private readonly api7Version: string,
  ) {}

  private of(groupId: string): GroupResources {
    let r = this.resources.get(groupId);
    if (!r) {
      r = { consumers: new Map(), ssls: new Map(), globalRules: new Map(), pluginMetadata: new Map() };
      this.resources.set(groupId, r);
    }
    return r;
  }

  handle(req: AdminRequest): AdminResponse | undefined {
    const { method, path, query, groupId } = req;
    this.store.group(groupId);
    const seg = path.split('/').slice(1).map(decodeURIComponent);
    const [kind, id, sub, subId] = seg;
    const body = req.body;
    switch (kind) {
      case 'services':
        if (sub === 'upstreams') return this.upstreams(method, groupId, id!, subId, body);
        if (sub !== undefined) return undefined;
        return this.services(method, groupId, id, query, body);
      case 'routes':
      case 'stream_routes':
        if (sub !== undefined) return undefined;
        return this.routes(kind === 'stream_routes', method, groupId, id, query, body);
      case 'consumers':
        if (sub === 'credentials') return this.credentials(method, groupId, id!, subId, body);
        if (sub !== undefined) return undefined;
        return this.keyed(this.of(groupId).consumers, method, id, query, body, 'username');
      case 'ssls':
        return this.plain(
          this.of(groupId).ssls,
          method,
          id,
          query,
          body,
          (b) => {
            if (!Array.isArray(b.snis) || b.snis.length === 0)
              bad('snis', 'must be a non-empty array of server names');
          },
          ['key', 'keys'],
        );
      case 'global_rules':
        return this.plain(this.of(groupId).globalRules, method, id, query, body, (b) => {
          if (!isObject(b.plugins)) bad('plugins', 'must be an object of plugin configurations');
        });
      case 'plugin_metadata':
        return this.pluginMetadata(method, groupId, id, query, body);
      case 'configs':
        if (id === 'validate' && method === 'POST') return this.validate(groupId, body);
        return undefined;
      default:
        return undefined;
    }
  }

  private service(groupId: string, id: string): PublishedService {
    const p = this.store.publishedById(groupId, id);
    if (!p) throw new ApiError(404, `service "${id}" not found in gateway group "${groupId}"`);
    return p;
  }

  /** The service as ADC wrote it (plus `id`), or a view of one published by version. */
  private serviceView(p: PublishedService): Body {
    if (p.adminBody) return { ...p.adminBody, id: p.id };
    return {
      id: p.id,
      name: p.name,
      type: 'http',
      ...(p.hosts ? { hosts: p.hosts } : {}),
      ...(p.path_prefix ? { path_prefix: p.path_prefix } : {}),
      ...(p.strip_path_prefix !== undefined ? { strip_path_prefix: p.strip_path_prefix } : {}),
      ...(p.upstream ? { upstream: p.upstream } : {}),
      status: p.status,
      create_time: p.created_at,
      update_time: p.updated_at,
    };
  }

  private services(
    method: string,
    groupId: string,
    id: string | undefined,
    query: URLSearchParams,
    body: unknown,
  ): AdminResponse | undefined {
    if (!id) {
      if (method === 'GET')
        return list(
          byLabels(
            this.store.servicesOf(groupId).map((p) => this.serviceView(p)),
            query,
          ),
        );
      return undefined;
    }
    if (method === 'GET') {
      const p = this.service(groupId, id);
      const view = this.serviceView(p);
      // with_publish_info: the version the service runs ("" = No Version).
      return ok(
        query.get('with_publish_info') === 'true'
          ? {
              ...view,
              service_id: p.service_id,
              version: p.version,
              ...(p.service_version_id ? { service_version_id: p.service_version_id } : {}),
            }
          : view,
      );
    }
    if (method === 'DELETE') {
      const p = this.service(groupId, id);
      // Deleting a service takes its routes, stream routes and upstreams with it (ADC relies on it).
      this.store.published.delete(`${groupId}/${p.service_id}`);
      this.store.onChange();
      return { status: 200, body: { value: {} } };
    }
    if (method !== 'PUT') return undefined;
    const b = requireObject(body, 'body');
    const name = requireString(b.name, 'name');
    const type = b.type ?? 'http';
    if (type !== 'http' && type !== 'stream') bad('type', 'must be http or stream');
    const ctx = { store: this.store, groupId, generation: this.store.generation, stream: type === 'stream' };
    const upstream = b.upstream === undefined ? undefined : checkUpstream(b.upstream, 'upstream', ctx);
    const hosts = checkHosts(b.hosts, 'hosts');
    const pathPrefix = checkPathPrefix(b.path_prefix, 'path_prefix');
    const status = checkStatus(b.status, 'status');
    if (b.strip_path_prefix !== undefined && typeof b.strip_path_prefix !== 'boolean')
      bad('strip_path_prefix', 'must be true or false');
    const t = now();
    let p = this.store.publishedById(groupId, id);
    if (!p) {
      // A service created directly in a group: its template takes the same ID.
      const template = this.store.templates.get(id) ?? this.store.createTemplate({ id, name });
      p = {
        id,
        gateway_group_id: groupId,
        service_id: template.id,
        name,
        version: '',
        status: 1,
        routes: [],
        created_at: t,
        updated_at: t,
        history: [],
      };
      this.store.published.set(`${groupId}/${template.id}`, p);
    }
    // An edit made directly in a group leaves the service in the "No Version" state.
    p.version = '';
    delete p.service_version_id;
    p.name = name;
    p.adminBody = structuredClone(b);
    p.kind = type;
    p.upstream = upstream;
    p.hosts = hosts;
    p.path_prefix = pathPrefix;
    p.strip_path_prefix = b.strip_path_prefix as boolean | undefined;
    if (status !== undefined) p.status = status;
    p.updated_at = t;
    this.store.onChange();
    return ok(this.serviceView(p));
  }

  private upstreams(
    method: string,
    groupId: string,
    serviceId: string,
    id: string | undefined,
    body: unknown,
  ): AdminResponse | undefined {
    const p = this.service(groupId, serviceId);
    p.extraUpstreams ??= {};
    if (!id && method === 'GET') {
      // The service's own (inline) upstream is listed under the service's ID; ADC skips it.
      const inline = p.upstream ? [{ ...p.upstream, id: p.id }] : [];
      return list([...inline, ...Object.entries(p.extraUpstreams).map(([uid, u]) => ({ ...u, id: uid }))]);
    }
    if (!id) return undefined;
    if (method === 'GET') {
      const u = p.extraUpstreams[id];
      if (!u) throw new ApiError(404, `upstream "${id}" not found`);
      return ok({ ...u, id });
    }
    if (method === 'PUT') {
      const b = requireObject(body, 'body');
      checkUpstream(b, 'body', {
        store: this.store,
        groupId,
        generation: this.store.generation,
        stream: true,
      });
      p.extraUpstreams[id] = structuredClone(b);
      return ok({ ...b, id });
    }
    if (method === 'DELETE') {
      if (!p.extraUpstreams[id]) throw new ApiError(404, `upstream "${id}" not found`);
      delete p.extraUpstreams[id];
      return { status: 200, body: { value: {} } };
    }
    return undefined;
  }

  private routes(
    stream: boolean,
    method: string,
    groupId: string,
    id: string | undefined,
    query: URLSearchParams,
    body: unknown,
  ): AdminResponse | undefined {
    const field = stream ? 'streamRoutes' : 'routes';
    const all = () =>
      this.store.servicesOf(groupId).flatMap((p) => (p[field] ?? []).map((r) => ({ route: r, service: p })));
    const view = (r: Route, p: PublishedService) => ({ ...r, service_id: r.service_id ?? p.id });
    if (!id) {
      if (method !== 'GET') return undefined;
      const serviceId = query.get('service_id');
      return list(
        byLabels(
          all()
            .filter((x) => !serviceId || x.service.id === serviceId)
            .map((x) => view(x.route, x.service)),
          query,
        ),
      );
    }
    const found = all().find((x) => x.route.id === id);
    if (method === 'GET') {
      if (!found) throw new ApiError(404, `route "${id}" not found`);
      return ok(view(found.route, found.service));
    }
    if (method === 'DELETE') {
      if (!found) throw new ApiError(404, `route "${id}" not found`);
      found.service[field] = (found.service[field] ?? []).filter((r) => r.id !== id);
      if (!stream) this.noVersion(found.service);
      this.store.onChange();
      return { status: 200, body: { value: {} } };
    }
    if (method !== 'PUT') return undefined;
    const b = requireObject(body, 'body');
    const serviceId = requireString(b.service_id, 'service_id');
    const p = this.store.publishedById(groupId, serviceId);
    if (!p)
      throw new ApiError(400, `service_id: service "${serviceId}" not found in gateway group "${groupId}"`);
    if (stream) {
      if (
        b.server_port !== undefined &&
        (typeof b.server_port !== 'number' || !Number.isInteger(b.server_port))
      )
        bad('server_port', 'must be an integer');
    } else {
      requireString(b.name, 'name');
      if (
        !Array.isArray(b.paths) ||
        b.paths.length === 0 ||
        !b.paths.every((x) => typeof x === 'string' && x.startsWith('/'))
      ) {
        bad('paths', 'must be a non-empty array of paths starting with "/"');
      }
    }
    if (found && found.service !== p)
      found.service[field] = (found.service[field] ?? []).filter((r) => r.id !== id);
    const route = { ...structuredClone(b), id } as Route;
    p[field] = [...(p[field] ?? []).filter((r) => r.id !== id), route];
    if (!stream) this.noVersion(p);
    this.store.onChange();
    return ok(route);
  }

  /** A route edited in a group leaves its service in the "No Version" state. */
  private noVersion(p: PublishedService): void {
    p.version = '';
    delete p.service_version_id;
    p.updated_at = now();
  }

  private keyed(
    map: Map<string, { body: Body; credentials: Map<string, Body> }>,
    method: string,
    id: string | undefined,
    query: URLSearchParams,
    body: unknown,
    key: string,
  ): AdminResponse | undefined {
    if (!id)
      return method === 'GET'
        ? list(
            byLabels(
              [...map.values()].map((c) => ({ ...c.body, id: c.body[key] })),
              query,
            ),
          )
        : undefined;
    const existing = map.get(id);
    if (method === 'GET') {
      if (!existing) throw new ApiError(404, `consumer "${id}" not found`);
      return ok({ ...existing.body, id });
    }
    if (method === 'DELETE') {
      // Deleting a consumer takes its credentials with it (ADC relies on it).
      if (!map.delete(id)) throw new ApiError(404, `consumer "${id}" not found`);
      return { status: 200, body: { value: {} } };
    }
    if (method !== 'PUT') return undefined;
    const b = requireObject(body, 'body');
    const username = requireString(b[key], key);
    if (username !== id) bad(key, `"${username}" does not match the path's "${id}"`);
    map.set(id, { body: structuredClone(b), credentials: existing?.credentials ?? new Map() });
    return ok({ ...b, id });
  }

  private credentials(
    method: string,
    groupId: string,
    username: string,
    id: string | undefined,
    body: unknown,
  ): AdminResponse | undefined {
    const consumer = this.of(groupId).consumers.get(username);
    if (!consumer) throw new ApiError(404, `consumer "${username}" not found`);
    return this.plain(consumer.credentials, method, id, new URLSearchParams(), body, (b) => {
      if (!isObject(b.plugins) || Object.keys(b.plugins).length !== 1)
        bad('plugins', 'must hold exactly one authentication plugin');
    });
  }

  /** A resource kept as written, keyed by the path's ID; `hidden` fields are never read back. */
  private plain(
    map: Map<string, Body>,
    method: string,
    id: string | undefined,
    query: URLSearchParams,
    body: unknown,
    check: (b: Body) => void,
    hidden: string[] = [],
  ): AdminResponse | undefined {
    const shown = (b: Body, key: string) =>
      Object.fromEntries(Object.entries({ ...b, id: key }).filter(([k]) => !hidden.includes(k)));
    if (!id)
      return method === 'GET'
        ? list(
            byLabels(
              [...map.entries()].map(([k, b]) => shown(b, k)),
              query,
            ),
          )
        : undefined;
    if (method === 'GET') {
      const b = map.get(id);
      if (!b) throw new ApiError(404, `"${id}" not found`);
      return ok(shown(b, id));
    }
    if (method === 'DELETE') {
      if (!map.delete(id)) throw new ApiError(404, `"${id}" not found`);
      return { status: 200, body: { value: {} } };
    }
    if (method !== 'PUT') return undefined;
    const b = requireObject(body, 'body');
    check(b);
    map.set(id, structuredClone(b));
    return ok(shown(b, id));
  }

  /** Plugin metadata is answered as one object keyed by plugin, not as a list (as ADC expects). */
  private pluginMetadata(
    method: string,
    groupId: string,
    id: string | undefined,
    query: URLSearchParams,
    body: unknown,
  ): AdminResponse | undefined {
    const map = this.of(groupId).pluginMetadata;
    if (!id) {
      if (method !== 'GET') return undefined;
      const entries = [...map.entries()].filter(([, b]) => byLabels([b], query).length === 1);
      return ok(Object.fromEntries(entries));
    }
    if (method === 'GET') {
      const b = map.get(id);
      if (!b) throw new ApiError(404, `no metadata for plugin "${id}"`);
      return ok(b);
    }
    if (method === 'DELETE') {
      if (!map.delete(id)) throw new ApiError(404, `no metadata for plugin "${id}"`);
      return { status: 200, body: { value: {} } };
    }
    if (method !== 'PUT') return undefined;
    map.set(id, structuredClone(requireObject(body, 'body')));
    return ok(map.get(id));
  }

  /** `POST /apisix/admin/configs/validate` (API7 ≥ 3.9.10): checks without storing anything. */
  private validate(groupId: string, body: unknown): AdminResponse {
    const [major = 0, minor = 0, patch = 0] =
      this.api7Version === 'dev' ? [999] : this.api7Version.split('.').map(Number);
    if (major * 1e6 + minor * 1e3 + patch < 3 * 1e6 + 9 * 1e3 + 10)
      throw new ApiError(404, `configs/validate is not available on API7 ${this.api7Version}`);
    const b = requireObject(body, 'body');
    const errors: { resource_type: string; index: number; error: string }[] = [];
    const each = (type: string, check: (item: Body) => void) => {
      const items = b[type];
      if (items === undefined) return;
      if (!Array.isArray(items))
        return errors.push({ resource_type: type, index: -1, error: 'must be an array' });
      items.forEach((item, index) => {
        try {
          check(requireObject(item, type));
        } catch (err) {
          if (err instanceof ApiError)
            errors.push({ resource_type: type.replace(/s$/, ''), index, error: err.message });
          else throw err;
        }
      });
    };
    const ctx = { store: this.store, groupId, generation: this.store.generation, stream: true };
    each('services', (s) => {
      requireString(s.name, 'name');
      if (s.upstream !== undefined) checkUpstream(s.upstream, 'upstream', ctx);
      checkHosts(s.hosts, 'hosts');
      checkPathPrefix(s.path_prefix, 'path_prefix');
    });
    each('routes', (r) => {
      requireString(r.name, 'name');
      if (!Array.isArray(r.paths) || r.paths.length === 0) bad('paths', 'must be a non-empty array');
    });
    each('stream_routes', (r) => requireString(r.service_id, 'service_id'));
    each('consumers', (c) => requireString(c.username, 'username'));
    each('ssls', (s) => {
      if (!Array.isArray(s.snis) || s.snis.length === 0) bad('snis', 'must be a non-empty array');
    });
    each('global_rules', (g) => {
      if (!isObject(g.plugins)) bad('plugins', 'must be an object');
    });
    each('plugin_metadata', (m) => requireString(m.id, 'id'));
    if (errors.length)
      return { status: 400, body: { error_msg: `${errors.length} resource(s) are not valid`, errors } };
    return ok({});
  }
}
