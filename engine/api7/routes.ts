/**
 * Routes as API7 keeps them: versioned in a snapshot (`/api/service_versions/{id}/routes`), or
 * live in a gateway group for a service edited by hand there ("No Version").
 */
import type { Api7Client } from './client.js';

/** A route as read; only the fields that decide what traffic it takes are compared. */
export type Api7Route = Record<string, unknown> & { id?: string; name?: string };

/** The routes of one snapshot (a `service_version_id`). */
export function versionRoutes(client: Api7Client, serviceVersionId: string): Promise<Api7Route[]> {
  return client.listAll<Api7Route>(`/api/service_versions/${encodeURIComponent(serviceVersionId)}/routes`);
}

/**
 * [I] The live routes of a published service in a group, through the group-scoped admin API
 * (`service_id` = the published service's ID). Used for "No Version" services, which have no
 * snapshot to read.
 */
export function liveRoutes(client: Api7Client, groupId: string, publishedId: string): Promise<Api7Route[]> {
  return client.listAll<Api7Route>('/apisix/admin/routes', {
    gateway_group_id: groupId,
    service_id: publishedId,
  });
}

/**
 * [I] Every live route of a gateway group, by the published service it belongs to (its
 * `service_id`), in paged list calls: `GET /apisix/admin/routes?gateway_group_id=` without a
 * `service_id` filter. ADC 0.28 is seen on the wire listing a group's routes with that filter;
 * the list without it is the same collection unfiltered, unobserved against a live API7. On the
 * modern generation (3.6+) a published service's live routes are its running snapshot's (the
 * routes are versioned), so two of these lists give the route diff of every service at once,
 * instead of one read per snapshot. API7's Admin API has no list of routes across snapshots.
 */
export async function groupRoutes(
  client: Api7Client,
  groupId: string,
  pagesAtOnce?: number,
): Promise<Map<string, Api7Route[]>> {
  const routes = await client.listAll<Api7Route>(
    '/apisix/admin/routes',
    { gateway_group_id: groupId },
    { pagesAtOnce },
  );
  const byService = new Map<string, Api7Route[]>();
  for (const r of routes) {
    const id = typeof r.service_id === 'string' ? r.service_id : undefined;
    if (id === undefined) continue;
    const list = byService.get(id) ?? [];
    list.push(r);
    byService.set(id, list);
  }
  return byService;
}

type Settled<T> = { value: T } | { error: unknown };

/**
 * Pages of a group's routes read at once ahead of need: 6 of the transport's default 10, leaving
 * room for the service lists and the route-conflict check that the plan waits on meanwhile.
 */
const AHEAD_PAGES_AT_ONCE = 6;

/**
 * Each gateway group's routes, read at most once per plan, and started as soon as the planner
 * knows the groups: the pages then travel alongside the service lists and the route-conflict
 * check instead of after them, which took a few round trips off every plan. A read nobody ends
 * up needing (nothing moves) costs one paged list; its failure is kept for whoever asks.
 */
export class GroupRouteReads {
  private readonly reads = new Map<string, Promise<Settled<Map<string, Api7Route[]>>>>();

  constructor(private readonly client: Api7Client) {}

  start(groupId: string): void {
    if (this.reads.has(groupId)) return;
    this.reads.set(
      groupId,
      groupRoutes(this.client, groupId, AHEAD_PAGES_AT_ONCE).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    );
  }

  async get(groupId: string): Promise<Map<string, Api7Route[]>> {
    this.start(groupId);
    const read = await this.reads.get(groupId)!;
    if ('error' in read) throw read.error;
    return read.value;
  }
}
