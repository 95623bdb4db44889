/**
 * The one way the engine writes: send, and when the answer is lost or an error, read the target
 * back and send again only what did not land. A write is never blindly re-sent unless sending it
 * twice is harmless (`resendBlind`); minting a version twice must never happen.
 */
import { Api7Error } from '../api7/client.js';
import { messageOf } from '../errors.js';

export interface Converge<T> {
  /** What is being written, for log lines ("sync of 3 services into 生产网关组"). */
  what: string;
  items: T[];
  send: (items: T[]) => Promise<void>;
  /** Which of `items` the target shows as done; undefined when the target could not be read. */
  landed: (items: T[]) => Promise<T[] | undefined>;
  /** Whether sending again without knowing the outcome is harmless (idempotent writes). */
  resendBlind: boolean;
  /** How many times a write that did not land is sent at most. */
  attempts: number;
  log: (line: string) => void;
}

export interface Converged<T> {
  /** Items that did not land. */
  failed: T[];
  /** The last error, when some did not land. */
  error?: unknown;
}

/** A 4xx answer (other than 408/429) means the server refused: sending it again will not help. */
export function refusedByServer(err: unknown): boolean {
  return (
    err instanceof Api7Error &&
    !err.ambiguous &&
    err.status !== undefined &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 408 &&
    err.status !== 429
  );
}

/** Backoff with jitter between attempts: 100 ms doubling, at most 1 s. */
export const pause = (attempt: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2)));

export async function converge<T>(c: Converge<T>): Promise<Converged<T>> {
  let remaining = c.items;
  let error: unknown;
  for (let attempt = 0; attempt < c.attempts && remaining.length > 0; attempt++) {
    try {
      await c.send(remaining);
      return { failed: [] };
    } catch (err) {
      error = err;
      if (refusedByServer(err)) return { failed: remaining, error };
      c.log(`${c.what}: the write failed (${messageOf(err)}); reading back what landed`);
    }
    let done = await c.landed(remaining);
    // Unknown outcome, and a re-send could do it twice: keep reading until we know.
    for (let read = 0; done === undefined && !c.resendBlind && read < c.attempts; read++) {
      await pause(read);
      done = await c.landed(remaining);
    }
    if (done === undefined && !c.resendBlind) return { failed: remaining, error };
    if (done) remaining = remaining.filter((i) => !done.includes(i));
    if (remaining.length > 0 && attempt + 1 < c.attempts) await pause(attempt);
  }
  return remaining.length > 0 ? { failed: remaining, error } : { failed: [] };
}
