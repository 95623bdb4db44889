/** What every API7 command needs before it can talk to the control plane: a config and a token. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigFile, type Config, SyncError } from '../engine/index.js';
import type { Io } from './io.js';

export type Values = Record<string, string | boolean | string[] | undefined>;

export function usage(message: string): SyncError {
  return new SyncError('usage', message);
}

/**
 * The API7 token, from `--token-file` or `API7_TOKEN`, never argv. Surrounding whitespace (a
 * trailing newline from `echo` or a secret store) is trimmed, with a warning for the variable,
 * since the control plane would otherwise refuse a token that looks right.
 */
export function readToken(values: Values, io: Io): string {
  const file = values['token-file'] as string | undefined;
  let raw: string;
  let source: string;
  if (file) {
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw usage(
        `cannot read --token-file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`,
      );
    }
    source = `--token-file ${file}`;
  } else {
    raw = io.env.API7_TOKEN ?? '';
    source = 'API7_TOKEN';
    if (!raw) throw usage('no API7 token: set API7_TOKEN or pass --token-file FILE');
  }
  const token = raw.trim();
  if (!token) throw usage(`${source} is empty; it must hold the API7 token`);
  if (/\s/.test(token))
    throw usage(`${source} holds more than one word or line; it must hold the API7 token alone`);
  // A file ends with a newline by convention; a variable should not.
  if (token !== raw && !file)
    io.stderr(
      'warning: API7_TOKEN has spaces or a line break around it (a trailing newline?); using it trimmed',
    );
  return token;
}

export function loadConfig(values: Values, io: Io): Config {
  const file = (values.config as string | undefined) ?? path.join('.github', 'api7-sync.yml');
  return loadConfigFile(file, { env: io.env });
}
