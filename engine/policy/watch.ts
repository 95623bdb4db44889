/**
 * Watch: keep probing after verification passed (`environments.<env>.verify.watch` or
 * `services.<name>.watch`), because a broken upstream often fails only minutes later. A failure
 * inside the window rolls the service back (`watch-failed`); an atomic promotion rolls back every
 * service it synced. The window is measured on the engine's clock; between rounds the watch sleeps
 * `intervalMs`, or less when the window ends sooner, and probes a last time when it ends.
 *
 * Interrupted while watching (`cancel`, DESIGN §15): a service whose window had not ended is not
 * yet known to work, so it is undone like one interrupted before its verification (every synced
 * service, when atomic), and the result says `interrupted` with what the target runs now.
 */
import { setMaxListeners } from 'node:events';
import { asInterrupted } from '../apply/interrupt.js';
import type { Config, Probe } from '../config/types.js';
import type { ApplyProgress, ApplyStep } from '../apply/work.js';
import type { Plan, SyncResult } from '../model.js';
import { targetRuntime } from '../publish-items.js';
import { formatDuration, parseDuration } from './duration.js';
import { undoSynced, type RestoreContext } from './restore.js';
import { probeOnce, sleep } from '../verify.js';

export interface WatchOptions {
  /** False skips the watch even where the config asks for one. */
  watch?: boolean;
  /** How often to probe while watching (default 5000 ms). */
  watchIntervalMs?: number;
  /** As for apply: false leaves a failed service as it is, and says so. */
  rollbackOnFailure?: boolean;
  /** As for apply: told of each service the watch fails and each it undoes. */
  onProgress?: (event: ApplyProgress) => void;
}

export interface WatchContext extends RestoreContext {
  config: Config;
  now: () => number;
  /** A hard stop: requests and probes in flight end at once. */
  signal?: AbortSignal;
  /** The promotion was interrupted (a first SIGINT or SIGTERM): stop watching, undo, say so. */
  cancel?: AbortSignal;
  /** Whether a failure of one service rolls back every service of the promotion. */
  atomic: boolean;
}

interface Watched {
  name: string;
  probes: Probe[];
  host?: string;
  windowMs: number;
}

/** The services of `result` to watch, with their windows. */
function watched(plan: Plan, result: SyncResult, config: Config): Watched[] {
  const envWatch = config.environments[plan.to.environment]?.verify?.watch;
  return result.services.flatMap((s) => {
    const entry = plan.entries.find((e) => e.name === s.name);
    const text = config.services[s.name]?.watch ?? envWatch;
    const windowMs = text === undefined ? undefined : parseDuration(text);
    if (s.action !== 'synced' || !entry || !entry.probes.length || !windowMs) return [];
    return [{ name: s.name, probes: entry.probes, host: targetRuntime(entry).hosts?.[0], windowMs }];
  });
}

export async function watchAfterVerify(
  plan: Plan,
  result: SyncResult,
  options: WatchOptions,
  ctx: WatchContext,
): Promise<SyncResult> {
  const gatewayUrl = plan.to.gatewayUrl;
  const targets = watched(plan, result, ctx.config);
  if (options.watch === false || !gatewayUrl || targets.length === 0) return result;
  const interval = options.watchIntervalMs ?? 5_000;
  const start = ctx.now();
  // Probes and sleeps end at once on either signal; only `cancel` calls for the undo.
  const stop = anyOf(ctx.signal, ctx.cancel);
  // A service is probed until its window ends, the last time at (or just after) its end: the
  // sleeps between rounds are never longer than the time left, so a short window is watched too.
  const finished = new Set<Watched>();
  /** Services whose last probe, at the end of their window, passed. */
  const done = new Set<Watched>();
  const interrupted = () =>
    interruptWatch(
      plan,
      result,
      targets.filter((t) => !done.has(t)),
      ctx.now() - start,
      options,
      ctx,
    );
  for (;;) {
    if (ctx.cancel?.aborted) return interrupted();
    const elapsed = ctx.now() - start;
    const active = targets.filter((t) => !finished.has(t));
    if (active.length === 0 || ctx.signal?.aborted) break;
    // A timer may fire a millisecond before the clock reads the window's end: a round that close
    // to the end is the last one, rather than one more probe and a misleading "1s left".
    for (const t of active) if (elapsed >= t.windowMs - END_SLACK_MS) finished.add(t);
    const left = Math.max(0, Math.max(...active.map((t) => t.windowMs)) - elapsed);
    ctx.log(
      `watching ${active.map((t) => `"${t.name}"`).join(', ')}: ${left > 0 ? `${formatDuration(left)} left` : 'last probe'}`,
    );
    const failures = await probeRound(active, gatewayUrl, stop);
    // A probe cut short by the interrupt is no failure of the service.
    if (ctx.cancel?.aborted) return interrupted();
    if (failures.length > 0)
      return told(result, await failWatch(plan, result, failures, elapsed, options, ctx), failures, {
        plan,
        options,
        log: ctx.log,
      });
    for (const t of active) if (finished.has(t)) done.add(t);
    const after = ctx.now() - start;
    const next = targets.filter((t) => !finished.has(t)).map((t) => t.windowMs - after);
    if (next.length === 0) break;
    await sleep(Math.max(0, Math.min(interval, ...next)), stop);
  }
  return result;
}

