/**
 * Watch: keep probing after verification passed (`environments.<env>.verify.watch` or
 * `services.<name>.watch`), because a broken upstream often fails only minutes later. A failure
 * inside the window rolls the service back (`watch-failed`); an atomic promotion rolls back every
 * service it synced. The window is measured on the engine's clock, so tests move the clock
 * instead of waiting; between rounds the watch sleeps `intervalMs`.
 */
import { request, type Dispatcher } from 'undici';
import type { Config, Probe } from '../config/types.js';
import type { Plan, SyncResult } from '../model.js';
import { targetRuntime } from '../publish-items.js';
import { formatDuration, parseDuration } from './duration.js';
import { undoSynced, type RestoreContext } from './restore.js';

export interface WatchOptions {
  /** False skips the watch even where the config asks for one. */
  watch?: boolean;
  /** How often to probe while watching (default 5000 ms). */
  watchIntervalMs?: number;
  /** As for apply: false leaves a failed service as it is, and says so. */
  rollbackOnFailure?: boolean;
}

export interface WatchContext extends RestoreContext {
  config: Config;
  now: () => number;
  signal?: AbortSignal;
  /** Whether a failure of one service rolls back every service of the promotion. */
  atomic: boolean;
}

interface Watched {
  name: string;
  probes: Probe[];
  host?: string;
  windowMs: number;
}

/** One request per probe; the status, or null when nothing answered. */
async function probeOnce(gatewayUrl: string, probe: Probe, host: string | undefined, signal?: AbortSignal) {
  try {
    const res = await request(`${gatewayUrl.replace(/\/+$/, '')}${probe.path}`, {
      method: (probe.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: (probe.host ?? host) ? { host: probe.host ?? host } : {},
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
      signal,
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return null;
  }
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
  for (;;) {
    const elapsed = ctx.now() - start;
    const active = targets.filter((t) => elapsed < t.windowMs);
    if (active.length === 0 || ctx.signal?.aborted) break;
    const left = Math.max(...active.map((t) => t.windowMs)) - elapsed;
    ctx.log(`watching ${active.map((t) => `"${t.name}"`).join(', ')}: ${formatDuration(left)} left`);
    const failures = (
      await Promise.all(
        active.map(async (t) => {
          const bad: string[] = [];
          for (const probe of t.probes) {
            const status = await probeOnce(gatewayUrl, probe, t.host, ctx.signal);
            const expected = probe.status ?? 200;
            if (status !== expected)
              bad.push(`${probe.path} answered ${status ?? 'nothing'} (expected ${expected})`);
          }
          return bad.length ? { t, bad } : undefined;
        }),
      )
    ).filter((f) => f !== undefined);
    if (failures.length > 0) {
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
    await new Promise((r) => setTimeout(r, interval));
  }
  return result;
}
