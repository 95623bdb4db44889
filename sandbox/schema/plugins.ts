/**
 * Plugin schemas: the core plugins are checked field by field (abridged from APISIX's own
 * schemas, which API7's gateway runs); every other known plugin is accepted as any object, and
 * an unknown plugin name is an error, as API7 answers it. They carry no defaults: a plugin's
 * configuration is stored as written.
 */
type Schema = Record<string, unknown>;

const rejectedCode = { type: 'integer', minimum: 200, maximum: 599 };
const keyType = { type: 'string', enum: ['var', 'var_combination', 'constant'] };

/** Where a plugin is configured: its schema on a consumer (or credential) differs. */
export type PluginContext = 'route' | 'consumer';

const CORE: Record<string, { route: Schema; consumer?: Schema }> = {
  'limit-count': {
    route: {
      type: 'object',
      required: ['count', 'time_window'],
      properties: {
        count: { type: 'integer', exclusiveMinimum: 0 },
        time_window: { type: 'integer', exclusiveMinimum: 0 },
        group: { type: 'string' },
        key: { type: 'string' },
        key_type: keyType,
        rejected_code: rejectedCode,
        rejected_msg: { type: 'string', minLength: 1 },
        policy: { type: 'string', enum: ['local', 'redis', 'redis-cluster'] },
        allow_degradation: { type: 'boolean' },
        show_limit_quota_header: { type: 'boolean' },
      },
    },
  },
  'limit-req': {
    route: {
      type: 'object',
      required: ['rate', 'burst', 'key'],
      properties: {
        rate: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'number', minimum: 0 },
        key: { type: 'string' },
        key_type: keyType,
        rejected_code: rejectedCode,
        rejected_msg: { type: 'string', minLength: 1 },
        nodelay: { type: 'boolean' },
        allow_degradation: { type: 'boolean' },
      },
    },
  },
  'key-auth': {
    route: {
      type: 'object',
      properties: {
        header: { type: 'string' },
        query: { type: 'string' },
        hide_credentials: { type: 'boolean' },
      },
    },
    consumer: {
      type: 'object',
      required: ['key'],
      properties: { key: { type: 'string', minLength: 1 } },
    },
  },
  'basic-auth': {
    route: { type: 'object', properties: { hide_credentials: { type: 'boolean' } } },
    consumer: {
      type: 'object',
      required: ['username', 'password'],
      properties: { username: { type: 'string', minLength: 1 }, password: { type: 'string', minLength: 1 } },
    },
  },
  'jwt-auth': {
    route: {
      type: 'object',
      properties: {
        header: { type: 'string' },
        query: { type: 'string' },
        cookie: { type: 'string' },
        hide_credentials: { type: 'boolean' },
      },
    },
    consumer: {
      type: 'object',
      required: ['key'],
      properties: {
        key: { type: 'string', minLength: 1 },
        secret: { type: 'string', minLength: 1 },
        public_key: { type: 'string' },
        algorithm: { type: 'string', enum: ['HS256', 'HS512', 'RS256', 'ES256'] },
        exp: { type: 'integer', minimum: 1 },
        base64_secret: { type: 'boolean' },
      },
    },
  },
  'proxy-rewrite': {
    route: {
      type: 'object',
      minProperties: 1,
      properties: {
        uri: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^\\/.*' },
        method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH'] },
        regex_uri: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string' } },
        host: { type: 'string', pattern: '^[0-9a-zA-Z-.]+(:\\d{1,5})?$' },
        headers: {
          type: 'object',
          properties: {
            add: { type: 'object' },
            set: { type: 'object' },
            remove: { type: 'array', items: { type: 'string' } },
          },
        },
        use_real_request_uri_unsafe: { type: 'boolean' },
      },
    },
  },
  cors: {
    route: {
      type: 'object',
      properties: {
        allow_origins: { type: 'string' },
        allow_methods: { type: 'string' },
        allow_headers: { type: 'string' },
        expose_headers: { type: 'string' },
        max_age: { type: 'integer' },
        allow_credential: { type: 'boolean' },
        allow_origins_by_regex: { type: 'array', minItems: 1, items: { type: 'string' } },
      },
    },
  },
  'ip-restriction': {
    route: {
      type: 'object',
      properties: {
        whitelist: { type: 'array', minItems: 1, items: { type: 'string' } },
        blacklist: { type: 'array', minItems: 1, items: { type: 'string' } },
        message: { type: 'string', minLength: 1, maxLength: 1024 },
      },
      oneOf: [{ required: ['whitelist'] }, { required: ['blacklist'] }],
    },
  },
  'response-rewrite': {
    route: {
      type: 'object',
      properties: {
        status_code: { type: 'integer', minimum: 200, maximum: 598 },
        body: { type: 'string' },
        body_base64: { type: 'boolean' },
        headers: { type: 'object' },
        vars: { type: 'array' },
        filters: { type: 'array', minItems: 1 },
      },
    },
  },
};

/** Plugins API7's gateway knows besides the core ones; their configurations are not checked. */
const OTHERS = `acl ai-prompt-decorator ai-prompt-template ai-proxy ai-proxy-multi api-breaker
  attach-consumer-label authz-casbin authz-casdoor authz-keycloak aws-lambda azure-functions
  batch-requests body-transformer brotli cas-auth chaitin-waf clickhouse-logger client-control
  consumer-restriction csrf data-mask datadog degraphql dubbo-proxy echo elasticsearch-logger
  error-log-logger exit-transformer ext-plugin-post-req ext-plugin-post-resp ext-plugin-pre-req
  fault-injection file-logger forward-auth gm google-cloud-logging graphql-limit-count
  graphql-proxy-cache grpc-transcode grpc-web gzip hmac-auth http-dubbo http-logger
  inspect ip-restriction kafka-logger kafka-proxy ldap-auth limit-conn limit-count-advanced
  loggly loki-logger mocking mqtt-proxy multi-auth node-status oas-validator ocsp-stapling opa
  openfunction openid-connect opentelemetry openwhisk prometheus proxy-buffering proxy-cache
  proxy-control proxy-mirror public-api real-ip redirect referer-restriction request-id
  request-validation rocketmq-logger server-info serverless-post-function
  serverless-pre-function skywalking skywalking-logger sls-logger splunk-hec-logging syslog
  tcp-logger tencent-cloud-cls traffic-label traffic-split ua-restriction udp-logger uri-blocker
  wolf-rbac workflow zipkin`.split(/\s+/);

const KNOWN = new Set([...Object.keys(CORE), ...OTHERS]);

export function isKnownPlugin(name: string): boolean {
  return KNOWN.has(name);
}

/** The schema a plugin's configuration is checked against here, or undefined (any object). */
export function pluginSchema(name: string, context: PluginContext): Schema | undefined {
  const core = CORE[name];
  if (!core) return undefined;
  return context === 'consumer' ? (core.consumer ?? core.route) : core.route;
}

/** The authentication plugins a consumer credential may carry. */
export const AUTH_PLUGINS = ['key-auth', 'basic-auth', 'jwt-auth', 'hmac-auth', 'ldap-auth'];
