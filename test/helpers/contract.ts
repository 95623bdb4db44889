/** API7's own schemas (extracted by scripts/extract-api7-schemas.mjs) as validators. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

type Schemas = Record<string, { request?: object; response?: object }>;
const schemas: Schemas = JSON.parse(
  readFileSync(new URL('../contract/api7-schemas.json', import.meta.url), 'utf8'),
);
export const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });

/**
 * `status` changed meaning in 3.2.12 and the 3.2 spec still describes the old one: it is checked
 * by enum only, which the schemas do. Modern publish bodies drop `required: [upstream]`.
 */
export function validator(key: string, part: 'request' | 'response', modern = false) {
  let schema = schemas[key]?.[part];
  if (!schema) throw new Error(`no ${part} schema for ${key}`);
  if (modern && part === 'request')
    schema = JSON.parse(JSON.stringify(schema).replace(/"required":\["upstream"\],?/g, ''));
  return ajv.compile(schema as object);
}
