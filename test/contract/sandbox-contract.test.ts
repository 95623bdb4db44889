/**
 * Contract: the sandbox's responses (and the engine's requests, in test/engine) validate against
 * the schemas of API7's own OpenAPI spec, extracted by scripts/extract-api7-schemas.mjs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { ajv, validator } from '../helpers/contract.js';
import { api, groupId, PROD, sandbox, serviceIn, TEST } from '../helpers/sandbox.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox(undefined, '3.5.0');
});
afterAll(async () => sb.close());

describe('sandbox responses against API7 3.2.14 schemas', () => {
  it('gateway groups, published services, versions, runtime configuration, registries', async () => {
    const test = await groupId(sb, TEST);
    const prod = await groupId(sb, PROD);
    const svc = await serviceIn(sb, TEST, 'httpbin API');
    const cases: [string, string][] = [
      ['GET /api/gateway_groups', '/api/gateway_groups?page=1&page_size=10'],
      [
        'GET /api/gateway_groups/{gateway_group_id}/services',
        `/api/gateway_groups/${test}/services?page=1&page_size=10`,
      ],
      [
        'GET /api/gateway_groups/{gateway_group_id}/services/{service_id}/versions',
        `/api/gateway_groups/${test}/services/${svc.service_id}/versions`,
      ],
      [
        'GET /api/gateway_groups/{gateway_group_id}/services/{service_id}/runtime_configuration',
        `/api/gateway_groups/${test}/services/${svc.service_id}/runtime_configuration`,
      ],
      [
        'GET /api/gateway_groups/{gateway_group_id}/service_registries',
        `/api/gateway_groups/${prod}/service_registries`,
      ],
    ];
    for (const [key, path] of cases) {
      const res = await api(sb, 'GET', path);
      expect(res.status, path).toBe(200);
      const validate = validator(key, 'response');
      expect(validate(res.body), `${key}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('a publish request and its answer, and a conflict check', async () => {
    const prod = await groupId(sb, PROD);
    const svc = await serviceIn(sb, TEST, 'httpbin API');
    const body = {
      create_new_version: false,
      gateway_group_id: prod,
      services: [
        {
          service_id: svc.service_id,
          service_version_id: svc.service_version_id,
          version: '1.0.0',
          status: 1,
          upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }] },
        },
      ],
    };
    expect(validator('POST /api/services/publish', 'request')(body)).toBe(true);
    const check = await api(sb, 'POST', '/api/services/conflict_check', body);
    expect(validator('POST /api/services/conflict_check', 'response')(check.body)).toBe(true);
    const res = await api(sb, 'POST', '/api/services/publish', body);
    expect(res.status).toBe(200);
    expect(validator('POST /api/services/publish', 'response')(res.body)).toBe(true);
  });

  it('the schemas are strict enough to catch a wrong shape', () => {
    const validate = validator('GET /api/gateway_groups/{gateway_group_id}/services', 'response');
    expect(validate({ list: [{ name: 'x', hosts: [] }], total: 1 })).toBe(false);
    expect(
      validator(
        'POST /api/services/publish',
        'request',
      )({ gateway_group_id: 'g', services: [{ service_id: 's' }] }),
    ).toBe(false);
  });
});
