/**
 * Apply's decisions, as pure functions of the plan and of what the target shows: what to write,
 * what an all-or-none promotion refuses, and what the result says once the target is read back.
 */
import {
  hasVersion,
  type Generation,
  type PublishedService,
  type RuntimeConfiguration,
} from '../api7/client.js';
import type { Action, PlanEntry, ServiceResult } from '../model.js';
import { targetRuntime } from '../publish-items.js';
import { runtimeDrift, runtimeOf, type Api7Runtime } from '../runtime.js';
import type { Observed } from './observe.js';
import { describeAgainst, observedState, restoreAdvice, stateOf, type ServiceState } from './truth.js';
import type { Failure, Work } from './work.js';

export const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

/**
 * All or none covers refusals: when the promotion is atomic and any service is refused, every
 * service that would have been synced is refused too, naming the ones that were refused.
 */
export function atomicRefusals(entries: PlanEntry[], atomic: boolean): Map<PlanEntry, Failure> {
  const out = new Map<PlanEntry, Failure>();
  const refused = entries.filter((e) => e.decision === 'refused');
  if (!atomic || refused.length === 0) return out;
  const why = refused.map((e) => `"${e.name}" (${e.reason ?? 'refused'})`).join(', ');
  for (const e of entries.filter((x) => x.decision === 'sync')) {
    out.set(e, {
      reason: 'atomic-refusal',
      message: `nothing was written because ${why} was refused and the promotion is all-or-none (atomic); fix that, or promote without atomic to move the others`,
    });
  }
  return out;
}

/** Same rule once apply has started but before its first write (the source moved meanwhile). */
export function atomicLateRefusals(
  pending: PlanEntry[],
  refused: Map<PlanEntry, Failure>,
): Map<PlanEntry, Failure> {
  const out = new Map<PlanEntry, Failure>();
  if (refused.size === 0) return out;
  const why = quoted([...refused.keys()].map((e) => e.name));
  for (const e of pending) {
    if (refused.has(e)) continue;
    out.set(e, {
      reason: 'atomic-refusal',
      message: `nothing was written because ${why} was refused just before writing and the promotion is all-or-none (atomic)`,
    });
  }
  return out;
}

/** The runtime configuration PATCH a synced service needs, or undefined when none is needed. */
export function runtimeBody(
  entry: PlanEntry,
  versionId: string | undefined,
  generation: Generation,
): RuntimeConfiguration | undefined {
  const desired = targetRuntime(entry);
  const firstTime = !entry.target;
  const disabled = entry.target?.status !== 1;
  const versionChanged = versionId !== entry.targetVersionId;
  // Legacy publish bodies carry the runtime configuration; only a same-version repair needs a PATCH.
  const needsRuntime =
    generation === 'modern' ? firstTime || entry.drift.length > 0 : !versionChanged && entry.drift.length > 0;
  if (!needsRuntime && !(disabled && !firstTime) && !(firstTime && generation === 'modern')) return undefined;
  return {
    ...(needsRuntime && desired.upstream ? { upstreams: desired.upstream } : {}),
    ...(needsRuntime && desired.hosts ? { hosts: desired.hosts } : {}),
    ...(needsRuntime && desired.path_prefix ? { path_prefix: desired.path_prefix } : {}),
    status: 1,
  };
}

/** The PATCH that puts a service's previous runtime configuration and status back. */
export function restoreBody(previous: PublishedService): RuntimeConfiguration {
  return {
    ...(previous.upstream ? { upstreams: previous.upstream } : {}),
    ...(previous.hosts ? { hosts: previous.hosts } : {}),
    ...(previous.path_prefix ? { path_prefix: previous.path_prefix } : {}),
    status: (previous.status ?? 1) as 0 | 1,
  };
}

/** Whether a published service shows the runtime configuration a PATCH body asked for. */
export function matchesRuntime(service: PublishedService, body: RuntimeConfiguration): boolean {
  const wanted: Api7Runtime = {
    ...(body.upstreams ? { upstream: body.upstreams } : {}),
    ...(body.hosts ? { hosts: body.hosts } : {}),
    ...(body.path_prefix ? { path_prefix: body.path_prefix } : {}),
  };
  return (
    runtimeDrift(service, wanted).length === 0 &&
    (body.status === undefined || service.status === body.status)
  );
}

/**
 * What a service keeps that it did not have before: hosts or a path prefix that API7 3.6+ cannot
 * clear through the runtime configuration. Empty when it matches its previous state on both.
 */
export function leftOver(previous: PublishedService, now: PublishedService): string[] {
  const out: string[] = [];
  if (!previous.hosts?.length && now.hosts?.length) out.push(`hosts ${now.hosts.join(', ')}`);
  if (!previous.path_prefix && now.path_prefix) out.push(`path prefix ${now.path_prefix}`);
  return out;
}

const describeState = (o: Observed | undefined): string =>
  o
    ? `it runs ${o.service.version || 'No Version'} (${o.service.status === 1 ? 'enabled' : 'disabled'})`
    : 'it is absent from the target group';

/**
 * The result of one service, from what the target runs at the end. `environment` names the
 * target in advice ("api7-sync rollback --env production ...").
 */
