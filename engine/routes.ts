/** Route conflicts: whether services going live would serve a route another service already serves. */
import type { Api7Client, PublishItem } from './api7/client.js';

export interface RouteConflict {
  url: string;
  otherService: string;
  otherRoute: string;
}

/** Asks the target group, in one request that changes nothing; by template ID, the first conflict. */
export async function routeConflicts(
  client: Api7Client,
  groupId: string,
  items: PublishItem[],
  createNewVersion = false,
): Promise<Map<string, RouteConflict>> {
  const out = new Map<string, RouteConflict>();
  if (items.length === 0) return out;
  const { duplicate } = await client.conflictCheck(groupId, items, createNewVersion);
  for (const pair of duplicate) {
    const [incoming, other] = pair;
    if (!incoming?.service_id || out.has(incoming.service_id)) continue;
    out.set(incoming.service_id, {
      url: incoming.url ?? '?',
      otherService: other?.service_name ?? '?',
      otherRoute: other?.route_name ?? '?',
    });
  }
  return out;
}

export function conflictMessage(name: string, c: RouteConflict): string {
  return `route ${c.url} of "${name}" is already served in the target group by service "${c.otherService}" (route "${c.otherRoute}"); change one of them first`;
}
