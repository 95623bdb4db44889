/**
 * `controlPlane.caFile`: a path inside the repository or an absolute one on this machine (the TLS
 * sandbox's CA in the temporary directory), never a relative climb out of the repository, and
 * always a regular file holding a PEM certificate, whose contents are never quoted back.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../engine/config/load.js';
import { makeTls } from '../../../sandbox/tls.js';

const CONFIG = (caFile: string) => `controlPlane:
  url: https://api7.example.com:7443
  caFile: ${JSON.stringify(caFile)}
environments:
  test: {gatewayGroup: t}
services:
  httpbin API: {}
`;

/** A repository with `.github/api7-sync.yml` naming `caFile`; returns the config's path. */
function repository(caFile: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'cfg-cafile-'));
  mkdirSync(path.join(root, '.github'));
  const file = path.join(root, '.github', 'api7-sync.yml');
  writeFileSync(file, CONFIG(caFile));
  return file;
}

function outside(name: string, content: string | Buffer): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-ca-outside-')), name);
  writeFileSync(file, content);
  return file;
}

describe('controlPlane.caFile', () => {
  it('takes an absolute path outside the repository, such as the TLS sandbox CA in the temporary directory', async () => {
    const ca = outside('ca.pem', (await makeTls('a sandbox CA')).ca);
    expect(loadConfigFile(repository(ca), { env: {} }).controlPlane.caFile).toBe(ca);
  });

  it('still refuses a relative path that climbs out of the repository, whether or not the file exists', () => {
    for (const caFile of ['../ca.pem', '../../etc/ssl/certs/ca-certificates.crt', '.github/../../x.pem']) {
      expect(() => loadConfigFile(repository(caFile), { env: {} }), caFile).toThrow(
        `caFile "${caFile}" leaves the repository; write a path inside it, such as .github/api7-ca.pem, or the absolute path of a CA bundle on this machine`,
      );
    }
  });

  it('refuses a device, a directory and an oversized file by what they are, without reading them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-ca-dir-'));
    const huge = outside('huge.pem', Buffer.alloc(1024 * 1024 + 1, 'A'));
    const cases: [string, RegExp][] = [
      ['/dev/zero', /caFile "\/dev\/zero" is not a regular file/],
      [dir, /is not a regular file/],
      [huge, /is larger than 1 MiB/],
    ];
    for (const [caFile, message] of cases) {
      expect(() => loadConfigFile(repository(caFile), { env: {} }), caFile).toThrow(message);
    }
  });

  it('refuses a file without a certificate (a private key, a password) and never quotes what it holds', () => {
    const secret = 'hunter2-do-not-print';
    const key = outside('key.pem', `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`);
    let message = '';
    try {
      loadConfigFile(repository(key), { env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/holds no PEM certificate/);
    expect(message).toContain(key);
    expect(message).not.toContain(secret);
  });
});
