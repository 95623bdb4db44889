/**
 * `GET /api/schema/core`: the JSON Schemas of the core resources, with API7's defaults, which
 * clients such as ADC merge into their local configuration before comparing it with a dump.
 * The same schemas check and fill every write (schema/resources.ts).
 */
import { coreSchema } from '../schema/resources.js';
import { ok, type Context, type On } from './common.js';

export function registerSchema(on: On, { version }: Context): void {
  const answer = coreSchema(version);
  on('GET', '/api/schema/core', () => ok(answer));
}
