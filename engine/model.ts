/** The engine's plan and result. The result JSON is `schemaVersion: 1`. */
import type { Generation, GatewayGroup, PublishedService } from './api7/client.js';
import type { Probe } from './config/types.js';
import type { Api7Runtime } from './runtime.js';

/**
 * `interrupted`: the promotion was cancelled (Ctrl-C, a cancelled CI job) before this service
 * finished; the message says what the target runs now.
 */
export type Action =
  'synced' | 'unchanged' | 'refused' | 'rolled-back' | 'failed' | 'planned' | 'interrupted';

export type { Reason } from './reasons.js';
import type { Reason } from './reasons.js';

export type { Drift } from './runtime.js';
import type { Drift } from './runtime.js';

export interface ProbeResult {
  path: string;
  status: number | null;
  ok: boolean;
  ms: number;
}

export interface ServiceResult {
  name: string;
  action: Action;
  /** Synced (or that would be); for a rollback, the version rolled back to. */
  version: string | null;
  requestedVersion: string | null;
  /** What the target ran before; for a rollback, the version rolled back from. */
  previousVersion: string | null;
  serviceVersionId: string | null;
  runtimeRepaired: boolean;
  runtime: { upstream?: string; hosts?: string[]; pathPrefix?: string } | null;
  /** Where the target's runtime configuration differs from the config (before the sync). */
  drift: Drift[];
  /** What the user should know before or after the sync, such as a change API7 cannot undo. */
  warnings: string[];
  verify: ProbeResult[];
  reason: Reason | null;
  message: string | null;
}

/**
 * A result entry with its route diff (absent when not computed: `--no-route-diff`). Kept apart
 * from `ServiceResult` so that readers which type the diff loosely can still intersect with it.
 */
export type ServiceResultWithRoutes = ServiceResult & { routes?: RouteDiff };

/** Routes added, removed and changed between the target's running snapshot and the incoming one. */
export interface RouteDiff {
  added: string[];
  removed: string[];
  changed: { name: string; fields: string[] }[];
}

/** A promotion window overridden on purpose, with the reason given; doors record it. */
export interface BreakGlass {
  reason: string;
  /** False when the promotion ran inside a window anyway. */
  overrode: boolean;
}

export interface SyncResult {
  schemaVersion: 1;
  /** `rollback` for `engine.rollback`: then `from` and `to` name the same environment. */
  operation: 'promotion' | 'rollback';
  from: { environment: string; gatewayGroup: string | null };
  to: { environment: string; gatewayGroup: string | null };
  dryRun: boolean;
  services: ServiceResult[];
  ok: boolean;
  /** The engine's part (apply); the CLI puts the whole run here and names its phases. */
  durationMs: number;
  /** Set by the CLI: the process's start-up, the plan (config load included) and the apply. */
  phases?: { startupMs: number; planMs: number; applyMs: number };
  breakGlass?: BreakGlass;
}

/** What the plan decided for one service, with everything apply needs. */
export interface PlanEntry {
  name: string;
  decision: 'sync' | 'unchanged' | 'refused';
  reason: Reason | null;
  /** Why the entry was refused, or why it will be synced. */
  message: string | null;
  templateId?: string;
  /** The source's running version (or the label it will get). */
  version: string | null;
  requestedVersion: string | null;
  /** Set when a "No Version" source must first be published with this label. */
  newVersionLabel?: string;
  sourceVersionId?: string;
  source?: PublishedService;
  /** What the target ran before: restored on rollback. */
  target?: PublishedService;
  targetVersionId?: string;
  desiredRuntime?: Api7Runtime;
  /** Runtime keys on which the target differs from the config. */
  drift: Drift[];
  /** Things apply could not undo should the promotion fail (see `plan`). */
  warnings?: string[];
  runtimeLabel: ServiceResult['runtime'];
  probes: Probe[];
  routes?: RouteDiff;
}

export interface Plan {
  from: { environment: string; group?: GatewayGroup };
  to: { environment: string; group?: GatewayGroup; gatewayUrl?: string };
  generation?: Generation;
  entries: PlanEntry[];
  createdAt: number;
  breakGlass?: BreakGlass;
  /** Made outside the target's promotion windows: why a write is refused (`outside-window`). */
  closedWindow?: string;
}

/**
 * Whether one service's outcome is a failure: `failed`, or `rolled-back` with a reason (a
 * promotion that failed and was undone), or `interrupted`. A `rolled-back` entry without a reason is a rollback
 * that was asked for and landed: a success.
 */
export function isFailure(s: Pick<ServiceResult, 'action' | 'reason'>): boolean {
  return (
    s.action === 'failed' || s.action === 'interrupted' || (s.action === 'rolled-back' && s.reason !== null)
  );
}

/** One place that decides whether a result is a success. */
export function isOk(services: ServiceResult[]): boolean {
  return services.every((s) => s.action !== 'refused' && !isFailure(s));
}
