/**
 * Checks a resource against its schema with ajv, fills API7's defaults in place, and words the
 * first error as API7 does: `Error at "/upstream/nodes/0/port": number must be at most 65535`
 * (the wording of the OpenAPI validator API7's control plane uses; clients print it verbatim).
 * Plugin configurations are worded as APISIX does: `failed to check the configuration of plugin
 * limit-count err: property "count" is required`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ApiError } from '../store.js';
import type { Api7Version } from '../version.js';
import { isKnownPlugin, pluginSchema, type PluginContext } from './plugins.js';
import { resourceSchemas, type ResourceType } from './resources.js';

const ajv = new Ajv({ strict: false, useDefaults: true, allErrors: false, unicodeRegExp: false });
const compiled = new Map<string, ValidateFunction>();

function compile(key: string, schema: () => object): ValidateFunction {
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(schema());
    compiled.set(key, fn);
  }
  return fn;
}

/** `/upstream/nodes/0` and `port` → `/upstream/nodes/0/port`. */
const join = (base: string, path: string) => `${base}${path}`;

function typeName(t: unknown): string {
  return Array.isArray(t) ? t.join(' or ') : String(t);
}

/** ajv's first error in the OpenAPI validator's words. */
export function api7Wording(e: ErrorObject, base = ''): string {
  const p = e.params as Record<string, unknown>;
  let at = join(base, e.instancePath);
  let message: string;
  switch (e.keyword) {
    case 'type':
      message = `value must be ${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${typeName(p.type)}`;
      break;
    case 'required':
      at = join(at, `/${String(p.missingProperty)}`);
      message = `property "${String(p.missingProperty)}" is missing`;
      break;
    case 'additionalProperties':
      message = `property "${String(p.additionalProperty)}" is unsupported`;
      break;
    case 'enum':
      message = 'value is not one of the allowed values';
      break;
    case 'minLength':
      message = `minimum string length is ${String(p.limit)}`;
      break;
    case 'maxLength':
      message = `maximum string length is ${String(p.limit)}`;
      break;
    case 'pattern':
      message = `string doesn't match the regular expression "${String(p.pattern)}"`;
      break;
    case 'minimum':
      message = `number must be at least ${String(p.limit)}`;
      break;
    case 'maximum':
      message = `number must be at most ${String(p.limit)}`;
      break;
    case 'exclusiveMinimum':
      message = `number must be more than ${String(p.limit)}`;
      break;
    case 'minItems':
      message = `minimum number of items is ${String(p.limit)}`;
      break;
    case 'maxItems':
      message = `maximum number of items is ${String(p.limit)}`;
      break;
    case 'uniqueItems':
      message = 'duplicate items found';
      break;
    case 'minProperties':
      message = `there must be at least ${String(p.limit)} properties`;
      break;
    case 'maxProperties':
      message = `there must be at most ${String(p.limit)} properties`;
      break;
    case 'oneOf':
      message = `value doesn't match any schema from "oneOf"`;
      break;
    default:
      message = e.message ?? 'value is not valid';
  }
  return `Error at "${at || '/'}": ${message}`;
}

/** ajv's first error in lua-resty-jsonschema's words, as APISIX reports plugin errors. */
function apisixWording(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const prop = e.instancePath ? `property "${e.instancePath.slice(1).replace(/\//g, '.')}" validation failed: ` : '';
  switch (e.keyword) {
    case 'required':
      return `${prop}property "${String(p.missingProperty)}" is required`;
    case 'type':
      return `${prop}wrong type: expected ${typeName(p.type)}`;
    case 'enum':
      return `${prop}matches none of the enum values`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `${prop}expected value to be ${e.keyword === 'minimum' ? 'at least' : 'greater than'} ${String(p.limit)}`;
    case 'maximum':
      return `${prop}expected value to be at most ${String(p.limit)}`;
    case 'minLength':
      return `${prop}string too short, expected at least ${String(p.limit)}, got less`;
    case 'pattern':
      return `${prop}failed to match pattern "${String(p.pattern)}"`;
    case 'minProperties':
      return `${prop}expect object to have at least ${String(p.limit)} properties`;
    case 'oneOf':
      return `${prop}value should match only one schema, but matches none`;
    default:
      return `${prop}${e.message ?? 'invalid'}`;
  }
}

/** A 400 whose `error_msg` is API7's sentence. */
export function invalid(message: string): ApiError {
  return new ApiError(400, message);
}

/**
 * Checks one plugins object. `pointer` names it in the resource (`/plugins`), only for errors
 * about its shape; a plugin's own errors are worded as APISIX does.
 */
export function checkPlugins(value: unknown, context: PluginContext, pointer = '/plugins'): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`Error at "${pointer}": value must be an object`);
  for (const [name, conf] of Object.entries(value)) {
    if (!isKnownPlugin(name)) throw invalid(`unknown plugin [${name}]`);
    if (typeof conf !== 'object' || conf === null || Array.isArray(conf))
      throw invalid(`failed to check the configuration of plugin ${name} err: wrong type: expected object`);
    const schema = pluginSchema(name, context);
    if (!schema) continue;
    const validate = compile(`plugin:${name}:${context}`, () => schema);
    if (!validate(conf)) {
      throw invalid(
        // A `oneOf` miss is reported as such, as lua-resty-jsonschema does, not by its branches.
        `failed to check the configuration of plugin ${name} err: ${apisixWording(
          validate.errors!.find((e) => e.keyword === 'oneOf') ?? validate.errors![0]!,
        )}`,
      );
    }
  }
}

/**
 * Checks `body` as a `type` resource of release `v`, fills API7's defaults into it, checks its
 * plugins, and returns it. `base` prefixes error paths when the resource sits inside a request
 * (`/services/0/upstream`). Nothing else is changed when it throws (defaults may be half-filled
 * in `body`: callers check a copy when that matters).
 */
export function checkResource<T extends object = Record<string, unknown>>(
  type: ResourceType,
  body: unknown,
  v: Api7Version,
  base = '',
): T {
  const validate = compile(`${v.text}:${type}`, () => resourceSchemas(v)[type]);
  if (!validate(body)) throw invalid(api7Wording(validate.errors![0]!, base));
  const b = body as Record<string, unknown>;
  const context: PluginContext =
    type === 'consumer' || type === 'consumer_credential' ? 'consumer' : 'route';
  checkPlugins(b.plugins, context, `${base}/plugins`);
  if (type === 'ssl') checkCertificates(b, base);
  return body as T;
}

/** An SSL's key must match its certificate (and each of `certs` its `keys` entry). */
function checkCertificates(b: Record<string, unknown>, base: string): void {
  const pairs: [unknown, unknown, string][] = [[b.cert, b.key, '']];
  const certs = Array.isArray(b.certs) ? b.certs : [];
  const keys = Array.isArray(b.keys) ? b.keys : [];
  if (certs.length !== keys.length)
    throw invalid(`Error at "${base}/keys": the number of certs and keys must be the same`);
  certs.forEach((c, i) => pairs.push([c, keys[i], ` (certs[${i}])`]));
  for (const [cert, key, which] of pairs) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(String(cert));
    } catch {
      throw invalid(`failed to parse cert${which}: PEM_read_bio_X509_AUX() failed`);
    }
    let matches = false;
    try {
      matches = x509.checkPrivateKey(createPrivateKey(String(key)));
    } catch {
      throw invalid(`failed to parse key${which}: PEM_read_bio_PrivateKey() failed`);
    }
    if (!matches) throw invalid(`failed to match the certificate and private key${which}`);
  }
}
