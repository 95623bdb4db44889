/**
 * A service's version history in one gateway group, read the way a rollback needs it: oldest
 * first, which version ran before the current one arrived, and how to list it for a person.
 */
import type { VersionHistoryItem } from './api7/client.js';

const time = (h: VersionHistoryItem) => {
  const t = Date.parse(h.publish_time ?? '');
  return Number.isNaN(t) ? 0 : t;
};

/** The group's history oldest first (the API lists newest first; equal times keep its order). */
export function oldestFirst(history: VersionHistoryItem[]): VersionHistoryItem[] {
  return [...history].reverse().sort((a, b) => time(a) - time(b));
}

/**
 * The default rollback target: the version that was running before the running version **first**
 * came into the group. Versions published after that (a failed sync that was rolled back, say)
 * are never the default. A "No Version" service goes back to the last version published.
 */
export function defaultRollbackTarget(
  history: VersionHistoryItem[],
  runningId: string | undefined,
): VersionHistoryItem | undefined {
  const ordered = oldestFirst(history);
  if (runningId === undefined) return ordered.at(-1);
  const firstArrival = ordered.findIndex((h) => h.id === runningId);
  return firstArrival > 0 ? ordered[firstArrival - 1] : undefined;
}

/** "1.0.0 (2026-11-27 10:00), 0.9.0 (…)": the history as a user reads it, newest first. */
export function describeHistory(history: VersionHistoryItem[]): string {
  if (history.length === 0) return 'no versions';
  return oldestFirst(history)
    .reverse()
    .map((h) => `${h.version}${h.publish_time ? ` (published ${h.publish_time})` : ''}`)
    .join(', ');
}
