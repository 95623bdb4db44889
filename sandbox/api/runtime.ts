/**
 * Published services in a gateway group and their runtime configuration (upstream, hosts, path
 * prefix, status): per group and never versioned.
 */
import { ApiError, type PublishedService } from '../store.js';
import {
  bad,
  checkHosts,
  checkPathPrefix,
  checkStatus,
  checkUpstream,
  onlyKeys,
  requireObject,
} from '../validate.js';
import {
  nowSeconds,
  ok,
  orderBy,
  paged,
  type ApiRequest,
  type ApiResponse,
  type Context,
  type On,
} from './common.js';
import { GG } from './groups.js';

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

function runtimeView(p: Pick<PublishedService, 'upstream' | 'hosts' | 'path_prefix' | 'status'>) {
  return {
    ...(p.upstream ? { upstreams: p.upstream } : {}),
    ...(p.hosts ? { hosts: p.hosts } : {}),
    ...(p.path_prefix ? { path_prefix: p.path_prefix } : {}),
    status: p.status,
  };
}

/** The service `templateId` as published in `groupId`, or a 404. */
export function publishedOr404(ctx: Context, groupId: string, templateId: string): PublishedService {
  ctx.store.group(groupId);
  const p = ctx.store.publishedIn(groupId, templateId);
  if (!p) throw new ApiError(404, `service "${templateId}" is not published in gateway group "${groupId}"`);
  return p;
}

export function registerRuntime(on: On, ctx: Context): void {
  const { store } = ctx;
  on('GET', `${GG}/services`, (r, [g]) => {
    store.group(g!);
    return paged(orderBy(store.servicesOf(g!), r.query).map(publishedView), r.query);
  });
  on('GET', `${GG}/services/([^/]+)`, (_r, [g, s]) => ok(publishedView(publishedOr404(ctx, g!, s!))));
  on('DELETE', `${GG}/services/([^/]+)`, (_r, [g, s]) => {
    publishedOr404(ctx, g!, s!);
    store.unpublish(g!, s!, false);
    return { status: 200 };
  });
  on('GET', `${GG}/services/([^/]+)/runtime_configuration`, (_r, [g, s]) =>
    ok(runtimeView(publishedOr404(ctx, g!, s!))),
  );
  on('PATCH', `${GG}/services/([^/]+)/runtime_configuration`, (r, [g, s]) => patchRuntime(ctx, r, g!, s!));
}

function patchRuntime(ctx: Context, r: ApiRequest, groupId: string, templateId: string): ApiResponse {
  const p = publishedOr404(ctx, groupId, templateId);
  const b = requireObject(r.body, 'body');
  onlyKeys(b, ['upstreams', 'hosts', 'path_prefix', 'status', 'plugins'], '');
  if (Object.keys(b).length === 0) bad('', 'set at least one of upstreams, hosts, path_prefix, status');
  const uctx = { store: ctx.store, groupId, version: ctx.version };
  const upstream = b.upstreams === undefined ? p.upstream : checkUpstream(b.upstreams, 'upstreams', uctx);
  const hosts = b.hosts === undefined ? p.hosts : checkHosts(b.hosts, 'hosts', ctx.version);
  const pathPrefix =
    b.path_prefix === undefined ? p.path_prefix : checkPathPrefix(b.path_prefix, 'path_prefix', ctx.version);
  const status = checkStatus(b.status, 'status') ?? p.status;
  if (status === 1 && !upstream)
    bad('upstreams', 'an upstream is required before the service can be enabled');
  const next = { upstream, hosts, path_prefix: pathPrefix, status };
  if (r.query.get('dry-run') === 'all') return ok(runtimeView(next));
  Object.assign(p, next, { updated_at: nowSeconds() });
  if (hosts === undefined) delete p.hosts;
  if (pathPrefix === undefined) delete p.path_prefix;
  ctx.store.onChange(groupId, templateId);
  return ok(runtimeView(p));
}
