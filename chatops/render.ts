/** Chat-ops text that is not a status comment: help, the version matrix, one-line summaries. */
import type { SyncResult } from '../engine/index.js';
import { USAGE } from './grammar.js';

export function usageList(): string {
  return USAGE.split('\n')
    .map((l) => `- ${l}`)
    .join('\n');
}

export function helpText(): string {
  return `**api7-sync** commands (only at the start of a comment):\n\n${usageList()}`;
}

/** "httpbin API 1.0.0 synced, …": for deployment descriptions and payloads. */
export function summaryLine(result: SyncResult): string {
  return result.services.map((s) => `${s.name} ${s.version ?? 'no version'} ${s.action}`).join(', ');
}
