/**
 * Applying a plan: label "No Version" sources, sync in as few publish requests as the API
 * allows, set runtime configuration, verify through the target gateway, and roll back on failure.
 * A write is never blindly re-sent: after an ambiguous failure the target is read back.
 */
import {
  Api7Error,
  hasVersion,
  type Api7Client,
  type Generation,
  type PublishItem,
  type RuntimeConfiguration,
} from './api7/client.js';
import type { Plan, PlanEntry, ProbeResult, Reason, ServiceResult } from './model.js';
import { labelItem, rollbackItem, syncItem, targetRuntime } from './publish-items.js';
import { verifyProbes } from './verify.js';

export interface ApplyOptions {
  dryRun?: boolean;
  verify?: boolean;
  rollbackOnFailure?: boolean;
  /** A failure of any one service rolls back all (default: true when more than one is synced). */
  atomic?: boolean;
  verifyTimeoutMs?: number;
  verifyIntervalMs?: number;
  batchSize?: number;
}

export interface ApplyContext {
  client: Api7Client;
  generation: Generation;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** What happened to one service during apply. */
interface Work {
  entry: PlanEntry;
  /** The snapshot the target should run. */
  versionId?: string;
  /** True once anything in the target group may have changed for this service. */
  touched: boolean;
  failed?: { reason: Reason; message: string };
  verify: ProbeResult[];
  rollback?: 'done' | 'failed';
  rollbackMessage?: string;
}

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
  const work = new Map<PlanEntry, Work>(active.map((e) => [e, { entry: e, touched: false, verify: [] }]));
  const late = new Map<PlanEntry, { reason: Reason; message: string }>();

  // 1. The source may have moved since the plan: only its running version may be synced.
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

  // 2. "No Version" sources get their label in the source group first.
  const toLabel = [...work.values()].filter((w) => w.entry.newVersionLabel);
  for (const batch of chunks(toLabel, batchSize)) {
    log(
      `labelling ${batch.map((w) => `"${w.entry.name}" as ${w.entry.newVersionLabel}`).join(', ')} in the source group`,
    );
    try {
      await client.publish(
        sourceId,
        true,
        batch.map((w) => labelItem(w.entry, generation)),
      );
    } catch (err) {
      log(`labelling failed: ${describeError(err)}; reading the source group back`);
    }
    // Read back either way: the answer may have been lost after the server acted.
    const after = await client.publishedServices(sourceId);
    for (const w of batch) {
      const s = after.find((x) => x.service_id === w.entry.templateId);
      if (s && s.version === w.entry.newVersionLabel)
        w.versionId = await client.runningVersionId(sourceId, s);
      else
        w.failed = {
          reason: 'publish-failed',
          message: `could not label "${w.entry.name}" as ${w.entry.newVersionLabel} in the source group`,
        };
    }
  }

  // 3. Sync: one publish request per batch of services whose version changes.
  const toSync = [...work.values()].filter(
    (w) => !w.failed && w.versionId && w.versionId !== w.entry.targetVersionId,
  );
  for (const batch of chunks(toSync, batchSize)) {
    log(
      `syncing ${batch.map((w) => `"${w.entry.name}" ${w.entry.version}`).join(', ')} into "${plan.to.group.name}"`,
    );
    batch.forEach((w) => (w.touched = true));
    let error: unknown;
    try {
      await client.publish(
        targetId,
        false,
        batch.map((w) => syncItem(w.entry, generation, w.versionId!)),
      );
    } catch (err) {
      error = err;
      log(`sync request failed: ${describeError(err)}; reading the target group back`);
    }
    if (error) {
      // Attribute the batch error service by service from what the target now runs.
      const after = await client.publishedServices(targetId);
      for (const w of batch) {
        const s = after.find((x) => x.service_id === w.entry.templateId);
        const running = s ? await client.runningVersionId(targetId, s) : undefined;
        if (running !== w.versionId) {
          w.failed = {
            reason: 'publish-failed',
            message: `sync of "${w.entry.name}" failed: ${describeError(error)}`,
          };
          if (!(error instanceof Api7Error && error.ambiguous) && !s) w.touched = false;
        }
      }
    }
  }

  // 4. Runtime configuration: modern sets it (and enables) after the sync; both repair drift.
  await Promise.all(
    [...work.values()]
      .filter((w) => !w.failed)
      .map(async (w) => {
        const body = runtimeBody(w, generation);
        if (!body) return;
        w.touched = true;
        try {
          await client.setRuntimeConfiguration(targetId, w.entry.templateId!, body);
        } catch (err) {
          w.failed = {
            reason: 'runtime-failed',
            message: `setting the runtime configuration of "${w.entry.name}" failed: ${describeError(err)}`,
          };
        }
      }),
  );

