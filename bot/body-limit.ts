/**
 * The webhook body limit. GitHub never sends more than 25 MB, and the signature can only be checked
 * once the whole body is in, so anything bigger is refused (413) before it is buffered or verified:
 * at once when `Content-Length` says so, else as soon as the counted streamed bytes pass the limit
 * (a chunked body has no length). The connection is then closed so the sender stops.
 */
import type http from 'node:http';

/** GitHub's cap on webhook payloads. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/**
 * Reads the body, up to `limit` bytes. Resolves with the body, or with undefined after answering
 * 413 (or 400 for a body that broke off); the caller must not answer again in that case.
 */
export function readBoundedBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit = MAX_WEBHOOK_BYTES,
): Promise<Buffer | undefined> {
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
      req.off('data', onData);
      resolve(body);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        refuse(req, res, 413, `the body passed ${limit} bytes; webhooks are at most ${limit}`);
        settle(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle(Buffer.concat(chunks, size)));
    req.on('error', () => {
      // The sender went away mid-body: nothing to verify, nothing to run.
      if (!res.headersSent) refuse(req, res, 400, 'the body broke off before its end');
      settle(undefined);
    });
  });
}

/**
 * After this many more bytes, a sender that ignores the refusal is cut off. Room for what socket
 * buffers hold in flight when the answer leaves (several MB on a fast link): cutting that off
 * resets the connection, and the sender may never read the 413.
 */
const LINGER_BYTES = 16 * 1024 * 1024;

function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, error: string): void {
  // From here on, whatever arrives is counted and dropped, never kept. A sender that ignores the
  // answer is cut off after LINGER_BYTES; an idle one by the server's keep-alive timeout.
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) req.socket.destroy();
  });
  // A sender cut off or hanging up mid-body is the expected end of a refused upload, not a fault.
  req.on('error', () => undefined);
  res.writeHead(status, { 'content-type': 'application/json' });
  // Half-close after the answer (the sender sees the end) rather than close outright: closing with
  // unread bytes resets the connection, and a reset can destroy the answer before it is read.
  res.end(JSON.stringify({ error }), () => req.socket.end());
}
