/**
 * HTTP to the API7 control plane: base URL, `X-API-KEY`, CA file / insecure switch, timeouts,
 * a keep-alive pool, bounded concurrency, and retries only where a retry is safe.
 *
 * Retries are written here rather than with undici's retry interceptor because that interceptor
 * has no jitter and cannot express "a write is re-sent only when the connection was refused,
 * once": everything else about a write is ambiguous and must be reconciled by reading back.
 */
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { Agent, request, type Dispatcher } from 'undici';
import { caFileTrouble } from '../config/ca-file.js';
import { SyncError, withoutSecret, type RunFailure, messageOf } from '../errors.js';
import {
  explainNetworkError,
  gatewayNotControlPlane,
  looksLikeGateway,
  notJson,
  oneLine,
} from './explain.js';

export interface Budgets {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  /** Read retries: at most this many tries in all … */
  readTries: number;
  /** … within this much time. */
  readRetryWindowMs: number;
}

export const DEFAULT_BUDGETS: Budgets = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  concurrency: 10,
  readTries: 3,
  readRetryWindowMs: 5_000,
};

export interface TransportOptions {
  baseUrl: string;
  token: string;
  caFile?: string;
  insecure?: boolean;
  dispatcher?: Dispatcher;
  budgets?: Partial<Budgets>;
  warn?: (message: string) => void;
  signal?: AbortSignal;
}

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

const TLS_CODES = new Set([
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

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'EPIPE',
  'ETIMEDOUT',
]);

export type Query = Record<string, string | number | boolean | undefined>;

export class Transport {
  readonly budgets: Budgets;
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: boolean;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly origin: string;
  /** Counts by kind, for reports and benchmarks. */
  readonly counts = { reads: 0, writes: 0, retries: 0 };

  constructor(private readonly opts: TransportOptions) {
    this.budgets = { ...DEFAULT_BUDGETS, ...opts.budgets };
    this.origin = opts.baseUrl.replace(/\/+$/, '');
    if (opts.insecure) {
      opts.warn?.(
        'TLS verification is OFF for the control plane (insecure: true). Never use this in production.',
      );
    }
    this.ownDispatcher = !opts.dispatcher;
    this.dispatcher =
      opts.dispatcher ??
      new Agent({
        connect: {
          timeout: this.budgets.connectTimeoutMs,
          rejectUnauthorized: !opts.insecure,
          ...(opts.caFile ? { ca: readCaFile(opts.caFile) } : {}),
        },
        headersTimeout: this.budgets.requestTimeoutMs,
        bodyTimeout: this.budgets.requestTimeoutMs,
        keepAliveTimeout: 10_000,
        connections: this.budgets.concurrency,
      });
    this.limit = pLimit(this.budgets.concurrency);
  }

  async close(): Promise<void> {
    if (this.ownDispatcher) await this.dispatcher.close();
  }

  /** A read: retried with backoff and jitter on transient failures, honouring `Retry-After`. */
  get<T>(path: string, query?: Query): Promise<T> {
    return this.limit(() => this.withReadRetries<T>('GET', path, query));
  }

  /**
   * A write: sent once. Only a refused connection (nothing reached the server) is tried again,
   * once. Anything else that leaves the outcome unknown is thrown with `ambiguous: true`.
   */
  send<T>(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    query?: Query,
  ): Promise<T> {
    return this.limit(async () => {
      try {
        return await this.once<T>(method, path, query, body);
      } catch (err) {
        if (err instanceof Api7Error && err.networkCode === 'ECONNREFUSED') {
          this.counts.retries++;
          return this.once<T>(method, path, query, body);
        }
        throw err;
      }
    });
  }

  /** Checks (`conflict_check`, `dry-run=all`) are POSTs that change nothing, so they may be retried. */
  check<T>(method: 'POST' | 'PATCH', path: string, body: unknown, query?: Query): Promise<T> {
    return this.limit(() => this.withReadRetries<T>(method, path, query, body));
  }

