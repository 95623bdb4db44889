/**
 * Fan-out: one promotion into several environments (regions), in waves.
 * `--to eu,us,ap` runs one environment per wave, in the order given; `--to @production` selects
 * every environment tagged `production`, ordered by `wave` (same wave in parallel). Each wave is
 * planned, written and verified before the next. A wave that is not ok stops the rollout and is
 * rolled back whole; with `atomic` the earlier waves are rolled back too. Across targets the
 * default is not atomic: a region that went well stays.
 */
import type { Config } from './config/types.js';
import { SyncError, messageOf } from './errors.js';
import type { BreakGlass, Plan, Reason, SyncResult } from './model.js';
import type { ApplyOptions } from './apply/index.js';
import type { PlanRequest } from './plan.js';
import type { PolicyOptions } from './policy/plan-policies.js';
import type { WatchOptions } from './policy/watch.js';

/** What a fan-out needs of an engine (the engine of `createEngine` is one). */
export interface FanoutEngine {
  plan(req: PlanRequest & PolicyOptions): Promise<Plan>;
  apply(plan: Plan, options?: ApplyOptions & WatchOptions): Promise<SyncResult>;
  undo(plan: Plan, result: SyncResult, reason: Reason, message: string): Promise<SyncResult>;
}

export interface FanoutResult {
  schemaVersion: 1;
  targets: SyncResult[];
  ok: boolean;
  durationMs: number;
  breakGlass?: BreakGlass;
}

export type FanoutRequest = Omit<PlanRequest, 'from' | 'to'> &
  PolicyOptions & {
    /** The source; default: each target's only `promoteFrom`. */
    from?: string;
    /** `eu,us,ap` or `@tag`. */
    to: string;
  };

/** Whether `--to` names several targets (a list or a tag) rather than one environment. */
export function isFanout(to: string): boolean {
  return to.includes(',') || to.startsWith('@');
}

/** The waves of a `--to` value, each a list of environment names. Throws a usage error. */
export function resolveWaves(config: Config, to: string): string[][] {
  if (to.startsWith('@')) {
    const tag = to.slice(1);
    const tagged = Object.entries(config.environments).filter(([, e]) => e.tags?.includes(tag));
    if (tagged.length === 0) {
      const known = [...new Set(Object.values(config.environments).flatMap((e) => e.tags ?? []))];
      throw new SyncError(
        'usage',
        `no environment in ${config.file} is tagged "${tag}"; ${known.length ? `tags there: ${known.join(', ')}` : 'add tags: [' + tag + '] to the environments to promote together'}`,
      );
    }
    const byWave = new Map<number, string[]>();
    for (const [name, env] of tagged) byWave.set(env.wave ?? 0, [...(byWave.get(env.wave ?? 0) ?? []), name]);
    return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, names]) => names.sort());
  }
  const names = to.split(',').map((n) => n.trim());
  if (names.some((n) => n === ''))
    throw new SyncError('usage', `"${to}" has an empty environment name; write --to eu,us,ap`);
  const seen = names.filter((n, i) => names.indexOf(n) !== i);
  if (seen.length) throw new SyncError('usage', `"${seen[0]}" is named twice in --to ${to}`);
  return names.map((n) => [n]);
}

/** Every environment a fan-out may write to, sorted: the order its locks are taken in. */
export function lockOrder(waves: string[][]): string[] {
  return waves.flat().sort();
}

/** The source for one target: the one given, or the target's only `promoteFrom`. */
function sourceFor(config: Config, target: string, from: string | undefined): string | undefined {
  if (from) return from;
  const allowed = config.environments[target]?.promoteFrom;
  const list = allowed === undefined ? [] : [allowed].flat();
  return list.length === 1 ? list[0] : undefined;
}

/** A result for a target that was never planned: every service refused for `reason`. */
export function notRun(
  config: Config,
  req: FanoutRequest,
  target: string,
  reason: Reason,
  message: string,
): SyncResult {
  const names = req.services?.length ? req.services : Object.keys(config.services);
  return {
    schemaVersion: 1,
    operation: 'promotion',
    from: { environment: sourceFor(config, target, req.from) ?? '', gatewayGroup: null },
    to: { environment: target, gatewayGroup: config.environments[target]?.gatewayGroup ?? null },
    dryRun: false,
    services: names.map((name) => ({
      name,
      action: 'refused',
      version: null,
      requestedVersion: req.expectVersion ?? null,
      previousVersion: null,
      serviceVersionId: null,
      runtimeRepaired: false,
      runtime: null,
      verify: [],
      reason,
      message,
      drift: [],
      warnings: [],
    })),
    ok: false,
    durationMs: 0,
  };
}

