/**
 * The service template API: `/apisix/admin/services` and `/apisix/admin/routes` without a gateway
 * group (and without a group's admin key). Templates are what API7 users publish from.
 */
import { checkResource } from '../schema/check.js';
import { newId, type Route } from '../store.js';
import { requireId, requireObject } from '../validate.js';
import { nowSeconds, ok, paged, type ApiRequest, type ApiResponse, type Context, type On } from './common.js';

export function registerTemplates(on: On, ctx: Context): void {
  const { store } = ctx;
  on('GET', '/apisix/admin/services', (r) => paged([...store.templates.values()], r.query));
  on('POST', '/apisix/admin/services', (r) => putTemplate(ctx, r, newId('svc')));
  on('GET', '/apisix/admin/services/([^/]+)', (_r, [id]) => ok(store.template(id!)));
  on('PUT', '/apisix/admin/services/([^/]+)', (r, [id]) => putTemplate(ctx, r, id!));
  on('GET', '/apisix/admin/routes', (r) => {
    const serviceId = r.query.get('service_id');
    const all = [...store.templates.values()].flatMap((t) =>
      t.routes.map((rt) => ({ ...rt, service_id: t.id })),
    );
    return paged(
      all.filter((rt) => !serviceId || rt.service_id === serviceId),
      r.query,
    );
  });
  on('POST', '/apisix/admin/routes', (r) => putTemplateRoute(ctx, r, newId('rt')));
  on('PUT', '/apisix/admin/routes/([^/]+)', (r, [id]) => putTemplateRoute(ctx, r, id!));
}

/** A template route: checked and given API7's defaults; `service_id` names its template. */
export function checkRoute(value: unknown, ctx: Context, base = ''): Omit<Route, 'id'> {
  return checkResource<Omit<Route, 'id'>>('route', structuredClone(value), ctx.version, base);
}

function putTemplate(ctx: Context, r: ApiRequest, id: string): ApiResponse {
  const b = checkResource<{ name: string; desc?: string; routes?: unknown }>(
    'service',
    structuredClone(r.body),
    ctx.version,
  );
  const existing = ctx.store.templates.get(id);
  if (existing) {
    existing.name = b.name;
    existing.updated_at = nowSeconds();
    return ok(existing);
  }
  const routes = Array.isArray(b.routes) ? b.routes.map((rt, i) => checkRoute(rt, ctx, `/routes/${i}`)) : [];
  return ok(ctx.store.createTemplate({ id, name: b.name, routes, desc: b.desc }));
}

function putTemplateRoute(ctx: Context, r: ApiRequest, id: string): ApiResponse {
  const b = requireObject(r.body, 'body');
  const serviceId = requireId(b.service_id, 'service_id');
  const { service_id: _s, ...rest } = b;
  const route = { ...checkRoute(rest, ctx), id } as Route;
  const template = ctx.store.template(serviceId);
  template.routes = [...template.routes.filter((rt) => rt.id !== id), route];
  return ok({ ...route, service_id: serviceId });
}
