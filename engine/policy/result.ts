/** What the policies add to a result: each entry's route diff, and a break-glass reason. */
import type { Plan, ServiceResultWithRoutes, SyncResult } from '../model.js';
import { inert } from '../markdown.js';
import { resultMarkdown } from '../report.js';
import { describeRouteDiff } from './route-diff.js';

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

/** Lines for a terminal: each entry's route changes, and the break-glass reason when one was given. */
export function policyText(result: SyncResult): string[] {
  const lines = (result.services as ServiceResultWithRoutes[])
    .filter((s) => s.routes)
    .map((s) => `  routes of ${s.name}: ${describeRouteDiff(s.routes!)}`);
  if (result.breakGlass)
    lines.push(
      `  break glass${result.breakGlass.overrode ? ' (outside the promotion windows)' : ''}: ${result.breakGlass.reason}`,
    );
  return lines;
}

/** The same for a Markdown summary (the Action's job summary): route changes and break glass. */
export function policyMarkdown(result: SyncResult): string {
  const rows = (result.services as ServiceResultWithRoutes[])
    .filter((s) => s.routes)
    .map((s) => `| ${inert(s.name)} | ${inert(describeRouteDiff(s.routes!), { max: 2000 })} |`);
  const parts = rows.length ? ['| Service | Route changes |', '| --- | --- |', ...rows, ''] : [];
  if (result.breakGlass)
    parts.push(
      `**Break glass**${result.breakGlass.overrode ? ' (outside the promotion windows)' : ''}: ${inert(result.breakGlass.reason)}`,
      '',
    );
  return parts.join('\n');
}

/**
 * A job summary: the result table, then the route-change table and break glass. A blank line
 * between them keeps them two tables: GitHub's Markdown (GFM) reads a table row right after
 * another table's last row as one more row of that table.
 */
export function summaryMarkdown(result: SyncResult): string {
  const policies = policyMarkdown(result);
  return [resultMarkdown(result).trimEnd(), ...(policies ? [policies.trimEnd()] : [])].join('\n\n') + '\n';
}
