/** Chat-ops text that is not a status comment: help, the version matrix, one-line summaries. */
import { escapeMarkdown, type StatusMatrix, type SyncResult } from '../engine/index.js';
import { USAGE } from './grammar.js';

export function usageList(): string {
  return USAGE.split('\n')
    .map((l) => `- ${l}`)
    .join('\n');
}

export function helpText(): string {
  return `**api7-sync** commands (only at the start of a comment):\n\n${usageList()}`;
}

/** The service × environment matrix; every cell escaped, since names come from API7 and the config. */
export function matrixMarkdown(matrix: StatusMatrix): string {
  const header = `| service | ${matrix.environments.map((e) => `${escapeMarkdown(e.name)}${e.found ? '' : ' (group missing)'}`).join(' | ')} |`;
  const rule = `| --- | ${matrix.environments.map(() => '---').join(' | ')} |`;
  const rows = matrix.services.map(
    (s) =>
      `| ${escapeMarkdown(s.name)} | ${matrix.environments.map((e) => escapeMarkdown(s.versions[e.name] ?? '—')).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

/** "httpbin API 1.0.0 synced, …": for deployment descriptions and payloads. */
export function summaryLine(result: SyncResult): string {
  return result.services.map((s) => `${s.name} ${s.version ?? 'no version'} ${s.action}`).join(', ');
}
