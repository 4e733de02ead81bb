/**
 * The user's own client certificates, registered with the sandbox's self_signed_tls_client_auth
 * client (RFC 8705 §2.2): `oauthd-cli sandbox --register-cert my.crt` keeps them in the sandbox
 * folder as `client-certificates.json` (0600, written whole), and every sandbox started on that
 * folder registers each as an `x5c` key of that client beside the sandbox's own self-signed
 * certificate. §2.2 authenticates a client by the certificate itself, matched against the ones it
 * registered (node-oidc-provider compares their x5t#S256 thumbprints); no CA and no chain is
 * involved, so a certificate made with openssl works as it is. tls_client_auth (§2.1) is not
 * affected: its client still needs a certificate of the sandbox's CA.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { configError } from '../util/errors.js';
import { ensurePrivateDir, readTextIfExists, writeFileAtomic } from '../util/fs.js';

const FILE = 'client-certificates.json';

export interface RegisteredCertificate {
  /** The certificate, PEM (the first of the file it came from; a chain means nothing to §2.2). */
  cert: string;
  /** §3.1 x5t#S256 of its DER: how the server matches it. */
  'x5t#S256': string;
  subject: string;
}

/** The certificates registered in the sandbox folder `dir` (none when there is no file). */
export async function readRegisteredCertificates(dir: string): Promise<RegisteredCertificate[]> {
  const file = join(dir, FILE);
  const text = await readTextIfExists(file);
  if (text === undefined) return [];
  const advice = `delete it, then register your certificates again: oauthd-cli sandbox --register-cert FILE`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw configError(`${file} is not JSON`, advice);
  }
  const list = (parsed as { certificates?: unknown } | null)?.certificates;
  if (!Array.isArray(list)) throw configError(`${file} is not the sandbox's list of registered certificates`, advice);
  return list.map((entry: unknown) => {
    const pem = (entry as { cert?: unknown } | null)?.cert;
    try {
      return describe(new X509Certificate(String(pem)));
    } catch {
      throw configError(`${file} holds an entry that is not a PEM certificate`, advice);
    }
  });
}

/**
 * Registers the PEM certificate `text` (read from `source`) with the sandbox's
 * self_signed_tls_client_auth client. A private key, a text with no certificate and an expired
 * certificate are refused, naming `source`. Registering one twice changes nothing.
 */
export async function registerCertificate(dir: string, text: string, source: string): Promise<{ certificate: RegisteredCertificate; added: boolean }> {
  const certificate = describe(parseCertificate(text, source));
  const registered = await readRegisteredCertificates(dir);
  if (registered.some((entry) => entry['x5t#S256'] === certificate['x5t#S256'])) return { certificate, added: false };
  await ensurePrivateDir(dir);
  await writeFileAtomic(join(dir, FILE), `${JSON.stringify({ version: 1, certificates: [...registered, certificate] }, null, 2)}\n`, 0o600);
  return { certificate, added: true };
}

function parseCertificate(text: string, source: string): X509Certificate {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  const fix = 'give the PEM certificate (-----BEGIN CERTIFICATE-----), e.g. made by: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout my.key -out my.crt -subj /CN=me';
  if (pem === undefined) {
    throw configError(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)
        ? `${source} holds a private key, not a certificate (the sandbox registers the certificate; the key stays with you for login --key)`
        : `${source} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
      fix,
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw configError(`${source} is not a readable certificate (${(error as Error).message.split('\n')[0]})`, fix);
  }
  if (Date.parse(certificate.validTo) < Date.now()) throw configError(`${source} expired on ${certificate.validTo}`, 'make a new certificate and register that one');
  // It becomes a JWK of the client (x5c beside its public key): a key type a JWK cannot carry
  // would stop every sandbox on this folder from starting.
  const key = certificate.publicKey;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const usable = key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'ed25519' || (key.asymmetricKeyType === 'ec' && (curve === 'prime256v1' || curve === 'secp384r1' || curve === 'secp521r1'));
  if (!usable) {
    throw configError(`the key of ${source} (${key.asymmetricKeyType}${curve ? ` ${curve}` : ''}) is not one the sandbox can register (RSA, EC P-256/P-384/P-521 or Ed25519)`, 'make the certificate with one of those keys (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 …)');
  }
  return certificate;
}

function describe(certificate: X509Certificate): RegisteredCertificate {
  return {
    cert: certificate.toString(),
    'x5t#S256': createThumbprint(certificate),
    subject: certificate.subject.replace(/\n/g, ', '),
  };
}

/** §3.1: base64url SHA-256 of the DER (the sandbox may not import src/oauth/mtls.ts, hence here). */
function createThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}
