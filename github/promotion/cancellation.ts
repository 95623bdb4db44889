/**
 * The promotion run's cancellation (DESIGN §15): the CLI and the Action turn SIGINT and SIGTERM
 * into the engine's `signal` here, and nowhere else.
 *
 * GitHub cancels a job with SIGINT, then SIGTERM about 7.5 s later, then kills it. The first
 * signal stops new writes: the engine undoes what its all-or-none and rollback rules say and
 * returns a result that says `interrupted`, which the door prints before exiting 130. A second
 * signal, or the grace running out, stops at once: in-flight requests are aborted and the door is
 * told what this promotion wrote and did not undo, so that a person can finish the job by hand.
 */
import { setMaxListeners } from 'node:events';
import type { ApplyProgress } from '../../engine/index.js';

/** The exit code of a process stopped by a signal, as shells report SIGINT. */
export const EXIT_INTERRUPTED = 130;

/** How long the undo may run after the first signal: inside GitHub's 7.5 s before its SIGTERM. */
export const DEFAULT_GRACE_MS = 6_000;

export type Signal = 'SIGINT' | 'SIGTERM';

/** Where signals come from: the process, or a stand-in in tests. */
export interface SignalSource {
  on(event: Signal, listener: () => void): unknown;
  off(event: Signal, listener: () => void): unknown;
}

export interface CancellationOptions {
  source?: SignalSource;
  graceMs?: number;
  /** Told once, at the first signal: what happens now (for stderr or the job log). */
  onInterrupt(message: string): void;
  /**
   * At a second signal or when the grace ran out: says what is left; the door then stops the
   * process at once (exit 130).
   */
  onHardStop(message: string): void;
}

export interface Cancellation {
  /** Aborted at the first signal: the engine's apply and fan-out take it as `signal`. */
  readonly signal: AbortSignal;
  /** Aborted at the hard stop: `createEngine({ signal })` ends the requests in flight. */
  readonly hardStop: AbortSignal;
  /** The signal that interrupted the promotion, or undefined. */
  readonly interruptedBy: Signal | undefined;
  /** For apply's `onProgress`: remembers what was written and not undone yet. */
  track(event: ApplyProgress): void;
  /** Stops listening for signals (the process's default handling comes back). */
  dispose(): void;
}

export function cancelOnSignals(options: CancellationOptions): Cancellation {
  const source = options.source ?? process;
  const soft = new AbortController();
  const hard = new AbortController();
  // Every request and probe of a promotion listens to these: hundreds at once, no limit.
  setMaxListeners(0, soft.signal, hard.signal);
  /** Services written and not undone, by environment. */
  const written = new Map<string, Set<string>>();
  let interruptedBy: Signal | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;

  const stopNow = (why: string) => {
    if (hard.signal.aborted) return;
    clearTimeout(grace);
    hard.abort(new Error(why));
    options.onHardStop(`${why}: ${describeLeft(written)}`);
  };
  const listener = (signal: Signal) => () => {
    if (interruptedBy) return stopNow(`stopped at once on a second signal (${signal})`);
    interruptedBy = signal;
    soft.abort(new Error(`interrupted by ${signal}`));
    const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    options.onInterrupt(
      `${signal}: no new write starts; undoing what this promotion wrote where its all-or-none and rollback rules say so (at most ${graceMs / 1000} s; a second signal stops at once)`,
    );
    grace = setTimeout(() => stopNow(`the undo did not finish within ${graceMs / 1000} s`), graceMs);
    grace.unref();
  };
  const onInt = listener('SIGINT');
  const onTerm = listener('SIGTERM');
  source.on('SIGINT', onInt);
  source.on('SIGTERM', onTerm);

  return {
    signal: soft.signal,
    hardStop: hard.signal,
    get interruptedBy() {
      return interruptedBy;
    },
    track(event) {
      if (event.step === 'start') return;
      const names = written.get(event.targetEnvironment) ?? new Set<string>();
      written.set(event.targetEnvironment, names);
      if (event.step === 'synced') names.add(event.service);
      else if (event.step === 'undone') names.delete(event.service);
    },
    dispose() {
      clearTimeout(grace);
      source.off('SIGINT', onInt);
      source.off('SIGTERM', onTerm);
    },
  };
}

/** What a hard stop leaves: the services written and not undone, for a person to check. */
function describeLeft(written: Map<string, Set<string>>): string {
  const left = [...written].filter(([, names]) => names.size > 0);
  if (left.length === 0)
    return 'no service this promotion wrote is known to be left on its new version; check with `api7-sync status`';
  const parts = left.map(([environment, names]) => {
    const list = [...names].sort();
    const shown = list.slice(0, 10).map((n) => `"${n}"`);
    const more = list.length > 10 ? ` and ${list.length - 10} more` : '';
    return `${list.length} in "${environment}" (${shown.join(', ')}${more})`;
  });
  return `services written by this promotion and not undone: ${parts.join('; ')}; they may run the new version: check with \`api7-sync status\` and put them back with \`api7-sync rollback\``;
}
