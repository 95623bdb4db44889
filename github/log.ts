/**
 * Where the GitHub-side pieces report what went wrong without failing the promotion. Probot's
 * logger fits as it is; the Action passes `{ info: core.info, warn: core.warning }`; the CLI
 * writes both to stderr.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** The message of anything thrown, for a log line (never `[object Object]`). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : 'an unknown error';
}
