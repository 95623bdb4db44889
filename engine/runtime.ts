/**
 * Per-environment runtime configuration: maps the config's `runtime:` block to API7's shapes,
 * compares it with what a gateway group runs (after API7's defaults), and describes it.
 */
import type { Api7Upstream, PublishedService, ServiceRegistry } from './api7/client.js';
import type { RuntimeConfig } from './config/types.js';

/**
 * One runtime key on which the target differs from the config, compared after API7's defaults.
 * Keys use the config's names (`upstream`, `hosts`, `pathPrefix`, `stripPathPrefix`); values are
 * what the target runs and what the config asks for (`null` = not set).
 */
export interface Drift {
  key: 'upstream' | 'hosts' | 'pathPrefix' | 'stripPathPrefix';
  target: string | string[] | boolean | null;
  config: string | string[] | boolean | null;
}

/** Runtime configuration in API7's own terms, as it travels to the control plane. */
export interface Api7Runtime {
  upstream?: Api7Upstream;
  hosts?: string[];
  path_prefix?: string;
  strip_path_prefix?: boolean;
}

export type Mapping = { ok: true; runtime: Api7Runtime } | { ok: false; reason: string; message: string };

/** Maps a config runtime onto the target group; a discovery registry must belong to that group. */
export function mapRuntime(
  runtime: RuntimeConfig,
  registries: ServiceRegistry[] | undefined,
  groupName: string,
): Mapping {
  const out: Api7Runtime = {};
  if (runtime.hosts) out.hosts = runtime.hosts;
  if (runtime.pathPrefix) out.path_prefix = runtime.pathPrefix;
  if (runtime.stripPathPrefix !== undefined) out.strip_path_prefix = runtime.stripPathPrefix;
  const up = runtime.upstream;
  if (up) {
    const common: Api7Upstream = {
      ...(up.scheme ? { scheme: up.scheme } : {}),
      ...(up.passHost ? { pass_host: up.passHost } : {}),
      ...(up.upstreamHost ? { upstream_host: up.upstreamHost } : {}),
    };
    if (up.nodes) {
      out.upstream = {
        ...common,
        nodes: up.nodes.map((n) => ({
          host: n.host,
          port: n.port,
          weight: n.weight ?? 100,
          ...(n.priority !== undefined ? { priority: n.priority } : {}),
        })),
      };
    } else if (up.discovery) {
      const d = up.discovery;
      const registry = (registries ?? []).find((r) => r.name === d.registry);
      if (!registry) {
        const known = (registries ?? []).map((r) => r.name).join(', ') || 'none';
        return {
          ok: false,
          reason: 'registry-not-found',
          message: `service registry "${d.registry}" does not exist in gateway group "${groupName}" (it has: ${known}); a discovery upstream must name a registry of the target group`,
        };
      }
      const namespace = d.namespace ?? 'public';
      const group = d.group ?? 'DEFAULT_GROUP';
      out.upstream = {
        ...common,
        ...discoveryUpstream(registry, namespace, group, d.service),
      };
    }
  }
  return { ok: true, runtime: out };
}

/**
 * [I] The discovery upstream format comes from one example in a third-party extract of the 3.9
 * spec; namespace and group are sent both in `service_name` and in `discovery_args.metadata`.
 */
export function discoveryUpstream(
  registry: ServiceRegistry,
  namespace: string,
  group: string,
  service: string,
): Api7Upstream {
  return {
    discovery_type: registry.type,
    service_name: `${registry.id}/${namespace}/${group}/${service}`,
    discovery_args: { metadata: { namespace_id: namespace, group_name: group } },
  };
}

/**
 * A node's address as written in a URL: an IPv6 host in brackets (`[::1]:8080`, not `::1:8080`).
 * APISIX takes `::1` and `[::1]` as the same node, so both spellings read the same here.
 */
export function nodeAddress(n: { host: string; port: number }): string {
  const bare = n.host.replace(/^\[(.*)\]$/, '$1');
  return `${bare.includes(':') ? `[${bare}]` : bare}:${n.port}`;
}

const nodeKey = (n: { host: string; port: number; weight?: number }) =>
  `${nodeAddress(n)}@${n.weight ?? 100}`;

