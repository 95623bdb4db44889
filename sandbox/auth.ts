/**
 * Who a request's `X-API-KEY` is. The user token opens everything. A gateway group's admin key
 * (`a7adm-…`) stands for its group on `/apisix/admin/*` (where `gateway_group_id` becomes
 * optional), and opens the few reads a client makes before it: `GET /api/version`,
 * `GET /api/schema/core` and `GET /api/gateway_groups` (which then lists its own group only).
 */
export type Caller = { kind: 'user' } | { kind: 'admin-key'; groupId: string };

export type Decision = { ok: true; caller: Caller } | { ok: false; status: number; error_msg: string };

const ADMIN_KEY_READS = new Set(['/api/version', '/api/schema/core', '/api/gateway_groups']);

export function authorize(
  key: string | string[] | undefined,
  method: string,
  path: string,
  query: URLSearchParams,
  token: string,
  adminKeys: Map<string, string>,
): Decision {
  if (key === token) return { ok: true, caller: { kind: 'user' } };
  const groupId = typeof key === 'string' ? adminKeys.get(key) : undefined;
  if (groupId === undefined)
    return {
      ok: false,
      status: 401,
      error_msg: 'authentication failed: send a valid token in the X-API-KEY header',
    };
  if (path.startsWith('/apisix/admin/')) {
    const asked = query.get('gateway_group_id');
    if (asked !== null && asked !== groupId) {
      return {
        ok: false,
        status: 403,
        error_msg: `this admin key belongs to gateway group "${groupId}", not "${asked}"`,
      };
    }
    return { ok: true, caller: { kind: 'admin-key', groupId } };
  }
  if (method === 'GET' && ADMIN_KEY_READS.has(path))
    return { ok: true, caller: { kind: 'admin-key', groupId } };
  return {
    ok: false,
    status: 401,
    error_msg: `authentication failed: a gateway group's admin key is not valid for ${method} ${path}; use a user token`,
  };
}
