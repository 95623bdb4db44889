/**
 * Fault injection for the control plane (`PUT /sandbox/faults`): latency, error answers and
 * connection resets, matched by method and path prefix, drawn from a seeded generator so that a
 * failing run can be replayed.
 */
import { ApiError } from './store.js';
import { bad, requireObject } from './validate.js';

export interface FaultSet {
  latencyMs: number;
  errorRate: number;
  resetRate: number;
  match?: RequestMatch;
  /**
   * The faults start only once a request matching this has been answered with success: "an
   * outage of publishes after the first sync landed". Until then every request passes.
   */
  after?: RequestMatch;
  armed: boolean;
  random: () => number;
}

export interface RequestMatch {
  method?: string;
  pathPrefix?: string;
}

const matches = (m: RequestMatch | undefined, method: string, path: string): boolean =>
  !(m?.method && m.method.toUpperCase() !== method) && !(m?.pathPrefix && !path.startsWith(m.pathPrefix));

/** mulberry32: a tiny seeded generator; quality is ample for choosing which request fails. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rate(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || value < 0 || value > 1) bad(field, 'must be a number from 0 to 1');
  return value;
}

export function parseFaults(body: unknown): FaultSet {
  const b = requireObject(body, 'body');
  for (const k of Object.keys(b)) {
    if (!['latencyMs', 'errorRate', 'resetRate', 'seed', 'match', 'after'].includes(k))
      bad(k, 'unknown field');
  }
  const latencyMs = b.latencyMs === undefined ? 0 : b.latencyMs;
  if (typeof latencyMs !== 'number' || latencyMs < 0) bad('latencyMs', 'must be a number ≥ 0');
  const seed = b.seed === undefined ? Date.now() : b.seed;
  if (typeof seed !== 'number') bad('seed', 'must be a number');
  const match = b.match === undefined ? undefined : requireObject(b.match, 'match');
  const after = b.after === undefined ? undefined : requireObject(b.after, 'after');
  const errorRate = rate(b.errorRate, 'errorRate');
  const resetRate = rate(b.resetRate, 'resetRate');
  if (errorRate + resetRate > 1) throw new ApiError(400, 'errorRate + resetRate: must not exceed 1');
  return {
    latencyMs,
    errorRate,
    resetRate,
    match: match as FaultSet['match'],
    after: after as FaultSet['after'],
    armed: after === undefined,
    random: seeded(seed),
  };
}

export type FaultDecision = { latencyMs: number; outcome: 'pass' | 'error' | 'reset' };

export function decide(faults: FaultSet | undefined, method: string, path: string): FaultDecision {
  if (!faults?.armed || !matches(faults.match, method, path)) return { latencyMs: 0, outcome: 'pass' };
  const r = faults.random();
  const outcome = r < faults.errorRate ? 'error' : r < faults.errorRate + faults.resetRate ? 'reset' : 'pass';
  return { latencyMs: faults.latencyMs, outcome };
}

/** Arms a fault set waiting for its `after` request, once such a request has been answered 2xx. */
export function answered(faults: FaultSet | undefined, method: string, path: string, status: number): void {
  if (faults && !faults.armed && status >= 200 && status < 300 && matches(faults.after, method, path))
    faults.armed = true;
}