function sameUpstream(current: Api7Upstream | undefined, desired: Api7Upstream): boolean {
  if (!current) return false;
  if ((current.scheme ?? 'http') !== (desired.scheme ?? 'http')) return false;
  if ((current.pass_host ?? 'pass') !== (desired.pass_host ?? 'pass')) return false;
  if ((current.upstream_host ?? '') !== (desired.upstream_host ?? '')) return false;
  if (desired.nodes) {
    if (!current.nodes) return false;
    const a = current.nodes.map(nodeKey).sort();
    const b = desired.nodes.map(nodeKey).sort();
    return a.length === b.length && a.every((k, i) => k === b[i]);
  }
  return (
    current.discovery_type === desired.discovery_type &&
    current.service_name === desired.service_name &&
    !current.nodes
  );
}

/**
 * Where what a group runs differs from `desired`, key by key; only keys the config sets count,
 * compared after API7's defaults (scheme http, pass_host pass, weight 100, strip_path_prefix true).
 */
export function runtimeDrift(
  current: Pick<PublishedService, 'upstream' | 'hosts' | 'path_prefix' | 'strip_path_prefix'>,
  desired: Api7Runtime,
): Drift[] {
  const drift: Drift[] = [];
  if (desired.upstream && !sameUpstream(current.upstream, desired.upstream)) {
    drift.push({
      key: 'upstream',
      target: current.upstream ? upstreamSummary(current.upstream) : null,
      config: upstreamSummary(desired.upstream),
    });
  }
  if (desired.hosts) {
    const a = [...(current.hosts ?? [])].sort().join(',');
    if (a !== [...desired.hosts].sort().join(','))
      drift.push({
        key: 'hosts',
        target: current.hosts?.length ? current.hosts : null,
        config: desired.hosts,
      });
  }
  if (desired.path_prefix && (current.path_prefix ?? '') !== desired.path_prefix) {
    drift.push({ key: 'pathPrefix', target: current.path_prefix || null, config: desired.path_prefix });
  }
  if (
    desired.strip_path_prefix !== undefined &&
    (current.strip_path_prefix ?? true) !== desired.strip_path_prefix
  ) {
    drift.push({
      key: 'stripPathPrefix',
      target: current.strip_path_prefix ?? true,
      config: desired.strip_path_prefix,
    });
  }
  return drift;
}

/** An upstream in one line, precise enough to tell two apart: nodes with weights, scheme, host passing. */
export function upstreamSummary(upstream: Api7Upstream): string {
  const parts: string[] = [];
  if (upstream.nodes) {
    parts.push(
      `nodes ${upstream.nodes.map((n) => `${nodeAddress(n)}${(n.weight ?? 100) === 100 ? '' : ` (weight ${n.weight})`}`).join(', ')}`,
    );
  } else {
    parts.push(`discovery ${upstream.discovery_type ?? '?'} ${upstream.service_name ?? '?'}`);
  }
  if ((upstream.scheme ?? 'http') !== 'http') parts.push(`scheme ${upstream.scheme}`);
  if ((upstream.pass_host ?? 'pass') !== 'pass') parts.push(`pass_host ${upstream.pass_host}`);
  if (upstream.upstream_host) parts.push(`upstream_host ${upstream.upstream_host}`);
  return parts.join(', ');
}

/** A short human description: "nodes httpbin.org:80" or "discovery 生产用注册中心 public/DEFAULT_GROUP/httpbin". */
export function describeUpstream(upstream: Api7Upstream | undefined, registries?: ServiceRegistry[]): string {
  if (!upstream) return 'none';
  if (upstream.nodes) return `nodes ${upstream.nodes.map(nodeAddress).join(', ')}`;
  const [registryId, ...rest] = (upstream.service_name ?? '').split('/');
  const registry = registries?.find((r) => r.id === registryId)?.name ?? registryId;
  return `discovery ${registry} ${rest.join('/')}`;
}

/** The runtime part of a published service, to restore it on rollback. */
export function runtimeOf(service: PublishedService): Api7Runtime {
  return {
    ...(service.upstream ? { upstream: service.upstream } : {}),
    ...(service.hosts ? { hosts: service.hosts } : {}),
    ...(service.path_prefix ? { path_prefix: service.path_prefix } : {}),
  };
}

/**
 * On API7 3.6+ hosts and a path prefix cannot be cleared through the runtime configuration: the
 * keys a promotion would add to a target that has none, which a rollback could not take away.
 */
export function irreversibleAdditions(
  target: Pick<PublishedService, 'hosts' | 'path_prefix'>,
  desired: Api7Runtime,
): string[] {
  const out: string[] = [];
  if (desired.hosts?.length && !target.hosts?.length) out.push(`hosts ${desired.hosts.join(', ')}`);
  if (desired.path_prefix && !target.path_prefix) out.push(`path prefix ${desired.path_prefix}`);
  return out;
}
