/**
 * Rolling a service back by hand to a version that ran in the same gateway group before (API7's
 * rule). The version changes; the runtime configuration stays, as in API7's own rollback.
 */
import {
  groupNamed,
  type Api7Client,
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

export interface RollbackRequest {
  environment: string;
  service: string;
  /** Default: the version that ran before the current one first came into the group. */
  toVersion?: string;
}

const time = (h: VersionHistoryItem) => {
  const t = Date.parse(h.publish_time ?? '');
  return Number.isNaN(t) ? 0 : t;
};

/** The group's history oldest first (the API lists newest first; equal times keep its order). */
export function oldestFirst(history: VersionHistoryItem[]): VersionHistoryItem[] {
  return [...history].reverse().sort((a, b) => time(a) - time(b));
}

/**
 * The default rollback target: the version that was running before the running version **first**
 * came into the group. Versions published after that (a failed sync that was rolled back, say)
 * are never the default. A "No Version" service goes back to the last version published.
 */
export function defaultRollbackTarget(
  history: VersionHistoryItem[],
  runningId: string | undefined,
): VersionHistoryItem | undefined {
  const ordered = oldestFirst(history);
  if (runningId === undefined) return ordered.at(-1);
  const firstArrival = ordered.findIndex((h) => h.id === runningId);
  return firstArrival > 0 ? ordered[firstArrival - 1] : undefined;
}

/** "1.0.0 (2026-11-27 10:00), 0.9.0 (…)": the history as a user reads it, newest first. */
export function describeHistory(history: VersionHistoryItem[]): string {
  if (history.length === 0) return 'no versions';
  return oldestFirst(history)
    .reverse()
    .map((h) => `${h.version}${h.publish_time ? ` (published ${h.publish_time})` : ''}`)
    .join(', ');
}

interface Deps {
  client: Api7Client;
  config: Config;
  generation: Generation;
  log: (line: string) => void;
  signal?: AbortSignal;
}

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
  const done = (action: ServiceResult['action'], extra: Partial<ServiceResult> = {}) =>
    buildResult(plan, [{ ...baseResult(entry, action), ...extra }], false, started, 'rollback');
  if (!env) {
    return done('refused', {
      reason: 'unknown-environment',
      message: `environment "${req.environment}" is not in ${config.file}${didYouMean(req.environment, Object.keys(config.environments))}; declared: ${Object.keys(config.environments).join(', ')}`,
    });
  }
  const groups = await client.listGatewayGroups();
  const group = groupNamed(groups, env.gatewayGroup);
  if (!group) {
    const names = groups.map((g) => g.name);
    return done('refused', {
      reason: 'unknown-environment',
      message: unknownGroupMessage(env.gatewayGroup, req.environment, names, config.file),
    });
  }
  plan.from.group = plan.to.group = group;
  const published = await client.publishedServices(group.id);
  const matches = published.filter((s) => s.name === req.service);
  if (matches.length !== 1) {
    return done(
      'refused',
      matches.length
        ? {
            reason: 'ambiguous-service',
            message: `several services are named "${req.service}" in "${group.name}"; rename one in API7`,
          }
        : {
            reason: 'unknown-service',
            message: `"${req.service}" is not published in "${group.name}"${didYouMean(req.service, [
              ...published.map((s) => s.name),
              ...Object.keys(config.services),
            ])}`,
          },
    );
  }
  const current = matches[0]!;
  entry.target = current;
  entry.templateId = current.service_id;
  const runningId = await client.runningVersionId(group.id, current);
  const history = await client.versionHistory(group.id, current.service_id);
  const candidate = req.toVersion
    ? history.find((h) => h.version === req.toVersion)
    : defaultRollbackTarget(history, runningId);
  if (!candidate) {
    return done(
      'refused',
      req.toVersion
        ? {
            reason: 'version-not-in-group',
            message: `version ${req.toVersion} was never published in "${group.name}"; versions there: ${[...new Set(history.map((h) => h.version))].join(', ') || 'none'}`,
          }
        : {
            reason: 'no-earlier-version',
            message: `"${req.service}" ran no other version in "${group.name}" before ${current.version || 'its current configuration'} first came in, so there is nothing to roll back to; history: ${describeHistory(history)}. Name a version to roll back to explicitly if you mean one of these`,
          },
    );
  }
  entry.version = candidate.version;
  if (candidate.id === runningId) {
    return done('unchanged', {
      serviceVersionId: runningId ?? null,
      message: `"${req.service}" already runs ${candidate.version} in "${group.name}"`,
    });
  }
  log(
    `rolling "${req.service}" in "${group.name}" back from ${current.version || 'No Version'} to ${candidate.version}`,
  );
  const landed = await publishRollback(deps, group.id, current, candidate);
  if (landed !== true) {
    return done('failed', {
      reason: 'publish-failed',
      message: `the rollback to ${candidate.version} did not land: ${messageOf(landed)}; "${req.service}" still runs ${current.version || 'No Version'}`,
    });
  }
  const verify =
    options.verify !== false && env.gatewayUrl && entry.probes.length
      ? await verifyProbes(entry.probes, {
          gatewayUrl: env.gatewayUrl,
          host: current.hosts?.[0],
          timeoutMs: options.verifyTimeoutMs ?? 10_000,
          confirmMs: options.confirmMs,
          signal: deps.signal,
        })
      : [];
  if (verify.some((p) => !p.ok)) {
    return done('failed', {
      serviceVersionId: candidate.id,
      verify,
      reason: 'verify-failed',
      message: `"${req.service}" now runs ${candidate.version}, but it does not answer as expected: ${verifyFailure(verify, env.gatewayUrl!, current.path_prefix)}`,
    });
  }
  return done('rolled-back', { serviceVersionId: candidate.id, verify, reason: null, message: null });
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
