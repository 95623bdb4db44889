/**
 * What a promotion session (session.ts) is given and gives back: its options, its handle for the
 * promotion, and what its end left behind.
 */
import type { Logger } from '../engine/index.js';
import type { GitHubClient, Repo } from './api.js';
import type { LockInfo } from './lock.js';

export interface DeploymentRequest {
  ref: string;
  description: string;
  payload: Record<string, unknown>;
  production: boolean;
  environmentUrl?: string;
  logUrl?: string;
}

export interface SessionOptions {
  github: GitHubClient;
  repo: Repo;
  environment: string;
  /**
   * Who holds the lock and why; `request` is an id a recoverer can match. `false` records the
   * deployment (with its heartbeat) without taking the lock, for a caller that opted out of it.
   */
  lock: { holder: string; reason: string; url?: string; request?: string } | false;
  /** How often the lock is renewed and the deployment says it is alive; the lock's TTL is 3×. */
  heartbeatMs: number;
  /** How long to wait for a held lock before giving up (default 0: at once). */
  waitMs?: number;
  /** How often a waiting claim looks again (default: the heartbeat, at most 5 s). */
  pollMs?: number;
  /** Called once, when the lock is held by someone else and the session starts waiting. */
  onWait?: (heldBy: LockInfo | undefined) => void;
  /** Created right after the claim when given. */
  deployment?: DeploymentRequest;
  log: Logger;
  now?: () => number;
}

export type SessionStart =
  | { started: true; session: PromotionSession; tookOverFrom?: LockInfo }
  | { started: false; heldBy: LockInfo | undefined };

export type SessionOutcome = {
  state: 'success' | 'failure' | 'error' | 'inactive';
  description: string;
  environmentUrl?: string;
  logUrl?: string;
};

export interface PromotionSession {
  readonly environment: string;
  /** The lock's current head, which moves with every renewal ('' when no lock is held). */
  readonly lockSha: string;
  readonly deploymentId: number | undefined;
  /**
   * Aborted when the session can no longer vouch for its lock: the lease could not be confirmed
   * before its deadline, or another run took the lock over. Its `reason` is a `SyncError`
   * (`lock-backend`) saying which; the promotion gives it to the engine's apply as its `signal`,
   * so that no new API7 write starts. Never aborted for a session without a lock.
   */
  readonly signal: AbortSignal;
  /** Creates the deployment after the claim (when the caller plans again under the lock first). */
  recordDeployment(req: DeploymentRequest): Promise<number>;
  /**
   * An `in_progress` status now (nothing without a deployment); a failure is logged, not thrown:
   * a progress note is not worth failing a promotion for.
   */
  progress(description: string): Promise<void>;
  /** Records the outcome and releases the lock; never throws, says what was left behind. */
  end(outcome: SessionOutcome): Promise<SessionEnd>;
}

export interface SessionEnd {
  /** True when no lock of this session remains (also when it held none). */
  lockReleased: boolean;
  /** True when no deployment of this session is left open (also when it recorded none). */
  deploymentClosed: boolean;
  /** What was left behind and why, each already logged as an error. */
  problems: string[];
}
