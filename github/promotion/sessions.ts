/**
 * The promotion sessions of one run (DESIGN §8): claimed one environment at a time in the
 * engine's lock order, so that two runs over overlapping environments never each hold one lock
 * and wait for the other; ended with each target's own outcome; and their leases joined into the
 * one signal that stops the promotion before its next API7 write.
 */
import { setMaxListeners } from 'node:events';
import { messageOf, type SyncResult } from '../../engine/index.js';
import { describeHolder, type LockInfo } from '../lock.js';
import type { PromotionSession, SessionOutcome, SessionStart } from '../session.js';
import type { Signal } from './cancellation.js';
import { sessionOutcome } from './outcome.js';

/**
 * Starts the promotion session of one environment (lock, deployment, heartbeat), or says who
 * holds its lock. Each door builds its own: the holder, the lock request id and the heartbeat
 * are the door's to say.
 */
export type SessionFactory = (environment: string) => Promise<SessionStart>;

export type Sessions = Map<string, PromotionSession>;

export type Claim =
  | { ok: true; sessions: Sessions }
  | { ok: false; environment: string; heldBy: LockInfo | undefined; message: string };

/**
 * Claims every environment's session in the order given (the engine's `lockOrder`). When a
 * claim finds its lock held, or fails, the sessions already started are ended before returning.
 */
export async function claimSessions(environments: string[], start: SessionFactory): Promise<Claim> {
  const sessions: Sessions = new Map();
  for (const environment of environments) {
    let started: SessionStart;
    try {
      started = await start(environment);
    } catch (err) {
      await endEach(sessions, () => ({ state: 'error', description: `not started: ${messageOf(err)}` }));
      throw err;
    }
    if (!started.started) {
      const message = `the lock on environment "${environment}" is ${describeHolder(started.heldBy)}`;
      await endEach(sessions, () => ({ state: 'inactive', description: `not started: ${message}` }));
      return { ok: false, environment, heldBy: started.heldBy, message };
    }
    sessions.set(environment, started.session);
  }
  return { ok: true, sessions };
}

/**
 * The signal the engine's apply and fan-out take: aborted at the first SIGINT/SIGTERM (or when the
 * process shuts down: `stops`), or as soon as any session can no longer vouch for its lock (its
 * lease was lost or taken over), so that no new API7 write starts without every lock held.
 */
export function stopSignal(
  sessions: Sessions,
  ...stops: (AbortSignal | undefined)[]
): AbortSignal | undefined {
  const given = stops.filter((s): s is AbortSignal => s !== undefined);
  const signals = [...given, ...[...sessions.values()].map((s) => s.signal)];
  if (signals.length === 0) return undefined;
  const joined = AbortSignal.any(signals);
  // Every request and probe of a promotion may listen to it: hundreds at once.
  setMaxListeners(0, joined);
  return joined;
}

/** Why each session that lost its lock stopped, by environment (the lease's own words). */
export function lostLocks(sessions: Sessions): Map<string, string> {
  const lost = new Map<string, string>();
  for (const [environment, session] of sessions)
    if (session.signal.aborted) lost.set(environment, messageOf(session.signal.reason));
  return lost;
}

/**
 * Ends every session with its own target's outcome (an interruption or a lost lock included);
 * returns what was left behind, each already logged by its session.
 */
export async function endSessions(
  sessions: Sessions,
  /** Each target's result (a fan-out's document fits), or undefined when none came. */
  result: { targets: SyncResult[] } | undefined,
  interruptedBy: Signal | undefined,
  details: (environment: string) => Pick<SessionOutcome, 'environmentUrl' | 'logUrl'> = () => ({}),
): Promise<string[]> {
  const lost = lostLocks(sessions);
  return endEach(sessions, (environment) => {
    const target = result?.targets.find((t) => t.to.environment === environment);
    return { ...sessionOutcome(target, interruptedBy, lost.get(environment)), ...details(environment) };
  });
}

async function endEach(
  sessions: Sessions,
  outcome: (environment: string) => SessionOutcome,
): Promise<string[]> {
  const problems: string[] = [];
  // One at a time, in claim order: never throws (end() logs and returns what it left behind).
  for (const [environment, session] of sessions)
    problems.push(...(await session.end(outcome(environment))).problems);
  return problems;
}
