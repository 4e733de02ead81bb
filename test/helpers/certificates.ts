// X.509 certificates made by the tests (RFC 8705 mTLS): a CA, a server certificate for 127.0.0.1
// and client certificates, issued or self-signed, with @peculiar/x509 on node:crypto's WebCrypto
// (Node 20 can read certificates, X509Certificate, but not make them).
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface Issued {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PEM (PKCS#8). */
  key: string;
  /** RFC 8705 §3.1: base64url SHA-256 of the DER. */
  thumbprint: string;
  /** The subject as node:crypto writes it, lines joined by commas ("CN=…"). */
  subject: string;
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

let serial = 1;

async function pem(keys: CryptoKeyPair, certificate: x509.X509Certificate): Promise<Issued> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const cert = certificate.toString('pem') + '\n';
  const node = new X509Certificate(cert);
  return { cert, key, thumbprint: createHash('sha256').update(node.raw).digest('base64url'), subject: node.subject.split('\n').join(','), certificate, keys };
}

/** A CA that signs the server's and the clients' certificates. */
export async function makeCa(name = 'CN=oauthd-cli test CA'): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: String(serial++).padStart(2, '0'),
    name,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return pem(keys, certificate);
}

/** A certificate for `name`, signed by `ca` (or self-signed without one); `ip` makes it a server's. */
export async function issue(name: string, options: { ca?: Issued; ip?: string } = {}): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const usage = options.ip !== undefined ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    ...(options.ip !== undefined ? [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: options.ip }])] : []),
  ];
  const common = {
    serialNumber: String(serial++).padStart(2, '0'),
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALGORITHM,
    extensions,
  };
  const certificate = options.ca
    ? await x509.X509CertificateGenerator.create({ ...common, subject: name, issuer: options.ca.certificate.subject, publicKey: keys.publicKey, signingKey: options.ca.keys.privateKey })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name, keys });
  return pem(keys, certificate);
}