/**
 * Progress for what a failed watch changed, so that the counts a user last sees (`verified 1/1`)
 * do not outlive it: each service that failed its watch, and each one rolled back.
 */
function told(
  before: SyncResult,
  after: SyncResult,
  failures: WatchFailure[],
  ctx: { plan: Plan; options: WatchOptions; log: (line: string) => void },
): SyncResult {
  const tell = (event: ApplyStep) => {
    try {
      ctx.options.onProgress?.({ ...event, targetEnvironment: ctx.plan.to.environment });
    } catch (err) {
      ctx.log(`progress listener failed: ${(err as Error).message}`);
    }
  };
  const synced = new Set(before.services.filter((s) => s.action === 'synced').map((s) => s.name));
  for (const f of failures) tell({ step: 'failed', service: f.t.name, reason: 'watch-failed' });
  for (const s of after.services)
    if (synced.has(s.name) && s.action === 'rolled-back') tell({ step: 'undone', service: s.name });
  return after;
}

/** How close to the end of its window a round counts as the window's last probe. */
const END_SLACK_MS = 10;

/** Aborted when any of `signals` is; shared by every probe of a round, so it takes any number of listeners. */
function anyOf(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const given = signals.filter((s) => s !== undefined);
  if (given.length < 2) return given[0];
  const any = AbortSignal.any(given);
  setMaxListeners(0, any);
  return any;
}

/**
 * Interrupted while watching: the services still watched are undone (all synced ones when
 * atomic), unless rollback on failure is off; every one of them reads `interrupted`.
 */
async function interruptWatch(
  plan: Plan,
  result: SyncResult,
  unfinished: Watched[],
  elapsed: number,
  options: WatchOptions,
  ctx: WatchContext,
): Promise<SyncResult> {
  const windows = new Map(unfinished.map((t) => [t.name, t.windowMs]));
  const why = (name: string) =>
    windows.has(name)
      ? `the promotion was interrupted ${formatDuration(elapsed)} into the ${formatDuration(windows.get(name)!)} watch of "${name}"`
      : `the promotion was interrupted while ${[...windows.keys()].map((n) => `"${n}"`).join(', ')} ${windows.size > 1 ? 'were' : 'was'} watched, and it is all-or-none (atomic)`;
  const names = new Set(
    result.services
      .filter((s) => s.action === 'synced' && (ctx.atomic || windows.has(s.name)))
      .map((s) => s.name),
  );
  ctx.log(`interrupted while watching: ${names.size} service${names.size === 1 ? '' : 's'} to undo`);
  if (options.rollbackOnFailure === false) {
    const services = result.services.map((s) =>
      names.has(s.name)
        ? {
            ...s,
            action: 'interrupted' as const,
            reason: 'interrupted' as const,
            message: `${why(s.name)}; not rolled back (rollback on failure is off): it runs ${s.version ?? 'the synced version'}`,
          }
        : s,
    );
    return { ...result, services, ok: false };
  }
  const out = await undoSynced(plan, result, names, 'interrupted', why, ctx);
  const services = out.services.map(asInterrupted);
  return { ...out, services, ok: false };
}

interface WatchFailure {
  t: Watched;
  bad: string[];
}

/** One round: every probe of every service still watched; the services that answered wrong. */
async function probeRound(
  active: Watched[],
  gatewayUrl: string,
  signal?: AbortSignal,
): Promise<WatchFailure[]> {
  const rounds = await Promise.all(
    active.map(async (t) => {
      const bad: string[] = [];
      for (const probe of t.probes) {
        const { status } = await probeOnce(probe, { gatewayUrl, host: t.host, signal });
        const expected = probe.status ?? 200;
        if (status !== expected)
          bad.push(`${probe.path} answered ${status ?? 'nothing'} (expected ${expected})`);
      }
      return bad.length ? { t, bad } : undefined;
    }),
  );
  return rounds.filter((f) => f !== undefined);
}

/** A failed watch: roll back what failed (everything, when atomic), or say it was left as it is. */
async function failWatch(
  plan: Plan,
  result: SyncResult,
  failures: WatchFailure[],
  elapsed: number,
  options: WatchOptions,
  ctx: WatchContext,
): Promise<SyncResult> {
  const at = formatDuration(elapsed);
  const failed = new Set(failures.map((f) => f.t.name));
  const why = new Map(
    failures.map((f) => [
      f.t.name,
      `the watch after verification failed ${at} into ${formatDuration(f.t.windowMs)}: ${f.bad.join(', ')}`,
    ]),
  );
  if (options.rollbackOnFailure === false) {
    const services = result.services.map((s) =>
      failed.has(s.name)
        ? {
            ...s,
            action: 'failed' as const,
            reason: 'watch-failed' as const,
            message: `${why.get(s.name)!}; not rolled back (rollback on failure is off)`,
          }
        : s,
    );
    return { ...result, services, ok: false };
  }
  let out = await undoSynced(plan, result, failed, 'watch-failed', (n) => why.get(n)!, ctx);
  if (ctx.atomic) {
    const others = new Set(result.services.map((s) => s.name).filter((n) => !failed.has(n)));
    const names = [...failed].map((n) => `"${n}"`).join(', ');
    out = await undoSynced(
      plan,
      out,
      others,
      'atomic-rollback',
      () => `rolled back because the watch of ${names} failed (atomic promotion)`,
      ctx,
    );
  }
  return out;
}
