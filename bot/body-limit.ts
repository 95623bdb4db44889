/**
 * Webhook bodies, bounded three ways before anything is verified (the signature can only be
 * checked once the whole body is in, so until then every byte is a stranger's):
 * - one body: GitHub never sends more than 25 MB, so anything bigger is refused with 413, at once
 *   when `Content-Length` says so, else as soon as the counted streamed bytes pass the limit;
 * - all bodies together: the bytes held for bodies still arriving, across every connection, stay
 *   under a budget; a body that would pass it is refused with 503 (try again later) at once;
 * - time: a body that has not arrived in full within the body timeout is refused with 408.
 * A refused connection is answered and closed, so the sender stops; nothing more is kept.
 */
import type http from 'node:http';

/** GitHub's cap on webhook payloads. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export interface BodyLimits {
  /** Largest single body. */
  maxBodyBytes: number;
  /** Bytes held across all bodies still arriving: one maximal webhook and some room. */
  maxInFlightBytes: number;
  /** How long a body may take to arrive in full (GitHub sends a whole payload at once). */
  bodyTimeoutMs: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  maxBodyBytes: MAX_WEBHOOK_BYTES,
  maxInFlightBytes: 32 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
};

/** The bytes held for bodies still arriving, shared by every connection of one server. */
export class InFlightBudget {
  private held = 0;
  /** The most ever held at once, for operators and tests. */
  peak = 0;
  constructor(readonly limit: number) {}

  /** Takes `bytes` if they fit; false when they would pass the budget. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    this.peak = Math.max(this.peak, this.held);
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  get inFlight(): number {
    return this.held;
  }
}

/** A body in full, and the function that returns its bytes to the budget once it is handled. */
export interface BoundedBody {
  body: Buffer;
  release(): void;
}

/**
 * Reads the body within the limits. Resolves with it, or with undefined after answering 413, 503,
 * 408 (or 400 for a body that broke off); the caller must not answer again in that case.
 */
export function readBoundedBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  budget: InFlightBudget,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): Promise<BoundedBody | undefined> {
  const limit = limits.maxBodyBytes;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    refuse(req, res, 413, `the body is ${declared} bytes; webhooks are at most ${limit}`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (body: Buffer | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (!body) {
        chunks.length = 0;
        budget.give(size);
      }
      let released = false;
      const release = () => {
        if (!released) budget.give(size);
        released = true;
      };
      resolve(body ? { body, release } : undefined);
    };
    const fail = (status: number, error: string) => {
      refuse(req, res, status, error, ENDINGS[status], limits.bodyTimeoutMs);
      settle(undefined);
    };
    const timer = setTimeout(
      () => fail(408, `the body did not arrive within ${limits.bodyTimeoutMs} ms`),
      limits.bodyTimeoutMs,
    );
    timer.unref();
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit)
        return fail(413, `the body passed ${limit} bytes; webhooks are at most ${limit}`);
      if (!budget.take(chunk.length))
        return fail(503, 'too many webhook bytes are arriving at once; try again later');
      size += chunk.length;
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle(Buffer.concat(chunks, size)));
    req.on('error', () => {
      // The sender went away mid-body: nothing to verify, nothing to run.
      if (!res.headersSent) refuse(req, res, 400, 'the body broke off before its end', 'drop');
      settle(undefined);
    });
  });
}

const ENDINGS: Record<number, Ending> = { 413: 'drain', 503: 'pause', 408: 'drop' };

/**
 * After this many more bytes, a sender that ignores a 413 is cut off. Room for what socket
 * buffers hold in flight when the answer leaves (several MB on a fast link): cutting that off
 * resets the connection, and the sender may never read the 413.
 */
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * How a refused connection ends. `drain`: what the sender still sends is read and dropped, up to
 * LINGER_BYTES (a 413: the sender may push megabytes before it reads the answer). `pause`: nothing
 * more is read at all, so TCP stops the sender and nothing is allocated; the socket is destroyed
 * after `lingerMs` (a 503: many senders at once must not make garbage either). `drop`: destroyed
 * once the answer is written (a 408: holding the socket is the attack, and nothing unread can
 * reset the answer away).
 */
type Ending = 'drain' | 'pause' | 'drop';

function refuse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  error: string,
  ending: Ending = 'drain',
  lingerMs = DEFAULT_BODY_LIMITS.bodyTimeoutMs,
): void {
  if (ending === 'pause') {
    req.pause();
    setTimeout(() => req.socket.destroy(), lingerMs).unref();
  } else {
    let dropped = 0;
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) req.socket.destroy();
    });
  }
  // A sender cut off or hanging up mid-body is the expected end of a refused upload, not a fault.
  req.on('error', () => undefined);
  if (res.headersSent) return void req.socket.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  // Otherwise a half-close after the answer (the sender sees the end): closing with unread bytes
  // resets the connection, and a reset can destroy the answer before it is read.
  res.end(JSON.stringify({ error }), () => (ending === 'drop' ? req.socket.destroy() : req.socket.end()));
}