/** A target the interrupt reached before its wave started: nothing was written there. */
function interruptedBeforeStart(config: Config, req: FanoutRequest, target: string): SyncResult {
  const result = notRun(
    config,
    req,
    target,
    'interrupted',
    `not started: the fan-out was interrupted before "${target}"; nothing was written there`,
  );
  return markInterrupted(result);
}

/** Entries undone or stopped by an interrupt read `interrupted`; their message says what runs. */
function markInterrupted(result: SyncResult): SyncResult {
  const services = result.services.map((s) =>
    s.reason === 'interrupted' && s.action !== 'synced' ? { ...s, action: 'interrupted' as const } : s,
  );
  return { ...result, services, ok: false };
}

export async function fanOut(
  engine: FanoutEngine,
  config: Config,
  req: FanoutRequest,
  options: ApplyOptions & WatchOptions = {},
  log: (line: string) => void = () => {},
): Promise<FanoutResult> {
  const started = Date.now();
  const waves = resolveWaves(config, req.to);
  const results = new Map<string, SyncResult>();
  const plans = new Map<string, Plan>();
  const done: string[][] = [];
  let stopped: { wave: number; targets: string[]; interrupted?: boolean } | undefined;
  const undoWaves = async (
    targets: string[],
    reason: 'atomic-rollback' | 'interrupted',
    failed: string[] = [],
  ) =>
    Promise.all(
      targets
        .filter((t) => results.get(t)!.ok)
        .map(async (target) => {
          const message =
            reason === 'interrupted'
              ? `rolled back because the fan-out was interrupted${options.atomic ? ' (atomic fan-out)' : ''}`
              : `rolled back because ${failed.map((f) => `"${f}"`).join(', ')} failed in wave ${stopped!.wave + 1}${options.atomic ? ' (atomic fan-out)' : ''}`;
          const undone = await engine.undo(plans.get(target)!, results.get(target)!, reason, message);
          results.set(target, reason === 'interrupted' ? markInterrupted(undone) : undone);
        }),
    );

  for (const [index, wave] of waves.entries()) {
    // Cancelled between waves: no wave starts after the interrupt; with atomic the done ones are undone.
    if (!stopped && options.signal?.aborted && !options.dryRun) {
      stopped = { wave: index, targets: [], interrupted: true };
      if (options.atomic && options.rollbackOnFailure !== false) await undoWaves(done.flat(), 'interrupted');
    }
    if (stopped?.interrupted) {
      for (const target of wave) results.set(target, interruptedBeforeStart(config, req, target));
      continue;
    }
    if (stopped) {
      const message = `not started: wave ${stopped.wave + 1} (${stopped.targets.join(', ')}) did not succeed`;
      for (const target of wave) results.set(target, notRun(config, req, target, 'not-started', message));
      continue;
    }
    log(`wave ${index + 1} of ${waves.length}: ${wave.join(', ')}`);
    await Promise.all(
      wave.map(async (target) => {
        const from = sourceFor(config, target, req.from);
        if (!from) {
          results.set(
            target,
            notRun(config, req, target, 'promote-from', `say where "${target}" is promoted from: --from ENV`),
          );
          return;
        }
        try {
          const plan = await engine.plan({ ...req, from, to: target });
          plans.set(target, plan);
          results.set(target, await engine.apply(plan, options));
        } catch (err) {
          // Apply never throws once it has written: this target is unchanged, and the rollout stops here.
          const why = messageOf(err);
          const failed = notRun(
            config,
            req,
            target,
            'publish-failed',
            `"${target}" could not be promoted: ${why}`,
          );
          results.set(target, {
            ...failed,
            services: failed.services.map((s) => ({ ...s, action: 'failed', reason: null })),
          });
        }
      }),
    );
    const failed = wave.filter((t) => !results.get(t)!.ok);
    if (failed.length === 0 || options.dryRun) {
      done.push(wave);
      continue;
    }
    const interrupted = options.signal?.aborted === true;
    stopped = { wave: index, targets: failed, interrupted };
    if (options.rollbackOnFailure === false) continue;
    // The failing wave is rolled back whole; with atomic, every wave before it too.
    await undoWaves(
      [wave, ...(options.atomic ? done : [])].flat(),
      interrupted ? 'interrupted' : 'atomic-rollback',
      failed,
    );
  }

  const targets = waves.flat().map((t) => results.get(t)!);
  const breakGlass = targets.find((t) => t.breakGlass)?.breakGlass;
  return {
    schemaVersion: 1,
    targets,
    ok: targets.every((t) => t.ok),
    durationMs: Date.now() - started,
    ...(breakGlass ? { breakGlass } : {}),
  };
}
