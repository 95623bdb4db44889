/**
 * The defaults API7 fills per release, as a client reads them from `GET /api/schema/core` (ADC
 * takes every `default`, recursing into objects that list properties and into arrays of objects,
 * and leaves out what yields nothing): the upstream's health-check defaults before 3.6, and
 * `discovery_args: {}` on the upstream from 3.8.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { api, sandbox } from '../helpers/sandbox.js';

type Json = Record<string, any>;

/** Defaults the way ADC extracts them: an object without properties yields nothing. */
function defaultsOf(schema: Json): Json | undefined {
  if (schema.type !== 'object' || !schema.properties) return undefined;
  const out: Json = {};
  for (const [key, field] of Object.entries<Json>(schema.properties)) {
    const value =
      field.type === 'object'
        ? defaultsOf(field)
        : field.type === 'array' && field.items?.type === 'object'
          ? [defaultsOf(field.items)]
          : field.default;
    if (value !== undefined) out[key] = value;
  }
  return out;
}

async function coreDefaults(sb: Sandbox): Promise<Json> {
  const res = await api(sb, 'GET', '/api/schema/core');
  expect(res.status).toBe(200);
  return Object.fromEntries(Object.entries<Json>(res.body.value).map(([k, v]) => [k, defaultsOf(v)]));
}

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

describe('defaults API7 fills, per release', () => {
  it('before 3.6: the upstream health checks carry APISIX defaults, and discovery_args is {}', async () => {
    sb = await sandbox(undefined, '3.5.0');
    const core = await coreDefaults(sb);
    expect(core.service.upstream).toMatchObject({
      discovery_args: {},
      checks: {
        active: {
          concurrency: 10,
          healthy: { http_statuses: [200, 302], interval: 1, successes: 2 },
          http_path: '/',
          https_verify_certificate: true,
          timeout: 1,
          type: 'http',
          unhealthy: {
            http_failures: 5,
            http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
            interval: 1,
            tcp_failures: 2,
            timeouts: 3,
          },
        },
        passive: {
          healthy: {
            http_statuses: [
              200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
            ],
            successes: 5,
          },
          type: 'http',
          unhealthy: { http_failures: 5, http_statuses: [429, 500, 503], tcp_failures: 2, timeouts: 7 },
        },
      },
    });
    expect(core.ssl).toMatchObject({ client: { depth: 1 } });
  });

  it('from 3.6 the health checks have no defaults; from 3.8 services and upstreams show discovery_args {}', async () => {
    sb = await sandbox(undefined, '3.7.0');
    expect((await coreDefaults(sb)).service.upstream.checks).toBeUndefined();
    await sb.close();
    sb = await sandbox(undefined, '3.9.10');
    const core = await coreDefaults(sb);
    expect(core.service.upstream).toMatchObject({
      discovery_args: {},
      hash_on: 'vars',
      nodes: [{ priority: 0 }],
    });
    expect(core.service.upstream.checks).toBeUndefined();
    expect(core.upstream).toMatchObject({ discovery_args: {}, pass_host: 'pass', type: 'roundrobin' });
  });

  it('a health check written with only its type is filled with the defaults before 3.6', async () => {
    sb = await sandbox(undefined, '3.5.0');
    const groups = await api(sb, 'GET', '/api/gateway_groups?page=1&page_size=10');
    const gg = groups.body.list[0].id as string;
    const put = await api(sb, 'PUT', `/apisix/admin/services/svc-checks?gateway_group_id=${gg}`, {
      name: 'svc-checks',
      upstream: {
        nodes: [{ host: 'httpbin', port: 80, weight: 1 }],
        checks: { active: { type: 'http' } },
      },
    });
    expect(put.status).toBe(200);
    expect(put.body.value.upstream.checks.active).toEqual({
      type: 'http',
      timeout: 1,
      concurrency: 10,
      http_path: '/',
      https_verify_certificate: true,
    });
  });
});
