/**
 * `--lock` and `--lock-wait` for the commands that write. The lock code (and the GitHub client
 * under it) is loaded only when `--lock` is given: most runs never need it.
 */
import type { SessionFactory } from '../github/promotion.js';
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

/** The session of each environment to lock, or undefined without `--lock`. */
export async function lockSessionsFor(
  values: Values,
  environments: string[],
  reason: string,
  io: Io,
  waitSeconds: number,
): Promise<SessionFactory | undefined> {
  const slug = values.lock as string | undefined;
  if (!slug) return undefined;
  const { lockSessions } = await import('./lock.js');
  return lockSessions(slug, environments, reason, io, waitSeconds);
}
