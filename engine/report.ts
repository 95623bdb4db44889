/** The result as JSON (`schemaVersion: 1`) and as a Markdown table, both from one place. */
import { baseResult } from './apply.js';
import { isOk, type Plan, type Reason, type ServiceResult, type SyncResult } from './model.js';

export function buildResult(
  plan: Plan,
  services: ServiceResult[],
  dryRun: boolean,
  startedAt: number,
): SyncResult {
  return {
    schemaVersion: 1,
    from: { environment: plan.from.environment, gatewayGroup: plan.from.group?.name ?? null },
    to: { environment: plan.to.environment, gatewayGroup: plan.to.group?.name ?? null },
    dryRun,
    services,
    ok: isOk(services),
    durationMs: Date.now() - startedAt,
  };
}

/** Every service of a plan refused for one reason (a held lock, a missing approval). */
export function refusedResult(plan: Plan, reason: Reason, message: string, startedAt: number): SyncResult {
  return buildResult(
    plan,
    plan.entries.map((e) => ({ ...baseResult(e, 'refused'), reason, message })),
    false,
    startedAt,
  );
}

/** Text that ends up in Markdown (service names come from API7): no markup, no HTML, one line. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\p{Cc}/gu, ' ')
    .replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;');
}

const ICON: Record<ServiceResult['action'], string> = {
  synced: '✅ synced',
  unchanged: '➖ unchanged',
  planned: '📝 planned',
  refused: '⛔ refused',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
};

export function resultMarkdown(result: SyncResult): string {
  const title = `${result.dryRun ? 'Plan' : 'Promotion'}: ${escapeMarkdown(result.from.environment)} → ${escapeMarkdown(result.to.environment)}`;
  const rows = result.services.map((s) => {
    const version =
      s.previousVersion && s.previousVersion !== s.version
        ? `${s.previousVersion} → ${s.version ?? '—'}`
        : (s.version ?? '—');
    const runtime = s.runtime?.upstream
      ? `${s.runtime.upstream}${s.runtime.hosts ? ` (hosts ${s.runtime.hosts.join(', ')})` : ''}`
      : '—';
    const verify = s.verify.length
      ? s.verify.map((p) => `${p.ok ? '✔' : '✘'} ${p.path} ${p.status ?? '—'}`).join('<br>')
      : '—';
    const note = s.reason
      ? `\`${s.reason}\` ${s.message ?? ''}`
      : s.runtimeRepaired
        ? 'runtime configuration repaired'
        : '';
    return `| ${escapeMarkdown(s.name)} | ${ICON[s.action]} | ${escapeMarkdown(version)} | ${escapeMarkdown(runtime)} | ${verify.replace(/[|]/g, '\\|')} | ${escapeMarkdown(note)} |`;
  });
  return [
    `### ${title} ${result.ok ? '' : '(not ok)'}`.trimEnd(),
    '',
    `Gateway groups: ${escapeMarkdown(result.from.gatewayGroup ?? '?')} → ${escapeMarkdown(result.to.gatewayGroup ?? '?')} · ${result.durationMs} ms`,
    '',
    '| Service | Result | Version | Runtime | Verify | Note |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** A plain-text table for terminals. */
export function resultText(result: SyncResult): string {
  const lines = result.services.map((s) => {
    const version =
      s.previousVersion && s.previousVersion !== s.version
        ? `${s.previousVersion} -> ${s.version}`
        : (s.version ?? '-');
    const extra = s.reason
      ? ` [${s.reason}] ${s.message ?? ''}`
      : s.runtimeRepaired
        ? ' (runtime configuration repaired)'
        : '';
    return `  ${s.action.padEnd(11)} ${s.name}  ${version}${s.runtime?.upstream ? `  upstream: ${s.runtime.upstream}` : ''}${extra}`;
  });
  return [
    `${result.dryRun ? 'plan' : 'sync'} ${result.from.environment} (${result.from.gatewayGroup ?? '?'}) -> ${result.to.environment} (${result.to.gatewayGroup ?? '?'})`,
    ...lines,
  ].join('\n');
}
