/**
 * The lease of a held environment lock, for its promotion session (session.ts): renewed at each
 * beat, and never lost silently.
 *
 * A renewal is one commit on the claim's tree and a fast-forward of the lock branch (two writes).
 * One GitHub refuses for a rate limit (403 or 429 with `retry-after`) is waited out and the same
 * commit sent again, as long as that still lands before the lease's deadline (half a heartbeat
 * before it runs out). If the lease is not confirmed by that deadline, or another run took the
 * lock over, `signal` is aborted: the promotion must start no new API7 write and undo what it
 * wrote while the lease still keeps other runs out.
 */
import { messageOf, SyncError, type Logger } from '../engine/index.js';
import { rateLimitWaitMs } from './api.js';
import { leaseMargin, lockTtl } from './heartbeat.js';
import { describeHolder, type EnvironmentLock, type HeldLock, type LockInfo } from './lock.js';

/** The same claim, whatever its lease: renewals keep holder, request and since. */
export const sameClaim = (a: LockInfo, b: LockInfo) =>
  a.holder === b.holder && a.request === b.request && a.since === b.since;

export class Lease {
  /** True once another run took the lock over: it is theirs to release. */
  takenOver = false;
  private readonly broken = new AbortController();
  /** Aborted by `stop()`: a renewal waiting out a rate limit stops waiting. */
  private readonly stopping = new AbortController();
  /** Fires at the lease's deadline unless a renewal confirmed the lease first. */
  private watchdog: NodeJS.Timeout | undefined;
  private readonly environment: string;
  private readonly ttlMs: number;

  constructor(
    private readonly lock: EnvironmentLock,
    /** Our latest lock commit, which moves with every renewal. */
    public held: HeldLock,
    private readonly options: {
      heartbeatMs: number;
      log: Pick<Logger, 'debug' | 'warn' | 'error'>;
      now: () => number;
    },
  ) {
    this.environment = held.info.environment;
    this.ttlMs = lockTtl(options.heartbeatMs);
    this.guard();
  }

  /** Aborted, with a `SyncError('lock-backend')` saying why, when the lease cannot be vouched for. */
  get signal(): AbortSignal {
    return this.broken.signal;
  }

  /** The renewal in flight, if any: one at a time. */
  private inflight: Promise<void> | undefined;

  /** Renews the lease now, or joins the renewal already in flight; never throws. */
  renew(): Promise<void> {
    this.inflight ??= this.renewing().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** Resolves once no renewal is in flight. */
  settled(): Promise<void> {
    return this.inflight ?? Promise.resolve();
  }

  /** No more renewals or deadline: the session is ending. */
  stop(): void {
    clearTimeout(this.watchdog);
    this.stopping.abort();
  }

  /**
   * Renews the lease from our latest commit. A failed renewal is tried again while the lease's
   * deadline allows: after as long as GitHub asks for a rate limit (the same commit sent again),
   * after a quarter heartbeat for anything else; past the deadline, at the next beat.
   */
  private async renewing(): Promise<void> {
    let next: HeldLock | undefined;
    for (;;) {
      const held = this.held;
      try {
        next ??= await this.lock.renewal(held, this.ttlMs);
        const renewed = (await this.lock.advance(next)) ?? (await this.renewLostAnswer(held));
        if (renewed) {
          this.held = renewed;
          this.guard();
          this.options.log.debug?.(`renewed the lock on "${this.environment}" until ${renewed.info.until}`);
        }
        return;
      } catch (err) {
        const limited = rateLimitWaitMs(err, this.options.now());
        const waitMs = limited ?? Math.ceil(this.options.heartbeatMs / 4);
        const inTime = this.options.now() + waitMs < this.deadline(held);
        this.options.log.warn(
          limited !== undefined
            ? `GitHub's rate limit refused renewing the lock on "${this.environment}": ${inTime ? `sending it again in ${Math.ceil(waitMs / 1000)} s as GitHub asks, within its lease` : 'GitHub asks to wait past its lease, so it is tried again at the next heartbeat'} (held until ${held.info.until})`
            : `renewing the lock on "${this.environment}" failed; it stays held until ${held.info.until} and is renewed again ${inTime ? `in ${waitMs} ms` : 'at the next heartbeat'}: ${messageOf(err)}`,
        );
        if (!inTime || !(await this.pause(waitMs))) return;
      }
    }
  }

  /**
   * Not a fast forward of our head: either our previous renewal landed with its answer lost (the
   * head is still our claim, renewed from there) or someone took the lock over (undefined).
   */
  private async renewLostAnswer(held: HeldLock): Promise<HeldLock | undefined> {
    const current = await this.lock.read(this.environment);
    const renewed =
      current && sameClaim(current.info, held.info) ? await this.lock.renew(current, this.ttlMs) : undefined;
    if (!renewed) {
      this.takenOver = true;
      clearTimeout(this.watchdog);
      const message = `the lock on "${this.environment}" is no longer this job's: it is ${describeHolder(current?.info)}; the promotion is told to stop before its next API7 write`;
      this.options.log.error(message);
      this.break(message);
    }
    return renewed;
  }

  /** Half a heartbeat before the lease runs out: time for the promotion to stop and undo. */
  private deadline(held: HeldLock): number {
    return Date.parse(held.info.until) - leaseMargin(this.options.heartbeatMs);
  }

  /** (Re)arms the watchdog for the current lease; nothing to guard without a lock. */
  private guard(): void {
    clearTimeout(this.watchdog);
    const held = this.held;
    if (this.takenOver || this.broken.signal.aborted) return;
    const deadline = this.deadline(held);
    this.watchdog = setTimeout(
      () => {
        if (this.stopping.signal.aborted) return;
        const message = `the lease on the lock on "${this.environment}" could not be confirmed by ${new Date(deadline).toISOString()} (it runs out at ${held.info.until}, when another run may take the lock): the promotion is told to stop before its next API7 write and undo what it wrote`;
        this.options.log.error(message);
        this.break(message);
      },
      Math.max(0, deadline - this.options.now()),
    );
    this.watchdog.unref();
  }

  /** Tells the promotion to stop (once: the first reason is the one it reports). */
  private break(message: string): void {
    if (!this.broken.signal.aborted) this.broken.abort(new SyncError('lock-backend', message));
  }

  /** Waits `ms`; false when the session ended meanwhile. */
  private pause(ms: number): Promise<boolean> {
    const stopping = this.stopping.signal;
    if (stopping.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopping.removeEventListener('abort', done);
        resolve(!stopping.aborted);
      };
      const timer = setTimeout(done, ms);
      stopping.addEventListener('abort', done, { once: true });
    });
  }
}
