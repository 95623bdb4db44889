/**
 * `POST /apisix/admin/configs/validate` (API7 3.9.10+): checks a whole configuration as the writes
 * would, stores nothing, and answers every error at once:
 * `{"error_msg":"Configuration validation failed","errors":[{"resource_type":"services","index":1,
 * "resource_name":"bad-host-svc","error":"..."}]}`.
 */
import { checkPlugins, checkResource } from '../schema/check.js';
import { isKnownPlugin } from '../schema/plugins.js';
import type { ResourceType } from '../schema/resources.js';
import { ApiError } from '../store.js';
import { checkUpstream, isObject, requireObject } from '../validate.js';
import { ok, type AdminRequest, type AdminResponse, type Body } from './common.js';

interface ValidationError {
  resource_type: string;
  index: number;
  resource_name?: string;
  error: string;
}

/** How each list in the body is checked, and what names an item of it. */
const LISTS: Record<string, { type?: ResourceType; name: (b: Body) => unknown }> = {
  services: { name: (b) => b.name },
  routes: { type: 'route', name: (b) => b.name },
  stream_routes: { type: 'stream_route', name: (b) => b.name },
  consumers: { type: 'consumer', name: (b) => b.username },
  ssls: { type: 'ssl', name: (b) => (Array.isArray(b.snis) ? b.snis[0] : undefined) },
  global_rules: {
    type: 'global_rule',
    name: (b) => (isObject(b.plugins) ? Object.keys(b.plugins)[0] : undefined),
  },
  plugin_metadata: { name: (b) => b.id },
  consumer_groups: { name: (b) => b.name },
};

/** Schema errors read as API7's validate words them; plugin errors are APISIX's sentences. */
const worded = (message: string) =>
  message.startsWith('Error at') ? `does not match schema due to: ${message}` : message;

export function validateConfigs(req: AdminRequest): AdminResponse {
  const { ctx, groupId } = req;
  if (!ctx.version.features.validate)
    throw new ApiError(404, `configs/validate is not available on API7 ${ctx.version.text}`);
  const b = requireObject(req.body, 'body');
  const errors: ValidationError[] = [];
  for (const [key, items] of Object.entries(b)) {
    const rule = LISTS[key];
    if (!rule) {
      errors.push({ resource_type: key, index: -1, error: `unknown resource type "${key}"` });
      continue;
    }
    if (!Array.isArray(items)) {
      errors.push({ resource_type: key, index: -1, error: 'value must be an array' });
      continue;
    }
    items.forEach((raw: unknown, index) => {
      const item = structuredClone(raw) as Body;
      const name = isObject(item) ? rule.name(item) : undefined;
      try {
        if (!isObject(item)) throw new ApiError(400, 'Error at "/": value must be an object');
        if (key === 'services') {
          const stream = item.type === 'stream';
          checkResource(stream ? 'stream_service' : 'service', item, ctx.version);
          if (item.upstream !== undefined)
            checkUpstream(item.upstream, 'upstream', {
              store: ctx.store,
              groupId,
              version: ctx.version,
              stream,
            });
        } else if (key === 'plugin_metadata') {
          if (typeof item.id !== 'string' || !isKnownPlugin(item.id))
            throw new ApiError(400, `unknown plugin [${String(item.id)}]`);
        } else if (key === 'consumer_groups') {
          checkPlugins(item.plugins, 'route');
        } else {
          checkResource(rule.type!, item, ctx.version);
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        errors.push({
          resource_type: key,
          index,
          ...(typeof name === 'string' ? { resource_name: name } : {}),
          error: worded(err.message),
        });
      }
    });
  }
  if (errors.length) return { status: 400, body: { error_msg: 'Configuration validation failed', errors } };
  return ok({});
}
