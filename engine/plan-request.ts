/**
 * What a promotion asks the plan for, and whether it can be planned at all: empty labels are a
 * usage mistake; an undeclared, repeated or disallowed pair of environments refuses every service.
 */
import type { Config } from './config/types.js';
import { SyncError } from './errors.js';
import type { Reason } from './model.js';
import { didYouMean } from './suggest.js';

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

/** Why the whole promotion is refused before anything is read, when it is. */
export interface Refusal {
  reason: Reason;
  message: string;
}

/** An empty version or label is a mistake in the request, not a refusal of a service. */
export function requireLabels(req: PlanRequest): void {
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
}

/** The two environments must be declared, distinct, allowed to promote, and on distinct groups. */
export function environmentRefusal(config: Config, req: PlanRequest): Refusal | undefined {
  const declared = Object.keys(config.environments);
  for (const env of [req.from, req.to]) {
    if (!config.environments[env]) {
      return {
        reason: 'unknown-environment',
        message: `environment "${env}" is not in ${config.file}${didYouMean(env, declared)}; declared: ${declared.join(', ')}`,
      };
    }
  }
  if (req.from === req.to)
    return {
      reason: 'promote-from',
      message: `source and target are both "${req.from}"; name two environments`,
    };
  const sources = allowedSources(config, req.to);
  if (sources && !sources.includes(req.from)) {
    return {
      reason: 'promote-from',
      message: `"${req.to}" accepts promotions only from ${sources.join(', ')}, not from "${req.from}"`,
    };
  }
  const fromGroup = config.environments[req.from]!.gatewayGroup;
  const toGroup = config.environments[req.to]!.gatewayGroup;
  // The config loader refuses this too; a plan must never write a group's runtime into itself.
  if (fromGroup === toGroup) {
    return {
      reason: 'promote-from',
      message: `environments "${req.from}" and "${req.to}" are both gateway group "${toGroup}"; give each environment its own gateway group`,
    };
  }
  return undefined;
}

/** Environments a target accepts promotions from (`promoteFrom`), or undefined for any. */
function allowedSources(config: Config, to: string): string[] | undefined {
  const p = config.environments[to]?.promoteFrom;
  return p === undefined ? undefined : [p].flat();
}
