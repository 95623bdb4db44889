/** `/apisix/admin/routes` and `/apisix/admin/stream_routes` in a group. */
import { nowSeconds } from '../api/common.js';
import { checkResource } from '../schema/check.js';
import { ApiError, type PublishedService, type Route } from '../store.js';
import { requireString } from '../validate.js';
import { byLabels, deleted, list, ok, type AdminRequest, type AdminResponse, type Body } from './common.js';

/** A route edited in a group leaves its service in the "No Version" state. */
function noVersion(p: PublishedService): void {
  p.version = '';
  delete p.service_version_id;
  p.updated_at = nowSeconds();
}

/** A route always names the copy of the service it belongs to in this group. */
const view = (r: Route, p: PublishedService) => ({ ...r, service_id: p.id });

export function routes(req: AdminRequest, stream: boolean): AdminResponse | undefined {
  const { method, groupId, query, ctx } = req;
  const { store } = ctx;
  const field = stream ? 'streamRoutes' : 'routes';
  const id = req.seg[1];
  const all = () =>
    store.servicesOf(groupId).flatMap((p) => (p[field] ?? []).map((r) => ({ route: r, service: p })));
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
      query,
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
    if (!stream) noVersion(found.service);
    store.onChange(groupId, found.service.service_id);
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  const b = checkResource<Body>(stream ? 'stream_route' : 'route', structuredClone(req.body), ctx.version);
  const serviceId = requireString(b.service_id, 'service_id');
  const p = store.publishedById(groupId, serviceId);
  if (!p)
    throw new ApiError(400, `service_id: service "${serviceId}" not found in gateway group "${groupId}"`);
  if (found && found.service !== p) {
    found.service[field] = (found.service[field] ?? []).filter((r) => r.id !== id);
    store.onChange(groupId, found.service.service_id);
  }
  const route = { ...b, id } as Route;
  p[field] = [...(p[field] ?? []).filter((r) => r.id !== id), route];
  if (!stream) noVersion(p);
  store.onChange(groupId, p.service_id);
  return ok(view(route, p));
}
