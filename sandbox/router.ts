/**
 * The control plane's one router: every API7 endpoint the sandbox serves, by family (one file
 * each under api/ and admin/). Without `gateway_group_id` (and without a group's admin key),
 * `/apisix/admin/services` and `/routes` are the service template API; with one, the group's
 * admin API answers.
 */
import { handleAdmin } from './admin/index.js';
import type { ApiRequest, ApiResponse, Context, Handler } from './api/common.js';
import { registerGroups } from './api/groups.js';
import { registerPublish } from './api/publish.js';
import { registerRuntime } from './api/runtime.js';
import { registerSchema } from './api/schema.js';
import { registerTemplates } from './api/templates.js';
import { registerVersions } from './api/versions.js';
import { ApiError } from './store.js';

export type { ApiRequest, ApiResponse } from './api/common.js';

export class Router {
  private readonly table: { method: string; pattern: RegExp; handler: Handler }[] = [];

  constructor(private readonly ctx: Context) {
    const on = (method: string, path: string, handler: Handler) =>
      this.table.push({ method, pattern: new RegExp(`^${path}$`), handler });
    for (const register of [
      registerGroups,
      registerSchema,
      registerRuntime,
      registerVersions,
      registerPublish,
      registerTemplates,
    ]) {
      register(on, ctx);
    }
  }

  handle(req: ApiRequest): ApiResponse {
    try {
      return this.dispatch(req);
    } catch (err) {
      if (err instanceof ApiError) return { status: err.status, body: { error_msg: err.message } };
      throw err;
    }
  }

  private dispatch(req: ApiRequest): ApiResponse {
    const groupId = req.query.get('gateway_group_id') ?? req.scope;
    if (req.path.startsWith('/apisix/admin/') && groupId) {
      const seg = req.path.slice('/apisix/admin/'.length).split('/').map(decodeURIComponent);
      const answer = handleAdmin({
        method: req.method,
        seg,
        query: req.query,
        body: req.body,
        groupId,
        ctx: this.ctx,
      });
      return answer ?? { status: 404, body: { error_msg: `no such API: ${req.method} ${req.path}` } };
    }
    let pathMatched = false;
    for (const route of this.table) {
      const m = route.pattern.exec(req.path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      return route.handler(
        req,
        m.slice(1).map((s) => decodeURIComponent(s)),
      );
    }
    return pathMatched
      ? { status: 405, body: { error_msg: `method ${req.method} is not allowed on ${req.path}` } }
      : { status: 404, body: { error_msg: `no such API: ${req.method} ${req.path}` } };
  }
}
