/** The result as JSON (`schemaVersion: 1`) and as Markdown or text, all from one place. */
import { baseResult } from './apply/decide.js';
import { isOk, type Drift, type Plan, type Reason, type ServiceResult, type SyncResult } from './model.js';
import { inert } from './markdown.js';
import type { StatusMatrix } from './status.js';

export function buildResult(
  plan: Plan,
  services: ServiceResult[],
  dryRun: boolean,
  startedAt: number,
  operation: SyncResult['operation'] = 'promotion',
): SyncResult {
  return {
    schemaVersion: 1,
    operation,
    from: { environment: plan.from.environment, gatewayGroup: plan.from.group?.name ?? null },
    to: { environment: plan.to.environment, gatewayGroup: plan.to.group?.name ?? null },
    dryRun,
    services,
    ok: isOk(services),
    durationMs: Date.now() - startedAt,
  };
}

/** Every service of a plan refused for one reason (a held lock, a missing approval). */
export function refusedResult(
  plan: Plan,
  reason: Reason,
  message: string,
  startedAt: number,
  // A promotion never has one environment on both sides (plan refuses it): that is a rollback.
  operation: SyncResult['operation'] = plan.from.environment === plan.to.environment
    ? 'rollback'
    : 'promotion',
): SyncResult {
  return buildResult(
    plan,
    plan.entries.map((e) => ({ ...baseResult(e, 'refused'), reason, message })),
    false,
    startedAt,
    operation,
  );
}

/** Notes carry whole error messages, longer than a quoted name, but still bounded. */
const MAX_NOTE_CHARS = 2000;

/** How each service action reads in a table or a chat message. */
export const ACTION_LABEL: Record<ServiceResult['action'], string> = {
  synced: '✅ synced',
  unchanged: '➖ unchanged',
  planned: '📝 planned',
  refused: '⛔ refused',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
  interrupted: '⏹️ interrupted',
};

const driftValue = (v: Drift['target']): string =>
  v === null ? 'none' : Array.isArray(v) ? v.join(', ') : String(v);

/** `upstream (target: nodes a:81, config: nodes b:80)`, one per drifted key. */
export function describeDrift(drift: Drift[]): string {
  return drift
    .map((d) => `${d.key} (target: ${driftValue(d.target)}; config: ${driftValue(d.config)})`)
    .join('; ');
}

/** "0.9.0 → 1.0.0", or one version when nothing moves or one side is unknown. */
function versionCell(s: ServiceResult, arrow: string): string {
  if (s.previousVersion && s.version && s.previousVersion !== s.version)
    return `${s.previousVersion} ${arrow} ${s.version}`;
  return s.version ?? s.previousVersion ?? '-';
}

/** What a row says besides its action: why, drift, warnings. */
function notes(s: ServiceResult): string[] {
  const out: string[] = [];
  if (s.reason || s.message) out.push(`${s.reason ? `[${s.reason}] ` : ''}${s.message ?? ''}`.trim());
  else if (s.runtimeRepaired) out.push('runtime configuration repaired');
  if (s.drift.length) out.push(`drift: ${describeDrift(s.drift)}`);
  for (const w of s.warnings) out.push(`warning: ${w}`);
  return out;
}

function title(result: SyncResult): string {
  if (result.operation === 'rollback')
    return `Rollback in ${result.to.environment} (${result.to.gatewayGroup ?? '?'})`;
  return `${result.dryRun ? 'Plan' : 'Promotion'}: ${result.from.environment} → ${result.to.environment}`;
}

