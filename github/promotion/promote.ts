/**
 * The promotion itself, under the sessions a run holds (DESIGN §8): plan every target again now
 * that the locks are held, let the door look at the plans (log them, check approvals still hold,
 * say it is running), record each target's deployment, then write through the engine's fan-out
 * (one target is a fan-out of one wave), stopped by a signal or a lost lock before its next write.
 */
import {
  fanOut,
  resolveWaves,
  type ApplyOptions,
  type ApplyProgress,
  type Config,
  type Engine,
  type FanoutRequest,
  type FanoutResult,
  type Plan,
  type SyncResult,
  type WatchOptions,
} from '../../engine/index.js';
import type { DeploymentRequest } from '../session.js';
import type { Cancellation } from './cancellation.js';
import { lostLocks, stopSignal, type Sessions } from './sessions.js';

/** One target as planned under the locks; `plan` is absent when it could not be planned yet. */
export interface PlannedTarget {
  environment: string;
  plan?: Plan;
  /** The plan applied as a dry run: what the promotion will do there. */
  preview?: SyncResult;
}

export interface PromoteOptions {
  /** One environment, a list (`eu,us`) or a tag (`@production`), as the person gave it. */
  to: string;
  engine: Engine;
  config: Config;
  request: Omit<FanoutRequest, 'to'>;
  apply: ApplyOptions & WatchOptions;
  cancellation?: Cancellation;
  /** One more reason to stop before the next write: the bot shutting down (chat-ops). */
  signal?: AbortSignal;
  /**
   * Told the plans before anything is recorded or written; false stops the run there (chat-ops:
   * the approvals lapsed). The door logs them or moves its request to `running`.
   */
  beforeWrite?: (planned: PlannedTarget[]) => Promise<boolean | void>;
  /** The deployment to record for a target, if any. */
  deployment?: (target: PlannedTarget) => DeploymentRequest | undefined;
  /** Told each deployment recorded (the Action's post step needs its id should the job be cancelled). */
  onRecorded?: (environment: string, deploymentId: number) => void;
  onProgress?: (event: ApplyProgress) => void;
  /** Progress lines of a fan-out (`wave 2 of 3: us, ap`). */
  log?: (line: string) => void;
}

export interface Promoted {
  result: FanoutResult;
  /** Why the promotion stopped in each environment whose lock was lost, in the lease's words. */
  lostLocks: Map<string, string>;
  /** When planning under the locks was done (`performance.now()`). */
  plannedAt: number;
}

/** Plans, records and writes under `sessions`; undefined when the door's `beforeWrite` said stop. */
export async function promoteUnder(
  sessions: Sessions,
  options: PromoteOptions,
): Promise<Promoted | undefined> {
  const { engine, config } = options;
  const waves = resolveWaves(config, options.to);
  const planned = await planTargets(options, waves.flat());
  const plannedAt = performance.now();
  if ((await options.beforeWrite?.(planned)) === false) return undefined;
  for (const target of planned) {
    const session = sessions.get(target.environment);
    const request = session && options.deployment?.(target);
    if (!session || !request) continue;
    options.onRecorded?.(target.environment, await session.recordDeployment(request));
  }
  const { cancellation } = options;
  const result = await fanOut(
    reusing(engine, planned, waves[0] ?? []),
    config,
    { ...options.request, to: options.to },
    {
      ...options.apply,
      signal: stopSignal(sessions, cancellation?.signal, options.signal),
      onProgress: (event) => {
        cancellation?.track(event);
        options.onProgress?.(event);
      },
    },
    // One target is a fan-out of one wave: no wave lines for it.
    waves.flat().length > 1 ? options.log : undefined,
  );
  return { result, lostLocks: lostLocks(sessions), plannedAt };
}

/**
 * Every target planned now, under the locks. A plan that fails is left to the fan-out, which
 * reports it as that target's failure; with one target, its error is the run's.
 */
async function planTargets(options: PromoteOptions, targets: string[]): Promise<PlannedTarget[]> {
  const { engine } = options;
  const settled = await Promise.allSettled(
    targets.map(async (environment): Promise<PlannedTarget> => {
      const from = sourceFor(options.config, environment, options.request.from);
      // No source: the fan-out refuses it (`promote-from`) with the words a person needs.
      if (!from) return { environment };
      const plan = await engine.plan({ ...options.request, from, to: environment });
      return { environment, plan, preview: await engine.apply(plan, { dryRun: true }) };
    }),
  );
  return settled.map((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    if (targets.length === 1) throw s.reason;
    return { environment: targets[i]! };
  });
}

/** The source of a target: the one given, or its only `promoteFrom` (as the fan-out reads it). */
function sourceFor(config: Config, target: string, from: string | undefined): string | undefined {
  if (from) return from;
  const allowed = config.environments[target]?.promoteFrom;
  const list = allowed === undefined ? [] : [allowed].flat();
  return list.length === 1 ? list[0] : undefined;
}

/**
 * The engine as the fan-out sees it: the first wave's targets are written from the plans just
 * made and shown (what the door recorded and approved is what runs); a later wave is planned
 * again when its turn comes, since an earlier wave may be its source.
 */
function reusing(
  engine: Engine,
  planned: PlannedTarget[],
  firstWave: string[],
): Pick<Engine, 'plan' | 'apply' | 'undo'> {
  const ready = new Map(
    planned.filter((t) => t.plan && firstWave.includes(t.environment)).map((t) => [t.environment, t.plan!]),
  );
  return {
    plan: async (req) => {
      const plan = ready.get(req.to);
      ready.delete(req.to);
      return plan ?? engine.plan(req);
    },
    apply: (plan, options) => engine.apply(plan, options),
    undo: (plan, result, reason, message) => engine.undo(plan, result, reason, message),
  };
}
