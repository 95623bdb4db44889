/**
 * JSON Schemas of the resources API7 stores, with API7's defaults. One source serves three
 * purposes: validating writes, filling defaults on write (so reads show them), and answering
 * `GET /api/schema/core`, from which clients such as ADC take the same defaults.
 *
 * Field rules follow API7's OpenAPI spec (3.2.14) and the fields ADC 0.28 sends; the defaults
 * per release follow what ADC's own end-to-end tests expect from a real API7.
 */
import type { Api7Version } from '../version.js';
import { discoveryArgsSchema, healthChecksSchema } from './health-checks.js';

type Schema = Record<string, unknown>;

export const HOST_PATTERN = '^\\*?[0-9a-zA-Z-._]+$';
export const ID_PATTERN = '^[a-zA-Z0-9-_.]+$';
/** A node's host: a name, IPv4, or IPv6 bare or in brackets (`::1`, `[::1]`), as APISIX's schema has it. */
export const NODE_HOST_PATTERN = '^\\*?[0-9a-zA-Z-._\\[\\]:]+$';

const labels: Schema = {
  type: 'object',
  additionalProperties: { type: 'string', pattern: '^\\S+$', minLength: 1 },
};
const name: Schema = { type: 'string', minLength: 1, maxLength: 65536 };
const plugins: Schema = { type: 'object' };
const timeoutOf = (withDefaults: boolean): Schema => ({
  type: 'object',
  properties: Object.fromEntries(
    ['connect', 'send', 'read'].map((k) => [
      k,
      { type: 'number', exclusiveMinimum: 0, ...(withDefaults ? { default: 60 } : {}) },
    ]),
  ),
});

export const HTTP_METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'CONNECT',
  'TRACE',
  'PURGE',
];

/** An upstream; `stream` upstreams speak tcp, udp or tls. `checksDefaults`: API7 before 3.6. */
export function upstreamSchema(stream = false, checksDefaults = false): Schema {
  return {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 1024, default: 'default' },
      desc: { type: 'string', maxLength: 65536 },
      labels,
      scheme: stream
        ? { type: 'string', enum: ['tcp', 'udp', 'tls'], default: 'tcp' }
        : { type: 'string', enum: ['http', 'https', 'grpc', 'grpcs'], default: 'http' },
      type: {
        type: 'string',
        enum: ['roundrobin', 'least_conn', 'ewma', 'chash'],
        default: 'roundrobin',
      },
      hash_on: {
        type: 'string',
        enum: ['vars', 'header', 'cookie', 'consumer', 'vars_combinations'],
        default: 'vars',
      },
      key: { type: 'string', minLength: 1 },
      retries: { type: 'integer', minimum: 0, maximum: 65535 },
      retry_timeout: { type: 'number', minimum: 0, default: 0 },
      keepalive_pool: {
        type: 'object',
        properties: {
          size: { type: 'integer', minimum: 1, default: 320 },
          idle_timeout: { type: 'number', minimum: 0, default: 60 },
          requests: { type: 'integer', minimum: 1, default: 1000 },
        },
      },
      timeout: timeoutOf(true),
      ...(stream
        ? {}
        : {
            pass_host: { type: 'string', enum: ['pass', 'node', 'rewrite'], default: 'pass' },
            upstream_host: { type: 'string', pattern: HOST_PATTERN },
          }),
      nodes: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        items: {
          type: 'object',
          required: ['host', 'port', 'weight'],
          properties: {
            host: { type: 'string', pattern: NODE_HOST_PATTERN },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            weight: { type: 'integer', minimum: 0, maximum: 65535 },
            priority: { type: 'integer', default: 0 },
          },
        },
      },
      discovery_type: { type: 'string', minLength: 1 },
      service_name: { type: 'string', minLength: 1 },
      discovery_args: stream ? { type: 'object' } : discoveryArgsSchema,
      checks: healthChecksSchema(checksDefaults),
      tls: { type: 'object' },
    },
  };
}

function serviceSchema(v: Api7Version, stream: boolean): Schema {
  return {
    type: 'object',
    required: ['name'],
    properties: {
      name,
      desc: { type: 'string' },
      labels,
      type: { type: 'string', enum: ['http', 'stream'] },
      hosts: {
        type: 'array',
        uniqueItems: true,
        minItems: 1,
        maxItems: 32,
        items: { type: 'string', pattern: HOST_PATTERN },
      },
      path_prefix: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' },
      strip_path_prefix: {
        type: 'boolean',
        ...(v.features.stripPathPrefixDefault && !stream ? { default: true } : {}),
      },
      plugins,
      upstream: upstreamSchema(stream, v.features.healthCheckDefaults),
      status: { type: 'integer', enum: [0, 1] },
    },
  };
}

