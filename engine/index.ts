/**
 * The engine's public face: `createEngine({ config, token })` then `plan`, `apply`, `status`,
 * `rollback`. It knows nothing of GitHub; the Action, the bot and the CLI are doors onto it.
 */
import type { Dispatcher } from 'undici';
import { Api7Client, generationOf, hasVersion, type Generation } from './api7/client.js';
import type { Budgets } from './api7/transport.js';
import { apply as applyPlan, baseResult, sendUntilLanded, type ApplyOptions } from './apply.js';
import type { Config } from './config/types.js';
import type { Plan, PlanEntry, Reason, ServiceResult, SyncResult } from './model.js';
import { plan as makePlan, type PlanRequest } from './plan.js';
import { rollbackItem } from './publish-items.js';
import { buildResult } from './report.js';
import { verifyProbes } from './verify.js';
import { applyPolicies, type PolicyOptions } from './policy/plan-policies.js';
import { withPolicies } from './policy/result.js';
import { undoSynced } from './policy/restore.js';
import { watchAfterVerify, type WatchOptions } from './policy/watch.js';

export interface EngineOptions {
  config: Config;
  token: string;
  dispatcher?: Dispatcher;
  logger?: (line: string) => void;
  signal?: AbortSignal;
  budgets?: Partial<Budgets>;
  /** The clock for soak and windows (default `Date.now`): tests move it instead of waiting. */
  now?: () => number;
}

export interface StatusMatrix {
  environments: { name: string; gatewayGroup: string; found: boolean }[];
  services: { name: string; versions: Record<string, string | null> }[];
}

export interface RollbackRequest {
  environment: string;
  service: string;
  toVersion?: string;
}

