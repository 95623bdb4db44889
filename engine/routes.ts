/** Route conflicts: whether services going live would serve a route another service already serves. */
import { Api7Error, type Api7Client, type Generation, type PublishItem } from './api7/client.js';
import type { Plan, PlanEntry, Reason } from './model.js';
import { labelItemFor, syncItem } from './publish-items.js';

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

/**
 * Asks the target group (requests that change nothing) whether the routes of every entry going
 * live collide with routes already served there: versioned ones by their snapshot, "No Version"
 * ones (`--new-version`) by the label they are about to get.
 */
export async function refuseRouteConflicts(
  client: Api7Client,
  generation: Generation,
  result: Plan,
): Promise<void> {
  const group = result.to.group;
  if (!group) return;
  const versioned = result.entries.filter(
    (e) => e.decision === 'sync' && e.sourceVersionId && e.targetVersionId !== e.sourceVersionId,
  );
  const labelled = result.entries.filter((e) => e.decision === 'sync' && e.newVersionLabel);
  const refuse = (entry: PlanEntry, reason: Reason, message: string) =>
    Object.assign(entry, { decision: 'refused', reason, message, warnings: undefined });
  const conflicts = await routeConflicts(
    client,
    group.id,
    versioned.map((e) => syncItem(e, generation, e.sourceVersionId!)),
  );
  for (const entry of versioned) {
    const c = conflicts.get(entry.templateId!);
    if (c) refuse(entry, 'route-conflict', conflictMessage(entry.name, c));
  }
  // One check per label: a label the control plane refuses must not hide the others' conflicts.
  await Promise.all(
    labelled.map(async (entry) => {
      try {
        const c = (await routeConflicts(client, group.id, [labelItemFor(entry, generation)], true)).get(
          entry.templateId!,
        );
        if (c) refuse(entry, 'route-conflict', conflictMessage(entry.name, c));
      } catch (err) {
        if (!(err instanceof Api7Error) || err.status === undefined || err.status >= 500) throw err;
        refuse(
          entry,
          'new-version-not-applicable',
          `the control plane refuses the label ${entry.newVersionLabel} for "${entry.name}": ${err.errorMsg}`,
        );
      }
    }),
  );
}
