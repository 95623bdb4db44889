/**
 * A request's target as a URL, or undefined when it is no path (`//[`): a client can send any
 * bytes there, and each server answers that with 400 instead of failing inside its handler.
 */
import type http from 'node:http';

export function requestTarget(req: http.IncomingMessage, base: string): URL | undefined {
  try {
    return new URL(req.url ?? '/', base);
  } catch {
    return undefined;
  }
}
