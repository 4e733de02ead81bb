/**
 * Mutual-TLS client authentication and certificate-bound tokens (RFC 8705). The client shows an
 * X.509 certificate in the TLS handshake with the authorization server: it authenticates the client
 * (§2.1 tls_client_auth: a certificate from a CA the server trusts, matched on its subject; §2.2
 * self_signed_tls_client_auth: a certificate registered with the client), and the server may bind
 * the tokens it issues to it (§3: the token's `cnf.x5t#S256`, the SHA-256 of the certificate's DER).
 * A bound token is accepted only over a connection made with the same certificate, so every later
 * call that presents it (userinfo, APIs, refresh, introspection, revocation) goes out with it.
 *
 * Servers that take mTLS on other URLs than their plain endpoints publish them as
 * `mtls_endpoint_aliases` (§5); a client using mTLS sends its calls there.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ProviderConfigurationError } from './errors.js';
import type { HttpClient } from './http.js';
import type { ProtocolCheck } from './outcome.js';

/** The certificate and key a client shows in the TLS handshake. Never serialized: traces see only the thumbprint. */
export interface ClientCertificate {
  /** The certificate (and any chain after it), PEM, as the TLS layer takes it. */
  certPem: string;
  /** The private key, PEM (PKCS#8), as the TLS layer takes it. */
  keyPem: string;
  /** §3.1: base64url SHA-256 of the certificate's DER, the `x5t#S256` a bound token's cnf names. */
  thumbprint: string;
  /** The certificate's subject, for --verbose and for tls_client_auth_subject_dn. */
  subject: string;
  /** Where it came from (a file, a secret reference), for messages. */
  source: string;
  /**
   * Server certificates to trust for this connection instead of the system's: only for the
   * sandbox, whose mTLS listener has a certificate of its own making (docs/modern-oauth.md).
   */
  ca?: string;
}


const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The certificate in `certText` with its private key `keyText`; `certSource` and `keySource` name
 * them in errors (a file, a secret reference). A text that is no PEM certificate, a key that is
 * not a private key, and a certificate whose public key is not the key's are refused, naming them.
 */
export function readClientCertificate(certText: string, certSource: string, keyText: string | KeyObject, keySource: string): ClientCertificate {
  const certificateProblem = (message: string) => new ProviderConfigurationError(message, { kind: 'client-certificate' });
  const pem = certText.match(PEM_CERTIFICATE)?.[0];
  if (pem === undefined) {
    throw certificateProblem(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certText)
        ? `${certSource} holds a private key, not a certificate (RFC 8705 §2: the client shows an X.509 certificate)`
        : `${certSource} is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)`,
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw certificateProblem(`${certSource} is not a readable certificate (${(error as Error).message.split('\n')[0]})`);
  }
  let key: KeyObject;
  if (typeof keyText === 'string') {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) {
      throw certificateProblem(
        keyText.includes('-----BEGIN CERTIFICATE-----')
          ? `${keySource} holds a certificate, not the certificate's private key`
          : `${keySource} is not a PEM private key`,
      );
    }
    try {
      key = createPrivateKey(keyText);
    } catch (error) {
      throw certificateProblem(`${keySource} is not a readable private key (${(error as Error).message.split('\n')[0]})`);
    }
  } else {
    key = keyText;
  }
  // The TLS handshake proves possession of the certificate's key; a key of another certificate
  // would fail there, with a message that names neither file.
  if (!certificate.checkPrivateKey(key)) {
    throw certificateProblem(`${certSource} does not match ${keySource}: the certificate's public key is not the key's`);
  }
  const now = Date.now();
  if (Date.parse(certificate.validTo) < now) throw certificateProblem(`${certSource} expired on ${certificate.validTo}`);
  return {
    certPem: certText.match(new RegExp(PEM_CERTIFICATE.source, 'g'))!.join('\n') + '\n',
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    thumbprint: certificateThumbprint(certificate),
    subject: certificate.subject.replace(/\n/g, ', '),
    source: certSource,
  };
}

/** §3.1: x5t#S256, the base64url-encoded SHA-256 of the DER encoding of the certificate. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/** What --verbose says of the certificate a login shows. */
export function certificateCheck(certificate: ClientCertificate, method: string | undefined): ProtocolCheck {
  const use = method === 'tls_client_auth' || method === 'self_signed_tls_client_auth' ? `authenticates the client (${method})` : 'shown to the server; tokens it binds need it';
  return {
    ok: true,
    name: 'client certificate',
    detail: `${certificate.subject} from ${certificate.source}, x5t#S256 ${certificate.thumbprint}: ${use}, and goes with every later call that presents the token`,
    source: 'RFC 8705 §2, §3',
  };
}

/**
 * §3.1: whether a token response's access token is bound to `certificate`, when the token is a JWT
 * that says (`cnf.x5t#S256`); undefined when the token does not say (opaque tokens: introspection
 * would tell).
 */
export function boundThumbprint(accessToken: string): string | undefined {
  const parts = accessToken.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { cnf?: Record<string, unknown> };
    const value = claims.cnf?.['x5t#S256'];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An HttpClient whose every request shows `certificate` (RFC 8705 §3: a certificate-bound token
 * is accepted only over a connection made with the certificate it is bound to): for the calls that
 * present such a token (userinfo, the provider's API).
 */
export function certificateHttp(http: HttpClient, certificate: ClientCertificate): HttpClient {
  return (request) => http({ ...request, tls: certificate });
}
