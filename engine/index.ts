/**
 * The engine's public face: `createEngine({ config, token })` then `plan`, `apply`, `status`,
 * `rollback`. It knows nothing of GitHub; the Action, the bot and the CLI are doors onto it.
 */
import type { Dispatcher } from 'undici';
import { Api7Client, generationOf, type Generation } from './api7/client.js';
import { GroupRouteReads } from './api7/routes.js';
import type { Budgets } from './api7/transport.js';
import { apply as applyPlan, type ApplyOptions } from './apply/index.js';
import type { Config } from './config/types.js';
import type { Plan, Reason, SyncResult } from './model.js';
import { plan as makePlan, type PlanRequest } from './plan.js';
import { buildResult } from './report.js';
import { applyPolicies, gateWrites, type PolicyOptions } from './policy/plan-policies.js';
import { withPolicies } from './policy/result.js';
import { undoSynced } from './policy/restore.js';
import { watchAfterVerify, type WatchOptions } from './policy/watch.js';
import { rollback, type RollbackRequest } from './rollback.js';
import { status, type StatusMatrix } from './status.js';

/** A levelled logger; a plain function receives every line. */
export interface Logger {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface EngineOptions {
  config: Config;
  token: string;
  dispatcher?: Dispatcher;
  logger?: Logger | ((line: string) => void);
  budgets?: Partial<Budgets>;
  /**
   * Stops everything at once, requests in flight included: a hard stop. To cancel a promotion
   * cleanly (no new write, then the undo its rules call for), pass `signal` to `apply` instead.
   */
  signal?: AbortSignal;
  /** The clock for soak and windows (default `Date.now`): tests move it instead of waiting. */
  now?: () => number;
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
  const logger = levelled(options.logger);
  const log = (line: string) => logger.info(line);
  const client = new Api7Client({
    baseUrl: options.config.controlPlane.url,
    token: options.token,
    caFile: options.config.controlPlane.caFile,
    insecure: options.config.controlPlane.insecure,
    dispatcher: options.dispatcher,
    budgets: options.budgets,
    warn: (line) => logger.warn(line),
    signal: options.signal,
  });
  const now = options.now ?? Date.now;
  let generation: Promise<Generation> | undefined;
  const detect = () => (generation ??= client.version().then(generationOf));

  return {
    generation: detect,
    async plan(req) {
      const routes = req.routeDiff === false ? undefined : new GroupRouteReads(client);
      const made = await makePlan(client, options.config, detect(), req, routes);
      return applyPolicies(made, req, { client, config: options.config, now, log, routes });
    },
    async apply(plan, applyOptions = {}) {
      const started = Date.now();
      // Windows gate writes only: a dry run of a plan made outside them goes through.
      if (!applyOptions.dryRun) plan = gateWrites(plan);
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
      // Interrupted before or during its watch, a service is undone as if interrupted before its
      // verification (DESIGN §15); one without a watch keeps what apply decided.
      const watched = await watchAfterVerify(plan, result, applyOptions, {
        ...ctx,
        signal: options.signal,
        cancel: applyOptions.signal,
      });
      return watched === result ? result : { ...watched, durationMs: Date.now() - started };
    },
    status: () => status(client, options.config),
    async rollback(req, applyOptions = {}) {
      const deps = {
        client,
        config: options.config,
        generation: await detect(),
        log,
        signal: options.signal,
      };
      return rollback(deps, req, applyOptions);
    },
    async undo(plan, result, reason, message) {
      const names = new Set(result.services.map((s) => s.name));
      const ctx = { client, generation: await detect(), log };
      return undoSynced(plan, result, names, reason, () => message, ctx);
    },
    close: () => client.close(),
  };
}

function levelled(logger: EngineOptions['logger']): Logger {
  if (logger === undefined) return { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  // A function may carry levels too (a logger callable either way): prefer its levels.
  if (typeof logger !== 'function' || typeof (logger as Partial<Logger>).warn === 'function')
    return logger as Logger;
  return { debug: () => {}, info: logger, warn: logger, error: logger };
}

export { ConfigError, loadConfigFile, parseConfig } from './config/load.js';
export type { Config, EnvironmentConfig } from './config/types.js';
export { Api7Error } from './api7/transport.js';
export { SyncError, codeOf, messageOf, type ErrorCode } from './errors.js';
export { Api7Client, type ServiceRegistry } from './api7/client.js';
export { renderAdcFile } from './adc/render.js';
export { baseResult } from './apply/index.js';
export { checkWindows } from './policy/windows.js';
export type {
  BreakGlass,
  Drift,
  Plan,
  PlanEntry,
  RouteDiff,
  ServiceResult,
  ServiceResultWithRoutes,
  SyncResult,
} from './model.js';
export { isFailure, isOk } from './model.js';
export type { PlanRequest } from './plan.js';
export type { PolicyOptions } from './policy/plan-policies.js';
export type { WatchOptions } from './policy/watch.js';
export type { ApplyOptions, ApplyProgress } from './apply/index.js';
export type { RollbackRequest } from './rollback.js';
export type { StatusMatrix } from './status.js';

export {
  ACTION_LABEL,
  buildResult,
  describeDrift,
  refusedResult,
  resultMarkdown,
  resultText,
  statusMarkdown,
  statusText,
} from './report.js';
export { policyMarkdown, policyText, summaryMarkdown } from './policy/result.js';
export { inert } from './markdown.js';
export {
  fanOut,
  isFanout,
  lockOrder,
  notRun,
  resolveWaves,
  type FanoutRequest,
  type FanoutResult,
} from './fanout.js';
export { retryAfterMs } from './retry-after.js';
export { ENVIRONMENT_NAME_MAX_LENGTH, ENVIRONMENT_NAME_RULE, isEnvironmentName } from './environment-name.js';
