/**
 * The gateway-group-scoped `/apisix/admin/*` API: what ADC (API7's declarative CLI) reads and
 * writes, and how services get into the "No Version" state. Objects read back as written plus
 * API7's defaults and `id`, so that ADC, which merges the same defaults from `/api/schema/core`
 * into its local configuration, finds no difference right after a sync.
 */
import type { Context } from '../api/common.js';
import { isObject } from '../validate.js';
import { consumers, credentials } from './consumers.js';
import { globalRules, pluginMetadata, ssls } from './others.js';
import { routes } from './routes.js';
import { services, upstreams } from './services.js';
import { validateConfigs } from './validate.js';

export type Body = Record<string, unknown>;

export interface AdminRequest {
  method: string;
  /** The path's segments after `/apisix/admin`, decoded: `['services', id, 'upstreams']`. */
  seg: (string | undefined)[];
  query: URLSearchParams;
  body: unknown;
  groupId: string;
  ctx: Context;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
}

export const ok = (value: unknown): AdminResponse => ({ status: 200, body: { value } });
export const deleted: AdminResponse = { status: 200, body: { value: {} } };

export const list = (items: unknown[]): AdminResponse => ({
  status: 200,
  body: { list: items, total: items.length },
});

/**
 * `labels[k]=v` filters, as ADC's `--label-selector` sends them. API7 applies them to services,
 * consumers, SSLs and routes; global rules and plugin metadata carry no labels and are exempt.
 */
export function byLabels<T extends object>(items: T[], query: URLSearchParams): T[] {
  const wanted = [...query.entries()].flatMap(([k, v]) => {
    const m = /^labels\[(.+)\]$/.exec(k);
    return m ? [[m[1]!, v] as const] : [];
  });
  if (wanted.length === 0) return items;
  return items.filter((item) => {
    const labels = (item as { labels?: unknown }).labels;
    return wanted.every(([k, v]) => isObject(labels) && String(labels[k]) === v);
  });
}

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
