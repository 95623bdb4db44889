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
