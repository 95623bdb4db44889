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

/** Where a rollout stands: what each target got, the plans to undo, the waves that went well. */
interface Rollout {
  engine: FanoutEngine;
  config: Config;
  req: FanoutRequest;
  options: ApplyOptions & WatchOptions;
  results: Map<string, SyncResult>;
  plans: Map<string, Plan>;
  done: string[][];
  stopped?: { wave: number; targets: string[]; interrupted?: boolean };
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
  const r: Rollout = { engine, config, req, options, results: new Map(), plans: new Map(), done: [] };

  for (const [index, wave] of waves.entries()) {
    // Cancelled between waves: no wave starts after the interrupt; with atomic the done ones are undone.
    if (!r.stopped && options.signal?.aborted && !options.dryRun) {
      r.stopped = { wave: index, targets: [], interrupted: true };
      if (options.atomic && options.rollbackOnFailure !== false)
        await undoTargets(r, r.done.flat(), 'interrupted');
    }
    if (r.stopped) {
      skipWave(r, wave);
      continue;
    }
    log(`wave ${index + 1} of ${waves.length}: ${wave.join(', ')}`);
    await Promise.all(wave.map(async (target) => r.results.set(target, await promoteTarget(r, target))));
    const failed = wave.filter((t) => !r.results.get(t)!.ok);
    if (failed.length === 0 || options.dryRun) {
      r.done.push(wave);
      continue;
    }
    const interrupted = options.signal?.aborted === true;
    r.stopped = { wave: index, targets: failed, interrupted };
    if (options.rollbackOnFailure === false) continue;
    // The failing wave is rolled back whole; with atomic, every wave before it too.
    await undoTargets(
      r,
      [wave, ...(options.atomic ? r.done : [])].flat(),
      interrupted ? 'interrupted' : 'atomic-rollback',
      failed,
    );
  }

  const targets = waves.flat().map((t) => r.results.get(t)!);
  const breakGlass = targets.find((t) => t.breakGlass)?.breakGlass;
  return {
    schemaVersion: 1,
    targets,
    ok: targets.every((t) => t.ok),
    durationMs: Date.now() - started,
    ...(breakGlass ? { breakGlass } : {}),
  };
}

/** One target of a wave: planned and applied, or a result that says why it was not. */
async function promoteTarget(r: Rollout, target: string): Promise<SyncResult> {
  const { engine, config, req } = r;
  const from = sourceFor(config, target, req.from);
  if (!from)
    return notRun(config, req, target, 'promote-from', `say where "${target}" is promoted from: --from ENV`);
  try {
    const plan = await engine.plan({ ...req, from, to: target });
    r.plans.set(target, plan);
    return await engine.apply(plan, r.options);
  } catch (err) {
    // Apply never throws once it has written: this target is unchanged, and the rollout stops here.
    const failed = notRun(
      config,
      req,
      target,
      'publish-failed',
      `"${target}" could not be promoted: ${messageOf(err)}`,
    );
    return { ...failed, services: failed.services.map((s) => ({ ...s, action: 'failed', reason: null })) };
  }
}

/** A wave after the rollout stopped: none of its targets is touched. */
function skipWave(r: Rollout, wave: string[]): void {
  const { config, req, stopped } = r;
  if (stopped?.interrupted) {
    for (const target of wave) r.results.set(target, interruptedBeforeStart(config, req, target));
    return;
  }
  const message = `not started: wave ${stopped!.wave + 1} (${stopped!.targets.join(', ')}) did not succeed`;
  for (const target of wave) r.results.set(target, notRun(config, req, target, 'not-started', message));
}

/** Rolls back the targets that went well, saying why: a failed wave, or an interrupt. */
async function undoTargets(
  r: Rollout,
  targets: string[],
  reason: 'atomic-rollback' | 'interrupted',
  failed: string[] = [],
): Promise<void> {
  const atomic = r.options.atomic ? ' (atomic fan-out)' : '';
  const message =
    reason === 'interrupted'
      ? `rolled back because the fan-out was interrupted${atomic}`
      : `rolled back because ${failed.map((f) => `"${f}"`).join(', ')} failed in wave ${r.stopped!.wave + 1}${atomic}`;
  await Promise.all(
    targets
      .filter((t) => r.results.get(t)!.ok)
      .map(async (target) => {
        const undone = await r.engine.undo(r.plans.get(target)!, r.results.get(target)!, reason, message);
        r.results.set(target, reason === 'interrupted' ? markInterrupted(undone) : undone);
      }),
  );
}
