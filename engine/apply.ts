/**
 * Applying a plan: label "No Version" sources, sync in as few publish requests as the API
 * allows, set runtime configuration, verify through the target gateway, and roll back on failure.
 *
 * Once the first write is sent nothing here throws: every failure becomes a per-service outcome,
 * and the result is decided by reading the target back at the end, so it says the truth.
 * A write is never blindly re-sent: after a failure the target is read back, and only what did
 * not land is sent again.
 */
import {
  Api7Error,
  hasVersion,
  type Api7Client,
  type Generation,
  type PublishedService,
  type RuntimeConfiguration,
} from './api7/client.js';
import type { Plan, PlanEntry, ProbeResult, Reason, ServiceResult } from './model.js';
import { labelItem, rollbackItem, syncItem, targetRuntime } from './publish-items.js';
import { runtimeDrift, runtimeOf, type Api7Runtime } from './runtime.js';
import { Agent } from 'undici';
import { verifyProbes } from './verify.js';

export interface ApplyOptions {
  dryRun?: boolean;
  verify?: boolean;
  rollbackOnFailure?: boolean;
  /** A failure of any one service rolls back all (default: true when more than one is planned). */
  atomic?: boolean;
  verifyTimeoutMs?: number;
  verifyIntervalMs?: number;
  batchSize?: number;
  /** How many times a write that did not land is sent (default 4). */
  writeAttempts?: number;
}

export interface ApplyContext {
  client: Api7Client;
  generation: Generation;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** What happens to one service during apply. */
interface Work {
  entry: PlanEntry;
  /** The snapshot the target should run. */
  versionId?: string;
  /** True once anything in the target group may have changed for this service. */
  touched: boolean;
  failed?: { reason: Reason; message: string };
  verify: ProbeResult[];
  rolledBack?: boolean;
}

interface Observed {
  service: PublishedService;
  running: string | undefined;
}

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A 4xx answer (other than 408/429) means the server refused: sending it again will not help. */
function refusedByServer(err: unknown): boolean {
  return (
    err instanceof Api7Error &&
    !err.ambiguous &&
    err.status !== undefined &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 408 &&
    err.status !== 429
  );
}

const pause = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2)));

class Applier {
  private readonly attempts: number;

  constructor(
    private readonly ctx: ApplyContext,
    private readonly options: ApplyOptions,
  ) {
    this.attempts = options.writeAttempts ?? 4;
  }

  /** The services of a group by template ID, with what each runs; undefined when unreadable. */
  async observe(groupId: string): Promise<Map<string, Observed> | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const services = await this.ctx.client.publishedServices(groupId);
        const out = new Map<string, Observed>();
        await Promise.all(
          services.map(async (s) => {
            out.set(s.service_id, {
              service: s,
              running: await this.ctx.client.runningVersionId(groupId, s),
            });
          }),
        );
        return out;
      } catch (err) {
        this.ctx.log(`reading the gateway group back failed: ${describeError(err)}`);
        await pause(attempt);
      }
    }
    return undefined;
  }

  /**
   * Sends `items` until each has landed, re-sending only what reading back shows did not land.
   * `landed` must be decidable from a read; when the read fails, `resendBlind` says whether a
   * re-send is harmless (true for idempotent writes, false for minting a new version).
   */
  async converge<T>(
    items: T[],
    send: (items: T[]) => Promise<void>,
    landed: (items: T[]) => Promise<T[] | undefined>,
    resendBlind: boolean,
  ): Promise<{ failed: T[]; error?: unknown }> {
    let remaining = items;
    let error: unknown;
    for (let attempt = 0; attempt < this.attempts && remaining.length > 0; attempt++) {
      try {
        await send(remaining);
        return { failed: [] };
      } catch (err) {
        error = err;
        if (refusedByServer(err)) return { failed: remaining, error };
        this.ctx.log(`write failed (${describeError(err)}); reading back what landed`);
      }
      let done = await landed(remaining);
      // Unknown outcome, and a re-send could do it twice: keep reading until we know.
      for (let read = 0; done === undefined && !resendBlind && read < this.attempts; read++) {
        await pause(read);
        done = await landed(remaining);
      }
      if (done === undefined && !resendBlind) return { failed: remaining, error };
      if (done) remaining = remaining.filter((i) => !done.includes(i));
      if (remaining.length > 0) await pause(attempt);
    }
    return { failed: remaining, error };
  }
}

