/**
 * Every input and output of the Action, typed, in one place (action.yml mirrors it).
 */
import * as core from '@actions/core';
import { SyncError } from '../engine/index.js';
import { parseHeartbeatMs } from '../github/heartbeat.js';

export interface Inputs {
  from: string;
  to: string;
  services: string[];
  version?: string;
  newVersion?: string;
  config: string;
  token: string;
  caFile?: string;
  dryRun: boolean;
  verify: boolean;
  verifyTimeoutMs: number;
  rollbackOnFailure: boolean;
  githubToken?: string;
  lock: boolean;
  /** How long to wait for a held lock before failing (0: fail at once). */
  lockWaitSeconds: number;
  recordDeployment: boolean;
  /** How often the lock is renewed and the deployment says it is alive (`API7_SYNC_HEARTBEAT_MS`). */
  heartbeatMs: number;
  /** Overwrite targets edited by hand in their group ("No Version"). */
  force: boolean;
  /** Promote outside the promotion windows, for this reason (recorded in the result and deployment). */
  breakGlass?: string;
  /** Compute each service's route diff (default true). */
  routeDiff: boolean;
  /** Fan-out (`to` lists several environments): a failed wave rolls back the earlier waves too. */
  atomic: boolean;
}

/**
 * The heartbeat floor for the Action and the CLI: short heartbeats are for tests against a local
 * stand-in for GitHub; against GitHub keep the default.
 */
export const MIN_HEARTBEAT_MS = 10;

function bool(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).trim().toLowerCase();
  if (raw === '') return fallback;
  if (['true', 'yes', '1'].includes(raw)) return true;
  if (['false', 'no', '0'].includes(raw)) return false;
  throw new SyncError('usage', `input ${name} must be true or false, not "${raw}"`);
}

/** A whole number of milliseconds (at least 1) or seconds (0 allowed). */
function duration(name: string, fallback: number, unit: 'ms' | 's'): number {
  const raw = core.getInput(name).trim();
  if (raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (unit === 's' ? 0 : 1)) {
    throw new SyncError(
      'usage',
      `input ${name} takes ${unit === 's' ? 'seconds, such as 300' : 'milliseconds, such as 10000'}, not "${raw}"`,
    );
  }
  return value;
}

/** Not an input: the same environment variable as the CLI and the bot read. */
function heartbeat(): number {
  return parseHeartbeatMs(process.env.API7_SYNC_HEARTBEAT_MS, 'API7_SYNC_HEARTBEAT_MS', MIN_HEARTBEAT_MS);
}

function optional(name: string): string | undefined {
  const value = core.getInput(name).trim();
  return value === '' ? undefined : value;
}

/** Reads the inputs; the tokens are masked before anything else can print them. */
export function readInputs(): Inputs {
  const token = core.getInput('token');
  if (token) core.setSecret(token);
  const githubToken = core.getInput('github-token');
  if (githubToken) core.setSecret(githubToken);
  const from = optional('from');
  const to = optional('to');
  if (!from || !to)
    throw new SyncError('usage', 'inputs from and to are required (environment names from the config)');
  if (!token) throw new SyncError('usage', 'input token is required: pass ${{ secrets.API7_TOKEN }}');
  return {
    from,
    to,
    services: core
      .getInput('services')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
    version: optional('version'),
    newVersion: optional('new-version'),
    config: optional('config') ?? '.github/api7-sync.yml',
    token,
    caFile: optional('ca-file'),
    dryRun: bool('dry-run', false),
    verify: bool('verify', true),
    verifyTimeoutMs: duration('verify-timeout', 10_000, 'ms'),
    rollbackOnFailure: bool('rollback-on-failure', true),
    githubToken: githubToken || undefined,
    lock: bool('lock', true),
    lockWaitSeconds: duration('lock-wait', 0, 's'),
    recordDeployment: bool('record-deployment', true),
    heartbeatMs: heartbeat(),
    force: bool('force', false),
    breakGlass: optional('break-glass'),
    routeDiff: bool('route-diff', true),
    atomic: bool('atomic', false),
  };
}

export interface Outputs {
  /** The engine's result JSON (schemaVersion 1). */
  result: string;
  /** "true" when any service was synced (on a dry run: would be). */
  changed: 'true' | 'false';
  /** JSON map: service name → the version the target runs (or would run, on a dry run). */
  versions: string;
}

export function writeOutputs(outputs: Outputs): void {
  core.setOutput('result', outputs.result);
  core.setOutput('changed', outputs.changed);
  core.setOutput('versions', outputs.versions);
}

/** State handed from the main step to the post step. */
export const STATE = {
  isPost: 'isPost',
  lockEnvironment: 'lockEnvironment',
  /** The lock's request id: the post step frees the lock only while it is still held for it. */
  lockRequest: 'lockRequest',
  deploymentId: 'deploymentId',
  /** Fan-out: JSON list of `{environment, deploymentId?}`, one per session, for the post step. */
  fanoutSessions: 'fanoutSessions',
  finished: 'finished',
} as const;

/** What the inputs ask the engine to plan: one place for the promotion step and the fan-out. */
/** How the Action breaks glass, named when a promotion window refuses: its input, not the CLI flag. */
export const BREAK_GLASS_HOW = "the Action's `break-glass` input (with: break-glass: REASON)";

export function planRequest(inputs: Inputs) {
  return {
    from: inputs.from,
    to: inputs.to,
    services: inputs.services.length ? inputs.services : undefined,
    expectVersion: inputs.version,
    newVersion: inputs.newVersion,
    verify: inputs.verify,
    force: inputs.force,
    breakGlass: inputs.breakGlass,
    breakGlassHow: BREAK_GLASS_HOW,
    routeDiff: inputs.routeDiff,
  };
}
