/**
 * One gateway (data plane) per gateway group: it routes by host, path prefix, path and method to
 * the enabled published services of its group and forwards to their upstream, as an APISIX-based
 * API7 gateway would. It sees the control plane's changes after `propagationDelayMs`.
 */
import http from 'node:http';
import https from 'node:https';
import type { PublishedService, Store, Upstream, UpstreamNode } from './store.js';

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

export class Gateway {
  /** What this gateway currently serves: a copy taken when a change has propagated. */
  private services: PublishedService[] = [];
  private stale = false;
  private timer: NodeJS.Timeout | undefined;
  readonly server: http.Server;

  constructor(private readonly opts: GatewayOptions) {
    this.services = structuredClone(opts.store.servicesOf(opts.groupId));
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  /**
   * Called on every control-plane change. Copying the group's services on every change would
   * cost O(N) per write (O(N²) for a large promotion), so changes only mark the copy stale: it is
   * refreshed when the next request arrives, and no earlier than `propagationDelayMs` after the change.
   */
  changed(): void {
    if (this.opts.propagationDelayMs <= 0) {
      this.stale = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.stale = true;
    }, this.opts.propagationDelayMs);
  }

  private current(): PublishedService[] {
    if (this.stale) {
      this.stale = false;
      this.services = structuredClone(this.opts.store.servicesOf(this.opts.groupId));
    }
    return this.services;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private match(host: string, path: string, method: string) {
    const candidates: { service: PublishedService; rest: string; score: number }[] = [];
    for (const service of this.current()) {
      if (service.status !== 1 || !service.upstream || service.kind === 'stream') continue;
      if (!hostMatches(service.hosts, host)) continue;
      const prefix = service.path_prefix ?? '';
      if (prefix && !(path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)))
        continue;
      // API7 strips the service's path prefix before matching routes unless told otherwise.
      const rest = prefix && service.strip_path_prefix !== false ? path.slice(prefix.length) || '/' : path;
      const route = service.routes.find(
        (r) => pathMatches(r.paths, rest) && (!r.methods || r.methods.includes(method)),
      );
      if (!route) continue;
      candidates.push({ service, rest, score: (service.hosts ? 1000 : 0) + prefix.length });
    }
    candidates.sort((a, b) => b.score - a.score);
    return candidates[0];
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
    const url = new URL(req.url ?? '/', 'http://gateway');
    const hostHeader = req.headers.host ?? '';
    const host = hostHeader.replace(/:\d+$/, '');
    const method = req.method ?? 'GET';
    const fail = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_msg: message }) + '\n');
    };
    const hit = this.match(host, url.pathname, method);
    if (!hit) return fail(404, `404 Route Not Found: ${method} ${host}${url.pathname}`);
    const upstream = hit.service.upstream!;
    const targets = this.targets(upstream).filter((t) => t.weight > 0);
    if (targets.length === 0) return fail(503, 'no valid upstream node');
    let pick = Math.random() * targets.reduce((s, t) => s + t.weight, 0);
    const target = targets.find((t) => (pick -= t.weight) < 0) ?? targets[0]!;
    // `httpbin` is the sandbox's own upstream, the way a compose network names a container.
    const builtIn = target.host === 'httpbin';
    const connectHost = builtIn ? '127.0.0.1' : target.host;
    const connectPort = builtIn ? this.opts.httpbinPort() : target.port;
    const nodeHost =
      target.port === 80 || target.port === 443 ? target.host : `${target.host}:${target.port}`;
    const passHost = upstream.pass_host ?? 'pass';
    const upstreamHostHeader =
      passHost === 'node'
        ? nodeHost
        : passHost === 'rewrite'
          ? (upstream.upstream_host ?? nodeHost)
          : hostHeader;
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: upstreamHostHeader };
    const remote = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for']
      ? `${req.headers['x-forwarded-for']}, ${remote}`
      : remote;
    headers['x-forwarded-host'] = host;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = String((this.server.address() as { port: number }).port);
    const secure = upstream.scheme === 'https' && !builtIn;
    const transport = secure ? https : http;
    const proxied = transport.request(
      {
        host: connectHost,
        port: connectPort,
        method,
        path: hit.rest + url.search,
        headers,
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
      if (!res.headersSent) fail(502, `upstream ${target.host}:${target.port} is unreachable`);
      else res.destroy();
    });
    req.pipe(proxied);
  }
}
