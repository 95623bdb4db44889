/**
 * The control plane's HTTP door: reads the body, answers the `/sandbox/` test hooks, records every
 * API7 request in the request log, applies injected faults, checks the caller's key, and hands the
 * request to the router.
 */
import type http from 'node:http';
import { authorize } from './auth.js';
import { answered, decide } from './faults.js';
import { handleHook, processCpuMs, type HookState, type LoggedRequest } from './hooks.js';
import { requestTarget } from './request-target.js';
import type { Router } from './router.js';

export interface ControlPlaneDoor {
  router: Router;
  hooks: HookState;
  token: string;
  /** A gateway group's admin key → that group's id. */
  adminKeys: Map<string, string>;
  log: (line: string) => void;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A request body as read: the text, its JSON value, and whether it was JSON at all. */
interface RequestBody {
  raw: string;
  body: unknown;
  badJson: boolean;
}

async function readJsonBody(req: http.IncomingMessage): Promise<RequestBody> {
  const raw = await readBody(req);
  if (raw.length === 0) return { raw, body: undefined, badJson: false };
  try {
    return { raw, body: JSON.parse(raw), badJson: false };
  } catch {
    return { raw, body: undefined, badJson: true };
  }
}

/** Answers with a JSON body, or with an empty one when there is none. */
function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The request listener of the control plane's server. */
export function controlPlaneHandler(
  door: ControlPlaneDoor,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = requestTarget(req, 'http://sandbox');
    if (!url) return send(res, 400, { error_msg: 'the request target is not a path' });
    const method = req.method ?? 'GET';
    const request = await readJsonBody(req);
    if (url.pathname.startsWith('/sandbox/')) {
      const answer = handleHook(door.hooks, method, url.pathname, request.body, request.badJson);
      return send(res, answer.status, answer.body);
    }
    await serveApi(door, req, res, url, request);
  };
  // A client that hangs up in the middle of its request body rejects the read: that request ends
  // there, and the sandbox serves the next one (an unhandled rejection would end the process).
  return (req, res) =>
    serve(req, res).catch((err: unknown) => {
      door.log(`sandbox: ${req.method ?? 'GET'} ${req.url ?? '/'} ended early: ${(err as Error).message}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_msg: 'the request ended before its body was complete' }));
      } else res.destroy();
    });
}

/** An API7 request: logged, faults applied, the key checked, then routed. */
async function serveApi(
  { router, hooks, token, adminKeys, log }: ControlPlaneDoor,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  { raw, body, badJson }: RequestBody,
): Promise<void> {
  const method = req.method ?? 'GET';
  const entry: LoggedRequest = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body: badJson ? raw : body,
    status: 0,
    at: new Date().toISOString(),
  };
  hooks.requests.push(entry);
  const respond = (status: number, payload?: unknown) => {
    entry.status = status;
    send(res, status, payload);
    entry.cpuMs = processCpuMs();
  };
  const fault = decide(hooks.faults, method, url.pathname);
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.outcome === 'error') return respond(503, { error_msg: 'sandbox: injected fault' });
  const who = authorize(req.headers['x-api-key'], method, url.pathname, url.searchParams, token, adminKeys);
  if (!who.ok) return respond(who.status, { error_msg: who.error_msg });
  if (badJson) return respond(400, { error_msg: 'invalid request body: invalid JSON' });
  let result;
  try {
    result = router.handle({
      method,
      path: url.pathname,
      query: url.searchParams,
      body,
      scope: who.caller.kind === 'admin-key' ? who.caller.groupId : undefined,
    });
  } catch (err) {
    log(`sandbox: ${method} ${url.pathname} failed: ${(err as Error).stack}`);
    return respond(500, { error_msg: `internal error: ${(err as Error).message}` });
  }
  if (fault.outcome === 'reset') {
    // The change has been applied but the caller never hears of it: the ambiguous case.
    entry.status = 0;
    req.socket.destroy();
    return;
  }
  respond(result.status, result.body);
  answered(hooks.faults, method, url.pathname, result.status);
}
