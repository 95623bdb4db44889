/**
 * Starts the whole sandbox: the control plane, one gateway per gateway group and the built-in
 * httpbin upstream, all on 127.0.0.1. The test hooks live under `/sandbox/` only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlPlane } from './control-plane.js';
import { decide, parseFaults, type FaultSet } from './faults.js';
import { Gateway } from './gateway.js';
import { createHttpbin } from './httpbin.js';
import { applySeed, type Seed } from './seed.js';
import { ApiError, Store, type Generation } from './store.js';

export interface SandboxOptions {
  seed?: Seed;
  /** Wins over the seed's `api7Version`. */
  api7Version?: string;
  log?: (line: string) => void;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  at: string;
}

export interface Sandbox {
  controlPlane: string;
  token: string;
  api7Version: string;
  gateways: Record<string, string>;
  httpbin: string;
  store: Store;
  close(): Promise<void>;
}

/** `3.5.0` → legacy, `3.6.0` and later (and `dev`) → modern. */
export function generationOf(version: string): Generation {
  if (version === 'dev') return 'modern';
  const parts = version.split('.').map(Number);
  if (parts.length < 2 || parts.some((p) => !Number.isInteger(p))) {
    throw new Error(`api7Version "${version}" is not a version such as 3.5.0 or 3.9.0`);
  }
  const [major = 0, minor = 0] = parts;
  return major > 3 || (major === 3 && minor >= 6) ? 'modern' : 'legacy';
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? {};
  const log = options.log ?? (() => {});
  const api7Version = options.api7Version ?? seed.api7Version ?? '3.9.0';
  const token = seed.token ?? 'a7ee-sandbox';
  const store = new Store(generationOf(api7Version));
  applySeed(store, seed);

  const httpbin = createHttpbin();
  const [listenHost = '127.0.0.1', listenPortText = '0'] = (seed.listen ?? '127.0.0.1:0').split(/:(?=\d+$)/);
  const httpbinPort = await listen(httpbin, listenHost, 0);

  const gateways = new Map<string, Gateway>();
  const gatewayUrls: Record<string, string> = {};
  const startGateway = async (group: { id: string; name: string }) => {
    const gateway = new Gateway({
      store,
      groupId: group.id,
      httpbinPort: () => httpbinPort,
      propagationDelayMs: seed.propagationDelayMs ?? 0,
      log,
    });
    const wanted = seed.gatewayGroups?.find((g) => g.name === group.name)?.gatewayPort ?? 0;
    gateways.set(group.id, gateway);
    const port = await listen(gateway.server, listenHost, wanted);
    gatewayUrls[group.name] = `http://${listenHost}:${port}`;
  };
  for (const group of store.groups.values()) await startGateway(group);
  // A group created through the API gets its gateway too (listed by GET /sandbox/gateways).
  store.onGroupCreated = (group) => {
    startGateway(group).catch((err: unknown) =>
      log(`sandbox: no gateway for "${group.name}": ${(err as Error).message}`),
    );
  };
  store.onChange = () => {
    for (const g of gateways.values()) g.changed();
  };

  const api = new ControlPlane(store, api7Version);
  const adminKeys = new Map<string, string>();
  for (const g of seed.gatewayGroups ?? []) {
    if (g.adminKey) adminKeys.set(g.adminKey, [...store.groups.values()].find((x) => x.name === g.name)!.id);
  }
  const requests: LoggedRequest[] = [];
  let faults: FaultSet | undefined;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const send = (status: number, body?: unknown) => {
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
    };
    const raw = await readBody(req);
    let body: unknown;
    let badJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        badJson = true;
      }
    }

    // Test hooks: never authenticated, recorded or faulted.
    if (url.pathname.startsWith('/sandbox/')) {
      try {
        if (url.pathname === '/sandbox/healthz' && method === 'GET') return send(200, { status: 'ok' });
        if (url.pathname === '/sandbox/gateways' && method === 'GET')
          return send(200, { gateways: gatewayUrls });
        if (url.pathname === '/sandbox/requests' && method === 'GET') {
          return send(200, { list: requests, total: requests.length });
        }
        if (url.pathname === '/sandbox/requests' && method === 'DELETE') {
          requests.length = 0;
          return send(200, { value: {} });
        }
        if (url.pathname === '/sandbox/faults' && method === 'PUT') {
          if (badJson) return send(400, { error_msg: 'body: invalid JSON' });
          faults = parseFaults(body);
          return send(200, { value: {} });
        }
        if (url.pathname === '/sandbox/faults' && method === 'DELETE') {
          faults = undefined;
          return send(200, { value: {} });
        }
        return send(404, { error_msg: `no sandbox hook ${method} ${url.pathname}` });
      } catch (err) {
        if (err instanceof ApiError) return send(err.status, { error_msg: err.message });
        throw err;
      }
    }

    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: badJson ? raw : body,
      status: 0,
      at: new Date().toISOString(),
    };
    requests.push(entry);
    const respond = (status: number, payload?: unknown) => {
      entry.status = status;
      send(status, payload);
    };

    const fault = decide(faults, method, url.pathname);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.outcome === 'error') return respond(503, { error_msg: 'sandbox: injected fault' });
    const key = req.headers['x-api-key'];
    // A gateway group's admin key (a7adm-…) implies its group, and is good for /apisix/admin only.
    const impliedGroup = typeof key === 'string' ? adminKeys.get(key) : undefined;
    if (key !== token && !(impliedGroup && url.pathname.startsWith('/apisix/admin/'))) {
      return respond(401, { error_msg: 'authentication failed: send a valid token in the X-API-KEY header' });
    }
    if (badJson) return respond(400, { error_msg: 'body: invalid JSON' });
    let result;
    try {
      result = api.handle({ method, path: url.pathname, query: url.searchParams, body }, impliedGroup);
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
  });

  const port = await listen(server, listenHost, Number(listenPortText));
  log(`sandbox: API7 ${api7Version} (${store.generation} API) on http://${listenHost}:${port}`);

  return {
    controlPlane: `http://${listenHost}:${port}`,
    token,
    api7Version,
    gateways: gatewayUrls,
    httpbin: `http://${listenHost}:${httpbinPort}`,
    store,
    async close() {
      for (const g of gateways.values()) g.stop();
      await Promise.all([
        close(server),
        close(httpbin),
        ...[...gateways.values()].map((g) => close(g.server)),
      ]);
    },
  };
}
