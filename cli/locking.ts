/**
 * `--lock` and `--lock-wait` for the commands that write. The lock code (and `@actions/github`
 * under it) is loaded only when `--lock` is given: most runs never need it.
 */
import type { LockOutcome, RecordOutcome } from './lock.js';
import { usage, type Values } from './context.js';
import type { Io } from './io.js';

export function lockWait(values: Values): number {
  const raw = values['lock-wait'];
  if (raw === undefined) return 0;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0)
    throw usage(`--lock-wait takes seconds, such as 300, not "${String(raw)}"`);
  if (!values.lock) throw usage('--lock-wait needs --lock OWNER/REPO');
  return seconds;
}

export async function withLock<T>(
  values: Values,
  environment: string,
  reason: string,
  io: Io,
  fn: () => Promise<T>,
  waitSeconds: number,
  outcome?: RecordOutcome<T>,
): Promise<LockOutcome<T>> {
  const slug = values.lock as string | undefined;
  if (!slug) return { ran: true, value: await fn() };
  const { LockUsageError, withEnvironmentLock } = await import('./lock.js');
  try {
    return await withEnvironmentLock(slug, environment, reason, io, fn, waitSeconds, outcome);
  } catch (err) {
    if (err instanceof LockUsageError) throw usage(err.message);
    throw err;
  }
}
