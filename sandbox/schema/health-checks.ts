/**
 * An upstream's `checks` (APISIX health checks). Before 3.6 API7's schema carries APISIX's
 * defaults for them, so `GET /api/schema/core` shows them and a client such as ADC expects them
 * back; from 3.6 its schema lists `checks` without them.
 */
type Schema = Record<string, unknown>;

const integer = (value: number): Schema => ({ type: 'integer', minimum: 0, default: value });
const number = (value: number): Schema => ({ type: 'number', minimum: 0, default: value });
const statuses = (value: number[]): Schema => ({
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { type: 'integer', minimum: 200, maximum: 599 },
  default: value,
});
const object = (properties: Schema): Schema => ({ type: 'object', properties });

const active = object({
  type: { type: 'string', enum: ['http', 'https', 'tcp'], default: 'http' },
  timeout: number(1),
  concurrency: integer(10),
  host: { type: 'string' },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  http_path: { type: 'string', default: '/' },
  https_verify_certificate: { type: 'boolean', default: true },
  req_headers: { type: 'array', items: { type: 'string' } },
  healthy: object({
    interval: integer(1),
    http_statuses: statuses([200, 302]),
    successes: integer(2),
  }),
  unhealthy: object({
    interval: integer(1),
    http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
    http_failures: integer(5),
    tcp_failures: integer(2),
    timeouts: integer(3),
  }),
});

const passive = object({
  type: { type: 'string', enum: ['http', 'https', 'tcp'], default: 'http' },
  healthy: object({
    http_statuses: statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]),
    successes: integer(5),
  }),
  unhealthy: object({
    http_statuses: statuses([429, 500, 503]),
    tcp_failures: integer(2),
    timeouts: integer(7),
    http_failures: integer(5),
  }),
});

/** `checks`, with APISIX's defaults when `withDefaults` (API7 before 3.6). */
export function healthChecksSchema(withDefaults: boolean): Schema {
  return withDefaults ? object({ active, passive }) : { type: 'object' };
}

/**
 * `discovery_args`: the registry's namespace and group. Listed with its members, so that a
 * client reading defaults from the schema sees `discovery_args: {}` as API7 shows it.
 */
export const discoveryArgsSchema: Schema = object({
  namespace_id: { type: 'string' },
  group_name: { type: 'string' },
  metadata: { type: 'object' },
});
