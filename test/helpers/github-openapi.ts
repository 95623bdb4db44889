/**
 * Checks a request against GitHub's published REST API description (extracted into
 * test/contract/github-openapi.json by scripts/extract-github-openapi.mjs): the method and path
 * must be an operation GitHub has, every path and query parameter must be one it declares, of the
 * declared type, and the body must match its schema with no field GitHub does not know. The
 * GitHub stand-in runs every request it receives through this, so every test that drives the
 * Action, the CLI or the bot checks the requests they make.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

interface Param {
  name: string;
  required: boolean;
  schema: object;
}
interface Operation {
  path: Param[];
  query: Param[];
  body?: Record<string, unknown>;
  bodyRequired?: boolean;
}

// Read from the source tree whether this module runs from test/ (vitest) or from its build in
// lib/test/ (the benchmarks): the compiler does not copy JSON files into lib/.
const extract = ['../contract/github-openapi.json', '../../../test/contract/github-openapi.json']
  .map((relative) => new URL(relative, import.meta.url))
  .find((url) => existsSync(url));
if (!extract)
  throw new Error('test/contract/github-openapi.json is missing: run scripts/extract-github-openapi.mjs');

export const GITHUB_OPENAPI = JSON.parse(readFileSync(extract, 'utf8')) as {
  source: string;
  used: string[];
  operations: Record<string, Operation>;
};

const ajv = new Ajv({ strict: false, allErrors: true });
// Path and query values are text on the wire: coerced to the declared type, as GitHub reads them.
const coercing = new Ajv({ strict: false, coerceTypes: true });

const routes = Object.entries(GITHUB_OPENAPI.operations).map(([route, op]) => {
  const [method, template] = route.split(' ') as [string, string];
  return { route, method, segments: template.split('/'), op };
});

const bodyValidators = new Map<string, ValidateFunction>();
const valueValidators = new Map<object, ValidateFunction>();

function bodyValidator(route: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = bodyValidators.get(route);
  if (!validate) {
    // GitHub ignores a field it does not know; a field it does not know is a bug in the caller.
    const closed =
      schema.type === 'object' && schema.properties && schema.additionalProperties === undefined
        ? { ...schema, additionalProperties: false }
        : schema;
    validate = ajv.compile(closed);
    bodyValidators.set(route, validate);
  }
  return validate;
}

function valueOk(schema: object, value: string): boolean {
  let validate = valueValidators.get(schema);
  if (!validate) {
    validate = coercing.compile({ type: 'object', properties: { value: schema } });
    valueValidators.set(schema, validate);
  }
  return validate({ value });
}

/** Every GitHub stand-in made in this worker since the last check (github-openapi-setup.ts). */
export const standIns = new Set<{ violations: string[] }>();

export interface Violation {
  /** What GitHub would answer: 404 for an operation it does not have, 422 for a bad request. */
  status: 404 | 422;
  message: string;
}

/** Undefined when GitHub's description allows the request; else what is wrong with it. */
export function checkGitHubRequest(
  method: string,
  pathname: string,
  query: URLSearchParams,
  body: unknown,
): Violation | undefined {
  const segments = pathname.split('/');
  const candidates = routes
    .filter(
      (r) =>
        r.method === method &&
        r.segments.length === segments.length &&
        r.segments.every((s, i) => (s.startsWith('{') ? segments[i] !== '' : s === segments[i])),
    )
    // The most literal template wins: /git/ref/{ref} over a template with a parameter there.
    .sort((a, b) => literals(b.segments) - literals(a.segments));
  const found = candidates[0];
  const what = `${method} ${pathname}`;
  if (!found)
    return {
      status: 404,
      message: `${what} is not an operation of GitHub's REST API (${GITHUB_OPENAPI.source})`,
    };
  const { op, route } = found;
  const problems: string[] = [];
  found.segments.forEach((s, i) => {
    if (!s.startsWith('{')) return;
    const param = op.path.find((p) => `{${p.name}}` === s);
    const value = decodeURIComponent(segments[i]!);
    if (param && !valueOk(param.schema, value)) problems.push(`path parameter ${param.name} "${value}"`);
  });
  for (const [name, value] of query) {
    const param = op.query.find((p) => p.name === name);
    if (!param) problems.push(`query parameter ${name} is not one GitHub takes`);
    else if (!valueOk(param.schema, value)) problems.push(`query parameter ${name}="${value}"`);
  }
  const empty =
    body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);
  if (!op.body) {
    if (!empty) problems.push('GitHub takes no body for it');
  } else if (empty && op.bodyRequired && (op.body.required as unknown[] | undefined)?.length) {
    problems.push('GitHub needs a body for it');
  } else if (!empty) {
    const validate = bodyValidator(route, op.body);
    if (!validate(body))
      for (const e of validate.errors ?? [])
        problems.push(
          `body${e.instancePath || ''} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
        );
  }
  return problems.length
    ? { status: 422, message: `${what} does not match GitHub's ${route}: ${problems.join('; ')}` }
    : undefined;
}

const literals = (segments: string[]) => segments.filter((s) => !s.startsWith('{')).length;
