/**
 * The config validator: the one schema (schema.ts), precompiled by `npm run schema` into
 * validate.generated.ts so that no process pays for compiling it at start-up.
 * `npm run schema:check` fails when the precompiled file no longer matches the schema.
 */
import type { ErrorObject } from 'ajv';
import generated from './validate.generated.js';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const validator = generated as unknown as Validator;

/** Validates parsed config data; returns the schema errors (empty when valid). */
export function schemaErrors(data: unknown): ErrorObject[] {
  return validator(data) ? [] : (validator.errors ?? []);
}
