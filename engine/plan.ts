/**
 * Planning: read both gateway groups and decide, per service, `sync`, `unchanged` or `refused`.
 * Planning sends no write; a refused service changes nothing.
 */
import {
  groupNamed,
  hasVersion,
  type Api7Client,
  type Generation,
  type PublishedService,
  type ServiceRegistry,
} from './api7/client.js';
import type { Config } from './config/types.js';
import { SyncError } from './errors.js';
import type { Drift, Plan, PlanEntry, Reason } from './model.js';
import { refuseRouteConflicts } from './routes.js';
import {
  describeUpstream,
  irreversibleAdditions,
  mapRuntime,
  runtimeDrift,
  type Api7Runtime,
} from './runtime.js';
import { didYouMean, unknownGroupMessage } from './suggest.js';

export interface PlanRequest {
  from: string;
  to: string;
  /** Service names as published in API7; default: every service under `services:`. */
  services?: string[];
  /** The version the caller expects the source to be running. */
  expectVersion?: string;
  /** Label for a "No Version" source. */
  newVersion?: string;
  /** Whether the promotion will verify through the gateway (default true): then it needs gatewayUrl. */
  verify?: boolean;
}

function refused(name: string, reason: Reason, message: string, requestedVersion: string | null): PlanEntry {
  return {
    name,
    decision: 'refused',
    reason,
    message,
    version: null,
    requestedVersion,
    drift: [],
    runtimeLabel: null,
    probes: [],
  };
}

/** Environments a target accepts promotions from (`promoteFrom`), or undefined for any. */
function allowedSources(config: Config, to: string): string[] | undefined {
  const p = config.environments[to]?.promoteFrom;
  return p === undefined ? undefined : [p].flat();
}

export async function plan(
  client: Api7Client,
  config: Config,
  generation: Generation,
  req: PlanRequest,
): Promise<Plan> {
  for (const [value, what] of [
    [req.expectVersion, 'The expected version'],
    [req.newVersion, 'The new version label'],
  ] as const) {
    if (value !== undefined && value.trim() === '') {
      throw new SyncError(
        'usage',
        `${what} is empty; give a version such as 1.0.0${what.startsWith('The expected') ? ' (the version you expect the source group to be running)' : ''}`,
      );
    }
  }
  const names = req.services?.length ? [...new Set(req.services)] : Object.keys(config.services);
  const requested = req.expectVersion ?? null;
  const result: Plan = {
    from: { environment: req.from },
    to: { environment: req.to },
    generation,
    entries: [],
    createdAt: Date.now(),
  };
  const refuseAll = (reason: Reason, message: string) => {
    result.entries = names.map((n) => refused(n, reason, message, requested));
    return result;
  };

  const declared = Object.keys(config.environments);
  for (const env of [req.from, req.to]) {
    if (!config.environments[env]) {
      return refuseAll(
        'unknown-environment',
        `environment "${env}" is not in ${config.file}${didYouMean(env, declared)}; declared: ${declared.join(', ')}`,
      );
    }
  }
  if (req.from === req.to)
    return refuseAll('promote-from', `source and target are both "${req.from}"; name two environments`);
  const sources = allowedSources(config, req.to);
  if (sources && !sources.includes(req.from)) {
    return refuseAll(
      'promote-from',
      `"${req.to}" accepts promotions only from ${sources.join(', ')}, not from "${req.from}"`,
    );
  }
  const fromEnv = config.environments[req.from]!;
  const toEnv = config.environments[req.to]!;
  // The config loader refuses this too; a plan must never write a group's runtime into itself.
  if (fromEnv.gatewayGroup === toEnv.gatewayGroup) {
    return refuseAll(
      'promote-from',
      `environments "${req.from}" and "${req.to}" are both gateway group "${toEnv.gatewayGroup}"; give each environment its own gateway group`,
    );
  }
  result.to.gatewayUrl = toEnv.gatewayUrl;

  // One list for both groups: names are matched exactly, and a miss lists what exists.
  const groups = await client.listGatewayGroups();
  const sourceGroup = groupNamed(groups, fromEnv.gatewayGroup);
  const targetGroup = groupNamed(groups, toEnv.gatewayGroup);
  for (const [env, groupName, group] of [
    [req.from, fromEnv.gatewayGroup, sourceGroup],
    [req.to, toEnv.gatewayGroup, targetGroup],
  ] as const) {
    if (!group) {
      const names = groups.map((g) => g.name);
      return refuseAll('unknown-environment', unknownGroupMessage(groupName, env, names, config.file));
    }
  }
  result.from.group = sourceGroup!;
  result.to.group = targetGroup!;

  const needsRegistries = names.some((n) => config.services[n]?.runtime?.[req.to]?.upstream?.discovery);
  const [sourceServices, targetServices, registries] = await Promise.all([
    client.publishedServices(sourceGroup!.id),
    client.publishedServices(targetGroup!.id),
    needsRegistries ? client.serviceRegistries(targetGroup!.id) : Promise.resolve(undefined),
  ]);

  result.entries = await Promise.all(
    names.map((name) =>
      planService(client, config, generation, req, {
        name,
        sourceGroupId: sourceGroup!.id,
        targetGroupId: targetGroup!.id,
        targetGroupName: targetGroup!.name,
        source: sourceServices.filter((s) => s.name === name),
        target: targetServices.filter((s) => s.name === name),
        sourceNames: sourceServices.map((s) => s.name),
        registries,
        gatewayUrl: toEnv.gatewayUrl,
      }),
    ),
  );
  await refuseRouteConflicts(client, generation, result);
  return result;
}

