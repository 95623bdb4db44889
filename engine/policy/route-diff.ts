/**
 * What a promotion changes in a service's routes: reviewers approve versions, but traffic follows
 * routes. Routes are matched by name (IDs differ between a snapshot and a hand-edited copy).
 */
import type { Api7Route } from '../api7/routes.js';
import type { RouteDiff } from '../model.js';

/** Bookkeeping that differs between copies of the same route without changing what it does. */
const IGNORED = new Set([
  'id',
  'service_id',
  'service_version_id',
  'gateway_group_id',
  'create_time',
  'update_time',
  'created_at',
  'updated_at',
]);

/** Defaults API7 fills on write, so that a field absent on one side and default on the other is no change. */
const DEFAULTS: Record<string, unknown> = { priority: 0, status: 1 };

const routeName = (r: Api7Route): string => String(r.name ?? r.id ?? '?');

/** JSON with sorted keys, so that key order never reads as a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function changedFields(before: Api7Route, after: Api7Route): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter((k) => !IGNORED.has(k))
    .filter((k) => canonical(before[k] ?? DEFAULTS[k]) !== canonical(after[k] ?? DEFAULTS[k]))
    .sort();
}

/** The routes `after` adds, removes and changes relative to `before`. */
export function diffRoutes(before: Api7Route[], after: Api7Route[]): RouteDiff {
  const old = new Map(before.map((r) => [routeName(r), r]));
  const now = new Map(after.map((r) => [routeName(r), r]));
  const changed: RouteDiff['changed'] = [];
  for (const [name, r] of now) {
    const was = old.get(name);
    if (!was) continue;
    const fields = changedFields(was, r);
    if (fields.length) changed.push({ name, fields });
  }
  return {
    added: [...now.keys()].filter((n) => !old.has(n)).sort(),
    removed: [...old.keys()].filter((n) => !now.has(n)).sort(),
    changed: changed.sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

export function isEmptyDiff(diff: RouteDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length === 0;
}

/** `+ anything, - ip, ~ headers (methods, paths)`: one line for tables and messages. */
export function describeRouteDiff(diff: RouteDiff): string {
  if (isEmptyDiff(diff)) return 'no route changes';
  return [
    ...diff.added.map((n) => `+ ${n}`),
    ...diff.removed.map((n) => `- ${n}`),
    ...diff.changed.map((c) => `~ ${c.name} (${c.fields.join(', ')})`),
  ].join(', ');
}
