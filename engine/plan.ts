/**
 * Planning: read both gateway groups and decide, per service, `sync`, `unchanged` or `refused`.
 * Planning sends no write; a refused service changes nothing. This file reads the two groups
 * once; `plan-request.ts` checks the request first, `plan-service.ts` decides each service.
 */
import {
  groupNamed,
  type Api7Client,
  type GatewayGroup,
  type Generation,
  type PublishedService,
} from './api7/client.js';
import type { GroupRouteReads } from './api7/routes.js';
import type { Config } from './config/types.js';
import type { Plan } from './model.js';
import { environmentRefusal, requireLabels, type PlanRequest, type Refusal } from './plan-request.js';
import { planService, refused } from './plan-service.js';
import { refuseRouteConflicts } from './routes.js';
import { unknownGroupMessage } from './suggest.js';

export type { PlanRequest } from './plan-request.js';

/**
 * `generation` is the control plane's version, still being read: it travels with the list of
 * gateway groups. `routes`, when the route diff is wanted, starts reading both groups' routes as
 * soon as they are known.
 */
export async function plan(
  client: Api7Client,
  config: Config,
  detecting: Promise<Generation>,
  req: PlanRequest,
  routes?: GroupRouteReads,
): Promise<Plan> {
  requireLabels(req);
  const names = req.services?.length ? [...new Set(req.services)] : Object.keys(config.services);
  const requested = req.expectVersion ?? null;
  const wrongPair = environmentRefusal(config, req);
  // Both reads at once; a version that cannot be read is the error reported, as when it came first.
  const [version, groupList] = await Promise.allSettled([
    detecting,
    wrongPair ? Promise.resolve([]) : client.listGatewayGroups(),
  ]);
  if (version.status === 'rejected') throw version.reason;
  const generation = version.value;
  const result: Plan = {
    from: { environment: req.from },
    to: { environment: req.to },
    generation,
    entries: [],
    createdAt: Date.now(),
  };
  const refuseAll = ({ reason, message }: Refusal) => {
    result.entries = names.map((n) => refused(n, reason, message, requested));
    return result;
  };

  if (wrongPair) return refuseAll(wrongPair);
  const toEnv = config.environments[req.to]!;
  result.to.gatewayUrl = toEnv.gatewayUrl;

  if (groupList.status === 'rejected') throw groupList.reason;
  const missing = findGroups(groupList.value, config, req, result);
  if (missing) return refuseAll(missing);
  const [sourceGroup, targetGroup] = [result.from.group!, result.to.group!];
  // The route diff reads whole groups on the modern generation only (policy/plan-policies.ts).
  const aheadOfDiff = routes && generation === 'modern' ? routes : undefined;
  aheadOfDiff?.start(sourceGroup.id);

  const needsRegistries = names.some((n) => config.services[n]?.runtime?.[req.to]?.upstream?.discovery);
  const [sourceServices, targetServices, registries] = await Promise.all([
    // The source holds at least the services to promote: all its pages are asked for at once.
    client.publishedServices(sourceGroup.id, names.length),
    client.publishedServices(targetGroup.id),
    needsRegistries ? client.serviceRegistries(targetGroup.id) : Promise.resolve(undefined),
  ]);

  // Indexed once: a filter per service, and a name list per service, are quadratic in memory
  // and time (2000 services held 2000 lists of 2000 names at once).
  const sourceByName = byName(sourceServices);
  const targetByName = byName(targetServices);
  // The target's routes matter only where a service of the config is already there.
  if (names.some((n) => targetByName.has(n))) aheadOfDiff?.start(targetGroup.id);
  const sourceNames = sourceServices.map((s) => s.name);
  result.entries = await Promise.all(
    names.map((name) =>
      planService(client, config, generation, req, {
        name,
        sourceGroupId: sourceGroup.id,
        targetGroupId: targetGroup.id,
        targetGroupName: targetGroup.name,
        source: sourceByName.get(name) ?? [],
        target: targetByName.get(name) ?? [],
        sourceNames,
        registries,
        gatewayUrl: toEnv.gatewayUrl,
      }),
    ),
  );
  await refuseRouteConflicts(client, generation, result);
  return result;
}

/**
 * The source and target gateway groups, from one list of every group, set on `result`: names are
 * matched exactly, and a miss lists what exists. A source group that exists is named in the result
 * even when the target's is missing.
 */
function findGroups(
  groups: GatewayGroup[],
  config: Config,
  req: PlanRequest,
  result: Plan,
): Refusal | undefined {
  for (const [env, side] of [
    [req.from, result.from],
    [req.to, result.to],
  ] as const) {
    const groupName = config.environments[env]!.gatewayGroup;
    side.group = groupNamed(groups, groupName);
    if (!side.group) {
      const names = groups.map((g) => g.name);
      return {
        reason: 'unknown-environment',
        message: unknownGroupMessage(groupName, env, names, config.file),
      };
    }
  }
  return undefined;
}

/** A group's published services by name (two of one name are refused per service). */
function byName(services: PublishedService[]): Map<string, PublishedService[]> {
  const out = new Map<string, PublishedService[]>();
  for (const s of services) out.set(s.name, [...(out.get(s.name) ?? []), s]);
  return out;
}