export function resultMarkdown(result: SyncResult): string {
  const rows = result.services.map((s) => {
    const runtime = s.runtime?.upstream
      ? `${s.runtime.upstream}${s.runtime.hosts ? ` (hosts ${s.runtime.hosts.join(', ')})` : ''}`
      : '—';
    const verify = s.verify.length
      ? s.verify.map((p) => `${p.ok ? '✔' : '✘'} ${p.path} ${p.status ?? '—'}`).join('<br>')
      : '—';
    const note = notes(s)
      .map((n) => inert(n, { max: MAX_NOTE_CHARS }))
      .join('<br>');
    return `| ${inert(s.name)} | ${ACTION_LABEL[s.action]} | ${inert(versionCell(s, '→'))} | ${inert(runtime)} | ${verify.replace(/[|]/g, '\\|')} | ${note} |`;
  });
  const groups =
    result.operation === 'rollback'
      ? `Gateway group: ${inert(result.to.gatewayGroup ?? '?')}`
      : `Gateway groups: ${inert(result.from.gatewayGroup ?? '?')} → ${inert(result.to.gatewayGroup ?? '?')}`;
  return [
    `### ${inert(title(result))} ${result.ok ? '' : '(not ok)'}`.trimEnd(),
    '',
    `${groups} · ${result.durationMs} ms`,
    '',
    '| Service | Result | Version | Runtime | Verify | Note |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** A plain-text table for terminals. */
export function resultText(result: SyncResult): string {
  const lines = result.services.flatMap((s) => {
    const label =
      result.operation === 'rollback' && s.action === 'rolled-back' && !s.reason ? 'rolled back' : s.action;
    const head = `  ${label.padEnd(11)} ${s.name}  ${versionCell(s, '->')}${s.runtime?.upstream ? `  upstream: ${s.runtime.upstream}` : ''}`;
    return [head, ...notes(s).map((n) => `              ${n}`)];
  });
  const header =
    result.operation === 'rollback'
      ? `rollback in ${result.to.environment} (${result.to.gatewayGroup ?? '?'})`
      : `${result.dryRun ? 'plan' : 'sync'} ${result.from.environment} (${result.from.gatewayGroup ?? '?'}) -> ${result.to.environment} (${result.to.gatewayGroup ?? '?'})`;
  return [header, ...lines].join('\n');
}

/** A status cell: the version, marked `(drift)` when the group's runtime differs from the config. */
function statusCell(matrix: StatusMatrix, service: StatusMatrix['services'][number], env: string): string {
  const version = service.versions[env] ?? '—';
  return service.drift[env]?.length ? `${version} (drift)` : version;
}

/** Drifted cells, one line each: `httpbin API in production: upstream (target: …; config: …)`. */
function driftLines(matrix: StatusMatrix): string[] {
  return matrix.services.flatMap((s) =>
    matrix.environments
      .filter((e) => s.drift[e.name]?.length)
      .map((e) => `${s.name} in ${e.name}: ${describeDrift(s.drift[e.name]!)}`),
  );
}

/** Why a column reads "(group missing)": the groups that exist, and the key to change. */
const missingGroups = (matrix: StatusMatrix): string[] =>
  matrix.environments.flatMap((e) => (e.message ? [e.message] : []));

/** The service × environment matrix as an aligned text table, then the drifted keys. */
export function statusText(matrix: StatusMatrix): string {
  const header = [
    'service',
    ...matrix.environments.map((e) => `${e.name}${e.found ? '' : ' (group missing)'}`),
  ];
  const rows = matrix.services.map((s) => [
    s.name,
    ...matrix.environments.map((e) => statusCell(matrix, s, e.name)),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const table = [header, ...rows].map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const drift = driftLines(matrix);
  const missing = missingGroups(matrix);
  return [
    ...table,
    ...(drift.length
      ? ['', 'drift (the group differs from the config):', ...drift.map((d) => `  ${d}`)]
      : []),
    ...(missing.length ? ['', ...missing] : []),
  ].join('\n');
}

/** The same matrix as a Markdown table (names escaped), then the drifted keys. */
export function statusMarkdown(matrix: StatusMatrix): string {
  const header = `| Service | ${matrix.environments.map((e) => `${inert(e.name)}${e.found ? '' : ' (group missing)'}`).join(' | ')} |`;
  const rule = `| --- | ${matrix.environments.map(() => '---').join(' | ')} |`;
  const rows = matrix.services.map(
    (s) =>
      `| ${inert(s.name)} | ${matrix.environments.map((e) => inert(statusCell(matrix, s, e.name))).join(' | ')} |`,
  );
  const drift = driftLines(matrix);
  const missing = missingGroups(matrix);
  return [
    header,
    rule,
    ...rows,
    ...(drift.length
      ? ['', '**Drift**', '', ...drift.map((d) => `- ${inert(d, { max: MAX_NOTE_CHARS })}`)]
      : []),
    ...(missing.length ? ['', ...missing.map((m) => `- ${inert(m, { max: MAX_NOTE_CHARS })}`)] : []),
  ].join('\n');
}
