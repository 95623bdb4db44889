/**
 * Verification through the target gateway: every probe must answer its expected status twice in
 * a row. Probes use undici `request`, because global `fetch` silently drops a `Host` header.
 */
import { request, type Dispatcher } from 'undici';
import type { Probe } from './config/types.js';
import type { ProbeResult } from './model.js';

export interface VerifyOptions {
  gatewayUrl: string;
  /** The `Host` to send: the probe's own, else the service's first configured host. */
  host?: string;
  timeoutMs: number;
  intervalMs: number;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

async function probeOnce(probe: Probe, opts: VerifyOptions): Promise<{ status: number | null; ms: number }> {
  const started = performance.now();
  const host = probe.host ?? opts.host;
  try {
    const res = await request(`${opts.gatewayUrl.replace(/\/+$/, '')}${probe.path}`, {
      method: (probe.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: host ? { host } : {},
      dispatcher: opts.dispatcher,
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
      signal: opts.signal,
    });
    await res.body.dump();
    return { status: res.statusCode, ms: Math.round(performance.now() - started) };
  } catch {
    return { status: null, ms: Math.round(performance.now() - started) };
  }
}

/** Probes until each probe has answered as expected twice in a row, or the time is up. */
export async function verifyProbes(probes: Probe[], opts: VerifyOptions): Promise<ProbeResult[]> {
  const deadline = Date.now() + opts.timeoutMs;
  const streak = probes.map(() => 0);
  const last: ProbeResult[] = probes.map((p) => ({ path: p.path, status: null, ok: false, ms: 0 }));
  for (;;) {
    await Promise.all(
      probes.map(async (probe, i) => {
        if (streak[i]! >= 2) return;
        const { status, ms } = await probeOnce(probe, opts);
        const ok = status === (probe.status ?? 200);
        streak[i] = ok ? streak[i]! + 1 : 0;
        last[i] = { path: probe.path, status, ok, ms };
      }),
    );
    if (streak.every((s) => s >= 2)) return last;
    if (Date.now() + opts.intervalMs > deadline || opts.signal?.aborted) {
      return last.map((r, i) => ({ ...r, ok: streak[i]! >= 2 }));
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
