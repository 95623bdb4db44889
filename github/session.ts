/**
 * One promotion session: the only code that holds an environment lock. It claims
 * the lock (or waits for it), renews it every heartbeat from its latest commit, records the GitHub
 * Deployment with heartbeat statuses, and at the end records the outcome and releases the lock.
 * The Action, the CLI and the bot all promote through it, so all of them renew and release alike.
 *
 * It never swallows an error: a failed renewal or heartbeat is logged and retried at the next
 * beat, and `end()` logs and returns what it had to leave behind (a lock still held, a deployment
 * still `in_progress`) instead of throwing.
 *
 * A lock is never lost silently (lease.ts): when its lease cannot be confirmed in time, or another
 * run took it over, the session's `signal` tells the promotion to stop.
 */
import { messageOf, SyncError, type Logger } from '../engine/index.js';
import { createDeployment, setDeploymentStatus } from './deployment.js';
import { lockTtl } from './heartbeat.js';
import { Lease, sameClaim } from './lease.js';
import {
  assertLockableEnvironment,
  describeHolder,
  EnvironmentLock,
  type HeldLock,
  type LockInfo,
} from './lock.js';
import type {
  DeploymentRequest,
  PromotionSession,
  SessionEnd,
  SessionOptions,
  SessionOutcome,
  SessionStart,
} from './session-types.js';

// The session's types live in their own module; callers keep importing them from here.
export type * from './session-types.js';

/** Claims the environment lock (waiting up to `waitMs`), then records the deployment if asked. */
export async function startSession(options: SessionOptions): Promise<SessionStart> {
  const { environment, heartbeatMs, log } = options;
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1)
    throw new SyncError('usage', `a heartbeat is a whole number of milliseconds, not ${heartbeatMs}`);
  const now = options.now ?? Date.now;
  const lock = new EnvironmentLock(options.github, options.repo, now);
  let held: HeldLock | undefined;
  let tookOverFrom: LockInfo | undefined;
  if (options.lock) {
    assertLockableEnvironment(environment);
    const claim = await lock
      .claimWaiting(environment, options.lock, {
        waitMs: options.waitMs ?? 0,
        pollMs: options.pollMs ?? Math.min(heartbeatMs, 5_000),
        ttlMs: lockTtl(heartbeatMs),
        onWait: options.onWait,
      })
      .catch((err: unknown) => {
        if (err instanceof SyncError) throw err;
        throw new SyncError(
          'lock-backend',
          `could not claim the lock on "${environment}": ${messageOf(err)}`,
          { cause: err },
        );
      });
    if (!claim.claimed) return { started: false, heldBy: claim.heldBy };
    held = claim.lock;
    tookOverFrom = claim.tookOverFrom;
    log.info(
      `holding the lock on "${environment}" until ${held.info.until}, renewed every ${heartbeatMs} ms`,
    );
    if (tookOverFrom)
      log.warn(`took over the expired lock on "${environment}", which was ${describeHolder(tookOverFrom)}`);
  }
  const session = new Session(options, lock, held, now);
  if (options.deployment) {
    try {
      await session.recordDeployment(options.deployment);
    } catch (err) {
      // Nothing ran yet: give the lock back rather than keep it until its TTL.
      await session.end({ state: 'error', description: 'the deployment could not be recorded' });
      throw new SyncError(
        'lock-backend',
        `could not record the deployment of "${environment}": ${messageOf(err)}`,
        { cause: err },
      );
    }
  }
  return { started: true, session, ...(tookOverFrom ? { tookOverFrom } : {}) };
}

