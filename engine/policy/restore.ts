/**
 * Putting services that a finished promotion synced back where the plan found them: a watch that
 * failed after verification passed, or an earlier wave of an atomic fan-out. It is the same undo
 * as a failed apply (each service back on its previous version and runtime configuration, a
 * first-time sync removed), and the same reading back: the result says what the target runs.
 */
import type { Api7Client, Generation } from '../api7/client.js';
import { outcome } from '../apply/decide.js';
import { observeGroup } from '../apply/observe.js';
import { rollBack } from '../apply/undo.js';
import type { Run, Work } from '../apply/work.js';
import type { Plan, Reason, ServiceResult, SyncResult } from '../model.js';
import { isOk } from '../model.js';

export interface RestoreContext {
  client: Api7Client;
  generation: Generation;
  log: (line: string) => void;
}

/**
 * Rolls back the services of `names` that `result` shows synced, and says so in a new result:
 * `rolled-back` with `reason` and `why`, or `failed` with what remains when the target could not
 * be put back exactly.
 */
export async function undoSynced(
  plan: Plan,
  result: SyncResult,
  names: Set<string>,
  reason: Reason,
  why: (name: string) => string,
  ctx: RestoreContext,
): Promise<SyncResult> {
  if (!plan.to.group || !plan.from.group) return result;
  const works: Work[] = [];
  for (const s of result.services) {
    const entry = plan.entries.find((e) => e.name === s.name);
    if (!entry || !names.has(s.name) || s.action !== 'synced') continue;
    works.push({
      entry,
      versionId: s.serviceVersionId ?? entry.sourceVersionId,
      touched: true,
      failed: { reason, message: why(s.name) },
      verify: s.verify,
    });
  }
  if (works.length === 0) return result;
  const run: Run = {
    ctx,
    options: {},
    plan,
    sourceId: plan.from.group.id,
    targetId: plan.to.group.id,
    batchSize: 50,
    attempts: 4,
    verified: { passed: 0, failed: 0, started: false },
  };
  await rollBack(run, works);
  const view = await observeGroup(ctx.client, run.targetId, ctx.log);
  const after = new Map(
    works.map((w) => [w.entry.name, outcome(w, view?.get(w.entry.templateId!), !view, plan.to.environment)]),
  );
  const services = result.services.map((s): ServiceResult => {
    const o = after.get(s.name);
    return o ? { ...s, ...o } : s;
  });
  return { ...result, services, ok: isOk(services) };
}
