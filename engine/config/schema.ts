/**
 * The one schema of `.github/api7-sync.yml`. The loader validates with it, and
 * `npm run schema` writes it to `schema/api7-sync.schema.json` for editors.
 */

import { ENVIRONMENT_NAME_PATTERN } from '../environment-name.js';

const hostName = { type: 'string', pattern: '^\\*?[0-9a-zA-Z-._]+$', minLength: 1 } as const;

/**
 * An upstream node is one machine: a host name, an IPv4 address, or an IPv6 address written
 * bare (`"::1"`) or in brackets (`"[::1]"`). A wildcard is a set of hosts, never a node.
 */
export const NODE_HOST_PATTERN =
  '^([0-9A-Za-z_][0-9A-Za-z_.-]*|\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$';
const nodeHost = { type: 'string', pattern: NODE_HOST_PATTERN, minLength: 1 } as const;

/** The engine's one environment-name rule: the same names `/sync` and the lock accept. */
const environmentName = { type: 'string', pattern: ENVIRONMENT_NAME_PATTERN } as const;

const node = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'port'],
  properties: {
    host: nodeHost,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    weight: { type: 'integer', minimum: 0, maximum: 65535, default: 100 },
    priority: { type: 'integer' },
  },
} as const;

const discovery = {
  type: 'object',
  additionalProperties: false,
  required: ['registry', 'service'],
  properties: {
    registry: {
      type: 'string',
      minLength: 1,
      description: 'Name of a service registry of the target gateway group.',
    },
    namespace: { type: 'string', minLength: 1, default: 'public' },
    group: { type: 'string', minLength: 1, default: 'DEFAULT_GROUP' },
    service: { type: 'string', minLength: 1 },
  },
} as const;

const upstream = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nodes: { type: 'array', minItems: 1, maxItems: 64, items: node },
    discovery,
    scheme: { enum: ['http', 'https', 'grpc', 'grpcs'] },
    passHost: { enum: ['pass', 'node', 'rewrite'] },
    upstreamHost: hostName,
  },
  oneOf: [{ required: ['nodes'] }, { required: ['discovery'] }],
} as const;

const runtime = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hosts: { type: 'array', minItems: 1, maxItems: 32, uniqueItems: true, items: hostName },
    pathPrefix: { type: 'string', pattern: '^/', minLength: 1 },
    stripPathPrefix: { type: 'boolean' },
    upstream,
  },
} as const;

const probe = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', pattern: '^/' },
    method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] },
    status: { type: 'integer', minimum: 100, maximum: 599, default: 200 },
    host: hostName,
  },
} as const;

/** `30s`, `5m`, `1h`, `1h30m`: checked with its position by the loader (engine/config/policies.ts). */
const duration = {
  type: 'string',
  minLength: 1,
  description: 'A duration: 30s, 5m, 1h or combined, 1h30m.',
} as const;

/** `promoteFrom: test` or `promoteFrom: {environment: test, soak: 1h}`. */
const source = {
  anyOf: [
    environmentName,
    {
      type: 'object',
      additionalProperties: false,
      required: ['environment'],
      properties: {
        environment: environmentName,
        soak: { ...duration, description: 'How long a version must have run in that environment first.' },
      },
    },
  ],
} as const;

const windows = {
  type: 'object',
  additionalProperties: false,
  required: ['timezone', 'allow'],
  description:
    'When promotions into this environment may run; outside, they are refused unless broken glass.',
  properties: {
    timezone: { type: 'string', minLength: 1, description: 'An IANA time zone, such as Asia/Shanghai.' },
    allow: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'string',
        description: 'A day or a day range, then a time range: "Mon-Thu 10:00-16:00".',
      },
    },
  },
} as const;

const principal = { type: 'string', pattern: '^(@[A-Za-z0-9-]+/[A-Za-z0-9_.-]+|[A-Za-z0-9-]+)$' } as const;

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/api7-sync/api7-sync/schema/api7-sync.schema.json',
  title: 'api7-sync configuration (.github/api7-sync.yml)',
  type: 'object',
  additionalProperties: false,
  required: ['controlPlane', 'environments', 'services'],
  properties: {
    controlPlane: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: {
          type: 'string',
          pattern: '^https?://[^/]+$',
          description: 'Dashboard / control plane origin, no path.',
        },
        caFile: { type: 'string', minLength: 1 },
        insecure: { type: 'boolean', description: 'Turns TLS verification off. Never in production.' },
      },
    },
    environments: {
      type: 'object',
      minProperties: 1,
      propertyNames: environmentName,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['gatewayGroup'],
        properties: {
          gatewayGroup: { type: 'string', minLength: 1 },
          gatewayUrl: { type: 'string', pattern: '^https?://[^/]+$' },
          promoteFrom: {
            anyOf: [...source.anyOf, { type: 'array', minItems: 1, items: source }],
          },
          protection: {
            type: 'object',
            additionalProperties: false,
            properties: {
              deployers: { type: 'array', items: principal },
              approvals: { type: 'integer', minimum: 0, maximum: 10 },
              approvers: { type: 'array', items: principal },
              allowForks: { type: 'boolean' },
              rollbackers: {
                type: 'array',
                items: principal,
                description: 'Who may ask for a rollback (default: the deployers).',
              },
              rollbackApprovals: {
                type: 'integer',
                minimum: 0,
                maximum: 10,
                description: 'Approvals a rollback needs (default 0).',
              },
              approvalHours: {
                type: 'integer',
                minimum: 1,
                maximum: 720,
                description: 'How long approvals stay valid (default 24).',
              },
              workflowApprovals: {
                enum: ['environment', 'comments'],
                description:
                  'Chat-ops in a workflow: who approves. environment (default): the required reviewers of the GitHub Environment the promotion job runs in; /approve comments do not count. comments: /approve comments from the approvers count (for plans without required reviewers); any writer could forge them in a branch workflow.',
              },
              windows,
            },
          },
          githubEnvironment: {
            type: 'string',
            minLength: 1,
            maxLength: 255,
            description:
              'The GitHub environment whose deployments the App gates as a deployment protection rule (default: the same name).',
          },
          tags: {
            type: 'array',
            uniqueItems: true,
            items: environmentName,
            description: 'Names for fan-out: --to @production selects every environment tagged production.',
          },
          wave: {
            type: 'integer',
            minimum: 0,
            description: 'Fan-out order: lower waves first; environments of one wave run in parallel.',
          },
          verify: {
            type: 'object',
            additionalProperties: false,
            properties: {
              watch: { ...duration, description: 'Keep probing this long after verification passed.' },
            },
          },
        },
      },
    },
    notify: {
      type: 'array',
      maxItems: 10,
      description:
        'Chat webhooks (Slack-compatible) told about promotions. The URL is a credential: write it as "${SLACK_WEBHOOK_URL}".',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          // No pattern: a validation message would quote the interpolated URL; the sender checks it.
          url: { type: 'string', minLength: 1 },
          on: {
            type: 'array',
            minItems: 1,
            items: { enum: ['synced', 'unchanged', 'refused', 'rolled-back', 'failed'] },
            default: ['synced', 'rolled-back', 'failed'],
          },
        },
      },
    },
    services: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          runtime: { type: 'object', additionalProperties: runtime },
          verify: { type: 'array', items: probe },
          watch: { ...duration, description: 'Keep probing this long after verification passed.' },
        },
      },
    },
  },
} as const;