class Session implements PromotionSession {
  readonly environment: string;
  private deployment: { id: number; environmentUrl?: string; logUrl?: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Every GitHub write of the session, in order: a late heartbeat never follows the outcome. */
  private queue: Promise<unknown> = Promise.resolve();
  private ending: Promise<SessionEnd> | undefined;
  private readonly log: Logger;
  /** The held lock's lease; undefined without a lock, or once it is released. */
  private lease: Lease | undefined;
  readonly signal: AbortSignal;

  constructor(
    private readonly options: SessionOptions,
    private readonly lock: EnvironmentLock,
    held: HeldLock | undefined,
    private readonly now: () => number,
  ) {
    this.environment = options.environment;
    this.log = options.log;
    this.lease = held && new Lease(lock, held, { heartbeatMs: options.heartbeatMs, log: this.log, now });
    this.signal = this.lease?.signal ?? new AbortController().signal;
    this.schedule();
  }

  get lockSha(): string {
    return this.lease?.held.sha ?? '';
  }

  get deploymentId(): number | undefined {
    return this.deployment?.id;
  }

  recordDeployment(req: DeploymentRequest): Promise<number> {
    return this.serially(async () => {
      if (this.ending) throw new SyncError('internal', 'the promotion session has already ended');
      if (this.deployment)
        throw new SyncError('internal', `deployment #${this.deployment.id} is already recorded`);
      const { id } = await createDeployment(this.options.github, this.options.repo, {
        ref: req.ref,
        environment: this.environment,
        description: req.description,
        payload: req.payload,
        production: req.production,
      });
      this.deployment = {
        id,
        ...(req.environmentUrl ? { environmentUrl: req.environmentUrl } : {}),
        ...(req.logUrl ? { logUrl: req.logUrl } : {}),
      };
      // No `in_progress` status now: the deployment's creation is its first heartbeat (recovery
      // reads it so), one write less per promotion; the statuses start at the first beat.
      return id;
    });
  }

  progress(description: string): Promise<void> {
    return this.serially(async () => {
      if (!this.deployment || this.ending) return;
      try {
        await this.status('in_progress', { description });
      } catch (err) {
        this.log.warn(
          `could not note "${description}" on deployment #${this.deployment.id}: ${messageOf(err)}`,
        );
      }
    });
  }

  end(outcome: SessionOutcome): Promise<SessionEnd> {
    this.ending ??= this.finish(outcome);
    return this.ending;
  }

  private async finish(outcome: SessionOutcome): Promise<SessionEnd> {
    clearTimeout(this.timer);
    this.lease?.stop();
    // A renewal in flight lands (or fails) before the release reads the lock's head.
    await this.lease?.settled();
    const problems: string[] = [];
    let deploymentClosed = true;
    let lockReleased = true;
    try {
      await this.serially(async () => {
        if (this.deployment) {
          try {
            await this.status(outcome.state, outcome);
          } catch (err) {
            deploymentClosed = false;
            problems.push(
              `deployment #${this.deployment.id} of "${this.environment}" was not closed and still says in_progress (a recovery marks it failed once its heartbeat is stale): ${messageOf(err)}`,
            );
          }
        }
        if (this.lease) lockReleased = await this.releaseLock(this.lease, problems);
      });
    } catch (err) {
      // serially() only rethrows what the steps above did not catch: report it all the same.
      problems.push(`ending the promotion session failed: ${messageOf(err)}`);
      lockReleased = !this.lease;
    }
    for (const p of problems) this.log.error(p);
    return { lockReleased, deploymentClosed, problems };
  }

  /** False, with the reason in `problems`, when the lock could not be given back. */
  private async releaseLock(lease: Lease, problems: string[]): Promise<boolean> {
    const held = lease.held;
    if (lease.takenOver) {
      problems.push(
        `the lock on "${this.environment}" was taken over while this job ran; it was left to its new holder`,
      );
      return false;
    }
    try {
      if (await this.lock.release(this.environment, held.sha)) return this.released();
      // Our last renewal may have landed with its answer lost: the head is then still ours.
      const current = await this.lock.read(this.environment);
      if (
        current &&
        sameClaim(current.info, held.info) &&
        (await this.lock.release(this.environment, current.sha))
      )
        return this.released();
      problems.push(
        `the lock on "${this.environment}" was no longer this job's when it ended: it is ${describeHolder(current?.info)}`,
      );
      return false;
    } catch (err) {
      problems.push(
        `the lock on "${this.environment}" is still held (until ${held.info.until}, when anyone may take it over): releasing it failed: ${messageOf(err)}`,
      );
      return false;
    }
  }

  private released(): true {
    this.log.info(`released the lock on "${this.environment}"`);
    this.lease = undefined;
    return true;
  }

  /**
   * The next beat comes a heartbeat after the previous one started (or when it finished, if
   * later), so that slow answers do not let the lease drift towards its end. The renewal does not
   * wait behind the deployment's writes: only the lease decides whether the promotion may go on.
   */
  private schedule(delayMs = this.options.heartbeatMs): void {
    this.timer = setTimeout(() => {
      const started = this.now();
      const renewal = this.lease && !this.lease.takenOver && !this.ending ? this.lease.renew() : undefined;
      const heartbeat = this.serially(async () => {
        if (this.deployment && !this.ending) await this.postHeartbeat();
      });
      void Promise.all([renewal, heartbeat])
        // Both handle their own failures; anything else is a bug worth seeing, not a crash.
        .catch((err: unknown) =>
          this.log.error(`the heartbeat of "${this.environment}" failed: ${messageOf(err)}`),
        )
        .finally(() => {
          if (!this.ending) this.schedule(Math.max(0, this.options.heartbeatMs - (this.now() - started)));
        });
    }, delayMs);
    // A session must not keep a process alive on its own: the promotion's own work does that.
    this.timer.unref();
  }

  /** `heartbeat <ISO time>`: what a recovery reads to tell a live job from a dead one. */
  private async postHeartbeat(): Promise<void> {
    const description = `heartbeat ${new Date(this.now()).toISOString()}`;
    try {
      await this.status('in_progress', { description });
    } catch (err) {
      this.log.warn(
        `the heartbeat of deployment #${this.deployment!.id} failed; it is posted again at the next heartbeat: ${messageOf(err)}`,
      );
    }
  }

  private status(
    state: 'in_progress' | SessionOutcome['state'],
    details: { description: string; environmentUrl?: string; logUrl?: string },
  ): Promise<void> {
    const d = this.deployment!;
    return setDeploymentStatus(this.options.github, this.options.repo, d, state, {
      description: details.description,
      environmentUrl: details.environmentUrl ?? d.environmentUrl,
      logUrl: details.logUrl ?? d.logUrl,
    });
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
