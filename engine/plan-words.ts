/**
 * What a planned entry says to people: the runtime the target will run, why it will be synced,
 * and what a rollback on API7 3.6+ could not undo.
 */
import type { PublishedService, ServiceRegistry } from './api7/client.js';
import type { Drift, PlanEntry } from './model.js';
import { describeUpstream, irreversibleAdditions, type Api7Runtime } from './runtime.js';

/** What the target will run, for people: the target's own runtime overlaid with the config's. */
export function runtimeLabel(
  target: PublishedService | undefined,
  desired: Api7Runtime,
  registries: ServiceRegistry[] | undefined,
): NonNullable<PlanEntry['runtimeLabel']> {
  const effective = {
    ...(target ? { upstream: target.upstream, hosts: target.hosts, path_prefix: target.path_prefix } : {}),
    ...desired,
  };
  return {
    upstream: describeUpstream(effective.upstream, registries),
    ...(effective.hosts ? { hosts: effective.hosts } : {}),
    ...(effective.path_prefix ? { pathPrefix: effective.path_prefix } : {}),
  };
}

/** Why an entry will be synced, in words: what moves, what drifted, what gets enabled. */
export function whyPlanned(
  target: PublishedService,
  version: string,
  sameVersion: boolean,
  newVersionLabel: string | undefined,
  drift: Drift[],
): string {
  const parts: string[] = [];
  if (newVersionLabel)
    parts.push(
      `"No Version" in the source group: it will be labelled ${version} there, then replace ${target.version || 'No Version'}`,
    );
  else if (!sameVersion) parts.push(`${version} replaces ${target.version || 'No Version'}`);
  else parts.push(`already at ${version}`);
  if (drift.length)
    parts.push(`runtime configuration drifted (${drift.map((d) => d.key).join(', ')}): it will be repaired`);
  if (target.status !== 1) parts.push('disabled in the target: it will be enabled');
  return parts.join('; ');
}

/** Warnings for what a rollback could not take away on API7 3.6+ (hosts, a path prefix). */
export function irreversibleWarnings(target: PublishedService, desired: Api7Runtime): string[] {
  const added = irreversibleAdditions(target, desired);
  if (added.length === 0) return [];
  return [
    `this adds ${added.join(' and ')} to a service that has none in the target; API7 3.6+ cannot clear them through the runtime configuration, so they would stay if the promotion failed and were rolled back (the result would then be failed with reason cannot-clear-hosts)`,
  ];
}
