/** What the policies add to a result: each entry's route diff, and a break-glass reason. */
import type { Plan, ServiceResultWithRoutes, SyncResult } from '../model.js';

export function withPolicies(plan: Plan, result: SyncResult): SyncResult {
  const diffs = new Map(plan.entries.filter((e) => e.routes).map((e) => [e.name, e.routes!]));
  return {
    ...result,
    services: result.services.map((s): ServiceResultWithRoutes =>
      diffs.has(s.name) ? { ...s, routes: diffs.get(s.name)! } : s,
    ),
    ...(plan.breakGlass ? { breakGlass: plan.breakGlass } : {}),
  };
}
