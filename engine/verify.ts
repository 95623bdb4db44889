/**
 * Verification through the target gateway: every probe must answer its expected status twice in
 * a row. The first probe goes out at once, the confirming one `confirmMs` later; only while the
 * answer is wrong does the pause grow (up to 1 s). Probes use undici `request`, because global
 * `fetch` silently drops a `Host` header.
 */
import { request, type Dispatcher } from 'undici';
import type { Probe } from './config/types.js';
import type { ProbeResult } from './model.js';

export interface VerifyOptions {
  gatewayUrl: string;
  /** The `Host` to send: the probe's own, else the service's first configured host. */
  host?: string;
  /** How long this service's verification may take. */
  timeoutMs: number;
  /** The pause before the confirming probe (default 200 ms). */
  confirmMs?: number;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export const DEFAULT_CONFIRM_MS = 200;
const MAX_BACKOFF_MS = 1_000;

/**
 * The pause before the next probe: `confirmMs` after an expected answer; after `wrongInARow`
 * wrong answers, `confirmMs` doubling each time, at most 1 s (or `confirmMs` if that is longer).
 */
export function nextProbeDelay(wrongInARow: number, confirmMs: number): number {
  if (wrongInARow === 0) return confirmMs;
  return Math.min(Math.max(MAX_BACKOFF_MS, confirmMs), confirmMs * 2 ** (wrongInARow - 1));
}

/**
 * The one gateway probe (verification and the watch both use it): one request, the status, or
 * null when nothing answered in time. `host` is the probe's own `Host`, else the service's.
 */
export async function probeOnce(
  probe: Probe,
  opts: Pick<VerifyOptions, 'gatewayUrl' | 'host' | 'dispatcher' | 'signal'>,
): Promise<{ status: number | null; ms: number }> {
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

/** Resolves after `ms`, or at once when `signal` is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One probe until it has answered as expected twice in a row, or the deadline. */
async function verifyProbe(probe: Probe, opts: VerifyOptions, deadline: number): Promise<ProbeResult> {
  const expected = probe.status ?? 200;
  const confirmMs = opts.confirmMs ?? DEFAULT_CONFIRM_MS;
  let streak = 0;
  let wrong = 0;
  for (;;) {
    const { status, ms } = await probeOnce(probe, opts);
    if (status === expected) {
      streak++;
      wrong = 0;
    } else {
      streak = 0;
      wrong++;
    }
    const last = { path: probe.path, status, ms };
    if (streak >= 2) return { ...last, ok: true };
    const delay = nextProbeDelay(wrong, confirmMs);
    if (Date.now() + delay > deadline || opts.signal?.aborted) return { ...last, ok: false };
    await sleep(delay, opts.signal);
  }
}

/** Verifies one service: all its probes at once, within `timeoutMs`. */
export function verifyProbes(probes: Probe[], opts: VerifyOptions): Promise<ProbeResult[]> {
  const deadline = Date.now() + opts.timeoutMs;
  return Promise.all(probes.map((p) => verifyProbe(p, opts, deadline)));
}

/** Why a verification failed, in words, with a hint when a path prefix is the likely cause. */
export function verifyFailure(results: ProbeResult[], gatewayUrl: string, pathPrefix?: string): string {
  const bad = results.filter((p) => !p.ok);
  const answers = bad.map(
    (p) => `${p.path} answered ${p.status ?? 'nothing (no connection or no answer in time)'}`,
  );
  let hint = '';
  if (pathPrefix && bad.every((p) => p.status === 404 && !p.path.startsWith(pathPrefix))) {
    hint = `; the service's path prefix is ${pathPrefix}, so the gateway serves it under ${pathPrefix}${bad[0]!.path}: write the verify paths with the prefix`;
  }
  return `verification through ${gatewayUrl} failed: ${answers.join(', ')}${hint}`;
}
