/**
 * What is wrong with a config file, with where: every problem prints as
 * `<file as given>:<line>:<col>: <message>` (1-based), one per line.
 */
import { SyncError } from '../errors.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/** A config that cannot be used. Its code is `config`; every door maps it to "usage" (exit 64). */
export class ConfigError extends SyncError {
  constructor(readonly problems: ConfigProblem[]) {
    super('config', problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * A problem found on the parsed data, before positions are looked up: `path` is the chain of
 * keys from the top, and `at` says whether the key itself or its value is to blame.
 */
export interface PathProblem {
  path: (string | number)[];
  at: 'key' | 'value';
  message: string;
}
