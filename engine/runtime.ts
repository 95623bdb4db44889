/**
 * Per-environment runtime configuration: maps the config's `runtime:` block to API7's shapes,
 * compares it with what a gateway group runs (after API7's defaults), and describes it.
 */
import type { Api7Upstream, PublishedService, ServiceRegistry } from './api7/client.js';
import type { RuntimeConfig } from './config/types.js';

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

const nodeKey = (n: { host: string; port: number; weight?: number }) =>
  `${n.host}:${n.port}@${n.weight ?? 100}`;

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

/** The keys of `desired` that differ from what the group runs; only keys the config sets count. */
export function runtimeDrift(
  current: Pick<PublishedService, 'upstream' | 'hosts' | 'path_prefix' | 'strip_path_prefix'>,
  desired: Api7Runtime,
): string[] {
  const drift: string[] = [];
  if (desired.upstream && !sameUpstream(current.upstream, desired.upstream)) drift.push('upstream');
  if (desired.hosts) {
    const a = [...(current.hosts ?? [])].sort().join(',');
    if (a !== [...desired.hosts].sort().join(',')) drift.push('hosts');
  }
  if (desired.path_prefix && (current.path_prefix ?? '') !== desired.path_prefix) drift.push('path_prefix');
  if (
    desired.strip_path_prefix !== undefined &&
    (current.strip_path_prefix ?? true) !== desired.strip_path_prefix
  ) {
    drift.push('strip_path_prefix');
  }
  return drift;
}

/** A short human description: "nodes httpbin.org:80" or "discovery 生产用注册中心 public/DEFAULT_GROUP/httpbin". */
export function describeUpstream(upstream: Api7Upstream | undefined, registries?: ServiceRegistry[]): string {
  if (!upstream) return 'none';
  if (upstream.nodes) return `nodes ${upstream.nodes.map((n) => `${n.host}:${n.port}`).join(', ')}`;
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
