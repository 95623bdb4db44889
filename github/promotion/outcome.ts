/**
 * What a promotion run's result means for the records around it: how each promotion session
 * (lock and deployment) ends, and the one-line counts the doors print.
 */
import type { FanoutResult, SyncResult } from '../../engine/index.js';
import type { Signal } from './cancellation.js';

/**
 * How a promotion session (lock and deployment) records a result, interruption included: by a
 * signal, or by its own lock's lease that could not be confirmed (`lostLock`, the lease's reason).
 */
export function sessionOutcome(
  result: SyncResult | undefined,
  interruptedBy: Signal | undefined,
  lostLock?: string,
): { state: 'success' | 'failure'; description: string } {
  const counts = result ? countActions(result) : '';
  // A target the run finished before the signal (an earlier region of a fan-out) runs what it
  // was promoted to: its deployment says so, and that the run was interrupted after it.
  if (interruptedBy && result?.ok)
    return { state: 'success', description: `${counts}; then the run was interrupted by ${interruptedBy}` };
  // Failure, as the post step records a job cancelled before it could say more.
  if (interruptedBy)
    return {
      state: 'failure',
      description: `interrupted by ${interruptedBy}${counts ? `: ${counts}` : ' before it started'}`,
    };
  if (lostLock)
    return { state: 'failure', description: `stopped: ${lostLock}${counts ? `: ${counts}` : ''}` };
  if (!result) return { state: 'failure', description: 'api7-sync did not finish' };
  return { state: result.ok ? 'success' : 'failure', description: counts };
}

/** "298 interrupted, 2 synced". */
export function countActions(result: SyncResult | FanoutResult): string {
  const services = 'targets' in result ? result.targets.flatMap((t) => t.services) : result.services;
  const counts = new Map<string, number>();
  for (const s of services) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${action}`).join(', ');
}
