/**
 * `/apisix/admin/consumers` and their credentials (3.2.15+). Consumers list most recently
 * updated first, as API7 lists them; a consumer's delete takes its credentials with it.
 */
import { checkResource, invalid } from '../schema/check.js';
import { AUTH_PLUGINS } from '../schema/plugins.js';
import { ApiError } from '../store.js';
import { bad } from '../validate.js';
import { byLabels, deleted, list, ok, type AdminRequest, type AdminResponse, type Body } from './common.js';

/** Moves an entry to the end of its map, so that reading the map backwards is newest first. */
export function touch<V>(map: Map<string, V>, id: string, value: V): void {
  map.delete(id);
  map.set(id, value);
}

export function consumers(req: AdminRequest): AdminResponse | undefined {
  const { method, query, ctx } = req;
  const map = ctx.store.resources(req.groupId).consumers;
  const id = req.seg[1];
  if (!id) {
    if (method !== 'GET') return undefined;
    const newestFirst = [...map.values()].reverse().map((c) => ({ ...c.body, id: c.body.username }));
    return list(byLabels(newestFirst, query), query);
  }
  const existing = map.get(id);
  if (method === 'GET') {
    if (!existing) throw new ApiError(404, `consumer "${id}" not found`);
    return ok({ ...existing.body, id });
  }
  if (method === 'DELETE') {
    if (!map.delete(id)) throw new ApiError(404, `consumer "${id}" not found`);
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  const b = checkResource<Body & { username: string }>('consumer', structuredClone(req.body), ctx.version);
  if (b.username !== id) bad('username', `"${b.username}" does not match the path's "${id}"`);
  touch(map, id, { body: b, credentials: existing?.credentials ?? new Map() });
  return ok({ ...b, id });
}

export function credentials(req: AdminRequest): AdminResponse | undefined {
  const { method, ctx } = req;
  if (!ctx.version.features.credentials) return undefined;
  const username = req.seg[1]!;
  const consumer = ctx.store.resources(req.groupId).consumers.get(username);
  if (!consumer) throw new ApiError(404, `consumer "${username}" not found`);
  const map = consumer.credentials;
  const id = req.seg[3];
  if (!id) {
    if (method !== 'GET') return undefined;
    return list([...map.entries()].map(([k, b]) => ({ ...b, id: k })));
  }
  if (method === 'GET') {
    const b = map.get(id);
    if (!b) throw new ApiError(404, `credential "${id}" not found`);
    return ok({ ...b, id });
  }
  if (method === 'DELETE') {
    if (!map.delete(id)) throw new ApiError(404, `credential "${id}" not found`);
    return deleted;
  }
  if (method !== 'PUT') return undefined;
  const b = checkResource<Body & { plugins: Body }>(
    'consumer_credential',
    structuredClone(req.body),
    ctx.version,
  );
  const [plugin] = Object.keys(b.plugins);
  if (!AUTH_PLUGINS.includes(plugin!))
    throw invalid(
      `Error at "/plugins": a credential holds one authentication plugin (${AUTH_PLUGINS.join(', ')}), not "${plugin}"`,
    );
  touch(map, id, b);
  return ok({ ...b, id });
}
