/** Chat-ops text that is not a status comment: help, the version matrix, one-line summaries. */
import { policyMarkdown, resultMarkdown, type SyncResult } from '../engine/index.js';
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

/**
 * A plan or result for a status comment: the table, then the routes each service adds, removes
 * and changes (reviewers approve versions, and should see routes). Break glass is shown by the
 * status comment itself, from the request.
 */
export function promotionMarkdown(result: SyncResult): string {
  const routes = policyMarkdown({ ...result, breakGlass: undefined });
  return routes ? `${resultMarkdown(result)}\n**Route changes**\n\n${routes}` : resultMarkdown(result);
}
