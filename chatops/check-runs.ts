/**
 * The request's Check Run holds its state (requests.ts); a fan-out keeps one check run for all its
 * targets, so their results are shown as one.
 */
import type { SyncResult } from '../engine/index.js';

/** Several targets' results as one, for the one check run of a fan-out. */
export function combined(results: SyncResult[]): SyncResult {
  if (results.length === 1) return results[0]!;
  const services = results.flatMap((r) =>
    r.services.map((s) => ({ ...s, name: `${r.to.environment}: ${s.name}` })),
  );
  return {
    ...results[0]!,
    to: { environment: results.map((r) => r.to.environment).join(', '), gatewayGroup: null },
    services,
    ok: results.every((r) => r.ok),
  };
}