interface ServiceContext {
  name: string;
  sourceGroupId: string;
  targetGroupId: string;
  targetGroupName: string;
  source: PublishedService[];
  target: PublishedService[];
  /** Every service name in the source group, for "did you mean". */
  sourceNames: string[];
  registries: ServiceRegistry[] | undefined;
  gatewayUrl: string | undefined;
}

async function planService(
  client: Api7Client,
  config: Config,
  generation: Generation,
  req: PlanRequest,
  ctx: ServiceContext,
): Promise<PlanEntry> {
  const { name } = ctx;
  const requested = req.expectVersion ?? null;
  const svcConfig = config.services[name];
  if (!svcConfig) {
    return refused(
      name,
      'unknown-service',
      `service "${name}" is not under services: in ${config.file}${didYouMean(name, Object.keys(config.services))}; add it there first`,
      requested,
    );
  }
  if (ctx.source.length === 0) {
    return refused(
      name,
      'unknown-service',
      `service "${name}" is not published in the source group "${config.environments[req.from]!.gatewayGroup}"${didYouMean(name, ctx.sourceNames)}`,
      requested,
    );
  }
  if (ctx.source.length > 1 || ctx.target.length > 1) {
    return refused(
      name,
      'ambiguous-service',
      `more than one service is named "${name}" in one gateway group; rename one in API7`,
      requested,
    );
  }
  const source = ctx.source[0]!;
  const target = ctx.target[0];
  if (target && target.service_id !== source.service_id) {
    return refused(
      name,
      'ambiguous-service',
      `"${name}" in the target group is a different service (template ${target.service_id}, not ${source.service_id})`,
      requested,
    );
  }

  let version: string;
  let newVersionLabel: string | undefined;
  let sourceVersionId: string | undefined;
  if (!hasVersion(source)) {
    if (!req.newVersion) {
      return refused(
        name,
        'no-version-needs-label',
        `"${name}" is in the "No Version" state in the source group; give it a version label with --new-version (for example --new-version 1.0.0)`,
        requested,
      );
    }
    if (requested !== null) {
      return refused(
        name,
        'not-current-version',
        `you expected version ${requested}, but "${name}" runs no version ("No Version") in the source group; to label it, drop the expected version and give --new-version`,
        requested,
      );
    }
    version = req.newVersion;
    newVersionLabel = req.newVersion;
  } else {
    version = source.version!;
    if (requested !== null && requested !== version) {
      return refused(
        name,
        'not-current-version',
        `you expected version ${requested}, but the source group runs ${version}; only the running version can be synced`,
        requested,
      );
    }
    if (req.newVersion && req.newVersion !== version) {
      return refused(
        name,
        'new-version-not-applicable',
        `"${name}" already has version ${version} in the source group; --new-version only labels "No Version" services`,
        requested,
      );
    }
    sourceVersionId = await client.runningVersionId(ctx.sourceGroupId, source);
  }

  const runtimeConfig = svcConfig.runtime?.[req.to];
  if (!runtimeConfig?.upstream && !target?.upstream) {
    return refused(
      name,
      'no-runtime-for-environment',
      `"${name}" has no upstream for "${req.to}": add services."${name}".runtime.${req.to}.upstream to ${config.file}`,
      requested,
    );
  }
  const mapping = mapRuntime(runtimeConfig ?? {}, ctx.registries, ctx.targetGroupName);
  if (!mapping.ok) return refused(name, mapping.reason as Reason, mapping.message, requested);
  const desired = mapping.runtime;
  if (generation === 'legacy' && desired.upstream?.discovery_type === 'consul') {
    return refused(name, 'discovery-type-unsupported', 'consul discovery needs API7 3.6 or later', requested);
  }
  if (generation === 'modern' && desired.strip_path_prefix !== undefined) {
    return refused(
      name,
      'unsupported-runtime-key',
      'stripPathPrefix cannot be set through the runtime configuration API of API7 3.6+; remove it from the config',
      requested,
    );
  }
  const probes = svcConfig.verify ?? [];
  if (probes.length > 0 && !ctx.gatewayUrl && req.verify !== false) {
    return refused(
      name,
      'no-gateway-url',
      `"${name}" has verify probes but environment "${req.to}" has no gatewayUrl; add one, remove the probes, or promote without verification (--no-verify)`,
      requested,
    );
  }

  const effective = {
    ...(target ? { upstream: target.upstream, hosts: target.hosts, path_prefix: target.path_prefix } : {}),
    ...desired,
  };
  const runtimeLabel = {
    upstream: describeUpstream(effective.upstream, ctx.registries),
    ...(effective.hosts ? { hosts: effective.hosts } : {}),
    ...(effective.path_prefix ? { pathPrefix: effective.path_prefix } : {}),
  };
  const base = {
    name,
    reason: null,
    message: null,
    templateId: source.service_id,
    version,
    requestedVersion: requested,
    newVersionLabel,
    sourceVersionId,
    source,
    target,
    desiredRuntime: desired,
    runtimeLabel,
    probes,
  };
  if (!target) {
    return {
      ...base,
      decision: 'sync',
      drift: [],
      message: newVersionLabel
        ? `"No Version" in the source group: it will be labelled ${version} there, then go live in "${ctx.targetGroupName}" for the first time`
        : `first sync into "${ctx.targetGroupName}": ${version} goes live there`,
    };
  }

  const targetVersionId = await client.runningVersionId(ctx.targetGroupId, target);
  const drift = runtimeDrift(target, desired);
  const sameVersion =
    !newVersionLabel && sourceVersionId !== undefined && targetVersionId === sourceVersionId;
  if (sameVersion && drift.length === 0 && target.status === 1) {
    return { ...base, decision: 'unchanged', targetVersionId, drift };
  }
  const warnings = generation === 'modern' ? irreversibleWarnings(target, desired) : [];
  return {
    ...base,
    decision: 'sync',
    targetVersionId,
    drift,
    ...(warnings.length ? { warnings } : {}),
    message: whyPlanned(target, version, sameVersion, newVersionLabel, drift),
  };
}

