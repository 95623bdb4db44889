/**
 * SSLs, global rules and plugin metadata of a group: each kept as written (plus defaults),
 * keyed by the path's ID. SSL keys are never read back; SSLs list newest first.
 */
import { checkResource, invalid } from '../schema/check.js';
import { isKnownPlugin } from '../schema/plugins.js';
import type { ResourceType } from '../schema/resources.js';
import { ApiError } from '../store.js';
import { requireObject } from '../validate.js';
import { touch } from './consumers.js';
import { byLabels, deleted, list, ok, type AdminRequest, type AdminResponse, type Body } from './common.js';

interface Kind {
  type: ResourceType;
  what: string;
  map: Map<string, Body>;
  /** Fields never read back. */
  hidden?: string[];
  newestFirst?: boolean;
  labelled?: boolean;
}

function keyed(req: AdminRequest, kind: Kind): AdminResponse | undefined {
  const { method, query, ctx } = req;
  const { map } = kind;
  const id = req.seg[1];
  const shown = (b: Body, key: string) =>
    Object.fromEntries(Object.entries({ ...b, id: key }).filter(([k]) => !kind.hidden?.includes(k)));
  if (!id) {
    if (method !== 'GET') return undefined;
    const entries = [...map.entries()];
    if (kind.newestFirst) entries.reverse();
    const items = entries.map(([k, b]) => shown(b, k));
    return list(kind.labelled ? byLabels(items, query) : items, query);
  }
  if (method === 'GET') {
    const b = map.get(id);
    if (!b) throw new ApiError(404, `${kind.what} "${id}" not found`);
    return ok(shown(b, id));
  }
  if (method === 'DELETE') {
    if (!map.delete(id)) throw new ApiError(404, `${kind.what} "${id}" not found`);
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  const b = checkResource<Body>(kind.type, structuredClone(req.body), ctx.version);
  touch(map, id, b);
  return ok(shown(b, id));
}

export function ssls(req: AdminRequest): AdminResponse | undefined {
  const map = req.ctx.store.resources(req.groupId).ssls;
  return keyed(req, {
    type: 'ssl',
    what: 'ssl',
    map,
    hidden: ['key', 'keys'],
    newestFirst: true,
    labelled: true,
  });
}

/** Label filters do not apply: global rules carry no labels (ADC sends the filter anyway). */
export function globalRules(req: AdminRequest): AdminResponse | undefined {
  const map = req.ctx.store.resources(req.groupId).globalRules;
  return keyed(req, { type: 'global_rule', what: 'global rule', map });
}

/**
 * Plugin metadata is answered as one object keyed by plugin, not as a list (as ADC expects);
 * label filters do not apply to it.
 */
export function pluginMetadata(req: AdminRequest): AdminResponse | undefined {
  const { method, ctx } = req;
  const map = ctx.store.resources(req.groupId).pluginMetadata;
  const id = req.seg[1];
  if (!id) return method === 'GET' ? ok(Object.fromEntries(map)) : undefined;
  if (method === 'GET') {
    const b = map.get(id);
    if (!b) throw new ApiError(404, `no metadata for plugin "${id}"`);
    return ok(b);
  }
  if (method === 'DELETE') {
    if (!map.delete(id)) throw new ApiError(404, `no metadata for plugin "${id}"`);
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  if (!isKnownPlugin(id)) throw invalid(`unknown plugin [${id}]`);
  const b = structuredClone(requireObject(req.body, 'body'));
  map.set(id, b);
  return ok(b);
}
