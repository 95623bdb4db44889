/**
 * One gateway (data plane) per gateway group: it routes by host, path prefix, path, method and
 * `vars` to the enabled published services of its group, runs `key-auth` and `proxy-rewrite`,
 * and forwards to the upstream's nodes or registry instances, as an APISIX-based API7 gateway
 * would. It sees the control plane's changes after `propagationDelayMs`.
 */
import http from 'node:http';
import https from 'node:https';
import { applyPlugins, type Outgoing } from './gateway-plugins.js';
import { varsMatch, type RequestFacts } from './gateway-vars.js';
import { requestTarget } from './request-target.js';
import type { PublishedService, Route, Store, Upstream, UpstreamNode } from './store.js';

interface Target {
  host: string;
  port: number;
  weight: number;
}

export interface GatewayOptions {
  store: Store;
  groupId: string;
  /** Where the built-in upstream listens: a node whose host is `httpbin` goes there. */
  httpbinPort: () => number;
  propagationDelayMs: number;
  log: (line: string) => void;
  /** Serves HTTPS with this certificate when given. */
  tls?: { cert: string; key: string };
}

function hostMatches(patterns: string[] | undefined, host: string): boolean {
  if (!patterns) return true;
  return patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : p === host));
}

function pathMatches(patterns: string[], path: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : p === path));
}

// Gateways keep upstream connections alive, as APISIX does.
const keepAlive = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

interface Hit {
  service: PublishedService;
  route: Route;
  rest: string;
}

export class Gateway {
  /**
   * With a propagation delay: what this gateway serves, per service template ID. Each change
   * copies the one service that changed, when it changes, and applies the copy after the delay.
   * Without a delay there is no copy at all: the gateway reads the store.
   */
  private readonly served?: Map<string, PublishedService>;
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly server: http.Server;

