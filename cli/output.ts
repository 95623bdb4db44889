/** What goes to stdout: the result, as text or as the one `--json` document. */
import type { ErrorCode } from '../engine/errors.js';
import { isFailure, type SyncResult } from '../engine/model.js';
import type { Io } from './io.js';

/** The `--json` document when nothing could be planned. */
export function errorDocument(code: ErrorCode, message: string): string {
  return JSON.stringify({ schemaVersion: 1, ok: false, error: { code, message }, services: [] }, null, 2);
}

export function printResult(io: Io, json: boolean, value: unknown, text: () => string): void {
  io.stdout(json ? JSON.stringify(value, null, 2) : text());
}

/** Reasons that only follow from another service's failure (or an interrupt): counted, not listed. */
const FOLLOWERS = new Set(['atomic-rollback', 'atomic-refusal', 'interrupted', 'not-started']);

/**
 * What did not go through, before the table: at 300 services the one that failed must not be
 * buried in it. Each service that failed or was refused on its own, with its reason; the ones that
 * only followed it (all-or-none, an interrupt) counted by reason.
 */
export function failuresFirst(results: SyncResult[]): string[] {
  const services = results.flatMap((r) =>
    r.services.map((s) => ({ ...s, where: results.length > 1 ? ` in ${r.to.environment}` : '' })),
  );
  const bad = services.filter((s) => isFailure(s) || s.action === 'refused');
  if (bad.length === 0) return [];
  const own = bad.filter((s) => !s.reason || !FOLLOWERS.has(s.reason));
  const followers = new Map<string, number>();
  for (const s of bad.filter((x) => !own.includes(x))) {
    const key = `${s.action} (${s.reason})`;
    followers.set(key, (followers.get(key) ?? 0) + 1);
  }
  return [
    `${bad.length} of ${services.length} service${services.length === 1 ? '' : 's'} did not go through:`,
    ...own.map((s) =>
      `  ${s.name}${s.where}: ${s.action}${s.reason ? ` [${s.reason}]` : ''} ${s.message ?? ''}`.trimEnd(),
    ),
    ...[...followers].map(([what, n]) => `  ${n} ${own.length ? 'more ' : ''}${what}: see the table`),
    '',
  ];
}