export interface Engine {
  generation(): Promise<Generation>;
  plan(req: PlanRequest & PolicyOptions): Promise<Plan>;
  apply(plan: Plan, options?: ApplyOptions & WatchOptions): Promise<SyncResult>;
  status(): Promise<StatusMatrix>;
  rollback(req: RollbackRequest, options?: ApplyOptions): Promise<SyncResult>;
  /**
   * Rolls back what `result` (applied from `plan`) synced, to what the plan found in the target:
   * a fan-out's earlier waves. Entries become `rolled-back` with `reason` and `message`.
   */
  undo(plan: Plan, result: SyncResult, reason: Reason, message: string): Promise<SyncResult>;
  close(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const log = options.logger ?? (() => {});
  const client = new Api7Client({
    baseUrl: options.config.controlPlane.url,
    token: options.token,
    caFile: options.config.controlPlane.caFile,
    insecure: options.config.controlPlane.insecure,
    dispatcher: options.dispatcher,
    budgets: options.budgets,
    warn: log,
    signal: options.signal,
  });
  const now = options.now ?? Date.now;
  let generation: Promise<Generation> | undefined;
  const detect = () => (generation ??= client.version().then(generationOf));

  return {
    generation: detect,
    async plan(req) {
      const made = await makePlan(client, options.config, await detect(), req);
      return applyPolicies(made, req, { client, config: options.config, now, log });
    },
    async apply(plan, applyOptions = {}) {
      const started = Date.now();
      const services = await applyPlan(plan, applyOptions, {
        client,
        generation: await detect(),
        log,
        signal: options.signal,
      });
      const result = withPolicies(plan, buildResult(plan, services, applyOptions.dryRun ?? false, started));
      if (applyOptions.dryRun || applyOptions.verify === false) return result;
      const atomic = applyOptions.atomic ?? plan.entries.length > 1;
      const ctx = { client, generation: await detect(), log, config: options.config, now, atomic };
      const watched = await watchAfterVerify(plan, result, applyOptions, { ...ctx, signal: options.signal });
      return watched === result ? result : { ...watched, durationMs: Date.now() - started };
    },
    async status() {
      const envs = Object.entries(options.config.environments);
      const groups = await client.listGatewayGroups();
      const columns = await Promise.all(
        envs.map(async ([name, env]) => {
          const group = groups.find((g) => g.name === env.gatewayGroup);
          const services = group ? await client.publishedServices(group.id) : [];
          return { name, env, group, services };
        }),
      );
      const names = Object.keys(options.config.services);
      return {
        environments: columns.map((c) => ({
          name: c.name,
          gatewayGroup: c.env.gatewayGroup,
          found: Boolean(c.group),
        })),
        services: names.map((name) => ({
          name,
          versions: Object.fromEntries(
            columns.map((c) => {
              const s = c.services.find((x) => x.name === name);
              const label = !s
                ? null
                : `${hasVersion(s) ? s.version : 'No Version'}${s.status === 1 ? '' : ' (disabled)'}`;
              return [c.name, label];
            }),
          ),
        })),
      };
    },
    async rollback(req, applyOptions = {}) {
      const started = Date.now();
      const gen = await detect();
      const env = options.config.environments[req.environment];
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
        probes: options.config.services[req.service]?.verify ?? [],
      };
      plan.entries.push(entry);
      const done = (action: ServiceResult['action'], extra: Partial<ServiceResult> = {}) =>
        buildResult(plan, [{ ...baseResult(entry, action), ...extra }], false, started);
      if (!env)
        return done('refused', {
          reason: 'unknown-environment',
          message: `environment "${req.environment}" is not in ${options.config.file}`,
        });
      const group = await client.gatewayGroupByName(env.gatewayGroup);
      if (!group)
        return done('refused', {
          reason: 'unknown-environment',
          message: `gateway group "${env.gatewayGroup}" does not exist`,
        });
      plan.from.group = plan.to.group = group;
      const matches = (await client.publishedServices(group.id)).filter((s) => s.name === req.service);
      if (matches.length !== 1) {
        return done(
          'refused',
          matches.length
            ? { reason: 'ambiguous-service', message: `several services are named "${req.service}"` }
            : { reason: 'unknown-service', message: `"${req.service}" is not published in "${group.name}"` },
        );
      }
      const current = matches[0]!;
      entry.target = current;
      entry.templateId = current.service_id;
      const runningId = await client.runningVersionId(group.id, current);
      const history = await client.versionHistory(group.id, current.service_id);
      // Rollback goes only to a version that was published in this same group (API7's rule).
      const candidate = req.toVersion
        ? history.find((h) => h.version === req.toVersion)
        : history.find((h) => h.id !== runningId && h.version !== current.version);
      if (!candidate) {
        return done(
          'refused',
          req.toVersion
            ? {
                reason: 'version-not-in-group',
                message: `version ${req.toVersion} was never published in "${group.name}"; versions there: ${[...new Set(history.map((h) => h.version))].join(', ') || 'none'}`,
              }
            : {
                reason: 'nothing-to-roll-back',
                message: `"${req.service}" has no earlier version in "${group.name}"`,
              },
        );
      }
      entry.version = candidate.version;
      if (candidate.id === runningId) return done('unchanged', { serviceVersionId: runningId ?? null });
      // The runtime configuration stays: roll back the version only.
      log(
        `rolling "${req.service}" in "${group.name}" back from ${current.version || 'No Version'} to ${candidate.version}`,
      );
      const error = await sendUntilLanded(
        log,
        () =>
          client.publish(group.id, false, [
            rollbackItem({ ...current, version: candidate.version }, candidate.id, gen),
          ]),
        async () => {
          const now = (await client.publishedServices(group.id)).find(
            (s) => s.service_id === current.service_id,
          );
          return now !== undefined && (await client.runningVersionId(group.id, now)) === candidate.id;
        },
      );
      if (error) {
        return done('failed', {
          reason: 'publish-failed',
          message: `the rollback to ${candidate.version} did not land: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      const verify =
        applyOptions.verify !== false && env.gatewayUrl && entry.probes.length
          ? await verifyProbes(entry.probes, {
              gatewayUrl: env.gatewayUrl,
              host: current.hosts?.[0],
              timeoutMs: applyOptions.verifyTimeoutMs ?? 10_000,
              intervalMs: applyOptions.verifyIntervalMs ?? 500,
            })
          : [];
      const failed = verify.some((p) => !p.ok);
      return done(failed ? 'failed' : 'synced', {
        serviceVersionId: candidate.id,
        verify,
        ...(failed
          ? {
              reason: 'verify-failed',
              message: 'the rolled-back version does not answer as expected through the gateway',
            }
          : {}),
      });
    },
    async undo(plan, result, reason, message) {
      const names = new Set(result.services.map((s) => s.name));
      const ctx = { client, generation: await detect(), log };
      return undoSynced(plan, result, names, reason, () => message, ctx);
    },
    close: () => client.close(),
  };
}

export { ConfigError, loadConfigFile, parseConfig } from './config/load.js';
export type { Config, EnvironmentConfig } from './config/types.js';
export { Api7Error } from './api7/transport.js';
export type {
  BreakGlass,
  Plan,
  RouteDiff,
  ServiceResult,
  ServiceResultWithRoutes,
  SyncResult,
} from './model.js';
export { isOk } from './model.js';
export type { PlanRequest } from './plan.js';
export type { PolicyOptions } from './policy/plan-policies.js';
export type { WatchOptions } from './policy/watch.js';
export type { ApplyOptions } from './apply.js';
export { escapeMarkdown, refusedResult, resultMarkdown, resultText } from './report.js';
export { policyMarkdown, policyText } from './policy/result.js';
export {
  fanOut,
  isFanout,
  lockOrder,
  notRun,
  resolveWaves,
  type FanoutRequest,
  type FanoutResult,
} from './fanout.js';
