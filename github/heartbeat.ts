/**
 * The heartbeat interval of a promotion session: how often its lock is renewed and its deployment
 * says it is alive. One reading of `API7_SYNC_HEARTBEAT_MS` for every door, so that a value which
 * is not a number is an error naming the variable rather than a timer firing every millisecond.
 */
import { SyncError } from '../engine/index.js';

export const DEFAULT_HEARTBEAT_MS = 60_000;

/** A lock outlives one missed heartbeat, never much more (the TTL must be at least twice the heartbeat). */
export function lockTtl(heartbeatMs: number): number {
  return 3 * heartbeatMs;
}

/**
 * How long before its lease runs out a session must have confirmed it, else its promotion is told
 * to stop: half a heartbeat, the time the promotion has to stop and undo before another run may
 * take the lock. With a lease of three heartbeats, renewals may fail for a beat and a half.
 */
export function leaseMargin(heartbeatMs: number): number {
  return Math.ceil(heartbeatMs / 2);
}

/**
 * Reads a heartbeat in whole milliseconds: the default when unset or empty, else an integer of at
 * least `minimumMs`; anything else throws `SyncError('usage')` naming `variable`.
 */
export function parseHeartbeatMs(raw: string | undefined, variable: string, minimumMs: number): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_HEARTBEAT_MS;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < minimumMs)
    throw new SyncError(
      'usage',
      `${variable} takes whole milliseconds, at least ${minimumMs} (default ${DEFAULT_HEARTBEAT_MS}), not "${raw}"`,
    );
  return value;
}
