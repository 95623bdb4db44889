/**
 * What an environment lock says, for anyone who reads it: the lock branch's name, the JSON in its
 * commit message (`api7-sync lock: <environment>`, a blank line, then `environment`, `holder`,
 * `reason`, `since`, `until` and, for a recoverer, `request`), and the holder described for people.
 * The writes that claim, renew and release a lock are in lock.ts.
 */
import { ENVIRONMENT_NAME_RULE, isEnvironmentName, SyncError } from '../engine/index.js';

export interface LockInfo {
  environment: string;
  /** Who holds it: a workflow run, a bot request, a CLI user. */
  holder: string;
  /** A link to the run or the pull-request comment. */
  url?: string;
  /** An id a recoverer can match (a bot request, a workflow run attempt). */
  request?: string;
  reason: string;
  since: string;
  until: string;
}

/** Whether an environment name can be a lock branch: the engine's one environment-name rule. */
export { isEnvironmentName as isLockableEnvironment };

/** Refuses a name that cannot be a lock branch, before anything is written to GitHub. */
export function assertLockableEnvironment(name: string): void {
  if (!isEnvironmentName(name))
    throw new SyncError('usage', `"${name}" cannot name an environment lock: ${ENVIRONMENT_NAME_RULE}`);
}

export function lockBranch(environment: string): string {
  return `api7-sync-lock/${environment}`;
}

/** The lock commit's message: a first line naming the environment, a blank line, the JSON. */
export function lockMessage(info: LockInfo): string {
  return `api7-sync lock: ${info.environment}\n\n${JSON.stringify(info, null, 2)}\n`;
}

/** The lock's JSON from its commit message; a hand-made lock still reads as "held by someone". */
export function parseLockMessage(message: string, environment: string): LockInfo {
  const start = message.indexOf('{');
  try {
    const parsed = JSON.parse(message.slice(start)) as Partial<LockInfo>;
    return {
      environment,
      holder: String(parsed.holder ?? 'unknown'),
      ...(parsed.url ? { url: String(parsed.url) } : {}),
      ...(parsed.request ? { request: String(parsed.request) } : {}),
      reason: String(parsed.reason ?? ''),
      since: String(parsed.since ?? ''),
      until: String(parsed.until ?? new Date(8.64e15).toISOString()),
    };
  } catch {
    return {
      environment,
      holder: 'unknown (the lock commit is not an api7-sync lock)',
      reason: '',
      since: '',
      until: new Date(8.64e15).toISOString(),
    };
  }
}

/** "held by octo/repo run 42 since 2026-11-27T12:00:00Z (promote test → production)". */
export function describeHolder(info: LockInfo | undefined, quote: (text: string) => string = String): string {
  if (!info) return 'held by someone who just released or changed it; try again';
  // Anyone who may push can write a lock ref by hand: in Markdown every field is quoted inertly.
  const q = (text: unknown) => quote(String(text));
  return `held by ${q(info.holder)} since ${q(info.since)}${info.reason ? ` (${q(info.reason)})` : ''}${info.url ? `: ${q(info.url)}` : ''}; it expires at ${q(info.until)}`;
}
