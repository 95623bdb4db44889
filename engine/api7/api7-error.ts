/**
 * The one failure a control-plane call reports, and how a socket's error code maps onto the
 * error vocabulary. Kept apart from the transport so that reading an answer and sending a request
 * share one definition of what a failed call is.
 */
import { SyncError, type RunFailure } from '../errors.js';

/**
 * A failed control-plane call. It names method, path, status and API7's `error_msg`, never
 * the token. `ambiguous` is true when a write may have been applied although no answer came.
 * Its `code` says what kind of failure it is (`unreachable`, `unauthorized`, `tls`,
 * `bad-answer`); `networkCode` keeps the socket's own code (ECONNREFUSED, ...) for retries.
 */
export class Api7Error extends SyncError {
  /** From a `Retry-After` header, when the server sent one. */
  retryAfterMs?: number;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number | undefined,
    readonly errorMsg: string,
    readonly ambiguous: boolean,
    readonly networkCode?: string,
    code?: RunFailure,
  ) {
    super(
      code ?? failureKind(status, networkCode),
      `${method} ${path}: ${status !== undefined ? `HTTP ${status}: ` : ''}${errorMsg}`,
    );
    this.name = 'Api7Error';
  }

  /** The token was missing, wrong or lacks permission: retrying will not help. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

function failureKind(status: number | undefined, networkCode: string | undefined): RunFailure {
  if (status === 401 || status === 403) return 'unauthorized';
  if (networkCode !== undefined && TLS_CODES.has(networkCode)) return 'tls';
  if (status === undefined || status === 502 || status === 503 || status === 504) return 'unreachable';
  return 'bad-answer';
}

/** Socket codes that mean the TLS handshake failed: a certificate or protocol problem, not a network one. */
export const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** The code of a network error: undici and Node put it on the error or on its cause. */
export function networkCodeOf(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  return e.cause?.code && TLS_CODES.has(e.cause.code)
    ? e.cause.code
    : (e.code ?? e.cause?.code ?? e.name ?? 'error');
}