function routeSchema(v: Api7Version): Schema {
  const defaults = v.features.routeDefaults;
  return {
    type: 'object',
    required: ['name', 'paths'],
    properties: {
      name,
      desc: { type: 'string' },
      labels,
      methods: {
        type: 'array',
        uniqueItems: true,
        minItems: 1,
        maxItems: HTTP_METHODS.length,
        items: { type: 'string', enum: HTTP_METHODS },
      },
      paths: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' },
      },
      plugins,
      vars: { type: 'array' },
      priority: { type: 'integer', ...(defaults ? { default: 0 } : {}) },
      timeout: timeoutOf(defaults),
      enable_websocket: { type: 'boolean' },
      service_id: { type: 'string', pattern: ID_PATTERN },
      route_id: { type: 'string', pattern: ID_PATTERN },
      status: { type: 'integer', enum: [0, 1] },
    },
  };
}

const streamRoute: Schema = {
  type: 'object',
  properties: {
    name,
    desc: { type: 'string' },
    labels,
    plugins,
    server_addr: { type: 'string', minLength: 1 },
    server_port: { type: 'integer', minimum: 1, maximum: 65535 },
    remote_addr: { type: 'string', minLength: 1 },
    service_id: { type: 'string', pattern: ID_PATTERN },
    stream_route_id: { type: 'string', pattern: ID_PATTERN },
  },
};

const consumer: Schema = {
  type: 'object',
  required: ['username'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[a-zA-Z0-9_\\-]+$' },
    desc: { type: 'string' },
    labels,
    plugins,
  },
};

const credential: Schema = {
  type: 'object',
  required: ['plugins'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    name: { type: 'string', minLength: 1 },
    desc: { type: 'string' },
    labels,
    plugins: { type: 'object', minProperties: 1, maxProperties: 1 },
  },
};

const ssl: Schema = {
  type: 'object',
  required: ['snis', 'cert', 'key'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    labels,
    type: { type: 'string', enum: ['server', 'client'], default: 'server' },
    status: { type: 'integer', enum: [0, 1] },
    snis: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^\\*?[0-9a-zA-Z-.]+$' } },
    cert: { type: 'string', minLength: 128 },
    key: { type: 'string', minLength: 128 },
    certs: { type: 'array', items: { type: 'string', minLength: 128 } },
    keys: { type: 'array', items: { type: 'string', minLength: 128 } },
    client: {
      type: 'object',
      properties: { ca: { type: 'string' }, depth: { type: 'integer', minimum: 0, default: 1 } },
    },
  },
};

const globalRule: Schema = {
  type: 'object',
  required: ['plugins'],
  properties: { plugins: { type: 'object', minProperties: 1 } },
};

export type ResourceType =
  | 'route'
  | 'service'
  | 'stream_service'
  | 'upstream'
  | 'stream_upstream'
  | 'stream_route'
  | 'consumer'
  | 'consumer_credential'
  | 'ssl'
  | 'global_rule'
  | 'plugin_metadata';

/** Every resource's schema for one API7 release. */
export function resourceSchemas(v: Api7Version): Record<ResourceType, Schema> {
  return {
    route: routeSchema(v),
    service: serviceSchema(v, false),
    stream_service: serviceSchema(v, true),
    upstream: upstreamSchema(false, v.features.healthCheckDefaults),
    stream_upstream: upstreamSchema(true, v.features.healthCheckDefaults),
    stream_route: streamRoute,
    consumer,
    consumer_credential: credential,
    ssl,
    global_rule: globalRule,
    plugin_metadata: { type: 'object' },
  };
}

/**
 * `GET /api/schema/core`: before 3.8 API7 lists only services (the upstream inside) and SSLs,
 * and ADC derives the upstream defaults from the service's; from 3.8 it lists every resource.
 */
export function coreSchema(v: Api7Version): Record<string, Schema> {
  const all = resourceSchemas(v);
  if (!v.features.routeDefaults) return { service: all.service, ssl: all.ssl };
  const { stream_upstream: _internal, ...listed } = all;
  return listed;
}