export function outcome(
  w: Work,
  observed: Observed | undefined,
  unreadable: boolean,
  environment = 'ENV',
): ServiceResult {
  const e = w.entry;
  const result = baseResult(e, 'synced');
  result.serviceVersionId = w.versionId ?? null;
  result.verify = w.verify;
  const failed = (reason: ServiceResult['reason'], message: string): ServiceResult => ({
    ...result,
    action: 'failed',
    reason,
    message,
  });
  if (unreadable) return unconfirmed(w, result, environment);
  const atNew =
    observed !== undefined &&
    observed.running === w.versionId &&
    observed.service.status === 1 &&
    runtimeDrift(observed.service, targetRuntime(e)).length === 0;
  if (!w.failed && atNew) {
    result.runtimeRepaired = e.drift.length > 0 && w.versionId === e.targetVersionId;
    return result;
  }
  const failure = w.failed ?? {
    reason: 'publish-failed',
    message: 'the target does not show the synced state',
  };
  if (w.failed && !w.touched) {
    return failed(failure.reason, `${failure.message}; nothing was written to the target group`);
  }
  const prev = e.target;
  const before = prev && stateOf(prev, e.targetVersionId);
  const promoted: ServiceState = {
    versionId: w.versionId,
    version: e.version ?? undefined,
    runtime: targetRuntime(e),
    status: 1,
  };
  const now = observedState(observed);
  const state = now ? describeAgainst(now, before, promoted) : describeState(undefined);
  if (!w.failed || !w.rolledBack) {
    return failed(failure.reason, `${failure.message}; ${w.failed ? 'not rolled back: ' : ''}${state}`);
  }
  if (!prev || !before) {
    if (!observed) {
      return {
        ...result,
        action: 'rolled-back',
        reason: failure.reason,
        message: `${failure.message}; first sync into this group: the service was removed from it again`,
      };
    }
    if (observed.service.status === 0) {
      return failed(
        'left-disabled',
        `${failure.message}; first sync into this group: the control plane did not let it be removed, so ${describeState(observed)}; delete it in API7 if it should not be there`,
      );
    }
    return failed(
      failure.reason,
      `${failure.message}; ROLLBACK INCOMPLETE: first sync into this group, and ${state}; disable it or delete it in the API7 dashboard once the control plane answers again`,
    );
  }
  const atOld =
    observed !== undefined &&
    observed.running === e.targetVersionId &&
    observed.service.status === prev.status &&
    runtimeDrift(observed.service, runtimeOf(prev)).length === 0;
  const remains = observed ? leftOver(prev, observed.service) : [];
  if (atOld && remains.length === 0) {
    return {
      ...result,
      action: 'rolled-back',
      reason: failure.reason,
      message: `${failure.message}; back on ${prev.version || 'its previous version'} with its previous runtime configuration`,
    };
  }
  if (atOld) {
    return failed(
      'cannot-clear-hosts',
      `${failure.message}; rolled back to ${prev.version || 'its previous version'} and its previous upstream, but it keeps ${remains.join(' and ')}, which it did not have before: API7 3.6+ cannot clear them through the runtime configuration, so requests that reached it before may now miss it; remove them in the API7 dashboard (${failure.reason})`,
    );
  }
  const advice = now
    ? restoreAdvice(now, before, { environment, service: e.name })
    : `publish ${prev.version || 'its previous configuration'} to this group again in the API7 dashboard`;
  return failed(failure.reason, `${failure.message}; ROLLBACK INCOMPLETE: ${state}; ${advice}`);
}

/**
 * The target could not be read back at the end. After a failure that keeps its reason; when
 * every write and verification succeeded, the only unknown is the read-back itself, which has a
 * reason of its own (the writes did not fail, so `publish-failed` would name the wrong step).
 */
function unconfirmed(w: Work, result: ServiceResult, environment: string): ServiceResult {
  const check = `check what ${environment} runs with api7-sync status`;
  if (w.failed) {
    return {
      ...result,
      action: 'failed',
      reason: w.failed.reason,
      message: `${w.failed.message}; the target group could not be read back, so its state is unknown: ${check}`,
    };
  }
  const verified = w.verify.length > 0 ? ' and its verification' : '';
  return {
    ...result,
    action: 'failed',
    reason: 'read-back-failed',
    message: `every write${verified} succeeded, but the target group could not be read back afterwards, so what it runs is unconfirmed: ${check}`,
  };
}

/** A result entry that says what the plan said. */
export function baseResult(e: PlanEntry, action: Action): ServiceResult {
  return {
    name: e.name,
    action,
    version: e.version,
    requestedVersion: e.requestedVersion,
    previousVersion: e.target ? (hasVersion(e.target) ? e.target.version! : null) : null,
    serviceVersionId: e.sourceVersionId ?? null,
    runtimeRepaired: false,
    runtime: e.runtimeLabel,
    drift: e.drift,
    warnings: e.warnings ?? [],
    verify: [],
    reason: e.reason,
    // A plan entry's message says why it is refused or why it will be synced; a sync says nothing.
    message: action === 'synced' ? null : e.message,
  };
}
