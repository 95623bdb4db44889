/** What goes to stdout: the result, as text or as the one `--json` document. */
import type { ErrorCode } from '../engine/errors.js';
import type { Io } from './io.js';

/** The `--json` document when nothing could be planned. */
export function errorDocument(code: ErrorCode, message: string): string {
  return JSON.stringify({ schemaVersion: 1, ok: false, error: { code, message }, services: [] }, null, 2);
}

export function printResult(io: Io, json: boolean, value: unknown, text: () => string): void {
  io.stdout(json ? JSON.stringify(value, null, 2) : text());
}
