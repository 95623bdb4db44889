// Extracts, from GitHub's published OpenAPI description (@octokit/openapi), the operations
// api7-sync calls and their neighbours: method, path template, path and query parameters, and
// request body schema (no prose), into test/contract/github-openapi.json, so that the GitHub
// stand-in checks every request against it in a clone that lacks the 400 MB package.
//
// The routes are read from the production sources (every 'METHOD /path' string), plus the
// requests Probot makes for the App itself, plus whole families of operations near them so that a
// new call of the same kind is usually covered without extracting again.
//
// Usage: npm install --no-save @octokit/openapi@23 && node scripts/extract-github-openapi.mjs
//    or: node scripts/extract-github-openapi.mjs path/to/api.github.com.json
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const installed = join(root, 'node_modules/@octokit/openapi/generated/api.github.com.json');
const specPath = process.argv[2] ?? (existsSync(installed) ? installed : undefined);
if (!specPath) {
  console.error(
    'usage: node scripts/extract-github-openapi.mjs [path/to/api.github.com.json]\n' +
      "(without a path, install GitHub's description first: npm install --no-save @octokit/openapi@23)",
  );
  process.exit(64);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const packageFile = join(specPath, '../../package.json');
const version = existsSync(packageFile) ? JSON.parse(readFileSync(packageFile, 'utf8')).version : 'unknown';

/** Where production code calls GitHub. */
const SOURCES = ['action', 'bot', 'chatops', 'cli', 'github'];
/** Requests libraries make for us: Probot's installation token. */
const LIBRARY_ROUTES = ['POST /app/installations/{installation_id}/access_tokens'];
/** Families of operations extracted whole (path prefixes), for calls of the same kind to come. */
const FAMILIES = [
  '/app',
  '/installation/repositories',
  '/orgs/{org}/teams/{team_slug}/memberships/',
  '/repos/{owner}/{repo}/git/',
  '/repos/{owner}/{repo}/deployments',
  '/repos/{owner}/{repo}/environments',
  '/repos/{owner}/{repo}/check-runs',
  '/repos/{owner}/{repo}/check-suites',
  '/repos/{owner}/{repo}/commits/{ref}/',
  '/repos/{owner}/{repo}/issues/',
  '/repos/{owner}/{repo}/pulls/',
  '/repos/{owner}/{repo}/statuses/',
  '/repos/{owner}/{repo}/contents/',
  '/repos/{owner}/{repo}/collaborators/',
  '/repos/{owner}/{repo}/actions/runs/{run_id}',
];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const used = new Set(LIBRARY_ROUTES);
for (const dir of SOURCES)
  for (const file of filesUnder(join(root, dir)))
    for (const m of readFileSync(file, 'utf8').matchAll(/'((?:GET|POST|PUT|PATCH|DELETE) \/[^'\s]*)'/g))
      used.add(m[1]);

const wanted = new Set(used);
for (const [path, item] of Object.entries(spec.paths))
  if (FAMILIES.some((f) => path === f || path.startsWith(f.endsWith('/') ? f : `${f}/`)))
    for (const method of METHODS) if (item[method]) wanted.add(`${method.toUpperCase()} ${path}`);

/** Follows local `$ref`s; a schema that refers back to itself ends in `{}` (anything). */
function resolve(node, seen = new Set()) {
  if (Array.isArray(node)) return node.map((n) => resolve(n, seen));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) return {};
    const target = node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((at, key) => at?.[key], spec);
    if (!target) throw new Error(`unresolved ${node.$ref}`);
    return resolve(target, new Set([...seen, node.$ref]));
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, seen)]));
}

const DROP = new Set([
  'description',
  'example',
  'examples',
  'summary',
  'title',
  'format',
  'readOnly',
  'externalDocs',
]);

/** OpenAPI 3.0 → JSON Schema for Ajv: no prose, `nullable` as a type that admits null. */
function clean(node) {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (DROP.has(k) || k.startsWith('x-') || k === 'nullable') continue;
    out[k] =
      k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, clean(s)])) : clean(v);
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.enum) out.enum = [...out.enum, null];
    else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const operations = {};
for (const route of [...wanted].sort()) {
  const [method, path] = route.split(' ');
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`GitHub's description has no ${route} (used in the sources)`);
  const params = resolve([...(spec.paths[path].parameters ?? []), ...(op.parameters ?? [])]);
  const pick = (where) =>
    params
      .filter((p) => p.in === where)
      .map((p) => ({ name: p.name, required: Boolean(p.required), schema: clean(p.schema) }));
  const body = resolve(op.requestBody);
  const schema = body?.content?.['application/json']?.schema;
  operations[route] = {
    path: pick('path'),
    query: pick('query'),
    ...(schema ? { body: clean(schema), bodyRequired: Boolean(body.required) } : {}),
  };
}

const out = join(root, 'test/contract/github-openapi.json');
writeFileSync(
  out,
  JSON.stringify(
    {
      source: `@octokit/openapi ${version}, generated/api.github.com.json (GitHub's REST API description)`,
      used: [...used].sort(),
      operations,
    },
    null,
    1,
  ) + '\n',
);
console.error(
  `wrote test/contract/github-openapi.json: ${Object.keys(operations).length} operations (${used.size} used by api7-sync)`,
);
