/**
 * The Markdown a promotion's Check Run shows: the plan table while it waits (versions, runtime,
 * drift, route changes) and the result table once it is done. Every piece of text that is not
 * ours goes through `inert`.
 */
import { fitText, MAX_CHECK_OUTPUT_CHARS } from './limits.js';
import type { ServiceResult, SyncResult } from '../engine/index.js';
import { inert, table } from './markdown.js';

/** GitHub refuses a check run output summary longer than this. */
export const MAX_SUMMARY = MAX_CHECK_OUTPUT_CHARS;

/**
 * Drift and route changes, when the engine reports them on an entry: read
 * loosely so that a result without them, or from an older engine, still renders.
 */
type DriftItem = string | { key: string; target?: unknown; config?: unknown };
type RouteRef = string | { name?: string };
interface RouteDiff {
  added?: RouteRef[];
  removed?: RouteRef[];
  changed?: { name?: string; fields?: string[] }[];
}
type Entry = ServiceResult & { drift?: DriftItem[]; routes?: RouteDiff | null };

const DASH = '—';

const PLAN_WORD: Record<ServiceResult['action'], string> = {
  planned: '📝 will sync',
  synced: '✅ synced',
  unchanged: '➖ unchanged',
  refused: '⛔ refused',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
  interrupted: '⏹️ interrupted',
};

const RESULT_WORD: Record<ServiceResult['action'], string> = {
  ...PLAN_WORD,
  planned: '📝 planned',
};

function version(s: ServiceResult): string {
  if (s.previousVersion && s.previousVersion !== s.version)
    return `${inert(s.previousVersion)} → ${inert(s.version ?? DASH)}`;
  if (s.action === 'planned' && !s.previousVersion) return `(new) → ${inert(s.version ?? DASH)}`;
  return s.version ? inert(s.version) : DASH;
}

function runtime(s: ServiceResult): string {
  const parts: string[] = [];
  if (s.runtime?.upstream) parts.push(inert(s.runtime.upstream));
  if (s.runtime?.hosts?.length) parts.push(`hosts ${s.runtime.hosts.map((t) => inert(t)).join(', ')}`);
  if (s.runtime?.pathPrefix) parts.push(`prefix ${inert(s.runtime.pathPrefix)}`);
  return parts.join('<br>') || DASH;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'unset';
  return inert(typeof value === 'string' ? value : JSON.stringify(value));
}

function drift(s: Entry): string {
  if (!s.drift?.length) return s.runtimeRepaired ? 'repaired' : DASH;
  return s.drift
    .map((d) =>
      typeof d === 'string'
        ? inert(d)
        : `${inert(d.key)}: target ${show(d.target)}, config ${show(d.config)}`,
    )
    .join('<br>');
}

function routeName(r: RouteRef): string {
  return inert(typeof r === 'string' ? r : (r.name ?? '(unnamed)'));
}

function routes(s: Entry): string {
  const diff = s.routes;
  if (!diff) return DASH;
  const lines = [
    diff.added?.length ? `added ${diff.added.map(routeName).join(', ')}` : '',
    diff.removed?.length ? `removed ${diff.removed.map(routeName).join(', ')}` : '',
    diff.changed?.length
      ? `changed ${diff.changed
          .map(
            (c) =>
              `${routeName(c)}${c.fields?.length ? ` (${c.fields.map((t) => inert(t)).join(', ')})` : ''}`,
          )
          .join(', ')}`
      : '',
  ].filter(Boolean);
  return lines.join('<br>') || 'none';
}

function note(s: ServiceResult): string {
  if (s.reason) return `${inert(s.reason)}: ${inert(s.message ?? '')}`;
  if (s.message) return inert(s.message);
  return s.runtimeRepaired ? 'runtime configuration repaired' : '';
}

function verify(s: ServiceResult): string {
  return s.verify.length
    ? s.verify.map((p) => `${p.ok ? '✔' : '✘'} ${inert(p.path)} ${p.status ?? DASH}`).join('<br>')
    : DASH;
}

function heading(kind: string, result: SyncResult): string[] {
  // A rollback stays in one environment (its result has the same source and target).
  const where =
    result.from.environment === result.to.environment
      ? `rollback in ${inert(result.to.environment)}`
      : `${inert(result.from.environment)} → ${inert(result.to.environment)}`;
  return [
    `### ${kind}: ${where}`,
    '',
    `Gateway groups: ${inert(result.from.gatewayGroup ?? '?')} → ${inert(result.to.gatewayGroup ?? '?')}`,
    '',
  ];
}

/** Never more than GitHub takes: cut at a line and say so. */
function bounded(markdown: string): string {
  return fitText(markdown, MAX_SUMMARY, '`api7-sync plan` or `status` from the CLI lists every service');
}

/** What will move, for a check run that is queued or waiting for approvals. */
export function planSummary(plan: SyncResult, lead = ''): string {
  const entries = plan.services as Entry[];
  const withRoutes = entries.some((s) => s.routes);
  const header = ['Service', 'Plan', 'Version', 'Runtime', 'Drift', ...(withRoutes ? ['Route changes'] : [])];
  const rows = entries.map((s) => [
    inert(s.name),
    PLAN_WORD[s.action],
    version(s),
    runtime(s),
    drift(s),
    ...(withRoutes ? [routes(s)] : []),
  ]);
  const notes = entries.filter((s) => s.reason || s.message).map((s) => `- ${inert(s.name)}: ${note(s)}`);
  return bounded(
    [
      ...(lead ? [lead, ''] : []),
      ...heading('Plan', plan),
      table(header, rows),
      ...(notes.length ? ['', ...notes] : []),
      '',
    ].join('\n'),
  );
}

/** What happened, for a completed check run. */
export function resultSummary(result: SyncResult, lead = ''): string {
  const rows = result.services.map((s) => [
    inert(s.name),
    RESULT_WORD[s.action],
    version(s),
    runtime(s),
    verify(s),
    note(s),
  ]);
  return bounded(
    [
      ...(lead ? [lead, ''] : []),
      ...heading(result.dryRun ? 'Plan' : 'Promotion', result),
      table(['Service', 'Result', 'Version', 'Runtime', 'Verify', 'Note'], rows),
      '',
      `${result.durationMs} ms`,
      '',
    ].join('\n'),
  );
}

/** A one-line count of actions, such as "2 synced, 1 unchanged". */
export function countActions(result: SyncResult, words: Partial<Record<string, string>> = {}): string {
  const counts = new Map<string, number>();
  for (const s of result.services) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${words[action] ?? action}`).join(', ') || 'no services';
}
