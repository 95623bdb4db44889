/**
 * Starts the whole sandbox: the control plane (HTTP, or HTTPS with `tls`), one gateway per
 * gateway group and the built-in httpbin upstream, all on 127.0.0.1. The test hooks live under
 * `/sandbox/` only.
 */
import http from 'node:http';
import https from 'node:https';
import { controlPlaneHandler } from './control-plane-http.js';
import { Gateway } from './gateway.js';
import type { HookState } from './hooks.js';
import { createHttpbin } from './httpbin.js';
import { close, listen } from './listen.js';
import { Router } from './router.js';
import { applySeed, SeedError, type Seed } from './seed.js';
import { makeTls, type SandboxTls } from './tls.js';
import { Store } from './store.js';
import { Api7Version } from './version.js';

export type { LoggedRequest } from './hooks.js';
export { PortInUseError } from './listen.js';

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

/** Host and port from the seed's `listen` ("127.0.0.1:17443"); port 0 takes any free port. */
function listenAddress(seed: Seed): { host: string; port: number } {
  if (seed.listen === undefined) return { host: '127.0.0.1', port: 0 };
  const m = /^(.+):(\d{1,5})$/.exec(String(seed.listen));
  if (!m || Number(m[2]) > 65535)
    throw new SeedError(`listen: "${String(seed.listen)}" is not host:port, such as 127.0.0.1:17443`);
  return { host: m[1]!, port: Number(m[2]) };
}

function api7VersionOf(text: string): Api7Version {
  try {
    return new Api7Version(text);
  } catch (err) {
    throw new SeedError(`${(err as Error).message} (the seed's api7Version or --api7-version)`);
  }
}

/**
 * Starts the sandbox. Throws `SeedError` for a seed it cannot use and `PortInUseError` for a port
 * it cannot take; whatever it had opened by then is closed again.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const seed = options.seed ?? {};
  const log = options.log ?? (() => {});
  const version = api7VersionOf(options.api7Version ?? seed.api7Version ?? '3.9.0');
  const { host, port: wantedPort } = listenAddress(seed);
  const token = seed.token ?? 'a7ee-sandbox';
  const tlsWanted = options.tls ?? seed.tls ?? false;
  const tls: SandboxTls | undefined = tlsWanted ? await makeTls() : undefined;
  const gatewayTls = tls && typeof tlsWanted === 'object' && tlsWanted.gateways ? tls : undefined;
  const store = new Store(version);
  applySeed(store, seed);

  const httpbin = createHttpbin();
  const gateways = new Map<string, Gateway>();
  const gatewayUrls: Record<string, string> = {};
  const hooks: HookState = { requests: [], gateways: gatewayUrls };
  const onRequest = controlPlaneHandler({
    router: new Router({ store, version }),
    hooks,
    token,
    adminKeys: adminKeysOf(seed, store),
    log,
  });
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => void onRequest(req, res))
    : http.createServer((req, res) => void onRequest(req, res));
  const closeAll = async () => {
    for (const g of gateways.values()) g.stop();
    await Promise.all([server, httpbin, ...[...gateways.values()].map((g) => g.server)].map(close));
  };

  let controlPlanePort: number;
  let httpbinPort = 0;
  try {
    httpbinPort = await listen(httpbin, host, 0, 'the built-in httpbin');
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
      const purpose = `the gateway of "${group.name}"${wanted ? ' (its gatewayPort in the seed)' : ''}`;
      const port = await listen(gateway.server, host, wanted, purpose);
      gatewayUrls[group.name] = `${gatewayTls ? 'https' : 'http'}://${host}:${port}`;
    };
    for (const group of store.groups.values()) await startGateway(group);
    // A group created through the API gets its gateway too (listed by GET /sandbox/gateways).
    store.onGroupCreated = (group) => {
      startGateway(group).catch((err: unknown) =>
        log(`sandbox: no gateway for "${group.name}": ${(err as Error).message}`),
      );
    };
    store.onChange = (groupId, templateId) => gateways.get(groupId)?.changed(templateId);
    const purpose = `the control plane${wantedPort ? ' (listen in the seed)' : ''}`;
    controlPlanePort = await listen(server, host, wantedPort, purpose);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const controlPlane = `${tls ? 'https' : 'http'}://${host}:${controlPlanePort}`;
  log(`sandbox: API7 ${version.text} (${store.generation} API) on ${controlPlane}`);

  // What the ready line says; `gateways` is live (a group created later gets one too).
  const ready = {
    controlPlane,
    token,
    api7Version: version.text,
    gateways: gatewayUrls,
    httpbin: `http://${host}:${httpbinPort}`,
    ...(tls ? { caFile: tls.caFile } : {}),
  };
  return { ...ready, store, readyLine: () => JSON.stringify(ready), close: closeAll };
}

/** Gateway-group admin keys from the seed → the id of the group each implies. */
function adminKeysOf(seed: Seed, store: Store): Map<string, string> {
  const keys = new Map<string, string>();
  for (const g of seed.gatewayGroups ?? []) {
    if (g.adminKey) keys.set(g.adminKey, [...store.groups.values()].find((x) => x.name === g.name)!.id);
  }
  return keys;
}
