/**
 * One error base for everything the engine and the doors report. Its `code` comes from one
 * vocabulary: the result's reason codes plus the failures that stop a whole run. Each door maps
 * codes to its own answer (exit code, `setFailed`, PR reply) in one place.
 */
import type { Reason } from './reasons.js';

/** Failures of a whole run rather than of one service. */
export type RunFailure =
  | 'config'
  | 'usage'
  | 'unreachable'
  | 'unauthorized'
  | 'bad-answer'
  | 'tls'
  | 'lock-backend'
  | 'not-permitted-for-repository'
  | 'not-permitted'
  | 'approval-missing'
  | 'internal';

export type ErrorCode = Reason | RunFailure;

export class SyncError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}

/** The code of any thrown value: ours carry one, anything else is an internal failure. */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof SyncError ? err.code : 'internal';
}

/** The longest rendering of a thrown non-Error that goes into a message. */
const MAX_THROWN_CHARS = 300;

/**
 * The text of any thrown value, for a message a person reads. `String(err)` would print
 * `[object Object]` for a plain object and `(err as Error).message` prints `undefined` for
 * anything that is not an Error; neither tells the reader what went wrong.
 */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || `${err.name} (without a message)`;
  if (typeof err === 'string') return err || 'an empty error message';
  if (err === undefined || err === null) return `an error without any detail (${String(err)} was thrown)`;
  if (typeof err !== 'object') return String(err);
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && message) return message;
  return shortJson(err) ?? 'an error object that cannot be shown as text';
}

function shortJson(value: object): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // Circular or holding a BigInt: the caller says so in words instead.
    return undefined;
  }
  if (json === undefined || json === '{}') return undefined;
  return json.length > MAX_THROWN_CHARS ? `${json.slice(0, MAX_THROWN_CHARS)}…` : json;
}

/** What stands where a secret was. */
export const REDACTED = '***';

/**
 * The text with every occurrence of `secret` replaced, in the spellings an echoing server might
 * use (as sent, JSON-escaped, URL-encoded). A control plane that quotes the API key back in an
 * error must not get it into a PR comment, a log line, a Check Run or JSON output, and the error
 * text is where all of those start.
 */
export function withoutSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  const spellings = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  let out = text;
  for (const s of spellings) out = out.split(s).join(REDACTED);
  return out;
}
