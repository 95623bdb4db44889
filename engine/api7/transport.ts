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
import { Api7Error, TLS_CODES, networkCodeOf } from './api7-error.js';
import { readAnswer } from './answer.js';
import { explainNetworkError } from './explain.js';

export { Api7Error } from './api7-error.js';

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
  /** Counts by kind, for reports and benchmarks; `writes` counts every write sent. */
  readonly counts = { reads: 0, writes: 0, retries: 0 };
  /** Writes asked for and not yet answered, queued ones included. */
  private writesInFlight = 0;

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
    this.writesInFlight++;
    return this.limit(async () => {
      try {
        return await this.once<T>(method, path, query, body);
      } catch (err) {
        if (err instanceof Api7Error && err.networkCode === 'ECONNREFUSED') {
          this.counts.retries++;
          return this.once<T>(method, path, query, body);
        }
        throw err;
      } finally {
        this.writesInFlight--;
      }
    });
  }

  /**
   * Where the writes stand: how many were sent so far, and whether one is still on its way. A
   * read started while none is on its way, and finished before another is sent, saw them all.
   */
  writeMark(): { sent: number; settled: boolean } {
    return { sent: this.counts.writes, settled: this.writesInFlight === 0 };
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
    return readAnswer<T>(res, { method, path, origin: this.origin });
  }
}

/** Read only once it is known to be a CA bundle: never a device, a directory or a huge file. */
function readCaFile(file: string): Buffer {
  const trouble = caFileTrouble(file);
  if (trouble) throw new SyncError('config', `caFile "${file}" ${trouble}`);
  return readFileSync(file);
}