  // 5. Verify through the target gateway.
  if (options.verify !== false && plan.to.gatewayUrl) {
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

  // 6. Roll back what failed, or everything touched when the promotion is atomic.
  const failures = [...work.values()].filter((w) => w.failed);
  if (failures.length > 0 && options.rollbackOnFailure !== false) {
    const atomic = options.atomic ?? plan.entries.length > 1;
    const victims = [...work.values()].filter((w) => w.touched && (w.failed || atomic));
    for (const w of victims) {
      if (!w.failed)
        w.failed = {
          reason: 'atomic-rollback',
          message: `rolled back because ${failures.map((f) => `"${f.entry.name}"`).join(', ')} failed (atomic promotion)`,
        };
    }
    await rollBack(victims, targetId, ctx, batchSize);
  }

  return plan.entries.map((e) => {
    if (late.has(e)) return { ...baseResult(e, 'refused'), ...late.get(e)! };
    const w = work.get(e);
    if (!w) return baseResult(e, e.decision === 'unchanged' ? 'unchanged' : 'refused');
    const result = baseResult(e, 'synced');
    result.serviceVersionId = w.versionId ?? null;
    result.verify = w.verify;
    result.runtimeRepaired = !w.failed && e.drift.length > 0 && w.versionId === e.targetVersionId;
    if (!w.failed) return result;
    const rolledBack = w.rollback === 'done';
    return {
      ...result,
      action: rolledBack ? 'rolled-back' : 'failed',
      reason: w.failed.reason,
      message: [w.failed.message, w.rollbackMessage].filter(Boolean).join('; '),
    };
  });
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

/** Puts each service back on its previous version and runtime configuration, or disables a first sync. */
async function rollBack(
  victims: Work[],
  targetId: string,
  ctx: ApplyContext,
  batchSize: number,
): Promise<void> {
  const { client, generation, log } = ctx;
  if (victims.length === 0) return;
  log(`rolling back ${victims.map((w) => `"${w.entry.name}"`).join(', ')}`);
  const existed = victims.filter((w) => w.entry.target && w.entry.targetVersionId);
  const firstTime = victims.filter((w) => !w.entry.target);
  const noVersionBefore = victims.filter((w) => w.entry.target && !w.entry.targetVersionId);
  for (const w of noVersionBefore) {
    w.rollback = 'failed';
    w.rollbackMessage =
      'the target ran a "No Version" service before, which cannot be restored by version; restore it by hand';
  }
  for (const batch of chunks(
    existed.filter((w) => w.versionId !== w.entry.targetVersionId),
    batchSize,
  )) {
    try {
      await client.publish(
        targetId,
        false,
        batch.map((w) => rollbackItem(w.entry.target!, w.entry.targetVersionId!, generation)),
      );
    } catch (err) {
      log(`rollback request failed: ${describeError(err)}; reading the target group back`);
    }
  }
  const restoreRuntime = async (w: Work, body: RuntimeConfiguration) => {
    try {
      await client.setRuntimeConfiguration(targetId, w.entry.templateId!, body);
    } catch (err) {
      w.rollback = 'failed';
      w.rollbackMessage = `restoring the runtime configuration failed: ${describeError(err)}`;
    }
  };
  await Promise.all([
    ...existed.map((w) => {
      const prev = w.entry.target!;
      return restoreRuntime(w, {
        ...(prev.upstream ? { upstreams: prev.upstream } : {}),
        ...(prev.hosts ? { hosts: prev.hosts } : {}),
        ...(prev.path_prefix ? { path_prefix: prev.path_prefix } : {}),
        status: (prev.status ?? 1) as 0 | 1,
      });
    }),
    ...firstTime.map((w) => restoreRuntime(w, { status: 0 })),
  ]);
  // Read back and report the state each service is really in.
  const after = await client.publishedServices(targetId);
  await Promise.all(
    victims.map(async (w) => {
      if (w.rollback === 'failed') return;
      const s = after.find((x) => x.service_id === w.entry.templateId);
      if (!w.entry.target) {
        const ok = !s || s.status === 0;
        w.rollback = ok ? 'done' : 'failed';
        w.rollbackMessage = ok
          ? 'first sync into this group: the service is disabled again'
          : 'could not disable the service again';
        return;
      }
      const running = s ? await client.runningVersionId(targetId, s) : undefined;
      const ok = running === w.entry.targetVersionId;
      w.rollback = ok ? 'done' : 'failed';
      w.rollbackMessage = ok
        ? `back on ${w.entry.target.version} with its previous runtime configuration`
        : `ROLLBACK FAILED: the target runs ${s?.version || 'nothing'}; roll back by hand with: api7-sync rollback --env <env> --service "${w.entry.name}"`;
    }),
  );
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

export type { PublishItem };
