import type { WindowsConfig } from './windows.js';

/** The repository config (`.github/api7-sync.yml`) after loading and validation. */

export interface UpstreamNodeConfig {
  host: string;
  port: number;
  weight?: number;
  priority?: number;
}

export interface DiscoveryConfig {
  /** Name of a service registry of the *target* gateway group. */
  registry: string;
  namespace?: string;
  group?: string;
  service: string;
}

export interface UpstreamConfig {
  nodes?: UpstreamNodeConfig[];
  discovery?: DiscoveryConfig;
  scheme?: 'http' | 'https' | 'grpc' | 'grpcs';
  passHost?: 'pass' | 'node' | 'rewrite';
  upstreamHost?: string;
}

/** Per-environment runtime configuration: not versioned in API7, kept per gateway group. */
export interface RuntimeConfig {
  hosts?: string[];
  pathPrefix?: string;
  stripPathPrefix?: boolean;
  upstream?: UpstreamConfig;
}

export interface Probe {
  path: string;
  method?: string;
  status?: number;
  host?: string;
}

export interface Protection {
  deployers?: string[];
  approvals?: number;
  approvers?: string[];
  allowForks?: boolean;
  /** Who may ask for a rollback; the deployers when absent. */
  rollbackers?: string[];
  /** Approvals a rollback needs (default 0). */
  rollbackApprovals?: number;
  /** How long approvals stay valid, in hours (default 24). */
  approvalHours?: number;
  /**
   * Chat-ops in a workflow: whose approval counts. `environment` (default): the required
   * reviewers of the GitHub Environment the promotion job runs in; `comments`: `/approve`.
   */
  workflowApprovals?: 'environment' | 'comments';
  /** Promotion windows in a named time zone (engine/policy/windows.ts). */
  windows?: WindowsConfig;
}

export interface EnvironmentConfig {
  gatewayGroup: string;
  gatewayUrl?: string;
  /** Source environment names. `{environment, soak}` entries are split by the loader into this and `soak`. */
  promoteFrom?: string | string[];
  /** How long a version must have run in a source environment before it may come here, by source. */
  soak?: Record<string, string>;
  protection?: Protection;
  /** The GitHub environment the App's deployment gate answers for (default: this environment's name). */
  githubEnvironment?: string;
  /** Fan-out: `--to @tag` selects environments by tag … */
  tags?: string[];
  /** … in waves, lowest first; one wave runs in parallel. */
  wave?: number;
  verify?: { watch?: string };
}

export interface ServiceConfig {
  runtime?: Record<string, RuntimeConfig>;
  verify?: Probe[];
  /** Keep probing this long after verification passed (overrides the environment's verify.watch). */
  watch?: string;
}

/** A chat webhook told about promotions; `on` defaults to synced, rolled-back, failed. */
export interface NotifyConfig {
  url: string;
  on?: ('synced' | 'unchanged' | 'refused' | 'rolled-back' | 'failed')[];
}

export interface Config {
  /** The path as the user gave it, for messages. */
  file: string;
  controlPlane: { url: string; caFile?: string; insecure?: boolean };
  environments: Record<string, EnvironmentConfig>;
  services: Record<string, ServiceConfig>;
  notify?: NotifyConfig[];
}
