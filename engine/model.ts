/** The engine's plan and result (DESIGN.md §3). The result JSON is `schemaVersion: 1`. */
import type { Generation, GatewayGroup, PublishedService } from './api7/client.js';
import type { Probe } from './config/types.js';
import type { Api7Runtime } from './runtime.js';

export type Action = 'synced' | 'unchanged' | 'refused' | 'rolled-back' | 'failed' | 'planned';

/** Kebab-case reason codes; `message` holds the human sentence. */
export type Reason =
  | 'not-current-version'
  | 'no-version-needs-label'
  | 'new-version-not-applicable'
  | 'unknown-service'
  | 'unknown-environment'
  | 'ambiguous-service'
  | 'registry-not-found'
  | 'discovery-type-unsupported'
  | 'promote-from'
  | 'route-conflict'
  | 'no-runtime-for-environment'
  | 'cannot-clear-hosts'
  | 'unsupported-runtime-key'
  | 'no-gateway-url'
  | 'version-not-in-group'
  | 'nothing-to-roll-back'
  | 'publish-failed'
  | 'runtime-failed'
  | 'verify-failed'
  | 'atomic-rollback'
  | 'lock-held'
  // Promotion policies (engine/policy/).
  | 'target-edited'
  | 'soak-not-met'
  | 'outside-window'
  | 'watch-failed'
  | 'not-started';

export interface ProbeResult {
  path: string;
  status: number | null;
  ok: boolean;
  ms: number;
}

export interface ServiceResult {
  name: string;
  action: Action;
  version: string | null;
  requestedVersion: string | null;
  previousVersion: string | null;
  serviceVersionId: string | null;
  runtimeRepaired: boolean;
  runtime: { upstream?: string; hosts?: string[]; pathPrefix?: string } | null;
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
  from: { environment: string; gatewayGroup: string | null };
  to: { environment: string; gatewayGroup: string | null };
  dryRun: boolean;
  services: ServiceResult[];
  ok: boolean;
  durationMs: number;
  breakGlass?: BreakGlass;
}

/** What the plan decided for one service, with everything apply needs. */
export interface PlanEntry {
  name: string;
  decision: 'sync' | 'unchanged' | 'refused';
  reason: Reason | null;
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
  /** Runtime keys that differ on a target already at the right version: repaired without publishing. */
  drift: string[];
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
}

/** One place that decides whether a result is a success. */
export function isOk(services: ServiceResult[]): boolean {
  return services.every((s) => s.action !== 'refused' && s.action !== 'failed' && s.action !== 'rolled-back');
}
