/**
 * Planning one service: whether it is the same service on both sides, which version moves,
 * which runtime configuration the target gets, and from that `sync`, `unchanged` or `refused`.
 * Reads only; a refused service changes nothing.
 */
import {
  hasVersion,
  type Api7Client,
  type Generation,
  type PublishedService,
  type ServiceRegistry,
} from './api7/client.js';
import type { Config } from './config/types.js';
import type { PlanEntry, Reason } from './model.js';
import type { PlanRequest } from './plan-request.js';
import { irreversibleWarnings, runtimeLabel, whyPlanned } from './plan-words.js';
import { mapRuntime, runtimeDrift, type Api7Runtime } from './runtime.js';
import { didYouMean } from './suggest.js';

/** What the plan read once for every service: the two groups and what each publishes. */
export interface ServiceContext {
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

/** A refused entry: nothing about this service will be written. */
export function refused(
  name: string,
  reason: Reason,
  message: string,
  requestedVersion: string | null,
): PlanEntry {
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

/** The version that moves: the source's running one, or the label a "No Version" source gets. */
interface Promoted {
  version: string;
  newVersionLabel: string | undefined;
  sourceVersionId: string | undefined;
}

export async function planService(
  client: Api7Client,
  config: Config,
  generation: Generation,
  req: PlanRequest,
  ctx: ServiceContext,
): Promise<PlanEntry> {
  const { name } = ctx;
  const requested = req.expectVersion ?? null;
  const mismatch = identityRefusal(config, req, ctx);
  if (mismatch) return mismatch;
  const svcConfig = config.services[name]!;
  const source = ctx.source[0]!;
  const target = ctx.target[0];
  const promoted = await promotedVersion(client, req, ctx, source);
  if ('decision' in promoted) return promoted;
  const runtime = desiredRuntime(config, generation, req, ctx, target);
  if ('decision' in runtime) return runtime;
  const desired = runtime.desired;
  const probes = svcConfig.verify ?? [];
  if (probes.length > 0 && !ctx.gatewayUrl && req.verify !== false) {
    return refused(
      name,
      'no-gateway-url',
      `"${name}" has verify probes but environment "${req.to}" has no gatewayUrl; add one, remove the probes, or promote without verification (--no-verify)`,
      requested,
    );
  }
  const { version, newVersionLabel, sourceVersionId } = promoted;
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
    runtimeLabel: runtimeLabel(target, desired, ctx.registries),
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

/** A refusal when the name does not pick one and the same service on both sides. */
function identityRefusal(config: Config, req: PlanRequest, ctx: ServiceContext): PlanEntry | undefined {
  const { name } = ctx;
  const requested = req.expectVersion ?? null;
  if (!config.services[name]) {
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
  return undefined;
}

/** Only the version the source runs can move; a "No Version" source needs a label instead. */
async function promotedVersion(
  client: Api7Client,
  req: PlanRequest,
  ctx: ServiceContext,
  source: PublishedService,
): Promise<Promoted | PlanEntry> {
  const { name } = ctx;
  const requested = req.expectVersion ?? null;
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
    return { version: req.newVersion, newVersionLabel: req.newVersion, sourceVersionId: undefined };
  }
  const version = source.version!;
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
  const sourceVersionId = await client.runningVersionId(ctx.sourceGroupId, source);
  return { version, newVersionLabel: undefined, sourceVersionId };
}

/** The target's runtime configuration from the config, or why this API7 cannot take it. */
function desiredRuntime(
  config: Config,
  generation: Generation,
  req: PlanRequest,
  ctx: ServiceContext,
  target: PublishedService | undefined,
): { desired: Api7Runtime } | PlanEntry {
  const { name } = ctx;
  const requested = req.expectVersion ?? null;
  const runtimeConfig = config.services[name]?.runtime?.[req.to];
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
  return { desired };
}
