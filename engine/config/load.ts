/**
 * Loads `.github/api7-sync.yml`: YAML, `${ENV}` interpolation in values, one schema, then the
 * cross-checks a schema cannot express. Every problem carries file:line:col and says what to
 * write instead.
 *
 * Two readings: the plain one (fast.ts) for a config that is valid, the careful one with
 * positions (positioned.ts) whenever something is wrong. Users wait for the first on every run;
 * the second only runs to explain a mistake.
 */
import { readFileSync } from 'node:fs';
import { readFast } from './fast.js';
import { readWithPositions } from './positioned.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import type { Config } from './types.js';

export { ConfigError, type ConfigProblem } from './problems.js';
export { repositoryRoot } from './ca-file.js';

export interface LoadOptions {
  /** Variables for `${NAME}`; `false` forbids interpolation (the bot reads configs it does not trust). */
  env: Record<string, string | undefined> | false;
  /**
   * Whether files the config names (caFile) must exist. Default: true when reading a file from
   * disk, false for text that came from elsewhere (the bot reads the default branch over the API).
   */
  checkFiles?: boolean;
}

/** A config beyond this is a mistake (the wrong file), not a config: refuse it before parsing. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads and validates a config file. Throws `ConfigError`. */
export function loadConfigFile(file: string, options: LoadOptions): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file; create it (start from examples/api7-sync.yml) or pass --config with its path'
        : code === 'EISDIR'
          ? 'it is a directory; pass the path of the YAML file'
          : `${code ?? 'error'}`;
    throw new ConfigError([{ file, line: 1, col: 1, message: `cannot read the config: ${why}` }]);
  }
  return parseConfig(text, file, { ...options, checkFiles: options.checkFiles ?? true });
}

/** Validates config text that was read from `file`. Throws `ConfigError`. */
export function parseConfig(text: string, file: string, options: LoadOptions): Config {
  const problem = (offset: number, message: string): ConfigProblem => ({
    file,
    ...positionIn(text, offset),
    message,
  });
  if (text.length > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      problem(
        0,
        `the config is ${text.length} bytes; more than ${MAX_CONFIG_BYTES} is not a config file (split it, or check the path)`,
      ),
    ]);
  }
  if (text.includes('\uFFFD')) {
    throw new ConfigError([problem(text.indexOf('\uFFFD'), 'the file is not valid UTF-8; save it as UTF-8')]);
  }
  const readOptions = { env: options.env, checkFiles: options.checkFiles ?? false };
  return readFast(text, file, readOptions) ?? readWithPositions(text, file, readOptions);
}

function positionIn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}
