/** Service versions: immutable snapshots, their routes, and the history of a service in a group. */
import { ApiError, type ServiceVersion } from '../store.js';
import { ok, paged, type Context, type On } from './common.js';
import { GG } from './groups.js';
import { publishedOr404 } from './runtime.js';

export function versionView(v: ServiceVersion) {
  return { id: v.id, service_id: v.service_id, version: v.version, name: v.name, created_at: v.created_at };
}

export function registerVersions(on: On, ctx: Context): void {
  const version = (id: string) => {
    const v = ctx.store.versions.get(id);
    if (!v) throw new ApiError(404, `service version "${id}" not found`);
    return v;
  };
  on('GET', `${GG}/services/([^/]+)/versions`, (r, [g, s]) => {
    const p = publishedOr404(ctx, g!, s!);
    const asc = (r.query.get('direction') ?? 'desc').toLowerCase() === 'asc';
    const items = [...p.history]
      .sort((a, b) => (a.seq - b.seq) * (asc ? 1 : -1))
      .map((h) => ({
        ...versionView(version(h.service_version_id)),
        gateway_group_id: g,
        publish_time: h.publish_time,
      }));
    return paged(items, r.query);
  });
  on('GET', '/api/service_versions/([^/]+)', (_r, [id]) => ok(versionView(version(id!))));
  on('GET', '/api/service_versions/([^/]+)/routes', (r, [id]) =>
    paged(
      version(id!).routes.map((rt) => ({ ...rt, service_version_id: id })),
      r.query,
    ),
  );
  on('GET', '/api/service_versions/([^/]+)/routes/([^/]+)', (_r, [id, rid]) => {
    const route = version(id!).routes.find((rt) => rt.id === rid);
    if (!route) throw new ApiError(404, `route "${rid}" not found in service version "${id}"`);
    return ok({ ...route, service_version_id: id });
  });
}