export async function apply(plan: Plan, options: ApplyOptions, ctx: ApplyContext): Promise<ServiceResult[]> {
  const active = plan.entries.filter((e) => e.decision === 'sync');
  if (options.dryRun || active.length === 0 || !plan.from.group || !plan.to.group) {
    return plan.entries.map((e) =>
      baseResult(e, e.decision === 'sync' ? 'planned' : e.decision === 'unchanged' ? 'unchanged' : 'refused'),
    );
  }
  const sourceId = plan.from.group.id;
  const targetId = plan.to.group.id;
  const { client, generation, log } = ctx;
  const batchSize = options.batchSize ?? 50;
  const applier = new Applier(ctx, options);
  const work = new Map<PlanEntry, Work>(active.map((e) => [e, { entry: e, touched: false, verify: [] }]));
  const late = new Map<PlanEntry, { reason: Reason; message: string }>();

  // 1. Before any write (errors still propagate): only the source's running version may move.
  const fresh = await client.publishedServices(sourceId);
  await Promise.all(
    active.map(async (entry) => {
      const now = fresh.find((s) => s.service_id === entry.templateId);
      const running = now ? await client.runningVersionId(sourceId, now) : undefined;
      const moved = entry.newVersionLabel ? !now || hasVersion(now) : running !== entry.sourceVersionId;
      if (moved) {
        late.set(entry, {
          reason: 'not-current-version',
          message: `the source group's running version of "${entry.name}" changed since the plan (now ${now?.version || 'none'}); plan again`,
        });
        work.delete(entry);
      } else {
        work.get(entry)!.versionId = entry.sourceVersionId;
      }
    }),
  );

  try {
    await labelSources();
    await syncTarget();
    await setRuntime();
    await verify();
  } catch (err) {
    // Not expected: every step handles its own failures. Whatever it was, fail what is unfinished.
    log(`unexpected failure: ${describeError(err)}`);
    for (const w of work.values())
      w.failed ??= { reason: 'publish-failed', message: `unexpected failure: ${describeError(err)}` };
  }

  // 6. Roll back what failed, or everything touched when the promotion is atomic.
  const failures = [...work.values()].filter((w) => w.failed);
  if (failures.length > 0 && options.rollbackOnFailure !== false) {
    const atomic = options.atomic ?? plan.entries.length > 1;
    const victims = [...work.values()].filter((w) => w.touched && (w.failed || atomic));
    for (const w of victims) {
      w.failed ??= {
        reason: 'atomic-rollback',
        message: `rolled back because ${failures.map((f) => `"${f.entry.name}"`).join(', ')} failed (atomic promotion)`,
      };
    }
    await rollBack(victims);
  }

  // 7. The truth: what the target runs now.
  const final = work.size > 0 ? await applier.observe(targetId) : new Map<string, Observed>();
  return plan.entries.map((e) => {
    if (late.has(e)) return { ...baseResult(e, 'refused'), ...late.get(e)! };
    const w = work.get(e);
    if (!w) return baseResult(e, e.decision === 'unchanged' ? 'unchanged' : 'refused');
    return outcome(w, final?.get(e.templateId!), final === undefined);
  });

  async function labelSources(): Promise<void> {
    const toLabel = [...work.values()].filter((w) => !w.failed && w.entry.newVersionLabel);
    for (const batch of chunks(toLabel, batchSize)) {
      log(
        `labelling ${batch.map((w) => `"${w.entry.name}" as ${w.entry.newVersionLabel}`).join(', ')} in the source group`,
      );
      const labelled = async (items: Work[]) => {
        const view = await applier.observe(sourceId);
        if (!view) return undefined;
        return items.filter((w) => {
          const o = view.get(w.entry.templateId!);
          if (o && o.service.version === w.entry.newVersionLabel) w.versionId = o.running;
          return o?.service.version === w.entry.newVersionLabel;
        });
      };
      // Minting a version twice must never happen: a failed label is re-sent only when reading
      // back proves it did not land.
      const { failed, error } = await applier.converge(
        batch,
        (items) =>
          client.publish(
            sourceId,
            true,
            items.map((w) => labelItem(w.entry, generation)),
          ),
        labelled,
        false,
      );
      if (failed.length === 0) await labelled(batch);
      for (const w of failed)
        w.failed = {
          reason: 'publish-failed',
          message: `could not label "${w.entry.name}" as ${w.entry.newVersionLabel} in the source group: ${describeError(error)}`,
        };
    }
  }

  async function syncTarget(): Promise<void> {
    const toSync = [...work.values()].filter(
      (w) => !w.failed && w.versionId && w.versionId !== w.entry.targetVersionId,
    );
    for (const batch of chunks(toSync, batchSize)) {
      log(
        `syncing ${batch.map((w) => `"${w.entry.name}" ${w.entry.version}`).join(', ')} into "${plan.to.group!.name}"`,
      );
      batch.forEach((w) => (w.touched = true));
      const { failed, error } = await applier.converge(
        batch,
        (items) =>
          client.publish(
            targetId,
            false,
            items.map((w) => syncItem(w.entry, generation, w.versionId!)),
          ),
        async (items) => {
          const view = await applier.observe(targetId);
          return view && items.filter((w) => view.get(w.entry.templateId!)?.running === w.versionId);
        },
        // Applying the same snapshot again changes nothing more: safe to re-send.
        true,
      );
      for (const w of failed)
        w.failed = {
          reason: 'publish-failed',
          message: `sync of "${w.entry.name}" failed: ${describeError(error)}`,
        };
    }
  }

  async function setRuntime(): Promise<void> {
    await Promise.all(
      [...work.values()]
        .filter((w) => !w.failed)
        .map(async (w) => {
          const body = runtimeBody(w, generation);
          if (!body) return;
          w.touched = true;
          const { failed, error } = await applier.converge(
            [w],
            () => client.setRuntimeConfiguration(targetId, w.entry.templateId!, body),
            async (items) => {
              const view = await applier.observe(targetId);
              const o = view?.get(w.entry.templateId!);
              return view && (o && matchesRuntime(o.service, body) ? items : []);
            },
            true,
          );
          if (failed.length)
            w.failed = {
              reason: 'runtime-failed',
              message: `setting the runtime configuration of "${w.entry.name}" failed: ${describeError(error)}`,
            };
        }),
    );
  }

  async function verify(): Promise<void> {
    if (options.verify === false || !plan.to.gatewayUrl) return;
    // One keep-alive pool for all probes: hundreds of services need not open hundreds of sockets.
    const probes = new Agent({ connections: 32, keepAliveTimeout: 5_000 });
    try {
      await verifyAll(probes);
    } finally {
      await probes.close();
    }
  }

  async function verifyAll(dispatcher: Agent): Promise<void> {
    await Promise.all(
      [...work.values()]
        .filter((w) => !w.failed && w.entry.probes.length > 0)
        .map(async (w) => {
          w.verify = await verifyProbes(w.entry.probes, {
            gatewayUrl: plan.to.gatewayUrl!,
            host: targetRuntime(w.entry).hosts?.[0],
            timeoutMs: options.verifyTimeoutMs ?? 10_000,
            intervalMs: options.verifyIntervalMs ?? 500,
            signal: ctx.signal,
            dispatcher,
          });
          const bad = w.verify.filter((p) => !p.ok);
          if (bad.length > 0) {
            w.failed = {
              reason: 'verify-failed',
              message: `verification through ${plan.to.gatewayUrl} failed: ${bad.map((p) => `${p.path} answered ${p.status ?? 'no response'}`).join(', ')}`,
            };
          }
        }),
    );
  }

  /** Puts each service back on its previous version and runtime configuration, or disables a first sync. */
  async function rollBack(victims: Work[]): Promise<void> {
    if (victims.length === 0) return;
    log(`rolling back ${victims.map((w) => `"${w.entry.name}"`).join(', ')}`);
    const versioned = victims.filter((w) => w.entry.target && w.entry.targetVersionId);
    for (const batch of chunks(versioned, batchSize)) {
      await applier.converge(
        batch,
        (items) =>
          client.publish(
            targetId,
            false,
            items.map((w) => rollbackItem(w.entry.target!, w.entry.targetVersionId!, generation)),
          ),
        async (items) => {
          const view = await applier.observe(targetId);
          return (
            view && items.filter((w) => view.get(w.entry.templateId!)?.running === w.entry.targetVersionId)
          );
        },
        true,
      );
    }
    await Promise.all(
      victims
        .filter((w) => !w.entry.target || w.entry.targetVersionId)
        .map(async (w) => {
          const prev = w.entry.target;
          const body: RuntimeConfiguration = prev
            ? {
                ...(prev.upstream ? { upstreams: prev.upstream } : {}),
                ...(prev.hosts ? { hosts: prev.hosts } : {}),
                ...(prev.path_prefix ? { path_prefix: prev.path_prefix } : {}),
                status: (prev.status ?? 1) as 0 | 1,
              }
            : { status: 0 };
          await applier.converge(
            [w],
            () => client.setRuntimeConfiguration(targetId, w.entry.templateId!, body),
            async (items) => {
              const view = await applier.observe(targetId);
              const o = view?.get(w.entry.templateId!);
              return view && (!o || matchesRuntime(o.service, body) ? items : []);
            },
            true,
          );
        }),
    );
    for (const w of victims) w.rolledBack = true;
  }
}

