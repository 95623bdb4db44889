/**
 * Cancellation inside apply (DESIGN §15). Once `options.signal` is aborted, each step checks it
 * before its next write and stops; the services it stopped carry the reason `interrupted`, and
 * the undo that follows is decided by the same all-or-none and rollback rules as a failure.
 */
import type { PlanEntry, ServiceResult } from '../model.js';
import type { ApplyStep, Run, Work } from './work.js';
import { messageOf } from '../errors.js';

export const isInterrupted = (run: Run): boolean => run.options.signal?.aborted === true;

/** What the target ran before this promotion, in words. */
const before = (e: PlanEntry): string =>
  e.target
    ? `the target still runs ${e.target.version || 'No Version'} of it`
    : 'it is still absent from the target group';

/** Marks works the interrupt stopped before `step` (each keeps a failure it already had). */
export function stopBefore(works: Work[], step: 'written' | 'configured' | 'verified'): void {
  for (const w of works) {
    const name = `"${w.entry.name}"`;
    w.failed ??= {
      reason: 'interrupted',
      message:
        step === 'written'
          ? `the promotion was interrupted before ${name} was written; ${before(w.entry)}`
          : `the promotion was interrupted before ${name} was ${step === 'configured' ? 'configured and verified' : 'verified'}`,
    };
  }
}

/** Why a finished service of an all-or-none promotion is undone after an interrupt. */
export const interruptedAfter = (w: Work) => ({
  reason: 'interrupted' as const,
  message: `the promotion was interrupted after "${w.entry.name}" was synced, and it is all-or-none (atomic)`,
});

/**
 * An interrupted service reads `interrupted` whatever its undo did; its message (from `outcome`)
 * says what the target runs now. A service that failed on its own keeps its own result.
 */
export function asInterrupted(result: ServiceResult): ServiceResult {
  if (result.reason !== 'interrupted' || (result.action !== 'failed' && result.action !== 'rolled-back'))
    return result;
  return { ...result, action: 'interrupted' };
}

/** Tells the caller's progress listener; a listener that throws never stops a promotion. */
export function report(run: Run, event: ApplyStep): void {
  try {
    run.options.onProgress?.({ ...event, targetEnvironment: run.plan.to.environment });
  } catch (err) {
    run.ctx.log(`progress listener failed: ${messageOf(err)}`);
  }
}
