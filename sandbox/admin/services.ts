/** `/apisix/admin/services` in a group, and the extra upstreams under a service (3.5+). */
import { nowSeconds } from '../api/common.js';
import { checkResource } from '../schema/check.js';
import { ApiError, type PublishedService } from '../store.js';
import { checkUpstream } from '../validate.js';
import { byLabels, deleted, list, ok, type AdminRequest, type AdminResponse, type Body } from './common.js';

export function serviceOr404(req: AdminRequest, id: string): PublishedService {
  const p = req.ctx.store.publishedById(req.groupId, id);
  if (!p) throw new ApiError(404, `service "${id}" not found in gateway group "${req.groupId}"`);
  return p;
}

/** The service as written through this API (with API7's defaults), or a view of a published one. */
function serviceView(p: PublishedService): Body {
  if (p.adminBody) return { ...p.adminBody, id: p.id };
  return {
    id: p.id,
    name: p.name,
    type: 'http',
    ...(p.hosts ? { hosts: p.hosts } : {}),
    ...(p.path_prefix ? { path_prefix: p.path_prefix } : {}),
    ...(p.strip_path_prefix !== undefined ? { strip_path_prefix: p.strip_path_prefix } : {}),
    ...(p.upstream ? { upstream: p.upstream } : {}),
    ...(p.plugins ? { plugins: p.plugins } : {}),
    status: p.status,
    create_time: p.created_at,
    update_time: p.updated_at,
  };
}

export function services(req: AdminRequest): AdminResponse | undefined {
  const { method, groupId, query, ctx } = req;
  const { store } = ctx;
  const id = req.seg[1];
  if (!id) {
    if (method !== 'GET') return undefined;
    return list(byLabels(store.servicesOf(groupId).map(serviceView), query), query);
  }
  if (method === 'GET') {
    const p = serviceOr404(req, id);
    const view = serviceView(p);
    if (query.get('with_publish_info') !== 'true') return ok(view);
    // with_publish_info: the version the service runs ("" = No Version).
    return ok({
      ...view,
      service_id: p.service_id,
      version: p.version,
      ...(p.service_version_id ? { service_version_id: p.service_version_id } : {}),
    });
  }
  if (method === 'DELETE') {
    const p = serviceOr404(req, id);
    // Its routes, stream routes and upstreams go with it (ADC relies on it), and so does its
    // template when this was its last published copy.
    store.unpublish(groupId, p.service_id, true);
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  const stream = (req.body as Body | undefined)?.type === 'stream';
  const b = checkResource<Body & { name: string }>(
    stream ? 'stream_service' : 'service',
    structuredClone(req.body),
    ctx.version,
  );
  if (b.upstream !== undefined)
    b.upstream = checkUpstream(b.upstream, 'upstream', { store, groupId, version: ctx.version, stream });
  const t = nowSeconds();
  let p = store.publishedById(groupId, id);
  if (!p) {
    // A service created directly in a group: its template takes the same ID.
    const template = store.templates.get(id) ?? store.createTemplate({ id, name: b.name });
    p = {
      id,
      gateway_group_id: groupId,
      service_id: template.id,
      name: b.name,
      version: '',
      status: 1,
      routes: [],
      created_at: t,
      updated_at: t,
      history: [],
    };
    store.published.set(`${groupId}/${template.id}`, p);
  }
  // An edit made directly in a group leaves the service in the "No Version" state.
  p.version = '';
  delete p.service_version_id;
  Object.assign(p, {
    name: b.name,
    adminBody: b,
    kind: stream ? 'stream' : 'http',
    upstream: b.upstream,
    hosts: b.hosts,
    path_prefix: b.path_prefix,
    strip_path_prefix: b.strip_path_prefix,
    plugins: b.plugins,
    updated_at: t,
  });
  if (b.status === 0 || b.status === 1) p.status = b.status;
  store.onChange(groupId, p.service_id);
  return ok(serviceView(p));
}

export function upstreams(req: AdminRequest): AdminResponse | undefined {
  const { method, groupId, ctx } = req;
  // Before 3.5 a service has no upstreams of its own: clients re-create them on every sync.
  if (!ctx.version.features.serviceUpstreams) return undefined;
  const p = serviceOr404(req, req.seg[1]!);
  const id = req.seg[3];
  p.extraUpstreams ??= {};
  if (!id) {
    if (method !== 'GET') return undefined;
    // The service's own (inline) upstream is listed under the service's ID; ADC skips it.
    const inline = p.upstream ? [{ ...p.upstream, id: p.id }] : [];
    return list([...inline, ...Object.entries(p.extraUpstreams).map(([uid, u]) => ({ ...u, id: uid }))]);
  }
  if (method === 'GET') {
    const u = p.extraUpstreams[id];
    if (!u) throw new ApiError(404, `upstream "${id}" not found`);
    return ok({ ...u, id });
  }
  if (method === 'DELETE') {
    if (!p.extraUpstreams[id]) throw new ApiError(404, `upstream "${id}" not found`);
    delete p.extraUpstreams[id];
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  const u = checkUpstream(req.body, '', {
    store: ctx.store,
    groupId,
    version: ctx.version,
    stream: p.kind === 'stream',
  });
  p.extraUpstreams[id] = u;
  return ok({ ...u, id });
}
