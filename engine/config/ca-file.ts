/**
 * `controlPlane.caFile`: which paths a config may name, and what the file there must be.
 *
 * A relative path is read against the repository (the directory holding `.github/`) and may not
 * climb out of it: a config travels with its repository, and a `../` in it is either a mistake or
 * an attempt to make whoever runs it read a file of theirs. An absolute path names a file on the
 * machine that runs the program (an operator's CA bundle, the TLS sandbox's CA file in the
 * temporary directory): it was written for that machine on purpose and is accepted. Either way
 * the file must be a regular file of at most 1 MiB that holds a PEM certificate, so that no path
 * (a device such as /dev/zero, a FIFO, a directory, a private key) can hang a run or stand in for
 * a CA; and what the file holds is never quoted back.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PathProblem } from './problems.js';
import type { Config } from './types.js';

/** A CA bundle is a few kilobytes; the system's whole bundle is under 300 KiB. */
export const CA_FILE_MAX_BYTES = 1024 * 1024;

/** Checks `controlPlane.caFile` and, when it may be used, resolves it to an absolute path in place. */
export function checkCaFile(config: Config, checkFiles: boolean): PathProblem[] {
  const caFile = config.controlPlane.caFile;
  if (caFile === undefined) return [];
  const root = repositoryRoot(config.file);
  const resolved = path.resolve(root, caFile);
  if (!path.isAbsolute(caFile) && resolved !== root && !resolved.startsWith(root + path.sep)) {
    return [
      {
        path: ['controlPlane', 'caFile'],
        at: 'value',
        message: `caFile "${caFile}" leaves the repository; write a path inside it, such as .github/api7-ca.pem, or the absolute path of a CA bundle on this machine`,
      },
    ];
  }
  config.controlPlane.caFile = resolved;
  const trouble = checkFiles ? caFileTrouble(resolved) : undefined;
  return trouble
    ? [{ path: ['controlPlane', 'caFile'], at: 'key', message: `caFile "${caFile}" ${trouble}` }]
    : [];
}

/**
 * What is wrong with the file as a CA bundle, in words that follow `caFile "..."`, or undefined
 * when it is fine. The transport asks again just before reading it.
 */
export function caFileTrouble(file: string): string | undefined {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile())
      return `is not a regular file (${file}); point it at the PEM file of the control plane's CA bundle`;
    size = stat.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return `does not exist (looked for ${file}); add the control plane's CA bundle there, fix the path, or remove caFile`;
    return `cannot be read (${code}, ${file}); make it readable by the user that runs api7-sync`;
  }
  if (size > CA_FILE_MAX_BYTES)
    return `is larger than 1 MiB (${file}), which no CA bundle is; point it at the PEM file of the control plane's CA bundle`;
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return `cannot be read (${code}, ${file}); make it readable by the user that runs api7-sync`;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    return `holds no PEM certificate (${file}); point it at the CA bundle that signed the control plane's certificate (a file with -----BEGIN CERTIFICATE----- blocks)`;
  return undefined;
}

/** The directory that holds `.github/` (or the config's own directory for a config elsewhere). */
export function repositoryRoot(configFile: string): string {
  const dir = path.dirname(path.resolve(configFile));
  return path.basename(dir) === '.github' ? path.dirname(dir) : dir;
}
