/**
 * The CLI's exit codes, decided in one place: 0 every service synced, unchanged or planned;
 * 1 a sync failed, was interrupted (a lost lock), or the control plane could not be reached or
 * refused the token; 2 a service was refused; 64 usage or config error; 69 a long-running command
 * (sandbox, bot) cannot start because a service it needs is unavailable, such as a port another
 * process holds; 130 a signal interrupted the promotion.
 */
import type { ErrorCode } from '../engine/errors.js';
import { isFailure, type ServiceResult } from '../engine/model.js';
import { EXIT_INTERRUPTED } from '../github/promotion/cancellation.js';

export const EXIT = { ok: 0, failed: 1, refused: 2, usage: 64, unavailable: 69 } as const;

/** Failures of the whole run that are not about one service: the control plane, GitHub, a bug. */
const RUN_FAILURES = new Set<ErrorCode>([
  'unreachable',
  'unauthorized',
  'bad-answer',
  'tls',
  'lock-backend',
  'internal',
]);

export function exitForError(code: ErrorCode): number {
  if (code === 'config' || code === 'usage') return EXIT.usage;
  if (RUN_FAILURES.has(code)) return EXIT.failed;
  // Everything else is a reason a service (or all of them) was refused.
  return EXIT.refused;
}

type Services = { services: Pick<ServiceResult, 'action' | 'reason'>[] };

/**
 * The one rule for a result, one target's or several's: 130 when a signal interrupted it, 1 when
 * anything failed, was interrupted or rolled back after a failure, 2 when anything was refused.
 * A rolled-back entry without a reason is a rollback that was asked for (`rollback`), and landed.
 */
export function exitForResult(result: Services | { targets: Services[] }, interruptedBy?: string): number {
  if (interruptedBy) return EXIT_INTERRUPTED;
  const services = 'targets' in result ? result.targets.flatMap((t) => t.services) : result.services;
  if (services.some(isFailure)) return EXIT.failed;
  if (services.some((s) => s.action === 'refused')) return EXIT.refused;
  return EXIT.ok;
}
