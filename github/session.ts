/**
 * One promotion session: the only code that holds an environment lock. Claim (or wait), renew
 * every heartbeat keeping the new head, record a deployment with heartbeat statuses, and release
 * with the outcome recorded. (Provisional version; the shared one replaces it.)
 */
import type { GitHubRequest, Repo } from './api.js';
import { createDeployment, setDeploymentStatus } from './deployment.js';
import { EnvironmentLock, type HeldLock, type LockInfo } from './lock.js';

export interface SessionLog {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}
export interface DeploymentRequest {
  ref: string;
  description: string;
  payload: Record<string, unknown>;
  production: boolean;
  environmentUrl?: string;
  logUrl?: string;
}
export interface SessionOptions {
  github: GitHubRequest;
  repo: Repo;
  environment: string;
  lock: { holder: string; reason: string; url?: string; request?: string };
  heartbeatMs: number;
  waitMs?: number;
  onWait?: (heldBy: LockInfo | undefined) => void;
  deployment?: DeploymentRequest;
  log: SessionLog;
  now?: () => number;
}
export type SessionStart =
  | { started: true; session: PromotionSession; tookOverFrom?: LockInfo }
  | { started: false; heldBy: LockInfo | undefined };
export interface PromotionSession {
  readonly environment: string;
  readonly lockSha: string;
  readonly deploymentId: number | undefined;
  recordDeployment(req: DeploymentRequest): Promise<number>;
  progress(description: string): Promise<void>;
  end(outcome: {
    state: 'success' | 'failure' | 'error' | 'inactive';
    description: string;
    environmentUrl?: string;
    logUrl?: string;
  }): Promise<SessionEnd>;
}
export interface SessionEnd {
  lockReleased: boolean;
  deploymentClosed: boolean;
  problems: string[];
}

export async function startSession(o: SessionOptions): Promise<SessionStart> {
  const now = o.now ?? Date.now;
  const ttl = Math.max(2 * o.heartbeatMs, 60_000);
  const lock = new EnvironmentLock(o.github, o.repo, now);
  const claim = await lock.claimWaiting(o.environment, o.lock, {
    waitMs: o.waitMs ?? 0,
    ttlMs: ttl,
    onWait: o.onWait,
  });
  if (!claim.claimed) return { started: false, heldBy: claim.heldBy };
  let held: HeldLock = claim.lock;
  let deploymentId: number | undefined;
  let environmentUrl: string | undefined;
  const beat = async () => {
    const renewed = await lock.renew(held, ttl);
    if (renewed) held = renewed;
    else o.log.error(`the lock on ${o.environment} is no longer ours`);
    if (deploymentId !== undefined)
      await setDeploymentStatus(o.github, o.repo, { id: deploymentId }, 'in_progress', {
        description: `heartbeat ${new Date(now()).toISOString()}`,
        environmentUrl,
      });
  };
  let beating = Promise.resolve();
  const timer = setInterval(() => {
    beating = beating.then(beat).catch((err: unknown) => o.log.error(`heartbeat failed: ${String(err)}`));
  }, o.heartbeatMs);
  timer.unref();
  const session: PromotionSession = {
    environment: o.environment,
    get lockSha() {
      return held.sha;
    },
    get deploymentId() {
      return deploymentId;
    },
    async recordDeployment(req) {
      const d = await createDeployment(o.github, o.repo, { ...req, environment: o.environment });
      deploymentId = d.id;
      environmentUrl = req.environmentUrl;
      await setDeploymentStatus(o.github, o.repo, d, 'in_progress', {
        description: `heartbeat ${new Date(now()).toISOString()}`,
        environmentUrl: req.environmentUrl,
        logUrl: req.logUrl,
      });
      return d.id;
    },
    async progress(description) {
      if (deploymentId !== undefined)
        await setDeploymentStatus(o.github, o.repo, { id: deploymentId }, 'in_progress', { description });
    },
    async end(outcome) {
      clearInterval(timer);
      await beating;
      const problems: string[] = [];
      let deploymentClosed = deploymentId === undefined;
      if (deploymentId !== undefined) {
        try {
          await setDeploymentStatus(o.github, o.repo, { id: deploymentId }, outcome.state, outcome);
          deploymentClosed = true;
        } catch (err) {
          problems.push(`deployment ${deploymentId} was not closed: ${String(err)}`);
        }
      }
      let lockReleased = false;
      try {
        lockReleased = await lock.release(o.environment, held.sha);
        if (!lockReleased) problems.push(`the lock on ${o.environment} was no longer ours to release`);
      } catch (err) {
        problems.push(`the lock on ${o.environment} was not released: ${String(err)}`);
      }
      for (const p of problems) o.log.error(p);
      return { lockReleased, deploymentClosed, problems };
    },
  };
  if (o.deployment) await session.recordDeployment(o.deployment);
  return { started: true, session, ...(claim.tookOverFrom ? { tookOverFrom: claim.tookOverFrom } : {}) };
}
