/**
 * The one funnel every error of the gate goes through: what the rejection comment says about it
 * (a sentence, never a stack trace or `[object Object]`), and what the App's log gets. Our own
 * errors carry a code and a sentence meant for people; anything else is a fault of the App, whose
 * text stays in the log.
 */
import { SyncError } from '../../engine/index.js';
import { inert } from '../inert.js';

const READABLE = new Set(['unreachable', 'tls', 'unauthorized', 'bad-answer', 'config', 'lock-backend']);

/** A sentence for the comment: why a rule could not be evaluated. */
export function describeFailure(err: unknown): string {
  if (err instanceof SyncError) {
    const first = err.message.split('\n')[0]!.trim();
    const what = READABLE.has(err.code) ? `${err.code}: ` : '';
    return `${what}${inert(first, { max: 600 })}`;
  }
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number') return `GitHub answered ${status}`;
  return 'an unexpected error in the App (its log has the details)';
}

/** The line for the App's log: the message and code, without a stack. */
export function logLine(err: unknown): string {
  if (err instanceof SyncError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
