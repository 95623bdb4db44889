/**
 * The one promotion run every door calls (DESIGN §8): claim the sessions in the engine's lock
 * order, promote under them (promote.ts), end each session with its own target's outcome, and
 * return one result for the door to translate: the multi-target document, which a door that was
 * given one environment unwraps. Notifications wait until the door has shown the result.
 */
import {
  isFanout,
  lockOrder,
  notRun,
  resolveWaves,
  type FanoutResult,
  type SyncResult,
} from '../../engine/index.js';
import type { PromotionSession, SessionOutcome } from '../session.js';
import type { Signal } from './cancellation.js';
import { promoteUnder, type PromoteOptions } from './promote.js';
import { claimSessions, endSessions, type SessionFactory, type Sessions } from './sessions.js';

export interface RunOptions extends PromoteOptions {
  /** Starts each environment's session; absent for dry runs and runs without lock or deployment. */
  sessions?: SessionFactory;
  /** Links the ended deployments carry. */
  ending?: (environment: string) => Pick<SessionOutcome, 'environmentUrl' | 'logUrl'>;
  /** Tells one target's result to the door's webhooks; `deploymentId` when one was recorded. */
  notify?: (target: SyncResult, deploymentId: number | undefined) => Promise<unknown>;
}

export interface PromotionRun {
  result: FanoutResult;
  /** One environment was named: the door prints `result.targets[0]`, a single promotion's document. */
  single: boolean;
  /** The signal that interrupted the run, if one did. */
  interruptedBy: Signal | undefined;
  /** Why the promotion stopped in each environment whose lock was lost. */
  lostLocks: Map<string, string>;
  /** When the lock was held elsewhere: which and by whom, in words (every target `lock-held`). */
  lockHeld?: string;
  /** When planning under the locks was done (`performance.now()`), for the CLI's phases. */
  plannedAt: number;
  /** What ending the sessions left behind (a lock still held, a deployment still open). */
  problems: string[];
  /** Tells each target's result to the door's webhooks: call it once the result is shown. */
  announce(): Promise<void>;
}

export async function runPromotion(options: RunOptions): Promise<PromotionRun> {
  const waves = resolveWaves(options.config, options.to);
  const single = !isFanout(options.to);
  const write = !options.apply.dryRun && options.sessions;
  const claim = write
    ? await claimSessions(lockOrder(waves), write)
    : { ok: true as const, sessions: new Map() };
  if (!claim.ok) {
    const targets = waves
      .flat()
      .map((t) => notRun(options.config, runRequest(options), t, 'lock-held', claim.message));
    return finished(options, { single, sessions: new Map(), lockHeld: claim.message }, held(targets));
  }
  const { sessions } = claim;
  let promoted: Awaited<ReturnType<typeof promoteUnder>>;
  try {
    promoted = await promoteUnder(sessions, options);
  } catch (err) {
    // Nothing to show: each session says the run did not finish (or was interrupted).
    await endSessions(sessions, undefined, options.cancellation?.interruptedBy, options.ending);
    throw err;
  }
  const result = promoted?.result ?? held([]);
  const problems = await endSessions(sessions, result, options.cancellation?.interruptedBy, options.ending);
  return finished(
    options,
    { single, sessions, lostLocks: promoted?.lostLocks, plannedAt: promoted?.plannedAt, problems },
    result,
  );
}

function runRequest(options: RunOptions) {
  return { ...options.request, to: options.to };
}

function held(targets: SyncResult[]): FanoutResult {
  return { schemaVersion: 1, targets, ok: false, durationMs: 0 };
}

function finished(
  options: RunOptions,
  run: {
    single: boolean;
    sessions: Sessions;
    lockHeld?: string;
    lostLocks?: Map<string, string>;
    plannedAt?: number;
    problems?: string[];
  },
  result: FanoutResult,
): PromotionRun {
  const deployments = new Map(
    [...run.sessions].map(([env, s]: [string, PromotionSession]) => [env, s.deploymentId]),
  );
  return {
    result,
    single: run.single,
    interruptedBy: options.cancellation?.interruptedBy,
    lostLocks: run.lostLocks ?? new Map(),
    ...(run.lockHeld ? { lockHeld: run.lockHeld } : {}),
    plannedAt: run.plannedAt ?? performance.now(),
    problems: run.problems ?? [],
    announce: async () => {
      for (const target of result.targets)
        await options.notify?.(target, deployments.get(target.to.environment));
    },
  };
}
