/**
 * What the sandbox's control plane holds, in the shapes API7 EE answers with: gateway groups,
 * service templates, immutable versions, services as they run in a group, service registries, and
 * a group's other resources. Plain data; the rules for changing it are the store's.
 */
export interface UpstreamNode {
  host: string;
  port: number;
  weight: number;
  priority?: number;
}

export interface Upstream {
  name?: string;
  scheme?: string;
  type?: string;
  pass_host?: 'pass' | 'node' | 'rewrite';
  upstream_host?: string;
  nodes?: UpstreamNode[];
  discovery_type?: string;
  service_name?: string;
  discovery_args?: { metadata?: Record<string, string> };
  [key: string]: unknown;
}

export interface Route {
  id: string;
  name: string;
  paths: string[];
  methods?: string[];
  [key: string]: unknown;
}

export interface GatewayGroup {
  id: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  type: string;
  enforce_service_publishing: boolean;
  created_at: number;
  updated_at: number;
}

export interface ServiceTemplate {
  id: string;
  name: string;
  desc?: string;
  labels?: Record<string, string>;
  routes: Route[];
  created_at: number;
  updated_at: number;
}

/** An immutable snapshot: what a version label stands for, wherever it runs. */
export interface ServiceVersion {
  id: string;
  service_id: string;
  version: string;
  name: string;
  routes: Route[];
  /** Service-level plugins travel with the version, as in API7. */
  plugins?: Record<string, unknown>;
  created_at: number;
}

/** A service as it runs in one gateway group. */
export interface PublishedService {
  id: string;
  gateway_group_id: string;
  service_id: string;
  name: string;
  /** '' = the "No Version" state (created or edited directly in the group). */
  version: string;
  service_version_id?: string;
  status: 0 | 1;
  hosts?: string[];
  path_prefix?: string;
  strip_path_prefix?: boolean;
  upstream?: Upstream;
  plugins?: Record<string, unknown>;
  /** Live routes: the snapshot's for a versioned service, edited in place for "No Version". */
  routes: Route[];
  created_at: number;
  updated_at: number;
  /** Every version that has run in this group, in the order it started running. */
  history: { service_version_id: string; publish_time: string; seq: number }[];
  /** As written through `/apisix/admin` (ADC), read back verbatim. */
  adminBody?: Record<string, unknown>;
  kind?: 'http' | 'stream';
  extraUpstreams?: Record<string, Record<string, unknown>>;
  streamRoutes?: Route[];
}

export interface RegistryService {
  namespace: string;
  group: string;
  name: string;
  instances: { host: string; port?: number; weight?: number }[];
}

export interface ServiceRegistry {
  id: string;
  gateway_group_id: string;
  name: string;
  type: 'nacos' | 'kubernetes' | 'consul';
  created_at: number;
  updated_at: number;
  services: RegistryService[];
}

type Body = Record<string, unknown>;

/** What a gateway group holds besides services: consumers, SSLs, global rules, plugin metadata. */
export interface GroupResources {
  /** Keyed by username; the map is kept in update order (the last updated last). */
  consumers: Map<string, { body: Body; credentials: Map<string, Body> }>;
  /** Kept in update order, like consumers. */
  ssls: Map<string, Body>;
  globalRules: Map<string, Body>;
  pluginMetadata: Map<string, Body>;
}
