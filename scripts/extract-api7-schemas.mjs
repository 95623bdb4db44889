// Extracts, from API7's own OpenAPI spec, the request and response schemas of the endpoints
// api7-sync and its sandbox speak, into test/contract/api7-schemas.json (schemas only, no prose),
// so that contract tests run in a clone that lacks the spec.
// Usage: node scripts/extract-api7-schemas.mjs path/to/admin-api-3.2.14.json (API7's published spec)
import { readFileSync, writeFileSync } from 'node:fs';

const specPath = process.argv[2];
if (!specPath) {
  console.error('usage: node scripts/extract-api7-schemas.mjs path/to/admin-api-3.2.14.json');
  process.exit(64);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8'));

const OPERATIONS = [
  ['get', '/api/gateway_groups'],
  ['get', '/api/gateway_groups/{gateway_group_id}/services'],
  ['get', '/api/gateway_groups/{gateway_group_id}/services/{service_id}/versions'],
  ['get', '/api/gateway_groups/{gateway_group_id}/services/{service_id}/runtime_configuration'],
  ['patch', '/api/gateway_groups/{gateway_group_id}/services/{service_id}/runtime_configuration'],
  ['get', '/api/gateway_groups/{gateway_group_id}/service_registries'],
  ['post', '/api/services/publish'],
  ['post', '/api/services/conflict_check'],
];

const DROP = new Set([
  'description',
  'example',
  'examples',
  'summary',
  'tags',
  'title',
  'format',
  'x-go-name',
]);

/** OpenAPI 3.0 (draft-04 flavoured) → draft-07: boolean exclusive bounds become numbers. */
function clean(node) {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROP.has(k) || k.startsWith('x-')) continue;
    out[k] = clean(v);
  }
  if (out.exclusiveMinimum === true) {
    out.exclusiveMinimum = out.minimum ?? 0;
    delete out.minimum;
  } else if (out.exclusiveMinimum === false) delete out.exclusiveMinimum;
  if (out.exclusiveMaximum === true) {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (out.exclusiveMaximum === false) delete out.exclusiveMaximum;
  if (out.nullable === true) {
    delete out.nullable;
  }
  return out;
}

const result = {};
for (const [method, path] of OPERATIONS) {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`the spec has no ${method.toUpperCase()} ${path}`);
  const request = op.requestBody?.content?.['application/json']?.schema;
  const response = op.responses?.['200']?.content?.['application/json']?.schema;
  result[`${method.toUpperCase()} ${path}`] = {
    ...(request ? { request: clean(request) } : {}),
    ...(response ? { response: clean(response) } : {}),
  };
}
writeFileSync(
  new URL('../test/contract/api7-schemas.json', import.meta.url),
  JSON.stringify(result, null, 1) + '\n',
);
console.error(`wrote test/contract/api7-schemas.json (${OPERATIONS.length} operations)`);
