/**
 * Applying a plan: label "No Version" sources, sync in as few publish requests as the API allows,
 * set runtime configuration, verify each service through the target gateway as its write lands,
 * and undo on failure.
 *
 * Before the first write, all or none: a refusal of any service (at plan time, or because the
 * source moved since) stops an atomic promotion. Once the first write is sent nothing here
 * throws: every failure becomes a per-service outcome, and the result is decided by reading the
 * target back at the end, so it says what the target really runs.
 */
import { Agent } from 'undici';
import { hasVersion } from '../api7/client.js';
import type { Plan, PlanEntry, ServiceResult } from '../model.js';
import { atomicLateRefusals, atomicRefusals, baseResult, outcome } from './decide.js';
import { asInterrupted, interruptedAfter, isInterrupted, report, stopBefore } from './interrupt.js';
import { labelSources, refuseLabelledConflicts } from './label.js';
import type { GroupView } from './observe.js';
import { promote } from './promote.js';
import { readBack } from './read-back.js';
import { rollBack } from './undo.js';
import type { ApplyContext, ApplyOptions, Failure, Run, Work } from './work.js';
import { messageOf } from '../errors.js';

export type { ApplyContext, ApplyOptions, ApplyProgress } from './work.js';
export { baseResult } from './decide.js';

export async function apply(plan: Plan, options: ApplyOptions, ctx: ApplyContext): Promise<ServiceResult[]> {
  const atomic = options.atomic ?? plan.entries.length > 1;
  const refusals = atomicRefusals(plan.entries, atomic);
  const active = plan.entries.filter((e) => e.decision === 'sync' && !refusals.has(e));
  const planned = () =>
    plan.entries.map((e) => {
      const refusal = refusals.get(e);
      if (refusal) return { ...baseResult(e, 'refused'), ...refusal };
      return baseResult(
        e,
        e.decision === 'sync' ? 'planned' : e.decision === 'unchanged' ? 'unchanged' : 'refused',
      );
    });
  if (options.dryRun || active.length === 0 || !plan.from.group || !plan.to.group) return planned();

  const run: Run = {
    ctx,
    options,
    plan,
    sourceId: plan.from.group.id,
    targetId: plan.to.group.id,
    batchSize: options.batchSize ?? 50,
    attempts: options.writeAttempts ?? 4,
    verified: { passed: 0, failed: 0, started: false },
  };
  // Before any write (errors still propagate): only the source's running version may move.
  const late = await sourceMoved(run, active);
  if (atomic) for (const [e, f] of atomicLateRefusals(active, late)) late.set(e, f);
  const work = new Map<PlanEntry, Work>(
    active
      .filter((e) => !late.has(e))
      .map((e) => [e, { entry: e, versionId: e.sourceVersionId, touched: false, verify: [] }]),
  );

  report(run, { step: 'start', total: work.size });
  // Interrupted while planning or reading the source: nothing was written, nothing to undo.
  if (isInterrupted(run)) stopBefore([...work.values()], 'written');
  else if (work.size > 0) await write(run, [...work.values()], atomic);

  const final = [...work.values()].some((w) => w.touched) ? await readBack(run) : (new Map() as GroupView);
  return plan.entries.map((e) => {
    const refusal = late.get(e) ?? refusals.get(e);
    if (refusal) return { ...baseResult(e, 'refused'), ...refusal };
    const w = work.get(e);
    if (!w) return baseResult(e, e.decision === 'unchanged' ? 'unchanged' : 'refused');
    if (w.failed?.reason === 'route-conflict' || w.failed?.reason === 'atomic-refusal')
      return { ...baseResult(e, 'refused'), ...w.failed };
    return asInterrupted(outcome(w, final?.get(e.templateId!), final === undefined, plan.to.environment));
  });
}

/** Services whose source runs another version than planned: refused, before any write. */
async function sourceMoved(run: Run, active: PlanEntry[]): Promise<Map<PlanEntry, Failure>> {
  const { client } = run.ctx;
  const late = new Map<PlanEntry, Failure>();
  // The plan counted them moments ago: every page is asked for at once.
  const fresh = await client.publishedServices(run.sourceId, active.length);
  await Promise.all(
    active.map(async (entry) => {
      const now = fresh.find((s) => s.service_id === entry.templateId);
      const running = now ? await client.runningVersionId(run.sourceId, now) : undefined;
      const moved = entry.newVersionLabel ? !now || hasVersion(now) : running !== entry.sourceVersionId;
      if (moved) {
        late.set(entry, {
          reason: 'not-current-version',
          message: `the source group's running version of "${entry.name}" changed since the plan (now ${now?.version || 'No Version'}); plan again`,
        });
      }
    }),
  );
  return late;
}

/** The writes, then the undo of what failed (of everything touched, when atomic). */
async function write(run: Run, works: Work[], atomic: boolean): Promise<void> {
  const { log } = run.ctx;
  // One keep-alive pool for all probes: hundreds of services need not open hundreds of sockets.
  const verifying = run.options.verify !== false && Boolean(run.plan.to.gatewayUrl);
  if (verifying) run.probes = new Agent({ connections: 32, keepAliveTimeout: 5_000 });
  try {
    // Labelling writes to the source group: an interrupt before it leaves both groups untouched.
    if (isInterrupted(run)) stopBefore(works, 'written');
    await labelSources(run, works);
    const conflicts = await refuseLabelledConflicts(run, works);
    if (atomic && conflicts.length > 0) {
      const why = conflicts.map((w) => `"${w.entry.name}"`).join(', ');
      for (const w of works)
        w.failed ??= {
          reason: 'atomic-refusal',
          message: `nothing was written to the target because ${why} was refused (route conflict) and the promotion is all-or-none (atomic)`,
        };
    }
    await promote(run, works);
  } catch (err) {
    // Not expected: every step handles its own failures. Whatever it was, fail what is unfinished.
    log(`unexpected failure: ${messageOf(err)}`);
    for (const w of works)
      w.failed ??= { reason: 'publish-failed', message: `unexpected failure: ${messageOf(err)}` };
  } finally {
    await run.probes?.close();
  }
  const { passed, failed } = run.verified;
  if (passed + failed > 0)
    log(`verification through ${run.plan.to.gatewayUrl}: ${passed} passed, ${failed} failed`);

  const failures = works.filter((w) => w.failed);
  const victims = works.filter((w) => w.touched && (w.failed || atomic));
  if (failures.length === 0 || victims.length === 0 || run.options.rollbackOnFailure === false) return;
  for (const w of victims) {
    if (isInterrupted(run)) w.failed ??= interruptedAfter(w);
    w.failed ??= {
      reason: 'atomic-rollback',
      message: `rolled back because ${failures.map((f) => `"${f.entry.name}"`).join(', ')} failed (atomic promotion)`,
    };
  }
  await rollBack(run, victims);
  for (const w of victims) report(run, { step: 'undone', service: w.entry.name });
}
