/** The shapes of API7's Admin API answers that the engine reads (see client.ts for the calls). */
export type Generation = 'legacy' | 'modern';

export interface GatewayGroup {
  id: string;
  name: string;
}

export interface Api7Upstream {
  scheme?: string;
  type?: string;
  pass_host?: string;
  upstream_host?: string;
  nodes?: { host: string; port: number; weight: number; priority?: number }[];
  discovery_type?: string;
  service_name?: string;
  discovery_args?: { metadata?: Record<string, string> };
  [key: string]: unknown;
}

/** A service as published in one gateway group. */
export interface PublishedService {
  id: string;
  service_id: string;
  name: string;
  version?: string | null;
  service_version_id?: string;
  status?: number;
  hosts?: string[];
  path_prefix?: string;
  strip_path_prefix?: boolean;
  upstream?: Api7Upstream;
}

export interface ServiceRegistry {
  id: string;
  name: string;
  type: string;
}

export interface VersionHistoryItem {
  id: string;
  service_id: string;
  version: string;
  publish_time?: string;
}

export interface RuntimeConfiguration {
  upstreams?: Api7Upstream;
  hosts?: string[];
  path_prefix?: string;
  status?: number;
}
