/**
 * The gateway-group-scoped `/apisix/admin/*` API: what ADC (API7's declarative CLI) reads and
 * writes, and how services get into the "No Version" state. Objects read back as written plus
 * API7's defaults and `id`, so that ADC, which merges the same defaults from `/api/schema/core`
 * into its local configuration, finds no difference right after a sync.
 */
import { consumers, credentials } from './consumers.js';
import { globalRules, pluginMetadata, ssls } from './others.js';
import { routes } from './routes.js';
import { services, upstreams } from './services.js';
import { validateConfigs } from './validate.js';

export type { AdminRequest, AdminResponse, Body } from './common.js';
import type { AdminRequest, AdminResponse } from './common.js';

/** Answers one admin request, or undefined when no such endpoint exists (a 404). */
export function handleAdmin(req: AdminRequest): AdminResponse | undefined {
  req.ctx.store.group(req.groupId);
  const [kind, id, sub] = req.seg;
  switch (kind) {
    case 'services':
      if (sub === 'upstreams') return upstreams(req);
      return sub === undefined ? services(req) : undefined;
    case 'routes':
    case 'stream_routes':
      return sub === undefined ? routes(req, kind === 'stream_routes') : undefined;
    case 'consumers':
      if (sub === 'credentials') return credentials(req);
      return sub === undefined ? consumers(req) : undefined;
    case 'ssls':
      return ssls(req);
    case 'global_rules':
      return globalRules(req);
    case 'plugin_metadata':
      return pluginMetadata(req);
    case 'configs':
      return id === 'validate' && req.method === 'POST' ? validateConfigs(req) : undefined;
    default:
      return undefined;
  }
}
