/**
 * What a service that could not be put back exactly runs, compared with what it ran before the
 * promotion and with what the promotion asked for, key by key (version, upstream, hosts, path
 * prefix, status), and the steps that would put it back. An undo that stopped half-way can leave
 * a combination nobody configured (the new version on the old upstream, say): the message must
 * name it, and the advice must be steps that really restore the old state. `api7-sync rollback`
 * changes only the version (the runtime configuration stays, as in API7's own rollback), so the
 * runtime keys that differ are named with the values to set back.
 */
import type { PublishedService } from '../api7/client.js';
import { runtimeDrift, upstreamSummary, type Api7Runtime } from '../runtime.js';
import type { Observed } from './observe.js';

/** One side of the comparison: a version and a runtime configuration with its status. */
export interface ServiceState {
  versionId: string | undefined;
  version: string | undefined;
  runtime: Api7Runtime;
  status: number | undefined;
}

export const stateOf = (s: PublishedService, versionId: string | undefined): ServiceState => ({
  versionId,
  version: s.version || undefined,
  runtime: {
    ...(s.upstream ? { upstream: s.upstream } : {}),
    ...(s.hosts?.length ? { hosts: s.hosts } : {}),
    ...(s.path_prefix ? { path_prefix: s.path_prefix } : {}),
  },
  status: s.status,
});

interface Key {
  name: string;
  show: (s: ServiceState) => string;
  same: (a: ServiceState, b: ServiceState) => boolean;
}

const list = (values: string[] | undefined) => (values?.length ? values.join(', ') : 'none');
const sameList = (a: string[] | undefined, b: string[] | undefined) =>
  [...(a ?? [])].sort().join(',') === [...(b ?? [])].sort().join(',');

const KEYS: Key[] = [
  {
    name: 'version',
    show: (s) => s.version ?? 'No Version',
    same: (a, b) => a.versionId === b.versionId && (a.versionId !== undefined || a.version === b.version),
  },
  {
    name: 'upstream',
    show: (s) => (s.runtime.upstream ? upstreamSummary(s.runtime.upstream) : 'none'),
    same: (a, b) =>
      a.runtime.upstream === undefined || b.runtime.upstream === undefined
        ? a.runtime.upstream === b.runtime.upstream
        : runtimeDrift({ upstream: a.runtime.upstream }, { upstream: b.runtime.upstream }).length === 0,
  },
  {
    name: 'hosts',
    show: (s) => list(s.runtime.hosts),
    same: (a, b) => sameList(a.runtime.hosts, b.runtime.hosts),
  },
  {
    name: 'path prefix',
    show: (s) => s.runtime.path_prefix ?? 'none',
    same: (a, b) => (a.runtime.path_prefix ?? '') === (b.runtime.path_prefix ?? ''),
  },
  {
    name: 'status',
    show: (s) => (s.status === 1 ? 'enabled' : 'disabled'),
    same: (a, b) => (a.status === 1) === (b.status === 1),
  },
];

/**
 * "it runs 1.0.0 (the new one), upstream nodes 127.0.0.1:9 (the new one), hosts none (unchanged),
 * enabled (unchanged)": every key, each marked as before, as promoted, or neither. A path prefix
 * nobody has is left out.
 */
export function describeAgainst(
  now: ServiceState,
  before: ServiceState | undefined,
  promoted: ServiceState,
): string {
  const parts = KEYS.filter(
    (k) => k.name !== 'path prefix' || [now, before, promoted].some((s) => s?.runtime.path_prefix),
  ).map((k) => {
    const asBefore = before !== undefined && k.same(now, before);
    const asNew = k.same(now, promoted);
    const mark =
      asBefore && asNew
        ? 'unchanged'
        : asBefore
          ? 'as before'
          : asNew
            ? 'the new one'
            : 'neither the old nor the new one';
    const value = k.show(now);
    return k.name === 'status' ? `${value} (${mark})` : `${k.name} ${value} (${mark})`;
  });
  return `it runs ${parts.join(', ')}`;
}

/** How to get from `now` back to `before`: a rollback for the version, the dashboard for the rest. */
export function restoreAdvice(
  now: ServiceState,
  before: ServiceState,
  where: { environment: string; service: string },
): string {
  const steps: string[] = [];
  const versionDiffers = !KEYS[0]!.same(now, before);
  const runtime = KEYS.slice(1).filter((k) => !k.same(now, before));
  if (versionDiffers && before.version) {
    // The rollback keeps the new runtime configuration, so its probes would judge the old version
    // on the new upstream and report a failure for a rollback that did its part.
    const noVerify =
      runtime.length > 0 ? ' --no-verify (its probes would still reach the new runtime configuration)' : '';
    steps.push(
      `run api7-sync rollback --env ${where.environment} --service "${where.service}" --to-version ${before.version}${noVerify}`,
    );
  } else if (versionDiffers) {
    steps.push(`publish its previous configuration ("No Version") again in the API7 dashboard`);
  }
  if (runtime.length > 0) {
    const values = runtime.map((k) => (k.name === 'status' ? k.show(before) : `${k.name} ${k.show(before)}`));
    steps.push(
      `${steps.length ? 'then, because a rollback keeps the runtime configuration, ' : ''}set its runtime configuration back in the API7 dashboard: ${values.join(', ')}`,
    );
  }
  return steps.length
    ? `to put back what ran before once the control plane answers again, ${steps.join('; ')}`
    : 'it already matches what ran before';
}

/** The state of what a group shows, or undefined when the service is absent. */
export const observedState = (o: Observed | undefined): ServiceState | undefined =>
  o && stateOf(o.service, o.running);
