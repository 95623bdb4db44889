/**
 * Starts the whole sandbox: the control plane (HTTP, or HTTPS with `tls`), one gateway per
 * gateway group and the built-in httpbin upstream, all on 127.0.0.1. The test hooks live under
 * `/sandbox/` only.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { authorize } from './auth.js';
import { answered, decide } from './faults.js';
import { Gateway } from './gateway.js';
import { handleHook, type HookState, type LoggedRequest } from './hooks.js';
import { createHttpbin } from './httpbin.js';
import { Router } from './router.js';
import { applySeed, type Seed } from './seed.js';
import { makeTls, type SandboxTls } from './tls.js';
import { Store } from './store.js';
import { Api7Version } from './version.js';

export type { LoggedRequest } from './hooks.js';

export interface SandboxOptions {
  seed?: Seed;
  /** Wins over the seed's `api7Version`. */
  api7Version?: string;
  /** Wins over the seed's `tls`: `true` serves the control plane over HTTPS. */
  tls?: Seed['tls'];
  log?: (line: string) => void;
}

export interface Sandbox {
  controlPlane: string;
  token: string;
  api7Version: string;
  gateways: Record<string, string>;
  httpbin: string;
  /** With TLS: the self-signed certificate's PEM file, which clients give as `caFile`. */
  caFile?: string;
  store: Store;
  /** The one JSON line `api7-sync sandbox` prints when ready. */
  readyLine(): string;
  close(): Promise<void>;
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
  const version = new Api7Version(options.api7Version ?? seed.api7Version ?? '3.9.0');
  const token = seed.token ?? 'a7ee-sandbox';
  const tlsWanted = options.tls ?? seed.tls ?? false;
  const tls: SandboxTls | undefined = tlsWanted ? await makeTls() : undefined;
  const gatewayTls = tls && typeof tlsWanted === 'object' && tlsWanted.gateways ? tls : undefined;
  const store = new Store(version);
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
      tls: gatewayTls,
    });
    const wanted = seed.gatewayGroups?.find((g) => g.name === group.name)?.gatewayPort ?? 0;
    gateways.set(group.id, gateway);
    const port = await listen(gateway.server, listenHost, wanted);
    gatewayUrls[group.name] = `${gatewayTls ? 'https' : 'http'}://${listenHost}:${port}`;
  };
  for (const group of store.groups.values()) await startGateway(group);
  // A group created through the API gets its gateway too (listed by GET /sandbox/gateways).
  store.onGroupCreated = (group) => {
    startGateway(group).catch((err: unknown) =>
      log(`sandbox: no gateway for "${group.name}": ${(err as Error).message}`),
    );
  };
  store.onChange = (groupId, templateId) => gateways.get(groupId)?.changed(templateId);

  const router = new Router({ store, version });
  const adminKeys = new Map<string, string>();
  for (const g of seed.gatewayGroups ?? []) {
    if (g.adminKey) adminKeys.set(g.adminKey, [...store.groups.values()].find((x) => x.name === g.name)!.id);
  }
  const hooks: HookState = { requests: [], gateways: gatewayUrls };

  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
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
    if (url.pathname.startsWith('/sandbox/')) {
      const answer = handleHook(hooks, method, url.pathname, body, badJson);
      return send(answer.status, answer.body);
    }

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
      send(status, payload);
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
  };
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => void onRequest(req, res))
    : http.createServer((req, res) => void onRequest(req, res));

  const port = await listen(server, listenHost, Number(listenPortText));
  const controlPlane = `${tls ? 'https' : 'http'}://${listenHost}:${port}`;
  log(`sandbox: API7 ${version.text} (${store.generation} API) on ${controlPlane}`);

  // What the ready line says; `gateways` is live (a group created later gets one too).
  const ready = {
    controlPlane,
    token,
    api7Version: version.text,
    gateways: gatewayUrls,
    httpbin: `http://${listenHost}:${httpbinPort}`,
    ...(tls ? { caFile: tls.caFile } : {}),
  };
  return {
    ...ready,
    store,
    readyLine: () => JSON.stringify(ready),
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
