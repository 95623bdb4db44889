/**
 * TLS for the sandbox, the way a real control plane has it (`https://…:7443`, a certificate no
 * public CA signed): a CA made at start, a server certificate for `127.0.0.1` and `localhost`
 * signed by it, and the CA's PEM written to a file that clients give as `caFile`.
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
  /** The CA certificate's PEM: what a client trusts. */
  ca: string;
  /** Where `ca` is written. */
  caFile: string;
  /** The server certificate (followed by nothing: clients need the CA) and its key. */
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

/** A CA and a server certificate signed by it; the CA's PEM is written to a new temporary file. */
export async function makeTls(caName = 'api7-sync sandbox CA'): Promise<SandboxTls> {
  const [caKeys, serverKeys] = await Promise.all([newKeyPair(), newKeyPair()]);
  const ca = certificate(caName, caKeys.publicKey, { name: caName, keyPem: caKeys.privateKey }, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const cert = certificate('localhost', serverKeys.publicKey, { name: caName, keyPem: caKeys.privateKey }, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
  ]);
  const dir = await mkdtemp(path.join(tmpdir(), 'api7-sync-sandbox-tls-'));
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, ca);
  return { ca, caFile, cert, key: serverKeys.privateKey };
}
