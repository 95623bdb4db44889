/**
 * The test hooks, never part of API7, under `/sandbox/` only: the request log, fault injection,
 * readiness and the gateways' addresses. They need no token, are never recorded, never faulted.
 */
import { parseFaults, type FaultSet } from './faults.js';
import { ApiError } from './store.js';

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  at: string;
  /**
   * The sandbox process's CPU time (user + system, ms) when it answered: with `cpuMs` of the log
   * itself, what the sandbox spent after a given request (the benchmark's floor needs it).
   */
  cpuMs?: number;
}

/** What the hooks read and change. */
export interface HookState {
  requests: LoggedRequest[];
  faults?: FaultSet;
  gateways: Record<string, string>;
}

/** This process's CPU time so far (user + system, all threads), in ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 100) / 10;
}

export function handleHook(
  state: HookState,
  method: string,
  path: string,
  body: unknown,
  badJson: boolean,
): { status: number; body: unknown } {
  const ok = { status: 200, body: { value: {} } };
  try {
    if (path === '/sandbox/healthz' && method === 'GET') return { status: 200, body: { status: 'ok' } };
    if (path === '/sandbox/gateways' && method === 'GET')
      return { status: 200, body: { gateways: state.gateways } };
    if (path === '/sandbox/requests' && method === 'GET')
      return {
        status: 200,
        body: { list: state.requests, total: state.requests.length, cpuMs: processCpuMs() },
      };
    if (path === '/sandbox/requests' && method === 'DELETE') {
      state.requests.length = 0;
      return ok;
    }
    if (path === '/sandbox/faults' && method === 'PUT') {
      if (badJson) return { status: 400, body: { error_msg: 'body: invalid JSON' } };
      state.faults = parseFaults(body);
      return ok;
    }
    if (path === '/sandbox/faults' && method === 'DELETE') {
      state.faults = undefined;
      return ok;
    }
    return { status: 404, body: { error_msg: `no sandbox hook ${method} ${path}` } };
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, body: { error_msg: err.message } };
    throw err;
  }
}
