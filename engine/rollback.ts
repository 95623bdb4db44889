/**
 * Rolling a service back by hand to a version that ran in the same gateway group before (API7's
 * rule). The version changes; the runtime configuration stays, as in API7's own rollback.
 */
import {
  groupNamed,
  type Api7Client,
  type GatewayGroup,
  type Generation,
  type PublishedService,
  type VersionHistoryItem,
} from './api7/client.js';
import { converge } from './apply/converge.js';
import { baseResult } from './apply/decide.js';
import type { ApplyOptions } from './apply/work.js';
import type { Config } from './config/types.js';
import type { Plan, PlanEntry, ServiceResult, SyncResult } from './model.js';
import { rollbackItem } from './publish-items.js';
import { buildResult } from './report.js';
import { didYouMean, unknownGroupMessage } from './suggest.js';
import { verifyFailure, verifyProbes } from './verify.js';
import { messageOf } from './errors.js';
import { defaultRollbackTarget, describeHistory } from './version-history.js';

export { defaultRollbackTarget, describeHistory, oldestFirst } from './version-history.js';

export interface RollbackRequest {
  environment: string;
  service: string;
  /** Default: the version that ran before the current one first came into the group. */
  toVersion?: string;
}

interface Deps {
  client: Api7Client;
  config: Config;
  generation: Generation;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** A refusal or failure: the action taken and the fields that explain it. */
type Outcome = { action: ServiceResult['action'] } & Partial<ServiceResult>;

export async function rollback(
  deps: Deps,
  req: RollbackRequest,
  options: ApplyOptions = {},
): Promise<SyncResult> {
  const { client, config, log } = deps;
  const started = Date.now();
  const env = config.environments[req.environment];
  const plan: Plan = {
    from: { environment: req.environment },
    to: { environment: req.environment, gatewayUrl: env?.gatewayUrl },
    entries: [],
    createdAt: started,
  };
  const entry: PlanEntry = {
    name: req.service,
    decision: 'refused',
    reason: null,
    message: null,
    version: null,
    requestedVersion: req.toVersion ?? null,
    drift: [],
    runtimeLabel: null,
    probes: config.services[req.service]?.verify ?? [],
  };
  plan.entries.push(entry);
  const done = ({ action, ...extra }: Outcome) =>
    buildResult(plan, [{ ...baseResult(entry, action), ...extra }], false, started, 'rollback');
  if (!env) {
    return done({
      action: 'refused',
      reason: 'unknown-environment',
      message: `environment "${req.environment}" is not in ${config.file}${didYouMean(req.environment, Object.keys(config.environments))}; declared: ${Object.keys(config.environments).join(', ')}`,
    });
  }
  const found = await findService(deps, req, env.gatewayGroup);
  if ('action' in found) return done(found);
  const { group, current } = found;
  plan.from.group = plan.to.group = group;
  entry.target = current;
  entry.templateId = current.service_id;
  const runningId = await client.runningVersionId(group.id, current);
  const candidate = await rollbackTarget(deps, req, group, current, runningId);
  if ('action' in candidate) return done(candidate);
  entry.version = candidate.version;
  if (candidate.id === runningId) {
    return done({
      action: 'unchanged',
      serviceVersionId: runningId ?? null,
      message: `"${req.service}" already runs ${candidate.version} in "${group.name}"`,
    });
  }
  if (options.signal?.aborted)
    return done({
      action: 'interrupted',
      reason: 'interrupted',
      message: `the rollback was interrupted before it was written; "${req.service}" still runs ${current.version || 'No Version'}`,
    });
  log(
    `rolling "${req.service}" in "${group.name}" back from ${current.version || 'No Version'} to ${candidate.version}`,
  );
  const landed = await publishRollback(deps, group.id, current, candidate);
  if (landed !== true) {
    return done({
      action: 'failed',
      reason: 'publish-failed',
      message: `the rollback to ${candidate.version} did not land: ${messageOf(landed)}; "${req.service}" still runs ${current.version || 'No Version'}`,
    });
  }
  return done(
    await verifyRollback(deps, req, options, { entry, gatewayUrl: env.gatewayUrl, current, candidate }),
  );
}

/** The environment's gateway group and the one service published there under the name. */
async function findService(
  deps: Deps,
  req: RollbackRequest,
  gatewayGroup: string,
): Promise<{ group: GatewayGroup; current: PublishedService } | Outcome> {
  const { client, config } = deps;
  const groups = await client.listGatewayGroups();
  const group = groupNamed(groups, gatewayGroup);
  if (!group) {
    const names = groups.map((g) => g.name);
    return {
      action: 'refused',
      reason: 'unknown-environment',
      message: unknownGroupMessage(gatewayGroup, req.environment, names, config.file),
    };
  }
  const published = await client.publishedServices(group.id);
  const matches = published.filter((s) => s.name === req.service);
  if (matches.length === 1) return { group, current: matches[0]! };
  return matches.length
    ? {
        action: 'refused',
        reason: 'ambiguous-service',
        message: `several services are named "${req.service}" in "${group.name}"; rename one in API7`,
      }
    : {
        action: 'refused',
        reason: 'unknown-service',
        message: `"${req.service}" is not published in "${group.name}"${didYouMean(req.service, [
          ...published.map((s) => s.name),
          ...Object.keys(config.services),
        ])}`,
      };
}

/** The version to go back to: the one asked for, or the default from the group's history. */
async function rollbackTarget(
  deps: Deps,
  req: RollbackRequest,
  group: GatewayGroup,
  current: PublishedService,
  runningId: string | undefined,
): Promise<VersionHistoryItem | Outcome> {
  const history = await deps.client.versionHistory(group.id, current.service_id);
  const candidate = req.toVersion
    ? history.find((h) => h.version === req.toVersion)
    : defaultRollbackTarget(history, runningId);
  if (candidate) return candidate;
  return req.toVersion
    ? {
        action: 'refused',
        reason: 'version-not-in-group',
        message: `version ${req.toVersion} was never published in "${group.name}"; versions there: ${[...new Set(history.map((h) => h.version))].join(', ') || 'none'}`,
      }
    : {
        action: 'refused',
        reason: 'no-earlier-version',
        message: `"${req.service}" ran no other version in "${group.name}" before ${current.version || 'its current configuration'} first came in, so there is nothing to roll back to; history: ${describeHistory(history)}. Name a version to roll back to explicitly if you mean one of these`,
      };
}

/** After the version landed: rolled back if the gateway answers as the probes expect. */
async function verifyRollback(
  deps: Deps,
  req: RollbackRequest,
  options: ApplyOptions,
  landed: {
    entry: PlanEntry;
    gatewayUrl: string | undefined;
    current: PublishedService;
    candidate: VersionHistoryItem;
  },
): Promise<Outcome> {
  const { entry, gatewayUrl, current, candidate } = landed;
  const verify =
    options.verify !== false && gatewayUrl && entry.probes.length
      ? await verifyProbes(entry.probes, {
          gatewayUrl,
          host: current.hosts?.[0],
          timeoutMs: options.verifyTimeoutMs ?? 10_000,
          confirmMs: options.confirmMs,
          // Probing stops on the engine's hard stop and on this rollback's own stop signal.
          signal: anySignal(deps.signal, options.signal),
        })
      : [];
  // Stopped while verifying: the rollback is the way back, so it is not undone; say where it is.
  if (options.signal?.aborted && verify.some((p) => !p.ok))
    return {
      action: 'interrupted',
      serviceVersionId: candidate.id,
      verify,
      reason: 'interrupted',
      message: `the rollback was interrupted while "${req.service}" was being verified; it now runs ${candidate.version}`,
    };
  if (verify.some((p) => !p.ok)) {
    return {
      action: 'failed',
      serviceVersionId: candidate.id,
      verify,
      reason: 'verify-failed',
      message: `"${req.service}" now runs ${candidate.version}, but it does not answer as expected: ${verifyFailure(verify, gatewayUrl!, current.path_prefix)}`,
    };
  }
  return { action: 'rolled-back', serviceVersionId: candidate.id, verify, reason: null, message: null };
}

/** The rollback publish, read back when its answer is lost; true once it landed, else the error. */
async function publishRollback(
  deps: Deps,
  groupId: string,
  current: PublishedService,
  candidate: VersionHistoryItem,
): Promise<true | unknown> {
  const { client, generation, log } = deps;
  const { failed, error } = await converge({
    what: `rollback of "${current.name}"`,
    items: [current],
    send: () =>
      client.publish(groupId, false, [
        rollbackItem({ ...current, version: candidate.version }, candidate.id, generation),
      ]),
    landed: async (items) => {
      try {
        const now = (await client.publishedServices(groupId)).find(
          (s) => s.service_id === current.service_id,
        );
        return now !== undefined && (await client.runningVersionId(groupId, now)) === candidate.id
          ? items
          : [];
      } catch (err) {
        log(`reading back failed: ${messageOf(err)}`);
        return undefined;
      }
    },
    resendBlind: true,
    attempts: 4,
    log,
  });
  return failed.length === 0 ? true : error;
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const given = signals.filter((s): s is AbortSignal => s !== undefined);
  return given.length > 1 ? AbortSignal.any(given) : given[0];
}