/**
 * One write, sent again only while reading back shows it has not landed (for callers outside a
 * plan, such as a rollback). Returns the last error when it never landed.
 */
export async function sendUntilLanded(
  log: (line: string) => void,
  send: () => Promise<void>,
  landed: () => Promise<boolean>,
  attempts = 4,
): Promise<unknown> {
  let error: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      await send();
      return undefined;
    } catch (err) {
      error = err;
      if (refusedByServer(err)) return err;
      log(`write failed (${describeError(err)}); reading back what landed`);
    }
    try {
      if (await landed()) return undefined;
    } catch (err) {
      log(`reading back failed: ${describeError(err)}`);
    }
    await pause(attempt);
  }
  return error;
}

/** Whether a published service shows the runtime configuration a PATCH body asked for. */
function matchesRuntime(service: PublishedService, body: RuntimeConfiguration): boolean {
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

/** The result of one service, from what the target runs at the end. */
function outcome(w: Work, observed: Observed | undefined, unreadable: boolean): ServiceResult {
  const e = w.entry;
  const result = baseResult(e, 'synced');
  result.serviceVersionId = w.versionId ?? null;
  result.verify = w.verify;
  if (unreadable) {
    return {
      ...result,
      action: 'failed',
      reason: w.failed?.reason ?? 'publish-failed',
      message: `${w.failed?.message ?? 'the sync may not have completed'}; the target group could not be read back, so its state is unknown: check it with api7-sync status`,
    };
  }
  const desired = targetRuntime(e);
  const atNew =
    observed !== undefined &&
    observed.running === w.versionId &&
    observed.service.status === 1 &&
    runtimeDrift(observed.service, desired).length === 0;
  const prev = e.target;
  const atOld = prev
    ? observed !== undefined &&
      observed.running === e.targetVersionId &&
      observed.service.status === prev.status &&
      runtimeDrift(observed.service, runtimeOf(prev)).length === 0
    : observed === undefined || observed.service.status === 0;
  if (!w.failed && atNew) {
    result.runtimeRepaired = e.drift.length > 0 && w.versionId === e.targetVersionId;
    return result;
  }
  if (w.failed && atOld && w.rolledBack) {
    const how = prev
      ? `back on ${prev.version || 'its previous version'} with its previous runtime configuration`
      : 'first sync into this group: the service is disabled again';
    return {
      ...result,
      action: 'rolled-back',
      reason: w.failed.reason,
      message: `${w.failed.message}; ${how}`,
    };
  }
  const where = observed
    ? `it runs ${observed.service.version || 'No Version'} (${observed.service.status === 1 ? 'enabled' : 'disabled'})`
    : 'it is absent';
  const reason = w.failed?.reason ?? 'publish-failed';
  const message = w.failed
    ? `${w.failed.message}; ${w.rolledBack ? `ROLLBACK INCOMPLETE: ${where}; roll back by hand with api7-sync rollback` : `not rolled back: ${where}`}`
    : `the target does not show the synced state: ${where}`;
  return { ...result, action: 'failed', reason, message };
}

/** The runtime configuration PATCH a synced service needs, or undefined when none is needed. */
function runtimeBody(w: Work, generation: Generation): RuntimeConfiguration | undefined {
  const e = w.entry;
  const desired = targetRuntime(e);
  const firstTime = !e.target;
  const disabled = e.target?.status !== 1;
  const versionChanged = w.versionId !== e.targetVersionId;
  // Legacy publish bodies carry the runtime configuration; only a same-version repair needs a PATCH.
  const needsRuntime =
    generation === 'modern' ? firstTime || e.drift.length > 0 : !versionChanged && e.drift.length > 0;
  if (!needsRuntime && !(disabled && !firstTime) && !(firstTime && generation === 'modern')) return undefined;
  return {
    ...(needsRuntime && desired.upstream ? { upstreams: desired.upstream } : {}),
    ...(needsRuntime && desired.hosts ? { hosts: desired.hosts } : {}),
    ...(needsRuntime && desired.path_prefix ? { path_prefix: desired.path_prefix } : {}),
    status: 1,
  };
}

export function baseResult(e: PlanEntry, action: ServiceResult['action']): ServiceResult {
  return {
    name: e.name,
    action,
    version: e.version,
    requestedVersion: e.requestedVersion,
    previousVersion: e.target ? (hasVersion(e.target) ? e.target.version! : null) : null,
    serviceVersionId: e.sourceVersionId ?? null,
    runtimeRepaired: false,
    runtime: e.runtimeLabel,
    verify: [],
    reason: e.reason,
    message: e.message,
  };
}
