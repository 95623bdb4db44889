/**
 * Putting services that a finished promotion synced back where the plan found them: a watch that
 * failed after verification passed, or an earlier wave of an atomic fan-out. The plan holds what
 * each target ran before (version, runtime configuration, status); a first-time sync is disabled.
 * Writes go through `sendUntilLanded`, so a write is re-sent only when reading back shows it did
 * not land.
 */
import type { Api7Client, Generation, RuntimeConfiguration } from '../api7/client.js';
import { sendUntilLanded } from '../apply.js';
import type { Plan, PlanEntry, Reason, ServiceResult, SyncResult } from '../model.js';
import { isOk } from '../model.js';
import { rollbackItem } from '../publish-items.js';
import { runtimeDrift, type Api7Runtime } from '../runtime.js';

export interface RestoreContext {
  client: Api7Client;
  generation: Generation;
  log: (line: string) => void;
}

const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Restores one entry; returns why it could not, or undefined once the target is back. */
async function restoreEntry(entry: PlanEntry, plan: Plan, ctx: RestoreContext): Promise<string | undefined> {
  const groupId = plan.to.group!.id;
  const { client } = ctx;
  const current = async () =>
    (await client.publishedServices(groupId)).find((s) => s.service_id === entry.templateId);
  const prev = entry.target;
  if (prev && !entry.targetVersionId)
    return 'it ran no version before (edited by hand), so there is no version to go back to';
  if (prev && entry.targetVersionId) {
    const versionId = entry.targetVersionId;
    const error = await sendUntilLanded(
      ctx.log,
      () => client.publish(groupId, false, [rollbackItem(prev, versionId, ctx.generation)]),
      async () => {
        const now = await current();
        return now !== undefined && (await client.runningVersionId(groupId, now)) === versionId;
      },
    );
    if (error)
      return `going back to ${prev.version || 'its previous version'} failed: ${describeError(error)}`;
  }
  const body: RuntimeConfiguration = prev
    ? {
        ...(prev.upstream ? { upstreams: prev.upstream } : {}),
        ...(prev.hosts ? { hosts: prev.hosts } : {}),
        ...(prev.path_prefix ? { path_prefix: prev.path_prefix } : {}),
        status: prev.status ?? 1,
      }
    : { status: 0 };
  const wanted: Api7Runtime = prev
    ? {
        ...(prev.upstream ? { upstream: prev.upstream } : {}),
        ...(prev.hosts ? { hosts: prev.hosts } : {}),
        ...(prev.path_prefix ? { path_prefix: prev.path_prefix } : {}),
      }
    : {};
  const error = await sendUntilLanded(
    ctx.log,
    () => client.setRuntimeConfiguration(groupId, entry.templateId!, body),
    async () => {
      const now = await current();
      return now !== undefined && now.status === body.status && runtimeDrift(now, wanted).length === 0;
    },
  );
  return error ? `restoring its runtime configuration failed: ${describeError(error)}` : undefined;
}

/**
 * Rolls back the services of `names` that `result` shows synced, and says so in a new result:
 * `rolled-back` with `reason` and `why`, or `failed` when the target could not be put back.
 */
export async function undoSynced(
  plan: Plan,
  result: SyncResult,
  names: Set<string>,
  reason: Reason,
  why: (name: string) => string,
  ctx: RestoreContext,
): Promise<SyncResult> {
  if (!plan.to.group) return result;
  const victims = result.services.filter((s) => names.has(s.name) && s.action === 'synced');
  if (victims.length === 0) return result;
  ctx.log(`rolling back ${victims.map((s) => `"${s.name}"`).join(', ')} in "${plan.to.group.name}"`);
  const outcomes = new Map<string, string | undefined>();
  await Promise.all(
    victims.map(async (s) => {
      const entry = plan.entries.find((e) => e.name === s.name);
      outcomes.set(s.name, entry ? await restoreEntry(entry, plan, ctx) : 'it is not in the plan');
    }),
  );
  const services = result.services.map((s): ServiceResult => {
    if (!outcomes.has(s.name)) return s;
    const problem = outcomes.get(s.name);
    const entry = plan.entries.find((e) => e.name === s.name);
    const back = entry?.target
      ? `back on ${entry.target.version || 'its previous version'} with its previous runtime configuration`
      : 'first sync into this group: the service is disabled again';
    return problem
      ? {
          ...s,
          action: 'failed',
          reason,
          message: `${why(s.name)}; ROLLBACK INCOMPLETE: ${problem}; roll back by hand with api7-sync rollback`,
        }
      : { ...s, action: 'rolled-back', reason, message: `${why(s.name)}; ${back}` };
  });
  return { ...result, services, ok: isOk(services) };
}
