/**
 * The sandbox's X.509 certificates for mutual TLS (RFC 8705), made once and kept in the sandbox
 * folder as `mtls.json` (0600), published with link(2) like keys.json (./state.ts): the first
 * process's set wins, so every process shows and trusts the same certificates.
 *
 *   ca            a CA of the sandbox's own; its key is thrown away once the two below are signed
 *   server        for 127.0.0.1 (subjectAltName IP), signed by the CA: the mTLS listener's
 *   client        "CN=oauthd-cli sandbox client", signed by the CA: the tls_client_auth client's
 *                 (§2.1: the server trusts the CA and matches the subject)
 *   selfSigned    a self-signed client certificate, registered with the self_signed_tls_client_auth
 *                 client as an x5c key (§2.2: matched by its thumbprint, no chain)
 *
 * Node 20's node:crypto reads certificates (X509Certificate) but cannot make them, hence
 * @peculiar/x509 on node:crypto's WebCrypto; it is loaded only the first time, to make the set.
 */
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { configError } from '../util/errors.js';
import { ensurePrivateDir, publishOnce, readTextIfExists } from '../util/fs.js';

/** A certificate and its private key, PEM (PKCS#8). */
export interface PemPair {
  cert: string;
  key: string;
}

export interface SandboxCertificates {
  version: 1;
  /** The CA certificate alone: what a client pins to trust the listener, what the listener trusts clients by. */
  ca: string;
  server: PemPair;
  client: PemPair;
  selfSigned: PemPair;
}

/** The subject of the tls_client_auth client's certificate, registered as its tls_client_auth_subject_dn. */
export const SANDBOX_CLIENT_SUBJECT = 'CN=oauthd-cli sandbox client';
const SELF_SIGNED_SUBJECT = 'CN=oauthd-cli sandbox self-signed client';
const CA_SUBJECT = 'CN=oauthd-cli sandbox CA';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
/** Long-lived: the set is made once per data folder, and a bound token dies with its certificate. */
const VALID_DAYS = 10 * 365;

/** The sandbox's certificates, made on first use. */
export async function loadSandboxCertificates(dir: string): Promise<SandboxCertificates> {
  await ensurePrivateDir(dir);
  const file = join(dir, 'mtls.json');
  const existing = await readCertificates(file);
  if (existing) return existing;
  const made = await makeCertificates();
  // Another process published its set first: everyone uses that one.
  if (!(await publishOnce(file, `${JSON.stringify(made, null, 2)}\n`))) return (await readCertificates(file)) as SandboxCertificates;
  return made;
}

async function readCertificates(file: string): Promise<SandboxCertificates | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const set = parseCertificates(text);
  if (!set) {
    throw configError(`${file} is not the sandbox's certificate file`, `delete it (the sandbox makes new certificates; tokens bound to the old client certificate stop working, log in again)`);
  }
  if (Date.parse(new X509Certificate(set.server.cert).validTo) < Date.now()) {
    throw configError(`the sandbox's certificates in ${file} have expired`, 'delete the file (the sandbox makes new ones), and log in again');
  }
  return set;
}

function parseCertificates(text: string): SandboxCertificates | undefined {
  try {
    const value = JSON.parse(text) as Partial<SandboxCertificates> | null;
    if (value === null || typeof value !== 'object' || value.version !== 1 || typeof value.ca !== 'string') return undefined;
    const pairs = [value.server, value.client, value.selfSigned];
    if (!pairs.every((pair) => pair !== undefined && typeof pair.cert === 'string' && typeof pair.key === 'string')) return undefined;
    // Readable certificates, or it is not ours.
    for (const pem of [value.ca, ...pairs.map((pair) => pair!.cert)]) new X509Certificate(pem);
    return value as SandboxCertificates;
  } catch {
    return undefined;
  }
}

async function makeCertificates(): Promise<SandboxCertificates> {
  const x509 = await import('@peculiar/x509');
  // node:crypto's WebCrypto is the Crypto @peculiar/x509 asks for (the DOM type is not in this build's lib).
  x509.cryptoProvider.set(webcrypto as never);
  const subtle = webcrypto.subtle;
  const keyPair = async () => (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const validity = () => ({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + VALID_DAYS * DAY),
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = async (keys: webcrypto.CryptoKeyPair) => {
    const der = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    return `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  };
  const leafExtensions = (usage: string, ip?: string) => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    ...(ip !== undefined ? [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: ip }])] : []),
  ];

  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    ...validity(),
    name: CA_SUBJECT,
    keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const issued = async (subject: string, extensions: ReturnType<typeof leafExtensions>): Promise<PemPair> => {
    const keys = await keyPair();
    const certificate = await x509.X509CertificateGenerator.create({ ...validity(), subject, issuer: ca.subject, publicKey: keys.publicKey, signingKey: caKeys.privateKey, extensions });
    return { cert: `${certificate.toString('pem')}\n`, key: await pkcs8(keys) };
  };
  const selfSignedKeys = await keyPair();
  const selfSigned = await x509.X509CertificateGenerator.createSelfSigned({ ...validity(), name: SELF_SIGNED_SUBJECT, keys: selfSignedKeys, extensions: leafExtensions(x509.ExtendedKeyUsage.clientAuth) });
  return {
    version: 1,
    ca: `${ca.toString('pem')}\n`,
    server: await issued('CN=127.0.0.1', leafExtensions(x509.ExtendedKeyUsage.serverAuth, '127.0.0.1')),
    client: await issued(SANDBOX_CLIENT_SUBJECT, leafExtensions(x509.ExtendedKeyUsage.clientAuth)),
    selfSigned: { cert: `${selfSigned.toString('pem')}\n`, key: await pkcs8(selfSignedKeys) },
  };
}

/** The x5c value (RFC 7517 §4.7: base64 DER, not base64url) of a PEM certificate. */
export function x5cOf(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}