  private async withReadRetries<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const started = Date.now();
    let refusedOnce = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, query, body);
      } catch (err) {
        if (!(err instanceof Api7Error)) throw err;
        const transient =
          (err.status !== undefined && RETRYABLE_STATUS.has(err.status)) ||
          (err.networkCode !== undefined && RETRYABLE_CODES.has(err.networkCode));
        // A control plane that refuses connections is most likely down: one more try, not three.
        const refusedAgain = err.networkCode === 'ECONNREFUSED' && refusedOnce;
        if (err.networkCode === 'ECONNREFUSED') refusedOnce = true;
        if (!transient || refusedAgain || attempt >= this.budgets.readTries) throw err;
        const backoff = Math.min(2000, 100 * 2 ** (attempt - 1));
        const jittered = backoff / 2 + Math.random() * (backoff / 2);
        const wait = err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, jittered) : jittered;
        if (Date.now() - started + wait > this.budgets.readRetryWindowMs) throw err;
        this.counts.retries++;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** One exchange; whatever it reports has the token taken out, whatever the server echoed. */
  private async once<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    try {
      return await this.exchange<T>(method, path, query, body);
    } catch (err) {
      if (!(err instanceof Api7Error)) throw err;
      const token = this.opts.token;
      const clean = new Api7Error(
        err.method,
        withoutSecret(err.path, token),
        err.status,
        withoutSecret(err.errorMsg, token),
        err.ambiguous,
        err.networkCode,
        err.code as RunFailure,
      );
      if (err.retryAfterMs !== undefined) clean.retryAfterMs = err.retryAfterMs;
      throw clean;
    }
  }

  private async exchange<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const search = qs.toString();
    const url = `${this.origin}${path}${search ? `?${search}` : ''}`;
    if (method === 'GET' || method === 'HEAD') this.counts.reads++;
    else this.counts.writes++;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        dispatcher: this.dispatcher,
        headers: {
          'x-api-key': this.opts.token,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.opts.signal,
        headersTimeout: this.budgets.requestTimeoutMs,
        bodyTimeout: this.budgets.requestTimeoutMs,
        // Redirects are never followed: X-API-KEY is a custom header that redirect handling keeps.
        maxRedirections: 0,
      } as Parameters<typeof request>[1]);
    } catch (err) {
      const code = networkCodeOf(err);
      const refused =
        code === 'ECONNREFUSED' ||
        code === 'UND_ERR_CONNECT_TIMEOUT' ||
        code === 'ENOTFOUND' ||
        TLS_CODES.has(code);
      const message = explainNetworkError(code, messageOf(err), this.origin);
      // For a write, anything but "never connected" may have reached the server.
      throw new Api7Error(method, path, undefined, message, method !== 'GET' && !refused, code);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'UND_ERR_BODY';
      throw new Api7Error(
        method,
        path,
        res.statusCode,
        `the answer broke off: ${messageOf(err)}`,
        method !== 'GET',
        code,
      );
    }
    let parsed: unknown = undefined;
    let isJson = false;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
        isJson = true;
      } catch {
        parsed = undefined;
      }
    }
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (res.statusCode >= 200 && res.statusCode < 300) {
      // An empty answer is what some DELETEs give; anything else must be JSON, or we are not
      // talking to API7's Admin API at all (a login page, a proxy, the dashboard's web app).
      if (text.length === 0 || isJson) return parsed as T;
      throw new Api7Error(
        method,
        path,
        res.statusCode,
        notJson(text, contentType, this.origin),
        false,
        undefined,
        'bad-answer',
      );
    }
    const errorMsg =
      (parsed as { error_msg?: unknown } | undefined)?.error_msg !== undefined
        ? String((parsed as { error_msg: unknown }).error_msg)
        : res.statusCode === 401
          ? 'the control plane rejected the token'
          : text.length === 0
            ? 'no error message'
            : isJson
              ? oneLine(text)
              : notJson(text, contentType, this.origin);
    const gateway = res.statusCode === 404 && looksLikeGateway(errorMsg);
    const error = gateway
      ? new Api7Error(method, path, 404, gatewayNotControlPlane(this.origin), false, undefined, 'bad-answer')
      : new Api7Error(method, path, res.statusCode, errorMsg, false);
    const retryAfter = res.headers['retry-after'];
    if (typeof retryAfter === 'string') {
      const seconds = Number(retryAfter);
      error.retryAfterMs = Number.isFinite(seconds)
        ? seconds * 1000
        : Math.max(0, Date.parse(retryAfter) - Date.now());
    }
    throw error;
  }
}

/** The code of a network error: undici and Node put it on the error or on its cause. */
function networkCodeOf(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  return e.cause?.code && TLS_CODES.has(e.cause.code)
    ? e.cause.code
    : (e.code ?? e.cause?.code ?? e.name ?? 'error');
}

/** Read only once it is known to be a CA bundle: never a device, a directory or a huge file. */
function readCaFile(file: string): Buffer {
  const trouble = caFileTrouble(file);
  if (trouble) throw new SyncError('config', `caFile "${file}" ${trouble}`);
  return readFileSync(file);
}