/** Why an entry will be synced, in words: what moves, what drifted, what gets enabled. */
export function whyPlanned(
  target: PublishedService,
  version: string,
  sameVersion: boolean,
  newVersionLabel: string | undefined,
  drift: Drift[],
): string {
  const parts: string[] = [];
  if (newVersionLabel)
    parts.push(
      `"No Version" in the source group: it will be labelled ${version} there, then replace ${target.version || 'No Version'}`,
    );
  else if (!sameVersion) parts.push(`${version} replaces ${target.version || 'No Version'}`);
  else parts.push(`already at ${version}`);
  if (drift.length)
    parts.push(`runtime configuration drifted (${drift.map((d) => d.key).join(', ')}): it will be repaired`);
  if (target.status !== 1) parts.push('disabled in the target: it will be enabled');
  return parts.join('; ');
}

/** Warnings for what a rollback could not take away on API7 3.6+ (hosts, a path prefix). */
function irreversibleWarnings(target: PublishedService, desired: Api7Runtime): string[] {
  const added = irreversibleAdditions(target, desired);
  if (added.length === 0) return [];
  return [
    `this adds ${added.join(' and ')} to a service that has none in the target; API7 3.6+ cannot clear them through the runtime configuration, so they would stay if the promotion failed and were rolled back (the result would then be failed with reason cannot-clear-hosts)`,
  ];
}