  constructor(private readonly opts: GatewayOptions) {
    if (opts.propagationDelayMs > 0) {
      this.served = new Map(
        opts.store.servicesOf(opts.groupId).map((p) => [p.service_id, structuredClone(p)]),
      );
    }
    // A request that breaks the gateway answers 500; it never ends the process.
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        this.handle(req, res);
      } catch (err) {
        opts.log(
          `gateway ${opts.groupId}: ${req.method ?? 'GET'} ${req.url ?? '/'} failed: ${(err as Error).message}`,
        );
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_msg: 'internal error' }));
      }
    };
    this.server = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);
  }

  /** Called when a service of this gateway's group changed in the control plane. */
  changed(templateId: string): void {
    const served = this.served;
    if (!served) return;
    const live = this.opts.store.publishedIn(this.opts.groupId, templateId);
    const copy = live && structuredClone(live);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (copy) served.set(templateId, copy);
      else served.delete(templateId);
    }, this.opts.propagationDelayMs);
    this.timers.add(timer);
  }

  private services(): Iterable<PublishedService> {
    return this.served ? this.served.values() : this.opts.store.servicesOf(this.opts.groupId);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The best route for a request, or why none matched (the nearest miss, for the 404 body). */
  private match(f: RequestFacts, method: string): { hit?: Hit; note?: string } {
    const path = f.url.pathname;
    const candidates: (Hit & { score: number })[] = [];
    let note: string | undefined;
    for (const service of this.services()) {
      if (service.status !== 1 || !service.upstream || service.kind === 'stream') continue;
      if (!hostMatches(service.hosts, f.host)) continue;
      const prefix = service.path_prefix ?? '';
      if (prefix && !(path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)))
        continue;
      // API7 strips the service's path prefix before matching routes unless told otherwise.
      const rest = prefix && service.strip_path_prefix !== false ? path.slice(prefix.length) || '/' : path;
      for (const route of service.routes) {
        if (!pathMatches(route.paths, rest)) continue;
        const where = `route "${route.name}" of service "${service.name}"`;
        if (route.methods && !route.methods.includes(method)) {
          note ??= `${where} matches the path but allows only ${route.methods.join(', ')}`;
          continue;
        }
        if (!varsMatch(route.vars, f)) {
          note = `${where} matches the path but not its vars ${JSON.stringify(route.vars)}`;
          continue;
        }
        const priority = typeof route.priority === 'number' ? route.priority : 0;
        candidates.push({
          service,
          route,
          rest,
          score: (service.hosts ? 1e6 : 0) + prefix.length * 1e3 + priority,
        });
      }
    }
    candidates.sort((a, b) => b.score - a.score);
    return { hit: candidates[0], note };
  }

  private targets(upstream: Upstream): Target[] {
    if (upstream.nodes)
      return upstream.nodes.map((n: UpstreamNode) => ({ host: n.host, port: n.port, weight: n.weight }));
    const [registryId, namespace, group, name] = (upstream.service_name ?? '').split('/');
    const registry = this.opts.store.registries.get(registryId ?? '');
    if (!registry || registry.gateway_group_id !== this.opts.groupId) return [];
    const found = registry.services.find(
      (s) => s.namespace === namespace && s.group === group && s.name === name,
    );
    return (found?.instances ?? []).map((i) => ({
      host: i.host,
      port: i.port ?? 80,
      weight: i.weight ?? 100,
    }));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // nginx, in front of APISIX, answers a target that is no path with 400 before any route.
    const url = requestTarget(req, 'http://gateway');
    if (!url) return sendJson(res, 400, { error_msg: '400 Bad Request' });
    const hostHeader = req.headers.host ?? '';
    const host = hostHeader.replace(/:\d+$/, '');
    const method = req.method ?? 'GET';
    const serverPort = (this.server.address() as { port: number }).port;
    const facts: RequestFacts = { req, url, host, serverPort };
    const { hit, note } = this.match(facts, method);
    // APISIX's own body, plus (sandbox only) which rule came nearest.
    if (!hit)
      return sendJson(res, 404, {
        error_msg: '404 Route Not Found',
        ...(note ? { sandbox_note: note } : {}),
      });
    const upstream = hit.service.upstream!;
    const targets = this.targets(upstream).filter((t) => t.weight > 0);
    if (targets.length === 0) return sendJson(res, 503, { error_msg: 'no valid upstream node' });
    let pick = Math.random() * targets.reduce((s, t) => s + t.weight, 0);
    const target = targets.find((t) => (pick -= t.weight) < 0) ?? targets[0]!;

    const remote = req.socket.remoteAddress ?? '';
    const out: Outgoing = { method, path: hit.rest, search: url.search, headers: { ...req.headers } };
    out.headers['x-forwarded-for'] = req.headers['x-forwarded-for']
      ? `${req.headers['x-forwarded-for']}, ${remote}`
      : remote;
    out.headers['x-forwarded-host'] = host;
    out.headers['x-forwarded-proto'] = this.opts.tls ? 'https' : 'http';
    out.headers['x-forwarded-port'] = String(serverPort);
    const servicePlugins = (hit.service.plugins ?? hit.service.adminBody?.plugins) as
      Record<string, unknown> | undefined;
    const refused = applyPlugins(
      servicePlugins,
      hit.route.plugins as Record<string, unknown> | undefined,
      facts,
      out,
      this.opts.store.resources(this.opts.groupId),
    );
    if (refused) return sendJson(res, refused.status, refused.body);
    this.proxy(req, res, upstream, target, out);
  }

  /** Sends the request on to the chosen node, with the Host header `pass_host` asks for. */
  private proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    upstream: Upstream,
    target: Target,
    out: Outgoing,
  ): void {
    // `httpbin` is the sandbox's own upstream, the way a compose network names a container.
    const builtIn = target.host === 'httpbin';
    // An IPv6 node is written `::1` or `[::1]` (APISIX takes both): connect to the bare address,
    // and bracket it in a Host header.
    const bare = target.host.replace(/^\[(.*)\]$/, '$1');
    const connectHost = builtIn ? '127.0.0.1' : bare;
    const connectPort = builtIn ? this.opts.httpbinPort() : target.port;
    const hostName = bare.includes(':') ? `[${bare}]` : bare;
    const nodeHost = target.port === 80 || target.port === 443 ? hostName : `${hostName}:${target.port}`;
    const passHost = upstream.pass_host ?? 'pass';
    out.headers.host =
      out.host ??
      (passHost === 'node'
        ? nodeHost
        : passHost === 'rewrite'
          ? (upstream.upstream_host ?? nodeHost)
          : (req.headers.host ?? ''));
    const secure = upstream.scheme === 'https' && !builtIn;
    const transport = secure ? https : http;
    const proxied = transport.request(
      {
        host: connectHost,
        port: connectPort,
        method: out.method,
        path: out.path + out.search,
        headers: out.headers,
        timeout: 5000,
        agent: secure ? keepAlive.https : keepAlive.http,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    proxied.on('timeout', () => proxied.destroy(new Error('upstream timed out')));
    proxied.on('error', (err) => {
      this.opts.log(
        `gateway ${this.opts.groupId}: upstream ${connectHost}:${connectPort} failed: ${err.message}`,
      );
      if (!res.headersSent)
        sendJson(res, 502, { error_msg: `upstream ${target.host}:${target.port} is unreachable` });
      else res.destroy();
    });
    req.pipe(proxied);
  }
}

/** A gateway's own answer (not the upstream's): JSON, one line, as APISIX writes it. */
function sendJson(res: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
