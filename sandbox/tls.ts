/**
 * TLS for the sandbox, the way API7's control plane ships it (`https://…:7443`): one self-signed
 * certificate for `127.0.0.1` and `localhost`, made at start, so an untrusting client fails with
 * "self-signed certificate" as it does against API7. The certificate is its own issuer, so its PEM,
 * written to a file, is what clients give as `caFile`.
 *
 * node:crypto makes the keys; node-forge writes the X.509 certificates, which node:crypto
 * cannot do (it only reads them).
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface SandboxTls {
  /** What a client trusts: the self-signed certificate itself. */
  ca: string;
  /** Where `ca` is written. */
  caFile: string;
  /** The server certificate (the same PEM as `ca`) and its key. */
  cert: string;
  key: string;
}

const newKeyPair = () =>
  promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

function certificate(
  subject: string,
  publicKeyPem: string,
  issuer: { name: string; keyPem: string },
  extensions: object[],
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive serial number: the first byte's high bit clear.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([
    { name: 'commonName', value: subject },
    { name: 'organizationName', value: 'api7-sync sandbox' },
  ]);
  cert.setIssuer([
    { name: 'commonName', value: issuer.name },
    { name: 'organizationName', value: 'api7-sync sandbox' },
  ]);
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(issuer.keyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/**
 * A self-signed server certificate, as `openssl req -x509` makes one (its own CA, allowed to sign
 * itself, which is how OpenSSL recognises it as a trust anchor when a client names it in `ca`);
 * its PEM is written to a new temporary file.
 */
export async function makeTls(name = 'api7-sync sandbox'): Promise<SandboxTls> {
  const keys = await newKeyPair();
  const cert = certificate(name, keys.publicKey, { name, keyPem: keys.privateKey }, [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
  ]);
  const dir = await mkdtemp(path.join(tmpdir(), 'api7-sync-sandbox-tls-'));
  const caFile = path.join(dir, 'server.pem');
  await writeFile(caFile, cert);
  return { ca: cert, caFile, cert, key: keys.privateKey };
}
