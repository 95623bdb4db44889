/**
 * Chat-ops' one reply funnel for errors: what a pull-request comment (or a gate's rejection) says
 * about a failure, and what the log gets. A comment is read by everyone with access to the pull
 * request, so it carries only our own sentences: a SyncError's first line, with any URL cut to
 * its origin and path (no credentials, no query); anything else is a fault whose text, from a
 * library or a server, stays in the log.
 */
import { messageOf, SyncError } from '../engine/index.js';
import { inert } from './inert.js';
import { Refusal } from './refusal.js';

/** The longest failure sentence a comment carries. */
const MAX_REPLY = 600;

/** A sentence for a comment: what went wrong, without internals. */
export function describeFailure(err: unknown): string {
  // A refusal is a sentence written for this very comment (mentions and code spans included).
  if (err instanceof Refusal) return err.message;
  if (err instanceof SyncError) {
    const first = withoutUrlSecrets(err.message.split('\n')[0]!.trim());
    return `${err.code}: ${inert(first, { max: MAX_REPLY })}`;
  }
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return `GitHub answered ${status} (the log has the details)`;
  return 'an unexpected error (the log has the details)';
}

/** The line for the log: the full message and its code, without a stack. */
export function logLine(err: unknown): string {
  const message = withoutUrlSecrets(messageOf(err));
  return err instanceof SyncError ? `${err.code}: ${message}` : message;
}

/**
 * Every URL in `text` with its user name, password and query removed: notification and control
 * plane URLs may carry credentials there.
 */
export function withoutUrlSecrets(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/@]*@)?([^\s?#]*)(?:[?#][^\s]*)?/gi, '$1$2');
}
