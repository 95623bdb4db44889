/**
 * `--lock OWNER/REPO`: the CLI takes the same environment lock as the Action and the bot, in
 * that repository, with GITHUB_TOKEN (and GITHUB_API_URL for GitHub Enterprise Server), through
 * the same promotion session: renewed every `API7_SYNC_HEARTBEAT_MS` (default 60000) and released
 * at the end.
 */
import { userInfo } from 'node:os';
import { SyncError, messageOf } from '../engine/index.js';
import { gitHubClient } from '../github/client.js';
import { parseHeartbeatMs } from '../github/heartbeat.js';
import { describeHolder, isLockableEnvironment } from '../github/lock.js';
import { startSession, type SessionLog, type SessionOutcome } from '../github/session.js';
import type { Io } from './io.js';

/** Below this a heartbeat only makes sense against a local stand-in for GitHub (tests). */
const MIN_HEARTBEAT_MS = 10;

/** A lock option the CLI cannot use; the command line's usage error (exit 64). */
export class LockUsageError extends SyncError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'LockUsageError';
  }
}

/** How the session records what the promotion returned (an interruption, a failure). */
export type RecordOutcome<T> = (value: T) => { state: SessionOutcome['state']; description: string };

export type LockOutcome<T> = { ran: true; value: T } | { ran: false; message: string };

export async function withEnvironmentLock<T>(
  slug: string | undefined,
  environment: string,
  reason: string,
  io: Io,
  fn: () => Promise<T>,
  waitSeconds = 0,
  outcome?: RecordOutcome<T>,
): Promise<LockOutcome<T>> {
  if (!slug) return { ran: true, value: await fn() };
  const [owner, repo, ...rest] = slug.split('/');
  if (!owner || !repo || rest.length) throw new LockUsageError(`--lock takes OWNER/REPO, not "${slug}"`);
  const token = io.env.GITHUB_TOKEN;
  if (!token)
    throw new LockUsageError('--lock needs GITHUB_TOKEN (a token that may write to the repository)');
  if (!isLockableEnvironment(environment))
    throw new LockUsageError(
      `--lock cannot lock environment "${environment}": a lock is a branch, so the name must use letters, digits, ".", "_" or "-", without ".." and not ending in ".lock"`,
    );
  let heartbeatMs: number;
  try {
    heartbeatMs = parseHeartbeatMs(io.env.API7_SYNC_HEARTBEAT_MS, 'API7_SYNC_HEARTBEAT_MS', MIN_HEARTBEAT_MS);
  } catch (err) {
    throw new LockUsageError(messageOf(err));
  }
  const log: SessionLog = {
    info: (m) => io.stderr(m),
    warn: (m) => io.stderr(`warning: ${m}`),
    error: (m) => io.stderr(`error: ${m}`),
  };
  const started = await startSession({
    github: gitHubClient(token, log, { baseUrl: io.env.GITHUB_API_URL ?? 'https://api.github.com' }),
    repo: { owner, repo },
    environment,
    lock: { holder: `api7-sync CLI (${userInfo().username})`, reason },
    heartbeatMs,
    waitMs: waitSeconds * 1000,
    onWait: (heldBy) =>
      io.stderr(`waiting up to ${waitSeconds} s: the lock on "${environment}" is ${describeHolder(heldBy)}`),
    log,
  });
  if (!started.started)
    return {
      ran: false,
      message: `the lock on environment "${environment}" is ${describeHolder(started.heldBy)}`,
    };
  let ended: { state: SessionOutcome['state']; description: string } = {
    state: 'error',
    description: 'failed',
  };
  try {
    const value = await fn();
    ended = outcome?.(value) ?? { state: 'success', description: 'finished' };
    return { ran: true, value };
  } finally {
    // Logs whatever it had to leave behind (a lock still held until its TTL); never throws.
    await started.session.end({ state: ended.state, description: `${reason}: ${ended.description}` });
  }
}
